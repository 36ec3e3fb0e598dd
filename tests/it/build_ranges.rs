//! The derive stage in bounded memory (issue 20): `build` evaluates the SLA clocks one key
//! range at a time on any number of workers, and reads the tickets piece by piece for
//! recurring problems and insights. The ranges and workers change how a build runs, never
//! what it gives.

use crate::support::*;

/// The derived tables of a build, each in the order its files give it.
const DERIVED: [&str; 4] = [
    "sla",
    "problem_candidates",
    "problem_candidate_members",
    "insights",
];

/// Environment variables set on one command.
type Knobs<'a> = &'a [(&'a str, String)];

/// Generate `tickets` tickets with `seed`, ingest them and build, with these environment
/// knobs on the ingest (`at_ingest`) and on the build (`at_build`).
fn built(tickets: u32, seed: u32, at_ingest: Knobs, at_build: Knobs) -> Project {
    let p = Project::new();
    p.write("ticketlake.toml", config());
    p.generate_with("gen", tickets, seed, &["--format", "servicenow-csv"]);
    let steps: [(&[&str], Knobs); 2] = [
        (
            &[
                "ingest",
                "--quiet",
                "--no-build",
                "--source",
                "servicenow",
                "--tz",
                "Europe/London",
                "gen/incident.csv",
                "gen/sc_req_item.csv",
            ],
            at_ingest,
        ),
        (&["build", "--as-of", "2026-11-01T00:00:00Z"], at_build),
    ];
    for (args, knobs) in steps {
        let mut c = p.cmd();
        c.args(args);
        for (k, v) in knobs {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    p
}

/// Clocks of every kind: calendar and business hours, pauses, response and resolution, on
/// incidents and requests.
fn config() -> String {
    let mut c = per_priority_slas();
    c.push_str(concat!(
        "[calendars.office]\ntimezone = \"Europe/London\"\n",
        "hours = { mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"], wed = [\"09:00-17:00\"], ",
        "thu = [\"09:00-17:00\"], fri = [\"09:00-13:00\", \"14:00-17:00\"] }\n",
        "[[sla]]\nname = \"business resolution\"\nmetric = \"resolution\"\ntarget = \"16h\"\n",
        "calendar = \"office\"\npause-on = [\"on_hold\"]\n",
        "[[sla]]\nname = \"response\"\nmetric = \"response\"\ntarget = \"2h\"\n",
        "calendar = \"office\"\nwhen = { kind = [\"incident\", \"request\"] }\n",
    ));
    c
}

fn files_of(p: &Project, table: &str) -> usize {
    let m = ticketlake::dataset::manifest::current(&p.location()).unwrap();
    m.tables[table].files.len()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 4, ..Default::default() })]

    /// The `sla` table built range by range (tiny ranges, one or two workers, over tickets
    /// stored in one file or in many) is identical to the one built in one range, and so
    /// are the problem candidates, their members and the insights.
    #[test]
    fn ranges_and_workers_give_the_same_derived_tables(
        seed in 1u32..1000,
        rows in 150usize..900,
        workers in 1usize..=2,
        split_ingest in proptest::bool::ANY,
    ) {
        let whole = built(2500, seed, &[], &[]);
        let knobs = [
            ("TICKETLAKE_RANGE_ROWS", rows.to_string()),
            ("TICKETLAKE_WORKERS", workers.to_string()),
        ];
        let ranged = built(2500, seed, if split_ingest { &knobs } else { &[] }, &knobs);
        proptest::prop_assert_eq!(files_of(&whole, "sla"), 1);
        proptest::prop_assert!(files_of(&ranged, "sla") >= 2, "expected several key ranges");
        for table in DERIVED {
            let (a, b) = (whole.table(table), ranged.table(table));
            proptest::prop_assert!(
                a.equals_missing(&b),
                "{} differs between one range and ranges of {} rows on {} workers",
                table, rows, workers
            );
        }
        let sla = whole.table("sla");
        let candidates = whole.table("problem_candidates");
        proptest::prop_assert!(sla.height() > 2500, "every ticket has clocks");
        proptest::prop_assert!(candidates.height() > 0, "the generated bursts are found");
        // Read back in manifest order, the ranges are in key order.
        let keys = ticketlake::dataset::columns::Keys::new(&ranged.table("sla")).unwrap();
        proptest::prop_assert!(keys.sorted());
    }
}

/// With `TICKETLAKE_TIMINGS=1` the build reports the engine's own rate, the line
/// `benches/compare --only sla-engine` reads; without it, nothing.
#[test]
fn the_build_reports_the_engine_rate_only_when_asked() {
    let p = built(600, 3, &[], &[]);
    let rows = p.table("sla").height();
    let mut c = p.cmd();
    c.args(["build", "--as-of", "2026-11-01T00:00:00Z"])
        .env("TICKETLAKE_TIMINGS", "1")
        .env("TICKETLAKE_WORKERS", "2");
    let o = c.output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("ticketlake: sla engine: "))
        .unwrap_or_else(|| panic!("no engine line in {err}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[3], rows.to_string(), "{line}");
    assert_eq!(&words[4..6], ["evaluations", "in"], "{line}");
    assert!(words[6].parse::<f64>().unwrap() >= 0.0, "{line}");
    assert_eq!(&words[7..], ["s", "on", "2", "workers"], "{line}");
    let quiet = p.run(&["build", "--as-of", "2026-11-01T00:00:00Z"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("sla engine"));
}
