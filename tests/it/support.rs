//! Helpers: run the binary in a temp project, read its JSON and its tables.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_ticketlake");

/// A temporary project directory with its own dataset.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn dataset(&self) -> PathBuf {
        self.path("dataset")
    }

    /// The dataset as the library opens it.
    pub fn location(&self) -> ticketlake::dataset::Location {
        ticketlake::dataset::Location::local(self.dataset())
    }

    /// Write a file into the project and return its path.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path())
            .env_remove("TICKETLAKE_DATASET")
            .env_remove("TICKETLAKE_ENGINE")
            .env_remove("TICKETLAKE_FAULT_PAUSE");
        c
    }

    /// Copy every file of the directory `from` into the project (not recursive).
    pub fn copy_files(&self, from: &Path) {
        for e in std::fs::read_dir(from).unwrap() {
            let path = e.unwrap().path();
            if path.is_file() {
                self.write(
                    path.file_name().unwrap().to_str().unwrap(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }

    /// Run with arguments; returns the output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run ticketlake")
    }

    /// `ingest --json` with extra args; returns (exit code, parsed JSON or Null, stderr).
    pub fn ingest(&self, args: &[&str]) -> (i32, Value, String) {
        let mut a = vec!["ingest", "--json"];
        a.extend_from_slice(args);
        let out = self.run(&a);
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code().unwrap_or(-1),
            v,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// [`Project::ingest`] accepting any share of rejects (`--max-reject-pct 100`): for the
    /// tests whose point is the rejects of a small file, which the 5 % default would refuse.
    pub fn ingest_any(&self, args: &[&str]) -> (i32, Value, String) {
        let mut a = vec!["--max-reject-pct", "100"];
        a.extend_from_slice(args);
        self.ingest(&a)
    }

    /// Every reject as JSON objects.
    pub fn rejects(&self) -> Vec<Value> {
        let out = self.run(&["rejects", "--format", "json"]);
        assert!(
            out.status.success(),
            "rejects failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// A table of the current version.
    pub fn table(&self, name: &str) -> DataFrame {
        let m = ticketlake::dataset::manifest::current(&self.location()).unwrap();
        ticketlake::dataset::store::read_table(&self.location(), &m, name)
            .unwrap()
            .unwrap_or_default()
    }

    /// `ticketlake generate` into `<project>/<dir>` (end month fixed so output is stable).
    pub fn generate(&self, dir: &str, format: &str, tickets: u32, seed: u32) -> PathBuf {
        self.generate_with(dir, tickets, seed, &["--format", format])
    }

    /// `ticketlake generate` into `<project>/<dir>` with `extra` arguments (the format, a
    /// mode), end month fixed as in [`Project::generate`].
    pub fn generate_with(&self, dir: &str, tickets: u32, seed: u32, extra: &[&str]) -> PathBuf {
        let out = self.path(dir);
        let (t, s) = (tickets.to_string(), seed.to_string());
        let mut args = vec![
            "generate",
            "--tickets",
            &t,
            "--seed",
            &s,
            "--end-month",
            "2026-10",
        ];
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        args.extend_from_slice(extra);
        let o = self.run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    }

    pub fn version(&self) -> u64 {
        ticketlake::dataset::manifest::current(&self.location())
            .unwrap()
            .version
    }
}

/// A column's string values; UTC timestamps read as `2026-01-05 10:00:00 UTC` (fractions
/// only when present).
pub fn strings(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    let tidy = |s: &str| match s.strip_suffix("+00:00") {
        Some(t) => format!("{} UTC", t.strip_suffix(".000000").unwrap_or(t)),
        None => s.to_string(),
    };
    df.column(col)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.map(tidy))
        .collect()
}

/// The row of `ticket_id == id` as (column → string) lookups.
pub fn cell(df: &DataFrame, id: &str, col: &str) -> Option<String> {
    let ids = strings(df, "ticket_id");
    let i = ids
        .iter()
        .position(|v| v.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("ticket {id} not in table"));
    strings(df, col)[i].clone()
}

/// Fixture path inside the repository.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The per-file record from an ingest JSON report.
pub fn file0(v: &Value) -> &Value {
    &v["files"][0]
}

/// A list-export header used by the hand-written cases.
pub const HEADER: &str =
    "number,short_description,priority,state,opened_at,resolved_at,sys_updated_on";

/// Build a list export from rows after [`HEADER`].
pub fn list_csv(rows: &[&str]) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

pub fn per_priority_slas() -> String {
    let mut cfg = String::from("[ingest]\ntimezone = \"Europe/London\"\n");
    for (prio, hours) in [(1, 4), (2, 8), (3, 72), (4, 120), (5, 240)] {
        cfg.push_str(&format!("[[sla]]\nname = \"P{prio}\"\nmetric = \"resolution\"\ntarget = \"{hours}h\"\nwhen = {{ kind = [\"incident\"], priority = [{prio}] }}\n"));
    }
    cfg
}

/// Ingest `csv` (columns `id,date`, New York local times) with a generic mapping that sets
/// the DST rules `dst-ambiguous = ambiguous` and `dst-nonexistent = nonexistent`.
pub fn ingest_with_dst_rules(
    p: &Project,
    ambiguous: &str,
    nonexistent: &str,
    csv: &str,
) -> (i32, Value, String) {
    let mapping = p.write(
        "m.toml",
        format!(
            r#"source = "glpi"
timezone = "America/New_York"
timestamp-formats = ["%Y-%m-%d %H:%M:%S"]
dst-ambiguous = "{ambiguous}"
dst-nonexistent = "{nonexistent}"
kind = "incident"
[columns]
ticket_id = "id"
opened_at = "date"
"#
        ),
    );
    let f = p.write("a.csv", csv);
    p.ingest_any(&[
        "--source",
        "generic",
        "--mapping",
        mapping.to_str().unwrap(),
        f.to_str().unwrap(),
    ])
}

/// The stray-quote case of issue 18: five incidents in a list export; line 3 (INC0002) opens
/// a quote it never closes, and line 4 (INC0003) has a quoted title, so the CSV grammar reads
/// lines 3 and 4 as one record with the header's field count.
pub fn stray_quote_rows() -> [&'static str; 5] {
    [
        "INC0001,Mail down,2 - High,Closed,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-06 09:00:00",
        "INC0002,\"Printer never closed,3 - Moderate,New,2026-01-06 10:00:00,,2026-01-06 10:00:00",
        "INC0003,\"VPN drops\",3 - Moderate,Resolved,2026-01-07 10:00:00,2026-01-08 10:00:00,2026-01-08 10:00:00",
        "INC0004,Laptop slow,4 - Low,In Progress,2026-01-08 10:00:00,,2026-01-08 11:00:00",
        "INC0005,\"Badge reader, lobby\",3 - Moderate,New,2026-01-09 10:00:00,,2026-01-09 10:00:00",
    ]
}

/// The bundled sample project's config (`sample-data/ticketlake.toml`), as an argument.
pub fn sample_config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data/ticketlake.toml")
        .display()
        .to_string()
}

/// Every file under `dir`, by its path below `dir`.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}
