//! Bounded-memory ingest (issue 8): exports are read and normalised in pieces and merged one
//! key range at a time. The pieces and ranges change how an ingest runs, never what it
//! gives: the same tables, the same accounting, tickets in key order across the files.

use polars::prelude::*;
use serde_json::Value;

use crate::support::*;

/// A later export of the first `n` incidents of `gen/incident.csv`, each updated on
/// 2026-11-02 and closed, plus a repeat of one row (superseded within the file) and a
/// malformed row (a reject).
fn later_export(p: &Project, n: usize) -> String {
    let mut rdr = csv::Reader::from_path(p.path("gen/incident.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (updated, state) = (at("sys_updated_on"), at("state"));
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(&headers).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().take(n).map(|r| r.unwrap()).collect();
    for (i, r) in rows.iter().chain(rows.first()).enumerate() {
        let mut f: Vec<String> = r.iter().map(String::from).collect();
        f[updated] = format!("2026-11-02 {:02}:00:00", 8 + i % 10);
        f[state] = "Closed".into();
        w.write_record(&f).unwrap();
    }
    let mut text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    text.push_str("INC9999999,too few fields\n");
    p.write("later/incident.csv", text);
    "later/incident.csv".into()
}

/// Two ingests (the generated exports, then the later one) with these environment knobs;
/// returns both ingest reports.
fn run(p: &Project, knobs: &[(&str, &str)]) -> Vec<Value> {
    let first: Vec<String> = ["incident", "change_request", "problem", "sc_req_item"]
        .iter()
        .map(|f| format!("gen/{f}.csv"))
        .collect();
    let later = later_export(p, 700);
    [first, vec![later]]
        .iter()
        .map(|files| {
            let mut c = p.cmd();
            c.args(["ingest", "--json", "--no-build", "--source", "servicenow"])
                .args(["--tz", "Europe/London"])
                .args(files);
            for (k, v) in knobs {
                c.env(k, v);
            }
            let o = c.output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
            // The ingest's own identity differs only in time.
            v.as_object_mut().unwrap().remove("recovered");
            v
        })
        .collect()
}

fn files_of(p: &Project, table: &str) -> usize {
    let m = ticketlake::dataset::manifest::current(&p.location()).unwrap();
    m.tables[table].files.len()
}

#[test]
fn pieces_and_key_ranges_give_the_same_dataset() {
    let (whole, pieces) = (Project::new(), Project::new());
    for p in [&whole, &pieces] {
        p.generate("gen", "servicenow-csv", 3000, 41);
    }
    let a = run(&whole, &[]);
    // ~100 rows per piece and 800 tickets per range: every file is read in many pieces and
    // the second ingest merges into a dataset that is already split into ranges.
    let b = run(
        &pieces,
        &[
            ("TICKETLAKE_CHUNK_BYTES", "16384"),
            ("TICKETLAKE_RANGE_ROWS", "800"),
        ],
    );
    assert_eq!(a, b, "ingest reports differ");
    // The later export's accounting: 701 rows + 1 reject, the repeated row superseded.
    let later = &a[1]["files"][0];
    assert_eq!(later["records_read"], 702);
    assert_eq!(later["rejected"], 1);
    assert_eq!(later["superseded"], 1);
    assert_eq!(files_of(&whole, "tickets"), 1);
    assert!(
        files_of(&pieces, "tickets") >= 4,
        "expected several key ranges"
    );
    assert!(files_of(&pieces, "status_intervals") >= 4);
    for table in ["tickets", "status_intervals", "rejects"] {
        let (x, y) = (whole.table(table), pieces.table(table));
        assert!(x.height() > 0, "{table} is empty");
        assert!(
            x.equals_missing(&y),
            "{table} differs between whole and pieces"
        );
    }
    // Read back in manifest order, the ranges are in key order (the SLA engine's walk).
    let t = pieces.table("tickets");
    let keys = ticketlake::dataset::columns::Keys::new(&t).unwrap();
    assert!(keys.sorted());
    // The later export won: its 700 incidents are closed and updated in November.
    let won = t
        .lazy()
        .filter(col("ingest_id").eq(lit("ing-000002")))
        .collect()
        .unwrap();
    assert_eq!(won.height(), 700);
    // No scratch runs are left behind.
    let spill = pieces.path("dataset/_spill");
    assert!(
        !spill.exists() || std::fs::read_dir(&spill).unwrap().next().is_none(),
        "scratch files left in {}",
        spill.display()
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// The key ranges of a merge partition every run exactly: each row is read in one range
    /// only, whatever the ranges' size and whether a run is in key order (a dataset file
    /// written by another tool need not be; it is then read whole and filtered).
    #[test]
    fn key_ranges_partition_every_run(
        ids in proptest::collection::vec((0u8..3, 0u32..400), 1..3000),
        rows in 1usize..900,
    ) {
        use ticketlake::ingest::spill::{plan, Run, Spill};
        let dir = tempfile::tempdir().unwrap();
        let frame = |ids: &[(u8, u32)]| {
            df!(
                "source" => ids.iter().map(|(s, _)| format!("src{s}")).collect::<Vec<_>>(),
                "ticket_id" => ids.iter().map(|(_, t)| format!("T{t:05}")).collect::<Vec<_>>(),
                "row" => (0..ids.len() as u32).collect::<Vec<_>>(),
            )
            .unwrap()
        };
        // A sorted run through the spill, and the same rows unsorted as a dataset file.
        let at = ticketlake::dataset::Location::local(dir.path());
        let mut spill = Spill::new(&at, "ing-000001").unwrap();
        spill.push(frame(&ids)).unwrap();
        let raw = dir.path().join("raw.parquet");
        ticketlake::dataset::store::write_parquet(
            &raw,
            &mut frame(&ids),
            ticketlake::dataset::store::Layout::Table,
        )
        .unwrap();
        let unsorted = Run::existing(&at, "raw.parquet").unwrap();
        let runs = [&spill.runs()[0], &unsorted];
        let ranges = plan(runs, rows);
        for (n, run) in runs.into_iter().enumerate() {
            let mut seen: Vec<u32> = Vec::new();
            let mut last_key: Option<(String, String)> = None;
            for r in &ranges {
                let part = run.read(r).unwrap();
                let keys = ticketlake::dataset::columns::Keys::new(&part).unwrap();
                for i in 0..keys.len() {
                    let (s, t) = keys.get(i);
                    let k = (s.unwrap().to_string(), t.unwrap().to_string());
                    // From the sorted run, ranges read in order give the keys in order.
                    if let Some(prev) = last_key.as_ref().filter(|_| n == 0) {
                        proptest::prop_assert!(prev <= &k, "{prev:?} before {k:?}");
                    }
                    last_key = Some(k);
                }
                seen.extend(part.column("row").unwrap().u32().unwrap().into_no_null_iter());
            }
            seen.sort_unstable();
            proptest::prop_assert_eq!(seen, (0..ids.len() as u32).collect::<Vec<_>>());
        }
        // More rows than a range holds, and more than one key: the merge is split.
        let distinct = ids.iter().any(|k| *k != ids[0]);
        if distinct && 2 * ids.len() > rows {
            proptest::prop_assert!(ranges.len() >= 2, "{} ranges", ranges.len());
        }
    }
}

/// A stray quote read in pieces (issue 18): the same rejects, lines and tickets as read
/// whole, wherever the pieces end, in LF and CR files.
#[test]
fn a_stray_quote_reads_the_same_in_pieces() {
    let mut rows: Vec<String> = stray_quote_rows().iter().map(|r| r.to_string()).collect();
    for i in 6..60 {
        rows.push(format!(
            "INC{i:04},\"Disk {i}\",3 - Moderate,New,2026-01-06 10:00:00,,2026-01-06 10:00:00"
        ));
    }
    // A second stray quote (line 52), swallowing the three records after it.
    rows[50] = rows[50].replacen("\",3", ",3", 1);
    rows[51] = rows[51].replace('"', "");
    rows[52] = rows[52].replace('"', "");
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    for style in ["\n", "\r"] {
        let text = list_csv(&refs).replace('\n', style);
        let reads: Vec<(Value, Project)> = [None, Some("97"), Some("300")]
            .into_iter()
            .map(|chunk| {
                let p = Project::new();
                let f = p.write("a.csv", &text);
                let mut c = p.cmd();
                c.args(["ingest", "--json", "--no-build", "--max-reject-pct", "100"])
                    .args(["--source", "servicenow", "--tz", "UTC"])
                    .arg(&f);
                if let Some(n) = chunk {
                    c.env("TICKETLAKE_CHUNK_BYTES", n);
                }
                let o = c.output().unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
                v.as_object_mut().unwrap().remove("recovered");
                (v["files"][0].take(), p)
            })
            .collect();
        let (whole, p) = &reads[0];
        assert_eq!(whole["records_read"], 59, "{whole}");
        assert_eq!(whole["rejected"], 6, "{whole}");
        let lines: Vec<u64> = p
            .rejects()
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [3, 4, 52, 53, 54, 55]);
        for (v, q) in &reads[1..] {
            assert_eq!(v["records_read"], whole["records_read"]);
            assert_eq!(v["loaded"], whole["loaded"]);
            assert_eq!(v["rejected"], whole["rejected"]);
            for table in ["tickets", "rejects"] {
                let (x, y) = (p.table(table), q.table(table));
                let strip = |d: DataFrame| d.drop_many(["source_file", "ingest_id"]);
                assert!(
                    strip(x).equals_missing(&strip(y)),
                    "{table} differs between whole and pieces"
                );
            }
        }
    }
}
