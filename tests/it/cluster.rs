//! SQL on a Ballista cluster (issue 21): the same statements, functions and answers as local
//! DataFusion, on the in-process cluster and on a scheduler and an executor run as separate
//! processes of this binary; and the errors of an engine that is wrong or gone.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ticketlake::query::engine::Engine;
use ticketlake::query::{adhoc, catalog, metric, session};
use ticketlake::table::Table;

use crate::support::*;

/// A project holding the sample data's dataset, built by the README's main job.
fn sample() -> Project {
    let p = Project::new();
    let o = p.run(&[
        "--config",
        &sample_config(),
        "--dataset",
        "dataset",
        "-q",
        "run",
        "--period",
        "2026-10",
        "--out",
        "reports",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    p
}

/// An ad hoc statement with a calendar function, a trend function and a join.
const BUSINESS: &str = "SELECT t.ticket_id, business_seconds(t.opened_at, t.resolved_at, 'london') AS bs, \
     s.sla_name, s.breached FROM incidents t JOIN sla s ON s.ticket_id = t.ticket_id \
     WHERE t.resolved_at IS NOT NULL ORDER BY t.ticket_id, s.sla_name";

/// Cells equal, numbers to 1e-9 relative (partial sums add up in another order on a
/// cluster).
fn assert_same(what: &str, local: &Table, cluster: &Table) {
    assert_eq!(local.columns, cluster.columns, "{what}: columns");
    assert_eq!(local.rows.len(), cluster.rows.len(), "{what}: row count");
    for (i, (a, b)) in local.rows.iter().zip(&cluster.rows).enumerate() {
        for (j, (x, y)) in a.iter().zip(b).enumerate() {
            let close = match (
                x.as_deref().map(str::parse::<f64>),
                y.as_deref().map(str::parse::<f64>),
            ) {
                (Some(Ok(x)), Some(Ok(y))) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                _ => x == y,
            };
            assert!(
                close,
                "{what}: row {i}, column {}: local {x:?}, cluster {y:?}",
                local.columns[j]
            );
        }
    }
}

/// Every built-in query (or those named in `only`) and
/// [`BUSINESS`] on `engine`, beside the same on local DataFusion.
fn assert_engine_answers_as_local(p: &Project, engine: &Engine, only: Option<&[&str]>) {
    let s = ticketlake::settings::resolve(Some(Path::new(&sample_config())), Some(&p.dataset()))
        .unwrap();
    // A statement that hangs on the cluster (as Ballista 55 jobs did) fails the test.
    let bounded = session::Limits {
        timeout: Some(Duration::from_secs(60)),
        ..session::Limits::default()
    };
    let open = |e: &Engine| session::open(&s.dataset, &s.policies, e, bounded).unwrap();
    let (local, cluster) = (open(&Engine::Local), open(engine));
    let mut queries = catalog::load(None).unwrap();
    assert!(queries.len() >= 12, "the built-in catalog");
    if let Some(names) = only {
        queries.retain(|q| names.contains(&q.name.as_str()));
        assert_eq!(queries.len(), names.len(), "{names:?} are built-in queries");
    }
    let mut compared = 0;
    for q in &queries {
        // Without a dimension, and by service where the query has it (the slt suite runs
        // every dimension on the fixture, on both engines).
        let mut dims = vec![None];
        if q.dimensions.iter().any(|(d, _)| d == "service") {
            dims.push(Some("service"));
        }
        for by in dims {
            let run = |session: &session::Session| {
                let params = metric::Params::resolve(session, Some("2026-10"), None).unwrap();
                metric::run(session, q, by, &params, 100_000)
                    .unwrap_or_else(|e| panic!("{} --by {by:?} on {}: {e}", q.name, engine.shown()))
            };
            assert_same(
                &format!("{} --by {by:?}", q.name),
                &run(&local),
                &run(&cluster),
            );
        }
        compared += 1;
    }
    let a = adhoc::run(&local, BUSINESS, 100_000).unwrap();
    let b = adhoc::run(&cluster, BUSINESS, 100_000).unwrap();
    assert!(
        a.rows.len() > 10,
        "the sample has resolved incidents with clocks"
    );
    assert_same("business_seconds", &a, &b);
    assert_eq!(compared, queries.len());
}

#[test]
fn the_in_process_cluster_answers_every_builtin_query_as_local_datafusion() {
    let p = sample();
    assert_engine_answers_as_local(&p, &Engine::Standalone, None);
}

/// The month's reports from the in-process cluster are the local ones, file for file:
/// every page, chart, table and the summary (but for the time they were written).
#[test]
fn the_reports_written_on_the_cluster_are_the_local_ones() {
    let p = sample();
    for (engine, out) in [
        ("local", "by-local"),
        ("ballista://standalone", "by-cluster"),
    ] {
        let o = cli(
            &p,
            engine,
            &["-q", "report", "--period", "2026-10", "--out", out],
        );
        assert!(
            o.status.success(),
            "{engine}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let generated = regex::Regex::new(r#""generated_at": "[^"]*"|Generated [0-9TZ:-]+"#).unwrap();
    let (a, b) = (tree(&p.path("by-local")), tree(&p.path("by-cluster")));
    assert!(a.len() > 20, "pages, charts and tables: {:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, local) in &a {
        let text = |bytes: &[u8]| {
            let t = String::from_utf8_lossy(bytes).to_string();
            generated.replace_all(&t, "").to_string()
        };
        assert_eq!(text(local), text(&b[name]), "{name}");
    }
}

/// Ballista's upgrade of a session state drops the functions registered on it (it resets
/// the scalar functions to DataFusion's built-ins); the engine registers them again.
#[test]
fn the_engine_restores_the_functions_ballista_drops() {
    use ballista::prelude::SessionContextExt;
    use datafusion::execution::FunctionRegistry;
    use datafusion::prelude::SessionContext;
    let p = sample();
    let s = ticketlake::settings::resolve(Some(Path::new(&sample_config())), Some(&p.dataset()))
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let functions = ticketlake::query::functions::Functions::new(&s.policies, 1 << 30);
    let names = functions.names();
    assert!(names.iter().any(|n| n == "business_seconds"));
    rt.block_on(async {
        let ctx = SessionContext::new();
        functions.register(&ctx).unwrap();
        let upgraded = SessionContext::standalone_with_state(ctx.state())
            .await
            .unwrap();
        // The trap itself: if Ballista stops dropping them, this says so.
        for n in &names {
            assert!(upgraded.udf(n).is_err(), "{n} survived Ballista's upgrade");
        }
        let ctx = SessionContext::new();
        functions.register(&ctx).unwrap();
        let ours = Engine::Standalone.connect(ctx, &functions).await.unwrap();
        for n in &names {
            assert!(
                ours.udf(n).is_ok(),
                "{n} is missing on the engine's context"
            );
        }
    });
    // And on a session: a calendar function and the size check of `repeat` both work.
    let session = session::open(
        &s.dataset,
        &s.policies,
        &Engine::Standalone,
        session::Limits::default(),
    )
    .unwrap();
    let t = adhoc::run(
        &session,
        "SELECT business_seconds(TIMESTAMP '2026-10-02T21:00:00Z', TIMESTAMP '2026-10-05T09:30:00Z', '24x7') AS s",
        10,
    )
    .unwrap();
    assert_eq!(t.rows[0][0].as_deref(), Some("217800"));
    let e = adhoc::run(
        &session,
        "SELECT length(repeat('x', 2000000000)) FROM tickets",
        10,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("one function result"), "{e}");
}

/// A free loopback port (the listener is closed before the node binds it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A node process, killed when dropped.
struct NodeProcess(Child);

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `ticketlake cluster ARGS` and wait until `port` accepts connections.
fn node(p: &Project, args: &[&str], port: u16) -> NodeProcess {
    let child = p
        .cmd()
        .args([
            "--config",
            &sample_config(),
            "--dataset",
            "dataset",
            "cluster",
        ])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a node");
    let node = NodeProcess(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "node {args:?} did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    node
}

/// A scheduler and one executor as processes; returns them and the engine URL.
fn loopback_cluster(p: &Project) -> (NodeProcess, NodeProcess, String) {
    let (sched, flight, grpc) = (free_port(), free_port(), free_port());
    let scheduler = node(
        p,
        &[
            "scheduler",
            "--bind",
            &format!("127.0.0.1:{sched}"),
            "--executor-timeout",
            "5",
        ],
        sched,
    );
    let executor = node(
        p,
        &[
            "executor",
            "--scheduler",
            &format!("127.0.0.1:{sched}"),
            "--concurrency",
            "2",
            "--port",
            &flight.to_string(),
            "--grpc-port",
            &grpc.to_string(),
            "--work-dir",
            p.path("work").to_str().unwrap(),
            "--heartbeat",
            "1",
        ],
        flight,
    );
    (scheduler, executor, format!("ballista://127.0.0.1:{sched}"))
}

/// `ticketlake --config sample ARGS` with the engine `engine`.
fn cli(p: &Project, engine: &str, args: &[&str]) -> std::process::Output {
    let mut c: Command = p.cmd();
    c.args([
        "--config",
        &sample_config(),
        "--dataset",
        "dataset",
        "--engine",
        engine,
    ]);
    c.args(args).output().unwrap()
}

#[test]
fn a_scheduler_and_an_executor_as_processes_answer_as_local_datafusion() {
    let p = sample();
    std::fs::create_dir_all(p.path("work")).unwrap();
    let (_s, _e, url) = loopback_cluster(&p);
    // The library's sessions: every built-in query and the calendar function.
    // A real cluster costs seconds per statement in a debug build: five of the queries
    // here, two of them with a join to a side the sample leaves empty (the in-process
    // test and the slt suite run every one on Ballista).
    let some: &[&str] = &["mttr", "mtta", "fcr", "sla_attainment", "backlog_aging"];
    assert_engine_answers_as_local(&p, &Engine::parse(&url).unwrap(), Some(some));
    // The commands: sql, query and check print the same.
    let commands: [&[&str]; 3] = [
        &["sql", "--format", "csv", BUSINESS],
        &[
            "query", "mttr", "--period", "2026-10", "--by", "service", "--format", "csv",
        ],
        &[
            "check",
            "--period",
            "2026-10",
            "--min-attainment",
            "90",
            "--format",
            "json",
        ],
    ];
    for args in commands {
        let (a, b) = (cli(&p, "local", args), cli(&p, &url, args));
        assert_eq!(
            a.status.code(),
            b.status.code(),
            "{args:?}: {}",
            String::from_utf8_lossy(&b.stderr)
        );
        assert!(
            b.status.code() != Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&b.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&a.stdout),
            String::from_utf8_lossy(&b.stdout),
            "{args:?}"
        );
    }
}

#[test]
fn a_lost_executor_is_an_error_never_a_wrong_answer() {
    let p = sample();
    std::fs::create_dir_all(p.path("work")).unwrap();
    let (_s, executor, url) = loopback_cluster(&p);
    let count = [
        "sql",
        "--format",
        "csv",
        "SELECT count(*) AS n FROM tickets",
    ];
    let before = cli(&p, &url, &count);
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    drop(executor);
    let o = cli(
        &p,
        &url,
        &[
            "--timeout",
            "60s",
            "sql",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM tickets",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "no executor, yet: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        o.stdout.is_empty(),
        "no partial answer: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(err.contains("error"), "{err}");
}

#[test]
fn a_wrong_or_absent_engine_is_a_clear_error() {
    let p = sample();
    let port = free_port();
    let o = cli(
        &p,
        &format!("ballista://127.0.0.1:{port}"),
        &["sql", "SELECT 1"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("Ballista scheduler at 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.contains("ticketlake cluster scheduler"), "{err}");
    let o = cli(&p, "spark://x:1", &["sql", "SELECT 1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--engine") && err.contains("ballista://HOST:PORT"),
        "{err}"
    );
    // The config key is named when the config holds the bad value.
    p.write("bad.toml", "[engine]\nurl = \"ballista://\"\n");
    let o = p.run(&["--config", "bad.toml", "sql", "SELECT 1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("[engine] url"), "{err}");
}

#[test]
fn the_engine_comes_from_the_flag_the_environment_or_the_config() {
    let p = Project::new();
    p.write(
        "t.toml",
        "[engine]\nurl = \"ballista://sched.example:50077\"\n",
    );
    let shown = |env: Option<&str>, flag: Option<&str>| -> (String, String) {
        let mut c = p.cmd();
        c.args(["--config", "t.toml", "--show-settings"]);
        if let Some(f) = flag {
            c.args(["--engine", f]);
        }
        if let Some(e) = env {
            c.env("TICKETLAKE_ENGINE", e);
        }
        let o = c
            .args(["sql", "--format", "json", "SELECT 1"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let e = &v["settings"]["engine"];
        (
            e["value"].as_str().unwrap().into(),
            e["origin"].as_str().unwrap().into(),
        )
    };
    assert_eq!(shown(None, None).0, "ballista://sched.example:50077");
    assert!(shown(None, None).1.contains("[engine] url"));
    assert_eq!(
        shown(Some("ballista://standalone"), None),
        ("ballista://standalone".into(), "TICKETLAKE_ENGINE".into())
    );
    assert_eq!(
        shown(Some("ballista://standalone"), Some("local")),
        ("local".into(), "--engine".into())
    );
}
