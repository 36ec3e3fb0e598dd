//! sqllogictest harness for the metric queries and the read-only SQL rules.
//!
//! It builds the hand-checked fixture dataset (tests/slt/fixture) with the real binary, then
//! runs every `tests/slt/*.slt` file against it and prints `N passed, N failed`.
//!
//! Besides plain SQL, a record may run a named metric query the way the CLI does:
//!
//! ```text
//! query TTI
//! metric mttr --period 2026-10 --by priority
//! ```
//!
//! NULL prints as `NULL` and an empty string as `(empty)`.
//!
//! Every file runs twice: on local DataFusion and on an in-process Ballista cluster
//! (`ballista://standalone`, two partitions). The expected rows are the same, so each record
//! is also a check that the cluster answers as the local engine does, with ticketlake's
//! functions on its nodes.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqllogictest::{DBOutput, DefaultColumnType, Record};
use ticketlake::query::engine::Engine;
use ticketlake::query::{adhoc, catalog, metric, session};

#[derive(Debug)]
struct Failure(String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

struct Db {
    session: session::Session,
    catalog: Vec<catalog::Query>,
}

impl Db {
    fn metric(&self, line: &str) -> Result<ticketlake::table::Table, ticketlake::Error> {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default();
        let (mut period, mut by, mut as_of) = (None, None, None);
        while let Some(flag) = words.next() {
            let value = words.next();
            match flag {
                "--period" => period = value,
                "--by" => by = value,
                "--as-of" => as_of = value,
                other => {
                    return Err(ticketlake::Error::Usage(format!(
                        "harness: unknown flag {other}"
                    )));
                }
            }
        }
        let q = catalog::find(&self.catalog, name)?;
        let params = metric::Params::resolve(&self.session, period, as_of)?;
        metric::run(&self.session, &q, by, &params, 100_000)
    }
}

impl sqllogictest::DB for Db {
    type Error = Failure;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Failure> {
        let sql = sql.trim();
        let result = match sql.strip_prefix("metric ") {
            Some(line) => self.metric(line),
            None => adhoc::run(&self.session, sql, 100_000),
        };
        let t = result.map_err(|e| Failure(e.to_string()))?;
        let rows = t
            .rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| match c {
                        None => "NULL".to_string(),
                        Some(s) if s.is_empty() => "(empty)".to_string(),
                        Some(s) => s,
                    })
                    .collect()
            })
            .collect();
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; t.columns.len()],
            rows,
        })
    }

    fn engine_name(&self) -> &str {
        "ticketlake"
    }
}

/// Ingest and build the fixture into a fresh directory with the real binary.
fn build_fixture(root: &Path, dir: &Path) -> PathBuf {
    let dataset = dir.join("dataset");
    let out = Command::new(env!("CARGO_BIN_EXE_ticketlake"))
        .args(["--quiet", "--config"])
        .arg(root.join("tests/slt/fixture/ticketlake.toml"))
        .arg("--dataset")
        .arg(&dataset)
        .arg("run")
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .expect("running ticketlake");
    assert!(
        out.status.success(),
        "building the fixture failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    dataset
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let dataset = build_fixture(&root, tmp.path());
    let settings = ticketlake::settings::resolve(
        Some(&root.join("tests/slt/fixture/ticketlake.toml")),
        Some(&dataset),
    )
    .expect("fixture config");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/slt"))
        .expect("tests/slt")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let (mut passed, mut failed) = (0u32, 0u32);
    let engines = [Engine::Local, Engine::Standalone];
    // TICKETLAKE_SLT_VERBOSE=1 names each record before it runs (to find one that hangs).
    let verbose = std::env::var_os("TICKETLAKE_SLT_VERBOSE").is_some();
    for (file, engine) in files
        .iter()
        .flat_map(|f| engines.iter().map(move |e| (f, e)))
    {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let (ds, policies, on) = (dataset.clone(), settings.policies.clone(), engine.clone());
        let mut runner = sqllogictest::Runner::new(move || {
            let (ds, policies, engine) = (ds.clone(), policies.clone(), on.clone());
            async move {
                let session = session::open(
                    &ticketlake::dataset::Location::local(&ds),
                    &policies,
                    &engine,
                    // A statement that hangs (as Ballista jobs have) fails instead of
                    // stalling the suite.
                    session::Limits {
                        timeout: Some(std::time::Duration::from_secs(60)),
                        ..session::Limits::default()
                    },
                )
                .map_err(|e| Failure(e.to_string()))?;
                let catalog = catalog::load(None).map_err(|e| Failure(e.to_string()))?;
                Ok(Db { session, catalog })
            }
        });
        let records =
            sqllogictest::parse_file::<DefaultColumnType>(file).expect("a parsable .slt file");
        for record in records {
            let counted = matches!(record, Record::Statement { .. } | Record::Query { .. });
            let at = match &record {
                Record::Statement { loc, .. } | Record::Query { loc, .. } => loc.to_string(),
                _ => String::new(),
            };
            if verbose {
                eprintln!("{at} on {}", engine.shown());
            }
            match runner.run(record) {
                Ok(_) if counted => passed += 1,
                Ok(_) => {}
                Err(e) => {
                    failed += 1;
                    eprintln!("FAILED {at} on {}\n{}\n", engine.shown(), e.display(true));
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || passed == 0 {
        std::process::exit(1);
    }
}
