//! The bounds of ad hoc SQL hold whatever the plan (issue 18, items 5-8): `--timeout` ends a
//! busy cross join, `--memory-mb` bounds what expressions allocate, deep expressions are an
//! error rather than an abort, and table output cuts wide cells (CSV and JSON keep them).

use std::io::Write;
use std::process::{Child, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// A dataset of one ticket whose title is `title`.
fn project(title: &str) -> Project {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&[&format!(
            "INC1,{title},3 - Moderate,Resolved,2026-10-02 09:00:00,2026-10-02 10:00:00,2026-10-02 10:00:00"
        )]),
    );
    let (code, _, err) = p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    p
}

/// Wait for `child` at most `limit`; kill it when it is still running then, so a broken
/// bound fails the test instead of hanging the suite.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Run `sql` with `env`, `args` and `stdin`, ending it if it outlives `limit`.
fn sql_within(
    p: &Project,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &[u8],
    limit: Duration,
) -> Output {
    let mut child = p
        .cmd()
        .envs(env.iter().copied())
        .arg("sql")
        .args(args)
        .env("HOME", p.path(""))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    // Drain both pipes beside the wait, so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let status = wait_at_most(&mut child, limit);
    feeder.join().unwrap();
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let status = status.unwrap_or_else(|| {
        panic!(
            "sql {args:?} still ran after {limit:?}: {}",
            String::from_utf8_lossy(&stderr)
        )
    });
    Output {
        status,
        stdout,
        stderr,
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CROSS_JOIN: &str = "SELECT count(*) FROM generate_series(1,100000) a, \
                          generate_series(1,100000) b, generate_series(1,100000) c";

#[test]
fn timeout_ends_a_busy_cross_join() {
    let p = project("t");
    // 10^15 rows: no machine counts them in 60 s, so an exit within 60 s is the deadline.
    // With one partition (one CPU, or as set here) the join runs inside the future that an
    // async timeout would have to poll, and it never yields: the case the deadline must
    // hold for.
    for partitions in ["1", "2"] {
        let o = sql_within(
            &p,
            &[("DATAFUSION_EXECUTION_TARGET_PARTITIONS", partitions)],
            &["--timeout", "2", CROSS_JOIN],
            b"",
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("longer than the 2 s timeout (--timeout)"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_timeout_in_the_shell_ends_the_shell() {
    let p = project("t");
    let script = format!("{CROSS_JOIN};\nSELECT 'after' AS s;\n");
    let o = sql_within(
        &p,
        &[("DATAFUSION_EXECUTION_TARGET_PARTITIONS", "1")],
        &["--timeout", "2"],
        script.as_bytes(),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--timeout"), "{}", stderr(&o));
    // The abandoned statement would compete with the next ones: the shell stops instead.
    assert!(!String::from_utf8_lossy(&o.stdout).contains("after"));
}

#[test]
fn memory_limit_refuses_a_huge_repeat_before_allocating_it() {
    let p = project("t");
    let o = sql_within(
        &p,
        &[],
        &[
            "--memory-mb",
            "64",
            "SELECT length(repeat('x', 1500000000))",
        ],
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("repeat: the result would take up to 1431 MiB")
            && err.contains("--memory-mb 64"),
        "{err}"
    );
    for (q, n) in [
        ("SELECT length(lpad('x', 1500000000)) AS n", "lpad"),
        ("SELECT length(rpad('x', 1500000000, 'ab')) AS n", "rpad"),
        (
            "SELECT cardinality(array_repeat(1, 1500000000)) AS n",
            "array_repeat",
        ),
    ] {
        let o = p.run(&["sql", "--memory-mb", "64", q]);
        assert_eq!(o.status.code(), Some(2), "{q}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{n}: the result would take")),
            "{q}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn memory_limit_bounds_values_grown_outside_the_checked_functions() {
    let p = project("t");
    // Each step stays under the per-function check (10 MB strings), but `||` over two CTEs
    // grows the value 64-fold, and `range` builds a 16 GB list: the allocator cap stops both.
    for q in [
        "WITH a AS (SELECT repeat('x', 10000000) s), \
         b AS (SELECT s||s||s||s||s||s||s||s AS s FROM a), \
         c AS (SELECT s||s||s||s||s||s||s||s AS s FROM b) SELECT length(s) FROM c",
        "SELECT cardinality(range(1, 2000000000))",
    ] {
        let o = sql_within(
            &p,
            &[],
            &["--memory-mb", "64", q],
            b"",
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(2), "{q}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("needed more than 384 MiB of memory (twice --memory-mb 64"),
            "{q}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn checked_functions_still_give_their_results() {
    let p = project("t");
    let o = p.run(&[
        "sql",
        "--format",
        "json",
        "SELECT repeat('ab', 3) AS r, lpad('x', 3, '-') AS l, rpad('x', 3) AS p, \
         array_repeat(7, 2) AS a, list_repeat('z', 1) AS z, repeat(title, 2) AS t FROM tickets",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"r": "ababab", "l": "--x", "p": "x  ", "a": "[7, 7]", "z": "[z]", "t": "tt"}])
    );
}

/// `SELECT 1+1+…` with `terms` terms.
fn chain(terms: usize) -> String {
    format!("SELECT {} AS s", vec!["1"; terms].join("+"))
}

#[test]
fn deep_expressions_are_an_error_never_an_abort() {
    let p = project("t");
    for terms in [6_000, 10_000] {
        let o = sql_within(&p, &[], &[&chain(terms)], b"", Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(2), "{terms} terms: {}", stderr(&o));
        assert!(
            stderr(&o).contains("nests expressions more than 1000 deep"),
            "{terms} terms: {}",
            stderr(&o)
        );
    }
    // Within the limit the answer is right.
    let o = p.run(&["sql", "--format", "csv", &chain(300)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "s\n300\n");
    // A million terms (too long for one argument, so through the shell's stdin), and
    // parentheses nested past the parser's limit, are errors as well.
    let script = format!("{};\nSELECT 'next' AS s;\n", chain(1_000_000));
    let o = sql_within(&p, &[], &[], script.as_bytes(), Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("more than 1000 deep"), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("next"));
    // Chains the planner would also recurse through: set operations and joins.
    let unions = vec!["SELECT 1 AS x"; 1_500].join(" UNION ALL ");
    let tables: Vec<String> = (0..1_500).map(|i| format!("(SELECT 1) t{i}")).collect();
    let joins = format!("SELECT count(*) FROM {}", tables.join(", "));
    for (q, what) in [
        (unions, "chains more than 1000 set operations"),
        (joins, "joins more than 1000 tables in one FROM"),
    ] {
        let o = sql_within(&p, &[], &[&q], b"", Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
    }
    let nested = format!("SELECT {}1{}", "(".repeat(200), ")".repeat(200));
    let o = p.run(&["sql", &nested]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nests parentheses"), "{}", stderr(&o));
}

#[test]
fn table_output_cuts_wide_cells_and_names_csv_and_json_keep_them() {
    // A 70 000-character title, as an ingested description would be.
    let long = "d".repeat(70_000);
    let p = project(&long);
    let o = p.run(&["sql", "SELECT title, repeat('x', 70000) AS c FROM tickets"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    let row = table.lines().nth(2).unwrap();
    assert_eq!(
        row,
        format!(
            "{}… [+69500 chars] | {}… [+69500 chars]",
            "d".repeat(500),
            "x".repeat(500)
        )
    );
    let o = p.run(&["sql", "--format", "csv", "SELECT title FROM tickets"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("title\n{long}\n")
    );
    let o = p.run(&["sql", "--format", "json", "SELECT title FROM tickets"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["title"], long.as_str());

    let alias = "a".repeat(70_000);
    let q = format!("SELECT 1 AS {alias}");
    let o = p.run(&["sql", &q]);
    assert!(o.status.success(), "{}", stderr(&o));
    let header = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        header.lines().next().unwrap(),
        format!("{}… [+69500 chars]", "a".repeat(500))
    );
    let o = p.run(&["sql", "--format", "csv", &q]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{alias}\n1\n"));
}

#[test]
fn an_error_quoting_a_huge_literal_is_cut() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&["INC1,t,3 - Moderate,New,2026-01-05 10:00:00,,2026-01-05 10:00:00"]),
    );
    assert_eq!(
        p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()])
            .0,
        0
    );
    // An unknown column whose 100 000-character name the engine quotes back.
    let big = "y".repeat(100_000);
    let o = p.run(&["sql", &format!("SELECT nosuch{big} FROM (SELECT 1 AS a)")]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.len() < 2048, "{} bytes of error", err.len());
    assert!(err.contains("[cut,"), "{err}");
}
