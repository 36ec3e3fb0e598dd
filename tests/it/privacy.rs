//! Masking and pseudonymisation (issue 18 item 14, promise 8): with `[privacy]`, no clear
//! name, e-mail address or phone number of the fixture reaches any file or output (the
//! dataset's Parquet files, the reports, `sql` and `rejects`), pseudonyms are stable per
//! key, redact mode redacts, report-time masking keeps the dataset clear, and a missing key
//! is a clear error.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{Project, cell};

const KEY_ENV: &str = "TICKETLAKE_PRIVACY_KEY";

/// A ServiceNow list export: two tickets with people, e-mails and phones in every masked
/// column, and a third rejected (bad `opened_at`) whose raw record holds an e-mail.
const EXPORT: &str = "\
number,short_description,description,priority,state,opened_at,resolved_at,closed_at,sys_updated_on,assignment_group,business_service,caller_id,assigned_to
INC0012345,\"Alice Martin cannot print, call +44 20 7946 0958\",\"Mail alice.martin@example.com or 06 12 34 56 78; see INC0012345, host 10.0.0.1 since 2026-01-05 10:00\",3 - Moderate,Closed,2026-10-05 10:00:00,2026-10-05 13:00:00,2026-10-06 12:00:00,2026-10-06 12:00:00,Service-Desk,Email,Alice Martin,Bob Stone
INC0012346,Bob Stone asked about the VPN,\"Ring (555) 123-4567, said Carol Diaz\",3 - Moderate,Closed,2026-10-07 10:00:00,2026-10-07 14:00:00,2026-10-08 12:00:00,2026-10-08 12:00:00,Service-Desk,Email,Carol Diaz,Bob Stone
INC0012347,Printer jam,\"From dave.rejected@example.org\",3 - Moderate,Closed,not-a-date,2026-10-07 14:00:00,2026-10-08 12:00:00,2026-10-08 12:00:00,Service-Desk,Email,Erin Quill,Bob Stone
";

/// Every clear value of [`EXPORT`] that must not survive masking.
const CLEAR: &[&str] = &[
    "Alice",
    "Martin",
    "alice.martin@example.com",
    "7946 0958",
    "06 12 34 56 78",
    "Bob Stone",
    "Stone",
    "Carol",
    "Diaz",
    "123-4567",
    "dave.rejected@example.org",
];

/// A project with [`EXPORT`], a 1 h P3 SLA (so both tickets breach and their titles are
/// listed in the report) and `privacy` appended to the config.
fn project(privacy: &str) -> Project {
    let p = Project::new();
    p.write("export.csv", EXPORT);
    p.write(
        "ticketlake.toml",
        format!(
            "[ingest]\ntimezone = \"UTC\"\nmax-reject-pct = 100\n\n\
             [sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"export.csv\"]\n\n\
             [[sla]]\nname = \"P3 resolution\"\nmetric = \"resolution\"\ntarget = \"1h\"\n\
             calendar = \"24x7\"\nwhen = {{ kind = [\"incident\"], priority = [3] }}\n\n{privacy}"
        ),
    );
    p
}

fn run(p: &Project, key: Option<&str>, args: &[&str]) -> Output {
    let mut c = p.cmd();
    c.env_remove(KEY_ENV);
    if let Some(k) = key {
        c.env(KEY_ENV, k);
    }
    c.args(args).output().expect("run ticketlake")
}

/// `run` the job; its stdout.
fn run_job(p: &Project, key: Option<&str>) -> String {
    let o = run(
        p,
        key,
        &["run", "--period", "2026-10", "--out", "out", "--json"],
    );
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The clear values found in `text`, named by `what`.
fn leaks(what: &str, text: &str) -> Vec<String> {
    CLEAR
        .iter()
        .filter(|c| text.contains(*c))
        .map(|c| format!("{what}: {c}"))
        .collect()
}

/// Every report file (HTML, CSV, JSON, SVG) and the stdout of `sql`/`rejects` after a run.
fn report_and_cli_leaks(p: &Project, key: Option<&str>, stdout: &str) -> Vec<String> {
    let mut found = leaks("run stdout", stdout);
    let reports = files_under(&p.path("out"));
    for ext in ["html", "csv", "json", "svg"] {
        assert!(
            reports
                .iter()
                .any(|f| f.extension().is_some_and(|e| e == ext)),
            "no .{ext} report written"
        );
    }
    for f in reports {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        found.extend(leaks(&f.display().to_string(), &text));
    }
    for args in [
        &["sql", "--format", "csv", "SELECT * FROM tickets"][..],
        &["sql", "--format", "csv", "SELECT * FROM rejects"],
        &["rejects", "--format", "json"],
        &["rejects"],
    ] {
        let o = run(p, key, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        found.extend(leaks(&args.join(" "), &String::from_utf8_lossy(&o.stdout)));
    }
    found
}

/// The dataset's Parquet files as bytes, and its tickets and rejects tables as text.
fn dataset_leaks(p: &Project) -> Vec<String> {
    let mut found = Vec::new();
    for f in files_under(&p.dataset()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        found.extend(leaks(&f.display().to_string(), &text));
    }
    for t in ["tickets", "rejects"] {
        found.extend(leaks(t, &format!("{:?}", p.table(t))));
    }
    found
}

#[test]
fn pseudonymised_at_ingest_no_clear_value_reaches_any_file_or_output() {
    let p = project("[privacy]\nmode = \"pseudonymise\"\n");
    let stdout = run_job(&p, Some("k1"));
    let tickets = p.table("tickets");
    assert_eq!(tickets.height(), 2);
    assert_eq!(p.table("rejects").height(), 1);
    let mut found = dataset_leaks(&p);
    found.extend(report_and_cli_leaks(&p, Some("k1"), &stdout));
    assert!(found.is_empty(), "clear values left: {found:#?}");

    // People are pseudonyms, the same person the same one in every column and text.
    let alice = cell(&tickets, "INC0012345", "requester").unwrap();
    let bob = cell(&tickets, "INC0012345", "assignee").unwrap();
    assert!(alice.starts_with("person-") && alice.len() == 19, "{alice}");
    assert_ne!(alice, bob);
    assert_eq!(cell(&tickets, "INC0012346", "assignee").unwrap(), bob);
    let title = cell(&tickets, "INC0012345", "title").unwrap();
    assert_eq!(title, format!("{alice} cannot print, call [phone]"));
    assert!(
        cell(&tickets, "INC0012346", "title")
            .unwrap()
            .starts_with(&bob)
    );
    // Ticket ids, dates, times and addresses survive the scrubbing.
    let description = cell(&tickets, "INC0012345", "description").unwrap();
    for kept in ["INC0012345", "2026-01-05 10:00", "10.0.0.1"] {
        assert!(description.contains(kept), "{kept} lost: {description}");
    }

    // The same key gives the same pseudonyms in another run; another key other ones.
    let again = project("[privacy]\n");
    run_job(&again, Some("k1"));
    assert_eq!(
        cell(&again.table("tickets"), "INC0012345", "requester").unwrap(),
        alice
    );
    let other = project("[privacy]\n");
    run_job(&other, Some("k2"));
    assert_ne!(
        cell(&other.table("tickets"), "INC0012345", "requester").unwrap(),
        alice
    );
}

#[test]
fn redact_mode_redacts_people_and_the_patterns() {
    let p = project("[privacy]\nmode = \"redact\"\nmask = [\"requester\", \"title\"]\n");
    // No key needed to redact.
    let stdout = run_job(&p, None);
    let t = p.table("tickets");
    assert_eq!(cell(&t, "INC0012345", "requester").unwrap(), "[redacted]");
    assert_eq!(
        cell(&t, "INC0012345", "title").unwrap(),
        "[redacted] cannot print, call [redacted]"
    );
    // Unmasked columns keep their text.
    assert_eq!(cell(&t, "INC0012345", "assignee").unwrap(), "Bob Stone");
    let raw = format!("{:?}", p.table("rejects"));
    assert!(!raw.contains("dave.rejected@example.org"), "{raw}");
    assert!(
        leaks("run stdout", &stdout)
            .iter()
            .all(|l| l.contains("Stone"))
    );
}

#[test]
fn masked_at_report_time_the_dataset_keeps_the_clear_text_and_the_reports_do_not() {
    // Without masking the report does show the clear text (so the check below means something).
    let clear = project("");
    let stdout = run_job(&clear, None);
    assert!(
        !report_and_cli_leaks(&clear, None, &stdout).is_empty(),
        "the fixture should put clear text in the reports"
    );

    let p = project("[privacy]\nat = \"report\"\nmode = \"pseudonymise\"\n");
    run_job(&p, Some("k1"));
    let t = p.table("tickets");
    assert_eq!(cell(&t, "INC0012345", "requester").unwrap(), "Alice Martin");
    let mut found = Vec::new();
    for f in files_under(&p.path("out")) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        found.extend(leaks(&f.display().to_string(), &text));
    }
    assert!(found.is_empty(), "clear values in the reports: {found:#?}");
    // The report shows the same pseudonym ingest-time masking would store.
    let csv = files_under(&p.path("out"))
        .into_iter()
        .find(|f| f.to_string_lossy().ends_with("top-breaches.csv"))
        .unwrap();
    assert!(std::fs::read_to_string(csv).unwrap().contains("person-"));
}

#[test]
fn pseudonymise_without_the_key_is_a_clear_error_and_settings_never_show_the_key() {
    let p = project("[privacy]\n");
    let o = run(
        &p,
        None,
        &["ingest", "--source", "servicenow", "export.csv"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(KEY_ENV) && err.contains("[privacy] mode"),
        "{err}"
    );
    assert_eq!(p.version(), 0, "nothing was committed");

    let o = run(&p, Some("s3cret-key"), &["run", "--show-settings"]);
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(shown.contains("privacy.key = \"set\""), "{shown}");
    assert!(shown.contains("privacy.mode = \"pseudonymise\""), "{shown}");
    assert!(shown.contains("privacy.at = \"ingest\""), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");

    let bad = project("[privacy]\nmask = [\"requestor\"]\n");
    let o = run(&bad, Some("k"), &["run"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[privacy] mask") && err.contains("requestor"),
        "{err}"
    );
}
