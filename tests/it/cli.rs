//! The command line as scheduled jobs and people meet it: help with examples, exit codes,
//! the config, machine-readable output, and CSV that spreadsheets cannot execute.

use crate::support::*;

#[test]
fn every_subcommand_help_shows_an_example() {
    let p = Project::new();
    for sub in [
        vec!["init"],
        vec!["ingest"],
        vec!["dataset", "info"],
        vec!["rejects"],
        vec!["generate"],
    ] {
        let mut args = sub.clone();
        args.push("--help");
        let o = p.run(&args);
        assert!(o.status.success());
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("Example"),
            "{sub:?} help has no example:\n{text}"
        );
        assert!(text.contains("ticketlake "), "{sub:?}");
    }
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let p = Project::new();
    let o = p.run(&["init", "proj"]);
    assert!(o.status.success());
    let cfg = p.path("proj/ticketlake.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("timezone")
            && text.contains("[sources.itsm]")
            && text.contains("path = \"dataset\"")
    );
    // The written config is valid: a command that reads it succeeds and uses its dataset path.
    let o = p.run(&[
        "--config",
        cfg.to_str().unwrap(),
        "dataset",
        "info",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["dataset"].as_str().unwrap().ends_with("proj/dataset"));
    let o = p.run(&["init", "proj"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
}

#[test]
fn config_typos_are_errors_with_the_line() {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        "[dataset]\npath = \"d\"\n[ingest]\ntimezon = \"UTC\"\n",
    );
    let o = p.run(&["dataset", "info"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ticketlake.toml") && err.contains("line 4") && err.contains("timezon"),
        "{err}"
    );
}

#[test]
fn config_timezone_and_dataset_env_are_used() {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"Europe/London\"\n",
    );
    let f = p.write(
        "a.csv",
        list_csv(&["INC1,t,3 - Moderate,New,2026-07-01 10:00:00,,2026-07-01 10:00:00"]),
    );
    let o = p
        .cmd()
        .env("TICKETLAKE_DATASET", p.path("elsewhere"))
        .args([
            "ingest",
            "--quiet",
            "--source",
            "servicenow",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(p.path("elsewhere/_manifest").is_dir());
    let m = ticketlake::dataset::manifest::current(&ticketlake::dataset::Location::local(
        p.path("elsewhere"),
    ))
    .unwrap();
    let t = ticketlake::dataset::store::read_table(
        &ticketlake::dataset::Location::local(p.path("elsewhere")),
        &m,
        "tickets",
    )
    .unwrap()
    .unwrap();
    // 10:00 BST is 09:00 UTC.
    assert_eq!(
        cell(&t, "INC1", "opened_at").as_deref(),
        Some("2026-07-01 09:00:00 UTC")
    );
}

#[test]
fn unreadable_file_exits_2_naming_it() {
    let p = Project::new();
    let (code, _, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "does-not-exist.csv",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("does-not-exist.csv"), "{err}");
}

#[test]
fn json_summary_is_one_line_with_totals() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&[
            "INC1,t,3 - Moderate,New,2026-07-01 10:00:00,,2026-07-01 10:00:00",
            "INC2,t,9,New,2026-07-01 10:00:00,,2026-07-01 10:00:00",
        ]),
    );
    let o = p.run(&[
        "ingest",
        "--json",
        "--max-reject-pct",
        "100",
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["records_read"].as_u64(),
            v["loaded"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(v["ingest_id"], "ing-000001");
    assert_eq!(v["files"][0]["sha256"].as_str().unwrap().len(), 64);
    let info = p.run(&["dataset", "info", "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["version"], 1);
    assert_eq!(info["tables"]["tickets"]["rows"], 1);
    assert_eq!(info["tables"]["rejects"]["rows"], 1);
    assert_eq!(info["ingests"][0]["files"][0]["rejected"], 1);
}

#[test]
fn rejects_csv_output_is_stable_and_guards_formulas() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&["=HYPERLINK(\"http://x\"),t,3 - Moderate,New,2026-07-01 10:00:00,,2026-07-01 10:00:00,boom", "INC2,t,@SUM(A1),New,2026-07-01 10:00:00,,2026-07-01 10:00:00"]),
    );
    assert_eq!(
        p.ingest_any(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()])
            .0,
        0
    );
    let o = p.run(&["rejects", "--format", "csv"]);
    let text = String::from_utf8(o.stdout)
        .unwrap()
        .replace(f.to_str().unwrap(), "[FILE]");
    insta::assert_snapshot!(text);
    let o = p.run(&["rejects", "--ingest", "ing-999999", "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[]");
}

#[test]
fn run_ingests_configured_sources_and_writes_an_inert_report() {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        "[dataset]\npath = \"ds\"\n[ingest]\ntimezone = \"UTC\"\nmax-reject-pct = 100\n[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"exports/incident.csv\"]\n",
    );
    p.write(
        "exports/incident.csv",
        list_csv(&[
            "INC1,\"<script>alert('x')</script> & <img src=x onerror=alert(1)>\",2 - High,Closed,2026-07-01 10:00:00,2026-07-01 12:00:00,2026-07-02 10:00:00",
            "INC2,t,Nope,New,2026-07-01 10:00:00,,2026-07-01 10:00:00",
        ]),
    );
    let o = p.run(&["run", "--out", "out", "--period", "2026-07", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sources"][0]["name"], "itsm");
    assert_eq!(v["sources"][0]["ingest"]["rejected"], 1);
    assert_eq!(v["report"]["units"], 1, "{v}");
    let index = std::fs::read_to_string(p.path("out/2026-07/index.html")).unwrap();
    assert!(!index.contains("<script") && !index.contains("<img"));
    let html = std::fs::read_to_string(p.path("out/2026-07/data-quality.html")).unwrap();
    assert!(html.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'"));
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "ticket text must not become markup"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "reports load nothing from the network"
    );
    assert!(
        html.contains("Nope") && html.contains("unknown_value"),
        "the reject is listed"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path("out/2026-07/data-quality.json")).unwrap())
            .unwrap();
    assert_eq!(
        (
            summary["records_read"].as_u64(),
            summary["loaded"].as_u64(),
            summary["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(summary["by_kind_status"]["incident"]["closed"], 1);
    // A second run is a no-op for the dataset and still writes the report.
    let o = p.run(&["run", "--out", "out2", "--period", "2026-07"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("already ingested"));
    assert!(p.path("out2/2026-07/data-quality.html").exists());
    assert!(p.path("out2/2026-07/service-none.html").exists());
}

#[test]
fn run_without_sources_says_what_to_add() {
    let p = Project::new();
    p.write("ticketlake.toml", "[dataset]\npath = \"ds\"\n");
    let o = p.run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ticketlake.toml") && err.contains("[sources.NAME]"),
        "{err}"
    );
}

#[test]
fn the_committed_sample_report_comes_from_the_sample_config() {
    // The README's main job: the sample config must parse and name files that exist.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = ticketlake::settings::resolve(Some(&root.join("sample-data/ticketlake.toml")), None)
        .unwrap();
    assert!(s.sources.len() >= 2);
    for (name, src) in &s.sources {
        let files = ticketlake::job::expand(name, "files", &src.files, &s).unwrap();
        assert!(!files.is_empty(), "{name}");
        for f in files {
            assert!(f.exists(), "{}", f.display());
        }
    }
    assert!(root.join("reports/example/2026-10/index.html").exists());
}
