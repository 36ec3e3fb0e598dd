//! Defaults that measure what users mean (issue 17): no imputed resolution times unless
//! asked, nothing committed when (nearly) everything is rejected, a file read again with
//! corrected options supersedes its earlier read, and every query runs before any build.

use serde_json::Value;

use crate::support::{Project, cell, file0, strings};

/// A list export with a `closed_at` column: INC1 is closed without a resolution time (its
/// close came five days after the work), INC2 was resolved two hours after opening.
const CLOSED: &str = "number,short_description,priority,state,opened_at,resolved_at,closed_at,sys_updated_on
INC1,printer jammed,3 - Moderate,Closed,2026-01-05 10:00:00,,2026-01-10 10:00:00,2026-01-10 10:00:00
INC2,mail down,3 - Moderate,Closed,2026-01-06 10:00:00,2026-01-06 12:00:00,2026-01-09 12:00:00,2026-01-09 12:00:00
";

fn ingest_closed(p: &Project, extra: &[&str]) -> Value {
    let f = p.write("closed.csv", CLOSED);
    let mut args = vec!["--source", "servicenow", "--tz", "UTC"];
    args.extend_from_slice(extra);
    args.push(f.to_str().unwrap());
    let (code, v, err) = p.ingest(&args);
    assert_eq!(code, 0, "{err}\n{v}");
    v
}

/// The period row of `query mttr` for January 2026.
fn mttr(p: &Project) -> Value {
    let out = p.run(&["query", "mttr", "--period", "2026-01", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["view"] == "period")
        .cloned()
        .unwrap_or_else(|| panic!("no period row in {rows}"))
}

#[test]
fn a_ticket_closed_without_resolution_is_flagged_and_left_out_of_mttr() {
    let p = Project::new();
    ingest_closed(&p, &[]);
    let t = p.table("tickets");
    assert_eq!(cell(&t, "INC1", "resolved_at"), None);
    assert_eq!(cell(&t, "INC1", "status").as_deref(), Some("closed"));
    assert_eq!(
        cell(&t, "INC1", "dq_flags").as_deref(),
        Some("closed_without_resolution")
    );
    assert_eq!(cell(&t, "INC2", "dq_flags"), None);
    // Only INC2's real two hours count; no build has run and no SLA is configured.
    let row = mttr(&p);
    assert_eq!(row["resolved"], 1, "{row}");
    assert_eq!(row["median_s"].as_f64(), Some(7200.0), "{row}");
    assert!(row["business_median_s"].is_null(), "{row}");
    // `dataset info` counts the flag.
    let out = p.run(&["dataset", "info", "--json"]);
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["flags"]["closed_without_resolution"], 1, "{info}");
    let text = String::from_utf8(p.run(&["dataset", "info"]).stdout).unwrap();
    assert!(text.contains("closed_without_resolution"), "{text}");
}

#[test]
fn resolved_from_closed_imputes_only_when_asked() {
    let p = Project::new();
    ingest_closed(&p, &["--resolved-from-closed"]);
    let t = p.table("tickets");
    assert_eq!(
        cell(&t, "INC1", "resolved_at").as_deref(),
        Some("2026-01-10 10:00:00 UTC")
    );
    assert_eq!(
        cell(&t, "INC1", "dq_flags").as_deref(),
        Some("resolved_at_from_closed_at")
    );
    let row = mttr(&p);
    assert_eq!(row["resolved"], 2, "{row}");

    // The same on a source of the project config.
    let q = Project::new();
    q.write("closed.csv", CLOSED);
    q.write(
        "ticketlake.toml",
        "[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"closed.csv\"]\ntimezone = \"UTC\"\nresolved-from-closed = true\n",
    );
    let out = q.run(&["--config", "ticketlake.toml", "run", "--period", "2026-01"]);
    assert!(
        out.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = q.table("tickets");
    assert!(cell(&t, "INC1", "resolved_at").is_some());
}

/// The `sla` rows of INC1 under a resolution SLA with `extra` policy lines.
fn inc1_clock(extra: &str) -> (String, Option<String>) {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        format!(
            "[[sla]]\nname = \"res\"\nmetric = \"resolution\"\ntarget = \"200h\"\n{extra}when = {{ kind = [\"incident\"] }}\n"
        ),
    );
    let f = p.write("closed.csv", CLOSED);
    let out = p.run(&[
        "--config",
        "ticketlake.toml",
        "ingest",
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        f.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sla = p.table("sla");
    (
        cell(&sla, "INC1", "state").unwrap(),
        cell(&sla, "INC1", "stop_at"),
    )
}

#[test]
fn a_resolution_clock_stops_at_close_only_when_the_policy_says_so() {
    let (state, stop) = inc1_clock("");
    assert_eq!(state, "invalid");
    assert_eq!(stop, None);
    let (state, stop) = inc1_clock("stop-at-close = true\n");
    assert_eq!(state, "met");
    assert_eq!(stop.as_deref(), Some("2026-01-10 10:00:00 UTC"));
}

/// A generic mapping with a priority vocabulary the export does not use.
fn generic(p: &Project, rows: &[&str]) -> std::path::PathBuf {
    p.write(
        "m.toml",
        r#"source = "bank"
timezone = "UTC"
timestamp-formats = ["%Y-%m-%d %H:%M"]
kind = "incident"
[columns]
ticket_id = "id"
opened_at = "opened"
priority = "prio"
[values.priority]
high = 2
"#,
    );
    let mut csv = String::from("id,opened,prio\n");
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    p.write("bank.csv", csv)
}

fn ingest_generic(p: &Project, file: &std::path::Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--source", "generic", "--mapping", "m.toml"];
    args.extend_from_slice(extra);
    args.push(file.to_str().unwrap());
    p.ingest(&args)
}

#[test]
fn an_ingest_over_five_percent_rejects_commits_nothing_by_default() {
    let p = Project::new();
    let rows: Vec<String> = (0..19)
        .map(|i| format!("B{i},2026-01-05 10:00,high"))
        .chain(["B99,2026-01-05 10:00,ultra".to_string()])
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let f = generic(&p, &rows);
    // 1 of 20 is exactly 5 %: within the default.
    let (code, v, err) = ingest_generic(&p, &f, &[]);
    assert_eq!(code, 0, "{err}\n{v}");
    assert_eq!(p.version(), 1);

    let q = Project::new();
    let f = generic(
        &q,
        &[
            "B1,2026-01-05 10:00,high",
            "B2,2026-01-05 10:00,ultra",
            "B3,2026-01-05 10:00,high",
        ],
    );
    let (code, v, _) = ingest_generic(&q, &f, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["committed"], false);
    let limit = v["limit_exceeded"]["limit"].as_str().unwrap();
    assert!(limit.starts_with("the default 5 %"), "{limit}");
    assert_eq!(q.version(), 0);
    // The limit is the user's to raise.
    let (code, v, _) = ingest_generic(&q, &f, &["--max-reject-pct", "100"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(q.version(), 1);
}

#[test]
fn a_file_whose_every_row_is_rejected_always_fails() {
    let p = Project::new();
    let bad = generic(
        &p,
        &["B1,2026-01-05 10:00,ultra", "B2,2026-01-05 10:00,mega"],
    );
    let (code, v, _) = ingest_generic(&p, &bad, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(p.version(), 0, "an all-rejected ingest committed a version");
    // Even under a generous total limit, with a good file beside it.
    let good = p.write(
        "good.csv",
        (0..30)
            .map(|i| format!("G{i},2026-01-05 10:00,high\n"))
            .fold(String::from("id,opened,prio\n"), |a, l| a + &l),
    );
    let mut args = vec!["--source", "generic", "--mapping", "m.toml"];
    args.extend(["--max-reject-pct", "50"]);
    args.extend([good.to_str().unwrap(), bad.to_str().unwrap()]);
    let (code, v, _) = p.ingest(&args);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["limit_exceeded"]["file"], bad.to_str().unwrap(), "{v}");
    assert_eq!(p.version(), 0);
    // The text names the file and the way out.
    let out = p.run(&[
        "ingest",
        "--source",
        "generic",
        "--mapping",
        "m.toml",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("every record of") && text.contains("--max-reject-pct 100"),
        "{text}"
    );
    // 100 % accepts anything.
    let (code, _, _) = ingest_generic(&p, &bad, &["--max-reject-pct", "100"]);
    assert_eq!(code, 0);
}

/// A Windows-1252 list export: `é` and `–` are single bytes that are not UTF-8.
fn cp1252_export(p: &Project) -> std::path::PathBuf {
    let mut bytes =
        b"number,short_description,priority,state,opened_at,resolved_at,sys_updated_on\n".to_vec();
    for (i, title) in [b"Caf\xe9 printer".as_slice(), b"VPN \x96 down", b"plain"]
        .iter()
        .enumerate()
    {
        bytes.extend_from_slice(format!("INC{i},").as_bytes());
        bytes.extend_from_slice(title);
        bytes.extend_from_slice(
            b",3 - Moderate,Resolved,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-05 12:00:00\n",
        );
    }
    p.write("excel.csv", bytes)
}

fn sn(p: &Project, file: &std::path::Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--source", "servicenow", "--tz", "UTC"];
    args.extend_from_slice(extra);
    args.push(file.to_str().unwrap());
    p.ingest(&args)
}

#[test]
fn a_file_read_again_with_corrected_options_supersedes_its_earlier_read() {
    let p = Project::new();
    let f = cp1252_export(&p);
    let (code, v, err) = sn(&p, &f, &["--max-reject-pct", "100"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(file0(&v)["rejected"], 2, "{v}");
    assert_eq!(p.rejects().len(), 2);

    // The same bytes with the right encoding: read again, not skipped.
    let (code, v, err) = sn(&p, &f, &["--encoding", "windows-1252"]);
    assert_eq!(code, 0, "{err}");
    let rec = file0(&v);
    assert_eq!(rec["outcome"], "loaded", "{v}");
    assert_eq!(rec["rejected"], 0);
    assert_eq!(rec["replaces"], "ing-000001");
    assert_eq!(
        rec["replaced"], 1,
        "the one row loaded before is replaced: {v}"
    );
    let t = p.table("tickets");
    assert_eq!(t.height(), 3);
    assert_eq!(cell(&t, "INC0", "title").as_deref(), Some("Café printer"));
    assert_eq!(cell(&t, "INC1", "title").as_deref(), Some("VPN – down"));
    // The earlier rejects are hidden, and `--all` shows them with what replaced them.
    assert!(p.rejects().is_empty());
    let out = p.run(&["rejects", "--all", "--format", "json"]);
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["replaced_by"], "ing-000002", "{all}");
    // The manifest's history says so too.
    let m = ticketlake::dataset::manifest::current(&p.location()).unwrap();
    assert_eq!(
        m.ingests[0].files[0].replaced_by.as_deref(),
        Some("ing-000002")
    );
    assert!(m.ingests[1].files[0].read_options.is_some());

    // The same bytes and options again: a duplicate; `--replace` reads them anyway.
    let (_, v, _) = sn(&p, &f, &["--encoding", "windows-1252"]);
    assert_eq!(file0(&v)["outcome"], "duplicate", "{v}");
    let (code, v, _) = sn(&p, &f, &["--encoding", "windows-1252", "--replace"]);
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["replaces"], "ing-000002", "{v}");
    assert_eq!(file0(&v)["replaced"], 3, "{v}");
    assert_eq!(p.table("tickets").height(), 3);
}

#[test]
fn a_corrected_zone_wins_even_where_the_wrong_one_looked_newer() {
    let p = Project::new();
    let f = p.write(
        "list.csv",
        crate::support::list_csv(&[
            "INC7,t,2 - High,Resolved,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-05 12:00:00",
        ]),
    );
    // Read first as New York time (five hours later in UTC than London's reading).
    let (code, _, _) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "America/New_York",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let (code, v, _) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "Europe/London",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(file0(&v)["replaced"], 1, "{v}");
    let t = p.table("tickets");
    assert_eq!(t.height(), 1);
    assert_eq!(
        strings(&t, "opened_at")[0].as_deref(),
        Some("2026-01-05 10:00:00 UTC")
    );
}

#[test]
fn every_table_and_query_exists_before_any_build() {
    let p = Project::new();
    ingest_closed(&p, &["--no-build"]);
    for table in [
        "sla",
        "problem_candidates",
        "problem_candidate_members",
        "rejects",
    ] {
        let out = p.run(&[
            "sql",
            &format!("SELECT count(*) AS n FROM {table}"),
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{table}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["n"], 0, "{table}: {v}");
    }
    let list = p.run(&["query", "--list", "--format", "json"]);
    let names: Value = serde_json::from_slice(&list.stdout).unwrap_or(Value::Null);
    let names: Vec<String> = names
        .as_array()
        .unwrap_or_else(|| panic!("query --list: {names}"))
        .iter()
        .filter_map(|q| q["name"].as_str().map(String::from))
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let out = p.run(&["query", &name, "--period", "2026-01", "--format", "json"]);
        assert!(
            out.status.success(),
            "query {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The data-quality report of a generic export of three incidents with `titles` (no title
/// column at all when `None`).
fn quality_text(titles: Option<[&str; 3]>) -> String {
    let p = Project::new();
    let title_col = if titles.is_some() {
        "title = \"t\"\n"
    } else {
        ""
    };
    p.write(
        "m.toml",
        format!(
            "source = \"x\"\ntimezone = \"UTC\"\ntimestamp-formats = [\"%Y-%m-%d %H:%M\"]\nkind = \"incident\"\n[columns]\nticket_id = \"id\"\nopened_at = \"opened\"\n{title_col}"
        ),
    );
    let mut csv = String::from(if titles.is_some() {
        "id,opened,t\n"
    } else {
        "id,opened\n"
    });
    for i in 0..3 {
        match titles {
            Some(t) => csv.push_str(&format!("X{i},2026-01-0{} 10:00,{}\n", i + 1, t[i])),
            None => csv.push_str(&format!("X{i},2026-01-0{} 10:00\n", i + 1)),
        }
    }
    p.write("x.csv", csv);
    p.write(
        "ticketlake.toml",
        "[sources.x]\nadapter = \"generic\"\nmapping = \"m.toml\"\nfiles = [\"x.csv\"]\n\n[report]\nout = \"reports\"\n",
    );
    let out = p.run(&["--config", "ticketlake.toml", "run", "--period", "2026-01"]);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(p.path("reports/2026-01/data-quality.html")).unwrap()
}

#[test]
fn the_uninformative_text_finding_quotes_the_data_or_says_there_is_no_text() {
    let none = quality_text(None);
    assert!(
        none.contains("None of the 3 incidents has a title"),
        "{none}"
    );
    assert!(
        !none.contains("Issue reported"),
        "quoted an example not in the data"
    );
    let some = quality_text(Some(["please help", "please help", "Mail server down"]));
    assert!(some.contains("2 of 3 incidents"), "{some}");
    assert!(some.contains("please help"), "{some}");
    assert!(!some.contains("Issue reported"));
}
