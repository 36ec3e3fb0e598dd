//! Any engine can read the dataset without ticketlake: DuckDB (from PyPI, in the virtualenv
//! that `tests/run` creates) reads the files the manifest lists and agrees on row counts and
//! on min/max(opened_at) as UTC instants computed independently from the export.

use std::process::Command;

use crate::support::*;

#[test]
fn duckdb_reads_the_manifest_files_and_agrees() {
    let Ok(python) = std::env::var("TICKETLAKE_PYTHON") else {
        assert!(
            std::env::var("TICKETLAKE_REQUIRE_INTEROP").is_err(),
            "TICKETLAKE_PYTHON must point at a python with duckdb"
        );
        eprintln!(
            "skipped: set TICKETLAKE_PYTHON (tests/run does) to run the DuckDB interoperability check"
        );
        return;
    };
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
