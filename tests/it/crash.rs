//! Atomic publish, recovery and the single writer (promises 3, 4, 5): a writer killed with
//! SIGKILL at each fault point of the commit path, and at random moments of a large ingest,
//! leaves the old version readable, and a rerun converges to the uninterrupted result.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::support::*;

/// A project with version 1 committed and a second, larger export waiting.
fn setup() -> (Project, Vec<String>) {
    let p = Project::new();
    for (seed, n, dir) in [(21, 400, "first"), (22, 20_000, "second")] {
        p.generate(dir, "servicenow-csv", n, seed);
    }
    // Relative paths: lineage records the path as given, and projects must compare equal.
    assert_eq!(
        p.ingest(&[
            "--source",
            "servicenow",
            "--tz",
            "Europe/London",
            "first/incident.csv"
        ])
        .0,
        0
    );
    let second: Vec<String> = ["incident", "change_request", "problem", "sc_req_item"]
        .iter()
        .map(|f| format!("second/{f}.csv"))
        .collect();
    (p, second)
}

fn ingest_args(files: &[String]) -> Vec<String> {
    let mut a: Vec<String> = [
        "ingest",
        "--quiet",
        "--source",
        "servicenow",
        "--tz",
        "Europe/London",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(files.iter().cloned());
    a
}

fn spawn(p: &Project, files: &[String], fault: Option<&str>) -> Child {
    let mut c = p.cmd();
    c.args(ingest_args(files))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(f) = fault {
        c.env("TICKETLAKE_FAULT_PAUSE", f);
    }
    c.spawn().unwrap()
}

/// Wait until the child announces it is paused at its fault point.
fn wait_paused(child: &mut Child) {
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.contains("paused at fault point"),
        "unexpected stderr: {line}"
    );
}

/// The uninterrupted result of ingesting `files` into a fresh copy of the setup.
fn reference(files: &[String]) -> polars::prelude::DataFrame {
    let (q, _) = setup();
    let o = q.cmd().args(ingest_args(files)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    q.table("tickets")
}

fn assert_converges(p: &Project, files: &[String], expected: &polars::prelude::DataFrame) {
    let o = p.cmd().args(ingest_args(files)).output().unwrap();
    assert!(
        o.status.success(),
        "rerun failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(p.version(), 2);
    assert!(
        p.table("tickets").equals_missing(expected),
        "rerun did not converge"
    );
    let leftovers: Vec<_> = std::fs::read_dir(p.path("dataset/tickets"))
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(leftovers.len(), 2, "orphan files left: {leftovers:?}");
}

#[test]
fn sigkill_at_each_fault_point_keeps_the_old_version_and_rerun_converges() {
    let (_, files) = setup();
    let expected = reference(&files);
    for point in [
        "after-lock",
        "after-read",
        "before-data-files",
        "after-data-files",
        "after-manifest-tmp",
    ] {
        let (p, files) = setup();
        let before = p.table("tickets");
        let mut child = spawn(&p, &files, Some(point));
        wait_paused(&mut child);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        assert_eq!(p.version(), 1, "{point}: version moved");
        assert!(
            p.table("tickets").equals_missing(&before),
            "{point}: old version not intact"
        );
        assert_converges(&p, &files, &expected);
    }
    // Killed right after the publish: the new version is complete and a rerun is a no-op.
    let (p, files) = setup();
    let mut child = spawn(&p, &files, Some("after-publish"));
    wait_paused(&mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(p.version(), 2);
    assert!(p.table("tickets").equals_missing(&expected));
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_broken_dataset() {
    let (p, files) = setup();
    let expected = reference(&files);
    let start = Instant::now();
    let o = p.cmd().args(ingest_args(&files)).output().unwrap();
    assert!(o.status.success());
    let full = start.elapsed().as_millis() as u64;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    for round in 0..10 {
        let (q, files) = setup();
        let before = q.table("tickets");
        let mut child = spawn(&q, &files, None);
        std::thread::sleep(Duration::from_millis(rng.random_range(0..full.max(1))));
        let _ = child.kill();
        child.wait().unwrap();
        match q.version() {
            1 => assert!(
                q.table("tickets").equals_missing(&before),
                "round {round}: old version damaged"
            ),
            2 => assert!(
                q.table("tickets").equals_missing(&expected),
                "round {round}: new version incomplete"
            ),
            v => panic!("round {round}: unexpected version {v}"),
        }
        let o = q.cmd().args(ingest_args(&files)).output().unwrap();
        assert!(
            o.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            q.table("tickets").equals_missing(&expected),
            "round {round}: did not converge"
        );
    }
}

#[test]
fn a_second_writer_fails_fast_naming_the_lock() {
    let (p, files) = setup();
    let mut first = spawn(&p, &files, Some("after-lock"));
    wait_paused(&mut first);
    let start = Instant::now();
    let second = p.cmd().args(ingest_args(&files)).output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "second writer waited instead of failing"
    );
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("locked by another writer") && err.contains("_lock") && err.contains("pid"),
        "{err}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    // The lock dies with its holder.
    assert!(
        p.cmd()
            .args(ingest_args(&files))
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn ingest_is_idempotent_and_ids_are_deterministic() {
    let (p, files) = setup();
    let (q, _) = setup();
    for project in [&p, &q] {
        assert!(
            project
                .cmd()
                .args(ingest_args(&files))
                .output()
                .unwrap()
                .status
                .success()
        );
    }
    let a = p.table("tickets");
    assert!(
        a.equals_missing(&q.table("tickets")),
        "two identical runs differ"
    );
    assert!(
        p.cmd()
            .args(ingest_args(&files))
            .output()
            .unwrap()
            .status
            .success()
    );
    assert_eq!(p.version(), 2);
    assert!(a.equals_missing(&p.table("tickets")));
}
