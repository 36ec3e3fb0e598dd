//! Any engine can read the dataset without ticketlake: DuckDB (from PyPI, in the virtualenv
//! that `tests/run` creates) reads the files the manifest lists and agrees on row counts and
//! on min/max(opened_at) as UTC instants computed independently from the export.

use std::process::Command;

use crate::support::*;

/// The python with DuckDB that `tests/run` provides; `None` (test skipped) only outside CI,
/// where `TICKETLAKE_REQUIRE_INTEROP` makes a missing one a failure.
fn python() -> Option<String> {
    let p = std::env::var("TICKETLAKE_PYTHON").ok();
    if p.is_none() {
        assert!(
            std::env::var("TICKETLAKE_REQUIRE_INTEROP").is_err(),
            "TICKETLAKE_PYTHON must point at a python with duckdb"
        );
        eprintln!("skipped: set TICKETLAKE_PYTHON (tests/run does) to run the DuckDB checks");
    }
    p
}

/// Run `tests/interop/<name>` with `python` on the project's dataset and `args`.
fn script(python: &str, name: &str, p: &Project, args: &[&str]) -> std::process::Output {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name);
    Command::new(python)
        .arg(path)
        .arg(p.dataset())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn duckdb_reads_the_manifest_files_and_agrees() {
    let Some(python) = python() else { return };
    let p = Project::new();
    let out = p.generate("gen", "servicenow-csv", 3000, 31);
    let files: Vec<String> = ["incident", "change_request"]
        .iter()
        .map(|f| out.join(format!("{f}.csv")).display().to_string())
        .collect();
    let mut args = vec!["--source", "servicenow", "--tz", "Europe/London"];
    args.extend(files.iter().map(String::as_str));
    assert_eq!(p.ingest(&args).0, 0);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/duckdb_check.py");
    let o = Command::new(python)
        .arg(script)
        .arg(p.dataset())
        .arg("Europe/London")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "duckdb check failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("duckdb agrees"));
}

/// DuckDB, with its own SQL over the manifest's Parquet files, gets the same MTTR median and
/// p90 per priority (to the second) and the same SLA attainment per SLA and priority as
/// `ticketlake query`.
#[test]
fn duckdb_agrees_with_the_metric_queries() {
    let Some(python) = python() else { return };
    let p = Project::new();
    let out = p.generate("gen", "servicenow-csv", 4000, 17);
    p.write("ticketlake.toml", per_priority_slas());
    let files: Vec<String> = ["incident", "sc_req_item"]
        .iter()
        .map(|f| out.join(format!("{f}.csv")).display().to_string())
        .collect();
    let mut args = vec!["--source", "servicenow", "--tz", "Europe/London"];
    args.extend(files.iter().map(String::as_str));
    assert_eq!(p.ingest(&args).0, 0);
    let query = |name: &str| -> serde_json::Value {
        let o = p.run(&[
            "query", name, "--period", "2026-09", "--by", "priority", "--format", "json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let (mttr, att) = (query("mttr"), query("sla_attainment"));
    let o = script(
        &python,
        "duckdb_metrics.py",
        &p,
        &["2026-09-01", "2026-10-01"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let duck: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ours: Vec<&serde_json::Value> = mttr
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["view"] == "period" && r["priority"] != "(none)")
        .collect();
    let theirs = duck["mttr"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "{ours:?} vs {theirs:?}");
    assert!(ours.len() >= 4, "too few priorities to compare: {ours:?}");
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a["priority"], b["priority"]);
        assert_eq!(a["tickets"].as_i64(), b["n"].as_i64(), "{a} vs {b}");
        for (x, y) in [("median_s", "median_s"), ("p90_s", "p90_s")] {
            let (x, y) = (a[x].as_f64().unwrap(), b[y].as_f64().unwrap());
            assert!((x - y).abs() <= 1.0, "{} {x} vs duckdb {y}", a["priority"]);
        }
    }
    let ours = att.as_array().unwrap();
    let theirs = duck["attainment"].as_array().unwrap();
    assert!(theirs.len() >= 4, "{theirs:?}");
    for b in theirs {
        let a = ours
            .iter()
            .find(|a| a["sla_name"] == b["sla_name"] && a["priority"] == b["priority"])
            .unwrap_or_else(|| panic!("ticketlake has no row for {b}"));
        for k in ["met", "breached", "in_progress_breached"] {
            assert_eq!(a[k].as_i64(), b[k].as_i64(), "{k}: {a} vs {b}");
        }
        assert_eq!(
            a["attainment_pct"].as_f64(),
            b["attainment_pct"].as_f64(),
            "{a} vs {b}"
        );
    }
}

/// DuckDB reads the CMDB tables by the manifest and, with its own SQL, resolves as many
/// tickets' `config_item` to a CI as `ticketlake query ci_resolution` does.
#[test]
fn duckdb_reads_the_cmdb_tables_and_resolves_the_same_tickets() {
    let Some(python) = python() else { return };
    let p = Project::new();
    let cmdb = |f: &str| fixture(&format!("cmdb/{f}")).display().to_string();
    let (code, _, err) = p.ingest_any(&[
        "--source",
        "servicenow",
        &cmdb("cmdb_ci.csv"),
        &cmdb("cmdb_rel_ci.json"),
    ]);
    assert_eq!(code, 0, "{err}");
    let csv = "number,short_description,priority,state,opened_at,cmdb_ci\n\
               INC1,Mail down,3 - Moderate,New,2026-10-05 10:00:00,MAIL-DB-01\n\
               INC2,Mail slow,3 - Moderate,New,2026-10-06 10:00:00,0b2f2e3d4c5b6a7988776655443322b2\n\
               INC3,Mail lost,3 - Moderate,New,2026-10-06 11:00:00,mail-02\n\
               INC4,VPN down,3 - Moderate,New,2026-10-07 10:00:00,\n\
               INC5,Old,3 - Moderate,New,2026-09-07 10:00:00,mail\n";
    let f = p.write("incident.csv", csv);
    assert_eq!(
        p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()])
            .0,
        0
    );
    assert!(p.run(&["build"]).status.success());
    let o = script(&python, "duckdb_cmdb.py", &p, &["2026-10-01", "2026-11-01"]);
    assert!(
        o.status.success(),
        "duckdb check failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let duck: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(duck["config_items"], 3, "{duck}");
    assert_eq!(
        (duck["with_ci"].as_i64(), duck["resolved"].as_i64()),
        (Some(3), Some(2))
    );
    let q = p.run(&[
        "query",
        "ci_resolution",
        "--period",
        "2026-10",
        "--format",
        "json",
    ]);
    let ours: serde_json::Value = serde_json::from_slice(&q.stdout).unwrap();
    assert_eq!(ours[0]["with_ci"], duck["with_ci"], "{ours}");
    assert_eq!(ours[0]["resolved"], duck["resolved"], "{ours}");
}
