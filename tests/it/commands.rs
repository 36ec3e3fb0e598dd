//! The command layer: settings resolved once and printable with their origins, config
//! errors that name their key, findings returned as data (JSON printed, exit 1), a closed
//! pipe that ends quietly, `init` without reading the config, completions and the man page,
//! and the layering of the source tree.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary in the repository root, with no dataset from the environment.
fn at_root() -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(root()).env_remove("TICKETLAKE_DATASET");
    c
}

fn show(args: &[&str]) -> String {
    let mut a = vec!["--config", "sample-data/ticketlake.toml", "--show-settings"];
    a.extend_from_slice(args);
    let o = at_root().args(&a).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn show_settings_of_ingest_names_each_origin() {
    let text = show(&[
        "ingest",
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--max-reject-pct",
        "2.5",
        "exports/incident.csv",
    ]);
    insta::assert_snapshot!("show_settings_ingest", text);
    // The flag wins over [ingest], and the config's own limit keeps its key.
    assert!(text.contains("ingest.max-reject-pct = 2.5") && text.contains("# --max-reject-pct"));
    assert!(text.contains("ingest.max-rejects = 50") && text.contains("# [ingest] max-rejects"));
}

#[test]
fn show_settings_of_report_and_run() {
    insta::assert_snapshot!(
        "show_settings_report",
        show(&["report", "--period", "2026-10"])
    );
    insta::assert_snapshot!("show_settings_run", show(&["run", "--out", "/tmp/out"]));
    // JSON has the same settings, each with value and origin.
    let text = show(&["run", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["command"], "run");
    assert_eq!(v["settings"]["report.out"]["value"], "reports");
    assert_eq!(v["settings"]["report.out"]["origin"], "[report] out");
    assert_eq!(
        v["settings"]["sources.helpdesk.adapter"]["value"],
        "generic"
    );
}

#[test]
fn the_environment_sits_between_the_flag_and_the_config() {
    let run = |env: Option<&str>, flag: Option<&str>| {
        let mut c = at_root();
        if let Some(e) = env {
            c.env("TICKETLAKE_DATASET", e);
        }
        c.args(["--config", "sample-data/ticketlake.toml", "--show-settings"]);
        if let Some(f) = flag {
            c.args(["--dataset", f]);
        }
        let o = c.args(["dataset", "info", "--json"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (
            v["settings"]["dataset"]["value"]
                .as_str()
                .unwrap()
                .to_string(),
            v["settings"]["dataset"]["origin"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    assert_eq!(
        run(None, None),
        ("sample-data/dataset".into(), "[dataset] path".into())
    );
    assert_eq!(
        run(Some("/tmp/e"), None),
        ("/tmp/e".into(), "TICKETLAKE_DATASET".into())
    );
    assert_eq!(
        run(Some("/tmp/e"), Some("/tmp/f")),
        ("/tmp/f".into(), "--dataset".into())
    );
}

/// stderr of a command that must fail with exit 2.
fn fails(p: &Project, args: &[&str]) -> String {
    let o = p.run(args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stderr).unwrap()
}

#[test]
fn a_config_error_names_its_key_once() {
    let p = Project::new();
    p.write("in.csv", "number,opened_at\nINC1,2026-01-01 10:00:00\n");
    p.write(
        "ticketlake.toml",
        "[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"in.csv\"]\ntimezone = \"Mars/Olympus\"\n",
    );
    let err = fails(&p, &["run"]);
    assert!(err.contains("[sources.itsm] timezone"), "{err}");
    assert!(
        err.contains("Mars/Olympus") && !err.contains("--tz"),
        "{err}"
    );
    assert_eq!(err.matches("Mars/Olympus").count(), 1, "{err}");
    p.write("ticketlake.toml", "[ingest]\nmax-reject-pct = 250\n");
    let err = fails(&p, &["ingest", "--source", "servicenow", "in.csv"]);
    assert!(err.contains("[ingest] max-reject-pct"), "{err}");
    assert!(
        !err.contains("--max-reject-pct") && err.matches("250").count() == 1,
        "{err}"
    );
    // A flag is named as a flag.
    p.write("ticketlake.toml", "");
    let err = fails(
        &p,
        &[
            "ingest",
            "--source",
            "servicenow",
            "--tz",
            "Nowhere",
            "in.csv",
        ],
    );
    assert!(err.contains("--tz") && err.contains("Nowhere"), "{err}");
}

/// A list export whose every second row has a bad priority.
fn half_bad(p: &Project) -> PathBuf {
    let mut csv =
        String::from("number,short_description,priority,state,opened_at,sys_updated_on\n");
    for i in 0..10 {
        let prio = if i % 2 == 0 {
            "2 - High"
        } else {
            "9 - Unheard of"
        };
        csv.push_str(&format!(
            "INC{i:04},Printer {i},{prio},New,2026-01-0{} 10:00:00,2026-01-0{} 11:00:00\n",
            i % 9 + 1,
            i % 9 + 1
        ));
    }
    p.write("exports/incident.csv", csv)
}

#[test]
fn ingest_over_the_reject_limit_prints_its_json_and_exits_1() {
    let p = Project::new();
    half_bad(&p);
    let (code, v, _) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--max-reject-pct",
        "10",
        "exports/incident.csv",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["committed"], false);
    assert_eq!(v["records_read"], 10);
    assert_eq!(v["rejected"], 5);
    assert_eq!(v["limit_exceeded"]["limit"], "--max-reject-pct 10");
    assert!(
        !p.dataset().join("_manifest").exists()
            || p.run(&["dataset", "info", "--json"]).status.success()
    );
    let info = p.run(&["dataset", "info", "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap_or_default();
    assert!(
        info["version"].as_u64().unwrap_or(0) == 0,
        "nothing committed: {info}"
    );
    // The same limit from the config names the key it came from.
    p.write("ticketlake.toml", "[ingest]\nmax-rejects = 2\n");
    let (code, v, _) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "exports/incident.csv",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["limit_exceeded"]["limit"], "[ingest] max-rejects = 2");
    // Text output says so too, and exits 1.
    let o = p.run(&[
        "ingest",
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "exports/incident.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing was committed"));
}

#[test]
fn run_with_a_missed_target_prints_its_json_and_exits_1() {
    let p = Project::new();
    half_bad(&p);
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"UTC\"\nmax-reject-pct = 100\n[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"exports/incident.csv\"]\n\
         [targets]\nbacklog = 0\n",
    );
    let o = p.run(&["run", "--period", "2026-01", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exit_code"], 1);
    assert!(!v["report"]["missed"].as_array().unwrap().is_empty(), "{v}");
    // A source over its limit stops the job before the reports, and still prints JSON.
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"UTC\"\nmax-reject-pct = 0\n[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"exports/incident-2.csv\"]\n",
    );
    let bad = std::fs::read_to_string(p.path("exports/incident.csv")).unwrap();
    p.write("exports/incident-2.csv", bad.replace("INC", "REQ"));
    let o = p.run(&["run", "--period", "2026-01", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stopped_at"], "itsm");
    assert!(v["report"].is_null());
    assert_eq!(v["sources"][0]["ingest"]["committed"], false);
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    let p = Project::new();
    p.write("in.csv", "number,opened_at\nINC1,2026-01-01 10:00:00\n");
    assert_eq!(
        p.ingest(&["--source", "servicenow", "--tz", "UTC", "in.csv"])
            .0,
        0
    );
    let mut child = p
        .cmd()
        .args([
            "sql",
            "--max-rows",
            "100000",
            "SELECT * FROM generate_series(1, 100000)",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close our end, as `head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).unwrap();
    assert!(n > 0);
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panic"), "{err}");
}

#[test]
fn init_force_works_beside_a_broken_config() {
    let p = Project::new();
    p.write("ticketlake.toml", "[dataset\nthis is not toml");
    let o = p.run(&["init", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = p.run(&["dataset", "info"]);
    assert!(
        o.status.success(),
        "the template loads: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    let p = Project::new();
    let o = p.run(&["completions", "bash"]);
    assert!(o.status.success());
    let script = p.write("ticketlake.bash", &o.stdout);
    let bash = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("show-settings"));
    let o = p.run(&["manpage"]);
    assert!(o.status.success());
    let man = String::from_utf8(o.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.starts_with(".TH"),
        "{}",
        &man[..80.min(man.len())]
    );
    assert!(man.contains(".TH ticketlake") && man.contains("ingest"));
}

#[test]
fn imports_follow_the_layering_without_cycles() {
    let o = Command::new("python3")
        .arg(root().join("tests/layers.py"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_query_has_a_sqllogictest_record() {
    let names = |dir: &Path, ext: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let slt: String = names(&root().join("tests/slt"), "slt")
        .iter()
        .map(|n| std::fs::read_to_string(root().join(format!("tests/slt/{n}.slt"))).unwrap())
        .collect();
    for q in names(&root().join("queries"), "sql") {
        let record = format!("\nmetric {q}");
        assert!(
            slt.match_indices(&record).any(|(i, _)| {
                let next = slt[i + record.len()..].chars().next();
                matches!(next, Some(' ' | '\n'))
            }),
            "queries/{q}.sql has no sqllogictest record: add a `metric {q} ...` record to tests/slt/"
        );
    }
}
