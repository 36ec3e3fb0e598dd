//! Every command's stdout failing (issue 18, item 9): on a full disk (`/dev/full`) the
//! command exits 2 naming the write, never a panic and never a silent 0; on a closed pipe
//! it ends quietly with 0. Notes on a stderr that cannot be written are dropped, not a panic.

use std::process::{Output, Stdio};

use crate::support::*;

/// The sqllogictest fixture as a project, ingested, built and reported once, so every
/// command has something to print.
fn project() -> Project {
    let p = Project::new();
    p.copy_files(&fixture("../slt/fixture"));
    let o = p.run(&["run", "--period", "2026-10", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    p
}

/// Every command that prints, each way it prints (`sql` without a statement is the shell,
/// fed from stdin).
const COMMANDS: &[&[&str]] = &[
    &["dataset", "info"],
    &["dataset", "info", "--json"],
    &["ingest", "--source", "servicenow", "--replace", "itsm.csv"],
    &[
        "ingest",
        "--json",
        "--source",
        "servicenow",
        "--replace",
        "itsm.csv",
    ],
    &["build"],
    &["build", "--json"],
    &["report", "--period", "2026-10", "--out", "out"],
    &["report", "--period", "2026-10", "--out", "out", "--json"],
    &["run", "--period", "2026-10", "--out", "out"],
    &["run", "--period", "2026-10", "--out", "out", "--json"],
    &["rejects"],
    &["rejects", "--format", "csv"],
    &["rejects", "--format", "json"],
    &["sql", "SELECT * FROM tickets"],
    &["sql", "--format", "csv", "SELECT * FROM tickets"],
    &["sql", "--format", "json", "SELECT * FROM tickets"],
    &["sql"],
    &["query", "--list"],
    &["query", "mttr", "--period", "2026-10"],
    &["query", "mttr", "--show-sql"],
    &["problems"],
    &["sla-check"],
    &["check", "--period", "2026-10", "--min-attainment", "10"],
    &["--show-settings", "sql"],
    &["completions", "bash"],
    &["manpage"],
    &["generate", "--tickets", "20", "--out", "gen"],
    &["init", "--force", "fresh"],
];

/// What the shell reads: a statement, a backslash command, help.
const SHELL_INPUT: &[u8] = b"SELECT * FROM tickets;\n\\d\n\\?\n";

/// Run `args` with `stdout` as the child's stdout.
fn run_into(p: &Project, args: &[&str], stdout: Stdio) -> Output {
    let mut child = p
        .cmd()
        .args(args)
        .env("HOME", p.path(""))
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = std::io::Write::write_all(&mut stdin, SHELL_INPUT);
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn every_command_on_a_full_disk_exits_2_naming_the_write() {
    let p = project();
    let mut failed = Vec::new();
    for args in COMMANDS {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = run_into(&p, args, Stdio::from(full));
        let err = String::from_utf8_lossy(&o.stderr);
        if o.status.code() != Some(2)
            || !err.contains("writing the output: No space left on device")
            || err.contains("panicked")
        {
            failed.push(format!("{args:?}: {:?}: {err}", o.status.code()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn every_command_on_a_closed_pipe_ends_quietly() {
    let p = project();
    let mut failed = Vec::new();
    for args in COMMANDS {
        // The reading end is closed before the command starts, so its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = run_into(&p, args, Stdio::from(writer));
        let err = String::from_utf8_lossy(&o.stderr);
        if o.status.code() != Some(0) || err.contains("error") || err.contains("panicked") {
            failed.push(format!("{args:?}: {:?}: {err}", o.status.code()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[cfg(target_os = "linux")]
#[test]
fn notes_on_a_full_stderr_do_not_panic() {
    let p = project();
    for (args, code) in [
        // Prints its period note on stderr, then succeeds.
        (&["query", "mttr", "--period", "2026-10"][..], 0),
        // Cut at one row: the note on stderr says so.
        (&["sql", "--max-rows", "1", "SELECT * FROM tickets"][..], 0),
        // An error message itself.
        (&["sql", "SELEC"][..], 2),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = p
            .cmd()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(full))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(code), "{args:?}");
    }
}

#[test]
fn the_shell_keeps_its_history_in_home() {
    let p = project();
    let o = run_into(&p, &["sql"], Stdio::piped());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Statements end with `;`"));
    let history = std::fs::read_to_string(p.path(".ticketlake_history")).unwrap();
    assert_eq!(history, "SELECT * FROM tickets;\n\\d\n\\?\n");
    // A second session reads it back and appends.
    let o = run_into(&p, &["sql"], Stdio::piped());
    assert!(o.status.success());
    let history = std::fs::read_to_string(p.path(".ticketlake_history")).unwrap();
    assert_eq!(history.lines().count(), 6, "{history}");
}
