//! The dataset on object storage (issue 21, part 1): the whole pipeline against a real S3
//! protocol server (moto from PyPI, on loopback), DuckDB reading the files the manifest
//! lists, commits without a lock server (racing writers on object_store's in-memory and
//! local-file stores: exactly one winner per version, every version readable), vacuum, and
//! the credential errors.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use ticketlake::dataset::{Location, manifest, store};

use crate::support::*;

const BUCKET: &str = "ticketlake-test";

/// A moto S3 server on a free loopback port, stopped when dropped (its stdin closes).
struct Moto {
    child: Child,
    endpoint: String,
    python: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/s3/moto_s3.py")
}

/// The server, or `None` (test skipped) when `tests/run`'s python has no moto: outside CI
/// only, where `TICKETLAKE_REQUIRE_S3` makes that a failure.
fn moto() -> Option<Moto> {
    let python = std::env::var("TICKETLAKE_PYTHON").ok();
    let usable = python.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import moto, boto3"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if !usable {
        assert!(
            std::env::var("TICKETLAKE_REQUIRE_S3").is_err(),
            "TICKETLAKE_PYTHON must point at a python with moto[server] and boto3 (tests/run installs them)"
        );
        eprintln!("skipped: no python with moto (tests/run provides one)");
        return None;
    }
    let python = python.unwrap();
    let mut child = Command::new(&python)
        .arg(script())
        .args(["serve", BUCKET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line
        .trim()
        .strip_prefix("endpoint ")
        .unwrap_or_else(|| panic!("moto said {line:?}"))
        .to_string();
    Some(Moto {
        child,
        endpoint,
        python,
    })
}

impl Moto {
    /// `ticketlake` with the server's endpoint and test credentials in its environment.
    fn cmd(&self, p: &Project) -> Command {
        let mut c = p.cmd();
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "secret-never-shown")
            .env("AWS_REGION", "us-east-1");
        c
    }

    /// [`Moto::run`] with the config `cfg` on the dataset at `url`.
    fn on(&self, p: &Project, cfg: &str, url: &str, args: &[&str]) -> (i32, String, String) {
        let mut a = vec!["--config", cfg, "--dataset", url];
        a.extend_from_slice(args);
        self.run(p, &a)
    }

    fn run(&self, p: &Project, args: &[&str]) -> (i32, String, String) {
        let o = self.cmd(p).args(args).output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// The objects under `prefix/` with their content type and SHA-256.
    fn objects(&self, prefix: &str) -> serde_json::Value {
        let o = Command::new(&self.python)
            .arg(script())
            .args(["objects", &self.endpoint, BUCKET, prefix])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    /// Rows of `sql` run by DuckDB over the files the current manifest lists.
    fn duckdb(&self, prefix: &str, sql: &str) -> serde_json::Value {
        let o = Command::new(&self.python)
            .arg(script())
            .args(["duckdb", &self.endpoint, BUCKET, prefix, sql])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

const COUNTS: &str = "SELECT kind, count(*) AS n, count(resolved_at) AS resolved FROM tickets \
                      GROUP BY kind ORDER BY kind";

#[test]
fn the_pipeline_runs_on_s3_with_the_same_answers_and_duckdb_reads_it() {
    let Some(s3) = moto() else { return };
    let p = Project::new();
    let cfg = sample_config();
    let url = format!("s3://{BUCKET}/desk");
    // The same job on a local dataset and on S3.
    let local = p.run(&[
        "--config",
        &cfg,
        "--dataset",
        "local",
        "-q",
        "run",
        "--period",
        "2026-10",
        "--out",
        "out-local",
    ]);
    assert!(
        local.status.success(),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let (code, _, err) = s3.on(
        &p,
        &cfg,
        &url,
        &["-q", "run", "--period", "2026-10", "--out", "out-s3"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("secret-never-shown"));
    // Reports from either dataset are the same pages.
    for page in ["index.html", "service-email.html"] {
        let a = std::fs::read_to_string(p.path(&format!("out-local/2026-10/{page}"))).unwrap();
        let b = std::fs::read_to_string(p.path(&format!("out-s3/2026-10/{page}"))).unwrap();
        assert_eq!(a.len(), b.len(), "{page} differs between local and S3");
    }
    // The same reports written to S3 (staged under TMPDIR, which is left empty): every
    // file of the local report, byte for byte but for the time written, served as HTML.
    std::fs::create_dir_all(p.path("tmp")).unwrap();
    let o = s3
        .cmd(&p)
        .env("TMPDIR", p.path("tmp"))
        .args([
            "--config",
            &cfg,
            "--dataset",
            &url,
            "report",
            "--period",
            "2026-10",
        ])
        .args(["--out", &format!("s3://{BUCKET}/reports/")])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        said.contains(&format!("wrote s3://{BUCKET}/reports/2026-10/index.html")),
        "{said}"
    );
    assert_eq!(std::fs::read_dir(p.path("tmp")).unwrap().count(), 0);
    let uploaded = s3.objects("reports");
    let local = p.path("out-local");
    let staged = tree(&local);
    let month: Vec<&String> = staged
        .keys()
        .filter(|k| k.starts_with("2026-10/"))
        .collect();
    // `run` also wrote the data-quality report, which `report` does not.
    let expected: Vec<&String> = month
        .into_iter()
        .filter(|k| !k.contains("data-quality"))
        .collect();
    assert_eq!(
        uploaded.as_object().unwrap().keys().collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        uploaded["2026-10/index.html"]["content_type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(
        uploaded["2026-10/summary.json"]["content_type"],
        "application/json"
    );
    let tables = expected.iter().filter(|k| k.ends_with(".csv")).count();
    assert!(tables > 0, "{expected:?}");
    for k in expected
        .iter()
        .filter(|k| k.ends_with(".csv") || k.ends_with(".svg"))
    {
        let digest = sha256(&staged[*k]);
        assert_eq!(uploaded[k.as_str()]["sha256"], digest.as_str(), "{k}");
    }
    // The same SQL answers, and DuckDB agrees from the manifest's files.
    let sql = |args: &[&str]| -> serde_json::Value {
        let mut a = vec!["--config", cfg.as_str()];
        a.extend_from_slice(args);
        a.extend_from_slice(&["sql", "--format", "json", COUNTS]);
        let (code, out, err) = s3.run(&p, &a);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let on_s3 = sql(&["--dataset", &url]);
    assert_eq!(
        on_s3,
        sql(&["--dataset", p.path("local").to_str().unwrap()])
    );
    let duck = s3.duckdb("desk", COUNTS);
    let ours: Vec<Vec<serde_json::Value>> = on_s3
        .as_array()
        .unwrap()
        .iter()
        .map(|r| vec![r["kind"].clone(), r["n"].clone(), r["resolved"].clone()])
        .collect();
    assert_eq!(serde_json::to_value(ours).unwrap(), duck);
    // `dataset info` and a metric query read it too.
    let (code, out, err) = s3.on(&p, &cfg, &url, &["dataset", "info", "--json"]);
    assert_eq!(code, 0, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["dataset"], url.as_str());
    let version = info["version"].as_u64().unwrap();
    assert!(version >= 2, "ingest and build committed: {info}");
    let (code, _, err) = s3.on(&p, &cfg, &url, &["query", "mttr", "--period", "2026-10"]);
    assert_eq!(code, 0, "{err}");
    // Vacuum with no retention keeps only the current version, which still reads the same.
    let (code, out, err) = s3.run(
        &p,
        &[
            "--dataset",
            &url,
            "dataset",
            "vacuum",
            "--older-than",
            "0s",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kept_versions"], serde_json::json!([version]));
    assert_eq!(v["manifests"].as_array().unwrap().len() as u64, version - 1);
    assert_eq!(sql(&["--dataset", &url]), on_s3);
}

#[test]
fn missing_or_wrong_credentials_name_what_to_set() {
    let p = Project::new();
    // A dataset, and reports, on S3 with no credentials: the error names the variable and
    // the URL, before anything is read or written.
    let cases: [(&[&str], &str); 2] = [
        (
            &["--dataset", "s3://no-such-bucket/ds", "dataset", "info"],
            "s3://no-such-bucket/ds",
        ),
        (
            &[
                "--dataset",
                "ds",
                "report",
                "--out",
                "s3://no-such-bucket/reports",
            ],
            "s3://no-such-bucket/reports",
        ),
    ];
    for (args, url) in cases {
        let o = p
            .cmd()
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
        assert!(err.contains(url), "{err}");
    }
    // A server that is not there: the error names the endpoint variable, never the secret.
    let o = p
        .cmd()
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "secret-never-shown")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_RETRIES", "0")
        .args(["--dataset", "s3://b/ds", "dataset", "info"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("AWS_ENDPOINT_URL"), "{err}");
    assert!(!err.contains("secret-never-shown"), "{err}");
}

/// A manifest of `version` naming one file.
fn manifest_naming(version: u64, file: &str) -> manifest::Manifest {
    let mut m = manifest::Manifest::empty();
    m.version = version;
    m.committed_at = "2026-12-01T00:00:00Z".into();
    m.tables.insert(
        "tickets".into(),
        manifest::TableFiles {
            files: vec![manifest::DataFile {
                path: file.into(),
                rows: 1,
                bytes: 1,
            }],
        },
    );
    m
}

/// Eight writers race for each of five versions on `loc`: exactly one wins each, the others
/// get the conflict error, and every version reads back as its winner wrote it.
fn one_winner_per_version(loc: &Location) {
    for version in 1..=5u64 {
        let results: Vec<(usize, ticketlake::Result<()>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|w| {
                    s.spawn(move || {
                        let m = manifest_naming(version, &format!("tickets/writer-{w}.parquet"));
                        (w, store::publish(loc, &m))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(w, _)| *w)
            .collect();
        assert_eq!(winners.len(), 1, "version {version}: {results:?}");
        for (_, r) in &results {
            if let Err(e) = r {
                let msg = e.to_string();
                assert!(
                    matches!(e, ticketlake::Error::Conflict { version: v, .. } if *v == version),
                    "{msg}"
                );
                assert!(
                    msg.contains(&format!("another writer committed version {version}")),
                    "{msg}"
                );
            }
        }
        let read = manifest::read_version(loc, version).unwrap();
        assert_eq!(
            read.tables["tickets"].files[0].path,
            format!("tickets/writer-{}.parquet", winners[0])
        );
    }
    assert_eq!(manifest::versions(loc).unwrap(), vec![1, 2, 3, 4, 5]);
    assert_eq!(manifest::current(loc).unwrap().version, 5);
}

/// [`one_winner_per_version`] on a dataset at `prefix` of `store`, shown as `shown`.
fn race_on(shown: &str, store: Arc<dyn object_store::ObjectStore>, prefix: &str) {
    let url = url::Url::parse(shown).unwrap();
    let loc = Location::with_store(shown, store, prefix.into(), &url).unwrap();
    one_winner_per_version(&loc);
}

#[test]
fn racing_commits_on_an_in_memory_store_have_one_winner_each() {
    race_on(
        "memory:///race",
        Arc::new(object_store::memory::InMemory::new()),
        "race",
    );
}

#[test]
fn racing_commits_on_a_local_file_store_have_one_winner_each() {
    let p = Project::new();
    std::fs::create_dir_all(p.path("shared")).unwrap();
    let store = object_store::local::LocalFileSystem::new_with_prefix(p.path("shared")).unwrap();
    race_on("file:///shared", Arc::new(store), "");
}

/// Whole ingests racing on one `file://` dataset (object-store semantics, no OS lock): each
/// process either commits or fails with exit 2 and the conflict message; re-run, the losers
/// get in; no version is lost or unreadable, and the tickets are every file's.
#[test]
fn racing_ingests_on_a_file_url_dataset_lose_cleanly_and_get_in_on_rerun() {
    let p = Project::new();
    let exports = p.generate("gen", "servicenow-csv", 400, 5);
    let dir = p.path("shared-ds");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("file://{}", dir.display());
    let mut files = Vec::new();
    for (i, f) in ["incident", "sc_request", "change_request", "problem"]
        .iter()
        .enumerate()
    {
        let src = exports.join(format!("{f}.csv"));
        if src.exists() {
            files.push((i, src));
        }
    }
    assert!(files.len() >= 3, "{files:?}");
    let mut pending: Vec<_> = files.clone();
    let mut conflicts = 0;
    for _round in 0..10 {
        if pending.is_empty() {
            break;
        }
        let children: Vec<_> = pending
            .iter()
            .map(|(_, f)| {
                p.cmd()
                    .args([
                        "--dataset",
                        &url,
                        "ingest",
                        "--no-build",
                        "--source",
                        "servicenow",
                        "--tz",
                        "UTC",
                    ])
                    .arg(f)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut next = Vec::new();
        for (child, item) in children.into_iter().zip(pending) {
            let o = child.wait_with_output().unwrap();
            match o.status.code() {
                Some(0) => {}
                Some(2) => {
                    let err = String::from_utf8_lossy(&o.stderr);
                    assert!(err.contains("another writer committed version"), "{err}");
                    conflicts += 1;
                    next.push(item);
                }
                c => panic!("exit {c:?}: {}", String::from_utf8_lossy(&o.stderr)),
            }
        }
        pending = next;
    }
    assert!(
        pending.is_empty(),
        "still not in after 10 rounds: {pending:?}"
    );
    eprintln!("racing ingests: {conflicts} conflicts, every file in");
    let loc = Location::parse(&url, &Default::default()).unwrap();
    let versions = manifest::versions(&loc).unwrap();
    assert_eq!(versions, (1..=files.len() as u64).collect::<Vec<_>>());
    for v in versions {
        let m = manifest::read_version(&loc, v).unwrap();
        for t in m.tables.values() {
            for f in &t.files {
                assert!(
                    dir.join(&f.path).exists(),
                    "version {v} names a missing {}",
                    f.path
                );
            }
        }
    }
    let m = manifest::current(&loc).unwrap();
    assert_eq!(m.ingests.len(), files.len());
    let tickets = store::read_table(&loc, &m, "tickets").unwrap().unwrap();
    let loaded: u64 = m
        .ingests
        .iter()
        .flat_map(|i| &i.files)
        .map(|f| f.loaded)
        .sum();
    assert_eq!(tickets.height() as u64, loaded);
}

#[test]
fn vacuum_keeps_what_readers_of_a_recent_version_need() {
    let p = Project::new();
    let exports = p.generate("gen", "servicenow-csv", 300, 9);
    for f in ["incident", "change_request"] {
        let (code, _, err) = p.ingest(&[
            "--source",
            "servicenow",
            "--tz",
            "UTC",
            exports.join(format!("{f}.csv")).to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let before = p.version();
    assert!(before >= 2, "two ingests");
    // Within the retention nothing goes.
    let o = p.run(&["dataset", "vacuum", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["manifests"], serde_json::json!([]));
    assert_eq!(v["files"], serde_json::json!([]));
    assert_eq!(v["kept_versions"].as_array().unwrap().len() as u64, before);
    // A stray file no manifest names, as a dead writer would leave: kept while young.
    let stray = p.path("dataset/tickets/v0000009999-000-deadbeef.parquet");
    std::fs::write(&stray, b"not yet committed").unwrap();
    let rows = p.table("tickets").height();
    let o = p.run(&["dataset", "vacuum", "--older-than", "0s", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kept_versions"], serde_json::json!([before]));
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "tickets/v0000009999-000-deadbeef.parquet")
    );
    assert!(!stray.exists());
    assert_eq!(p.table("tickets").height(), rows);
    let o = p.run(&["dataset", "vacuum", "--older-than", "soon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--older-than"));
}

#[test]
fn a_token_in_the_dataset_url_is_never_shown() {
    let p = Project::new();
    let url = "az://container/desk?sig=secret-sas-token&sv=2024";
    let o = p.run(&["--dataset", url, "--show-settings", "dataset", "info"]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("az://container/desk"), "{all}");
    assert!(!all.contains("secret-sas-token"), "{all}");
}
