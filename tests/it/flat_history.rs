//! Flat history exports (issue 17, item 6): a history file read through a mapping with
//! `kind = "history"`, given in the same ingest as its tickets, becomes their recorded
//! status intervals, their reopen counts, and the pauses of their SLA clocks.

use serde_json::Value;

use crate::support::Project;
use crate::vendors::row;

/// A resolution SLA on the 24x7 calendar that pauses on `on_hold`.
const PAUSING_SLA: &str = "[[sla]]\nname = \"Resolution\"\nmetric = \"resolution\"\ntarget = \"8h\"\ncalendar = \"24x7\"\nwhen = { kind = [\"incident\"] }\npause-on = [\"on_hold\"]\n";

/// The tickets of a Jira-like export (UTC times), through a generic mapping.
const TICKETS_TOML: &str = r#"source = "jsm"
kind = "incident"
timezone = "UTC"
timestamp-formats = ["%Y-%m-%d %H:%M:%S"]
[columns]
ticket_id = "key"
title = "summary"
status = "status"
opened_at = "created"
resolved_at = "resolved"
updated_at = "updated"
reopen_count = "reopens"
[values.status]
"open" = "new"
"in progress" = "in_progress"
"waiting for customer" = "on_hold"
"done" = "closed"
"#;

const TICKETS_CSV: &str = "key,summary,status,created,resolved,updated,reopens
ITSD-1,Printer jammed,Done,2024-03-01 09:00:00,2024-03-01 16:00:00,2024-03-01 16:00:00,
ITSD-2,VPN down,In Progress,2024-03-02 09:00:00,,2024-03-02 09:30:00,
ITSD-3,Mail bounced,Done,2024-03-04 09:00:00,2024-03-04 15:00:00,2024-03-04 15:00:00,
ITSD-4,Laptop slow,Done,2024-03-05 09:00:00,2024-03-05 15:00:00,2024-03-05 15:00:00,5
";

/// A flattened Jira changelog: `key, created, field, from, to`, ISO times with offsets.
const CHANGELOG_TOML: &str = r#"kind = "history"
timestamp-formats = ["%Y-%m-%dT%H:%M:%S%.f%z"]
status-field = "status"
[columns]
ticket_id = "key"
changed_at = "created"
field = "field"
from = "from"
to = "to"
[values.status]
"open" = "new"
"in progress" = "in_progress"
"waiting for customer" = "on_hold"
"resolved" = "resolved"
"done" = "closed"
"#;

const CHANGELOG_CSV: &str = "key,created,field,from,to
ITSD-1,2024-03-01T11:00:00.000+0100,assignee,,Alice
ITSD-1,2024-03-01T11:00:00.000+0100,status,Open,In Progress
ITSD-1,2024-03-01T12:00:00.000+0100,Status,In Progress,Waiting for customer
ITSD-1,2024-03-01T14:00:00.000+0100,status,Waiting for customer,In Progress
ITSD-1,2024-03-01T15:00:00.000+0100,priority,Low,High
ITSD-1,2024-03-01T17:00:00.000+0100,status,In Progress,Done
ITSD-9,2024-03-01T12:00:00.000+0100,status,Open,In Progress
ITSD-3,2024-03-04T11:00:00.000+0100,status,Open,In Progress
ITSD-3,2024-03-04T12:00:00.000+0100,status,In Progress,Resolved
ITSD-3,2024-03-04T13:00:00.000+0100,status,Resolved,In Progress
ITSD-3,2024-03-04T15:00:00.000+0100,status,In Progress,Resolved
ITSD-3,2024-03-04T16:00:00.000+0100,status,Resolved,Done
ITSD-4,2024-03-05T11:00:00.000+0100,status,Open,Done
ITSD-4,2024-03-05T12:00:00.000+0100,status,Done,In Progress
ITSD-4,2024-03-05T16:00:00.000+0100,status,In Progress,Done
";

/// The Jira-like project: config with the pausing SLA, tickets and changelog with their
/// mappings; returns the ingest's (exit code, JSON, stderr).
fn ingest_changelog(p: &Project) -> (i32, Value, String) {
    p.write("ticketlake.toml", PAUSING_SLA);
    p.write("tickets.toml", TICKETS_TOML);
    p.write("tickets.csv", TICKETS_CSV);
    p.write("changelog.toml", CHANGELOG_TOML);
    p.write("changelog.csv", CHANGELOG_CSV);
    p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        "tickets.toml",
        // The orphan below is one reject among 19 records, whatever the default limit.
        "--max-reject-pct",
        "100",
        "--history",
        "changelog.csv",
        "--history-mapping",
        "changelog.toml",
        "tickets.csv",
    ])
}

#[test]
fn flat_changelog_gives_recorded_intervals_and_pauses_the_sla_clock() {
    let p = Project::new();
    let (code, _, err) = ingest_changelog(&p);
    assert_eq!(code, 0, "{err}");
    // ITSD-1: its state at creation (the first change's `from`), each status change with its
    // offset made UTC, the exported state merged into the last; other fields left out.
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, status, source_status, CAST(from_ts AS VARCHAR) AS f, CAST(to_ts AS VARCHAR) AS t, derived \
             FROM status_intervals WHERE ticket_id IN ('ITSD-1', 'ITSD-2') ORDER BY ticket_id, from_ts"
        ),
        vec![
            "ITSD-1|new|Open|2024-03-01T09:00:00Z|2024-03-01T10:00:00Z|false",
            "ITSD-1|in_progress|In Progress|2024-03-01T10:00:00Z|2024-03-01T11:00:00Z|false",
            "ITSD-1|on_hold|Waiting for customer|2024-03-01T11:00:00Z|2024-03-01T13:00:00Z|false",
            "ITSD-1|in_progress|In Progress|2024-03-01T13:00:00Z|2024-03-01T16:00:00Z|false",
            "ITSD-1|closed|Done|2024-03-01T16:00:00Z|null|false",
            // No history: derived from its timestamps, as before.
            "ITSD-2|in_progress|null|2024-03-02T09:00:00Z|null|true",
        ]
    );
    // Opened 09:00, resolved 16:00 (7 h), on hold 11:00-13:00: 5 h on the clock.
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, elapsed_s, business_elapsed_s, paused_s, state FROM sla WHERE ticket_id = 'ITSD-1'"
        ),
        vec!["ITSD-1|25200|18000|7200|met"]
    );
}

#[test]
fn orphan_history_rows_are_rejects_with_their_line_and_rows_are_conserved() {
    let p = Project::new();
    let (code, v, err) = ingest_changelog(&p);
    assert_eq!(code, 0, "{err}");
    let history = &v["files"][1];
    assert_eq!(history["path"], "changelog.csv");
    assert_eq!(history["shape"], "generic/history-csv");
    // 15 rows: 12 status changes used, 2 of other fields skipped, 1 orphan rejected.
    let n = |k: &str| history[k].as_u64();
    assert_eq!(
        (n("records_read"), n("loaded"), n("skipped"), n("rejected")),
        (Some(15), Some(12), Some(2), Some(1)),
        "{history}"
    );
    assert_eq!(v["skipped"], 2);
    let rejects = p.rejects();
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    let r = &rejects[0];
    assert_eq!(
        (
            r["source_file"].as_str(),
            r["line"].as_u64(),
            r["column"].as_str(),
            r["error_type"].as_str()
        ),
        (
            Some("changelog.csv"),
            Some(8),
            Some("key"),
            Some("orphan_history")
        ),
        "{r}"
    );
    assert!(r["message"].as_str().unwrap().contains("ITSD-9"), "{r}");
    // The manifest keeps the same accounting.
    let m = ticketlake::dataset::manifest::current(&p.location()).unwrap();
    let f = &m.ingests[0].files[1];
    assert_eq!(
        (f.records_read, f.loaded, f.skipped, f.rejected),
        (15, 12, 2, 1)
    );
    // And the text output says so.
    let o = p.run(&["dataset", "info"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("history: read 15 loaded 12 skipped 2 rejected 1"),
        "{out}"
    );
    // Ingesting the same files again changes nothing: both are duplicates.
    let (code, again, err) = ingest_changelog(&p);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again["committed"], false, "{again}");
    assert_eq!(p.rejects().len(), 1);
}

#[test]
fn reopen_count_comes_from_history_when_the_export_has_none() {
    let p = Project::new();
    let (code, _, err) = ingest_changelog(&p);
    assert_eq!(code, 0, "{err}");
    // ITSD-1 never went back from done; ITSD-3 went from resolved back to in progress once;
    // ITSD-2 has no history (and no exported count); ITSD-4's export says 5, which stands.
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, reopen_count FROM tickets ORDER BY ticket_id"
        ),
        vec!["ITSD-1|0", "ITSD-2|null", "ITSD-3|1", "ITSD-4|5"]
    );
    // The SLA engine sees the reopen too: the time spent resolved (11:00-12:00 UTC) is paused.
    assert_eq!(
        row(
            &p,
            "SELECT elapsed_s, paused_s FROM sla WHERE ticket_id = 'ITSD-3'"
        ),
        vec!["21600|3600"]
    );
}

#[test]
fn activity_log_shape_reads_local_times_and_skips_notes() {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        format!(
            "{PAUSING_SLA}[ingest]\nmax-reject-pct = 100\n[sources.bank]\nadapter = \"generic\"\nmapping = \"incidents.toml\"\nfiles = [\"incidents.csv\"]\n\
             history = [\"activity-*.csv\"]\nhistory-mapping = \"activity.toml\"\n"
        ),
    );
    p.write(
        "incidents.toml",
        "source = \"itil\"\nkind = \"incident\"\ntimezone = \"Europe/Amsterdam\"\ntimestamp-formats = [\"%d/%m/%Y %H:%M:%S\"]\n\
         [columns]\nticket_id = \"incident_id\"\nopened_at = \"open_time\"\nresolved_at = \"close_time\"\n",
    );
    p.write(
        "incidents.csv",
        "incident_id,open_time,close_time\nIM0001,01/03/2024 10:00:00,01/03/2024 16:00:00\n",
    );
    // An activity log: the status after each row; notes are not status changes.
    p.write(
        "activity.toml",
        "kind = \"history\"\ntimezone = \"Europe/Amsterdam\"\ntimestamp-formats = [\"%d/%m/%Y %H:%M:%S\"]\nskip-values = [\"Note added\"]\n\
         [columns]\nticket_id = \"incident_id\"\nchanged_at = \"datestamp\"\nstatus = \"activity\"\n\
         [values.status]\n\"Open\" = \"new\"\n\"Pending vendor\" = \"on_hold\"\n\"Work in progress\" = \"in_progress\"\n\"Closed\" = \"closed\"\n",
    );
    p.write(
        "activity-1.csv",
        "incident_id,datestamp,activity\n\
         IM0001,01/03/2024 10:00:00,Open\n\
         IM0001,01/03/2024 10:30:00,Note added\n\
         IM0001,01/03/2024 11:00:00,Pending vendor\n\
         IM0001,01/03/2024 15:00:00,Work in progress\n\
         IM0001,01/03/2024 16:00:00,Closed\n\
         IM0001,31/03/2024 02:30:00,Closed\n\
         IM0001,01/03/2024 16:30:00,Frobnicated\n",
    );
    let o = p.run(&["run", "--period", "2024-03", "--out", "out", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    let history = &v["sources"][0]["ingest"]["files"][1];
    let n = |k: &str| history[k].as_u64();
    // 7 rows: 4 used, the note skipped, a time in the DST gap and an unknown activity rejected.
    assert_eq!(
        (n("records_read"), n("loaded"), n("skipped"), n("rejected")),
        (Some(7), Some(4), Some(1), Some(2)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The data-quality report counts the skipped rows too.
    let dq = std::path::Path::new(v["data_quality"].as_str().unwrap()).with_extension("json");
    let dq: Value = serde_json::from_slice(&std::fs::read(p.path("").join(dq)).unwrap()).unwrap();
    assert_eq!(
        (dq["records_read"].as_u64(), dq["skipped"].as_u64()),
        (Some(8), Some(1))
    );
    let rejects: Vec<(Option<u64>, String)> = p
        .rejects()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64(),
                r["error_type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejects,
        vec![
            (Some(7), "dst_nonexistent".to_string()),
            (Some(8), "unknown_value".to_string())
        ]
    );
    // Amsterdam is UTC+1 in March: no `from`, so the history starts at its first row.
    assert_eq!(
        row(
            &p,
            "SELECT status, CAST(from_ts AS VARCHAR) AS f, CAST(to_ts AS VARCHAR) AS t, derived FROM status_intervals ORDER BY from_ts"
        ),
        vec![
            "new|2024-03-01T09:00:00Z|2024-03-01T10:00:00Z|false",
            "on_hold|2024-03-01T10:00:00Z|2024-03-01T14:00:00Z|false",
            "in_progress|2024-03-01T14:00:00Z|2024-03-01T15:00:00Z|false",
            "closed|2024-03-01T15:00:00Z|null|false",
        ]
    );
    // 6 h open, 4 h pending the vendor: 2 h on the clock.
    assert_eq!(
        row(
            &p,
            "SELECT elapsed_s, business_elapsed_s, paused_s FROM sla"
        ),
        vec!["21600|7200|14400"]
    );
}

#[test]
fn history_mappings_are_checked_before_anything_is_read() {
    let p = Project::new();
    p.write("tickets.toml", TICKETS_TOML);
    p.write("tickets.csv", TICKETS_CSV);
    p.write("changelog.toml", CHANGELOG_TOML);
    p.write("changelog.csv", CHANGELOG_CSV);
    let ingest = |mapping: &str, history_mapping: &str| {
        p.ingest(&[
            "--source",
            "generic",
            "--mapping",
            mapping,
            "--history",
            "changelog.csv",
            "--history-mapping",
            history_mapping,
            "tickets.csv",
        ])
    };
    // The two mappings swapped: each names the other flag.
    let (code, _, err) = ingest("changelog.toml", "tickets.toml");
    assert_eq!(code, 2);
    assert!(
        err.contains("changelog.toml") && err.contains("--history-mapping"),
        "{err}"
    );
    let (code, _, err) = ingest("tickets.toml", "tickets.toml");
    assert_eq!(code, 2);
    assert!(err.contains("kind = \"history\""), "{err}");
    // A history mapping with both shapes is refused with the key named.
    p.write(
        "both.toml",
        CHANGELOG_TOML.replace("to = \"to\"", "to = \"to\"\nstatus = \"to\""),
    );
    let (code, _, err) = ingest("tickets.toml", "both.toml");
    assert_eq!(code, 2);
    assert!(
        err.contains("both.toml") && err.contains("not both"),
        "{err}"
    );
    // --history needs its mapping.
    let o = p.run(&[
        "ingest",
        "--source",
        "generic",
        "--mapping",
        "tickets.toml",
        "--history",
        "changelog.csv",
        "tickets.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--history-mapping"));
    // Nothing was committed by any of these.
    assert_eq!(p.version(), 0);
    // A source with history files and no mapping for them names the key.
    p.write(
        "ticketlake.toml",
        "[sources.jsm]\nadapter = \"generic\"\nmapping = \"tickets.toml\"\nfiles = [\"tickets.csv\"]\nhistory = [\"changelog.csv\"]\n",
    );
    let o = p.run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("[sources.jsm] history"), "{err}");
}
