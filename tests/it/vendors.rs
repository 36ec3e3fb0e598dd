//! Jira Service Management and Zendesk adapters (issue 7): each fixture shape is tested for
//! counts, timestamps as UTC instants, status intervals and rejects, and the pause test: the
//! resolution SLA's business time excludes exactly the vendor's waiting intervals.

use serde_json::Value;

use crate::support::{Project, file0, fixture};

/// A 24x7 resolution SLA that pauses while on hold, for every incident.
const PAUSING_SLA: &str = "[[sla]]\nname = \"Resolution\"\nmetric = \"resolution\"\ntarget = \"8h\"\ncalendar = \"24x7\"\nwhen = { kind = [\"incident\"] }\npause-on = [\"on_hold\"]\n";

pub fn sql(p: &Project, q: &str) -> Vec<Value> {
    let o = p.run(&["sql", "--format", "json", q]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<Vec<Value>>(&o.stdout).unwrap()
}

/// The rows of a query as `a|b|c` lines (also used by other modules).
pub fn row(p: &Project, q: &str) -> Vec<String> {
    sql(p, q)
        .iter()
        .map(|r| {
            r.as_object()
                .unwrap()
                .values()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn jira_csv_keeps_repeated_columns_reads_locale_dates_and_rejects_the_bad_one() {
    let p = Project::new();
    let f = fixture("jira/issues.csv");
    let (code, v, err) = p.ingest_any(&[
        "--source",
        "jira",
        "--tz",
        "Europe/London",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let f0 = file0(&v);
    assert_eq!(
        (
            f0["records_read"].as_u64(),
            f0["loaded"].as_u64(),
            f0["rejected"].as_u64()
        ),
        (Some(5), Some(4), Some(1))
    );
    assert_eq!(f0["shape"], "jira/csv");
    let extra = f0["extra_columns"].to_string();
    assert!(
        extra.contains("\"Comment\"")
            && extra.contains("\"Comment (2)\"")
            && extra.contains("\"Watchers (2)\""),
        "{extra}"
    );
    let rejects = p.rejects();
    assert_eq!(rejects.len(), 1);
    assert_eq!(
        (rejects[0]["line"].as_u64(), rejects[0]["column"].as_str()),
        (Some(5), Some("opened_at"))
    );
    assert!(
        rejects[0]["message"]
            .as_str()
            .unwrap()
            .contains("yesterday")
    );
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, kind, priority, status, CAST(opened_at AS VARCHAR) o, CAST(resolved_at AS VARCHAR) r, service, assignment_group, vendor_sla_met FROM tickets ORDER BY ticket_id"
        ),
        vec![
            // 25/Feb/26 10:17 PM in London (GMT) is 22:17 UTC; "-1:30" left means breached.
            "ITSD-101|incident|2|resolved|2026-02-25T22:17:00Z|2026-02-26T09:00:00Z|VPN|Network-L2|false",
            "ITSD-102|request|3|closed|2026-03-02T09:00:00Z|2026-03-04T15:00:00Z|Laptops|Desktop|true",
            "ITSD-103|incident|4|on_hold|2026-03-10T11:45:00Z|null|Email|Messaging|null",
            "ITSD-105|problem|1|in_progress|2026-03-15T07:05:00Z|null|ERP|Applications|null",
        ]
    );
}

#[test]
fn jira_csv_with_ambiguous_dates_needs_a_declared_format() {
    let p = Project::new();
    let f = fixture("jira/ambiguous.csv");
    let (code, _, err) = p.ingest(&["--source", "jira", "--tz", "UTC", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("ambiguous.csv") && err.contains("03/04/26") && err.contains("--date-format"),
        "{err}"
    );
    let (code, _, err) = p.ingest(&[
        "--source",
        "jira",
        "--tz",
        "UTC",
        "--date-format",
        "%d/%m/%y %H:%M",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        row(&p, "SELECT CAST(min(opened_at) AS VARCHAR) FROM tickets"),
        vec!["2026-04-03T10:00:00Z"]
    );
}

#[test]
fn jira_json_changelog_becomes_intervals_and_waiting_for_customer_pauses_the_clock() {
    let p = Project::new();
    p.write("ticketlake.toml", PAUSING_SLA);
    let f = fixture("jira/search.json");
    // `--tz` is ignored: the JSON's timestamps carry their offsets.
    let (code, v, err) = p.ingest(&[
        "--source",
        "jira",
        "--tz",
        "Asia/Tokyo",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // ESD-7: its state at creation, 4 changes and its current state; ESD-8: current state.
    assert_eq!(file0(&v)["records_read"], 7);
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, status, source_status, CAST(from_ts AS VARCHAR) AS f, CAST(to_ts AS VARCHAR) AS t, derived FROM status_intervals ORDER BY ticket_id, from_ts"
        ),
        vec![
            "ESD-7|new|Open|2026-03-02T09:00:00Z|2026-03-02T10:00:00Z|false",
            "ESD-7|in_progress|In Progress|2026-03-02T10:00:00Z|2026-03-02T11:00:00Z|false",
            // 14:00+01:00 is 13:00 UTC.
            "ESD-7|on_hold|Waiting for customer|2026-03-02T11:00:00Z|2026-03-02T13:00:00Z|false",
            "ESD-7|in_progress|In Progress|2026-03-02T13:00:00Z|2026-03-02T17:00:00Z|false",
            "ESD-7|resolved|Resolved|2026-03-02T17:00:00Z|null|false",
            "ESD-8|new|null|2026-03-03T08:30:00Z|null|true",
        ]
    );
    // 8 h from open to resolved, 2 h waiting for the customer: 6 h of business time.
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, elapsed_s, business_elapsed_s, paused_s, state FROM sla"
        ),
        vec!["ESD-7|28800|21600|7200|met"]
    );
    assert_eq!(
        row(
            &p,
            "SELECT description FROM tickets WHERE ticket_id = 'ESD-7'"
        ),
        vec!["Outbound mail queues for 20 minutes."]
    );
    // The JSM SLA field says not breached; ticketlake agrees.
    let o = p.run(&["sla-check", "--format", "json"]);
    let c: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (c["compared"].as_u64(), c["agreement_rate"].as_f64()),
        (Some(1), Some(1.0)),
        "{c}"
    );
}

#[test]
fn zendesk_tickets_with_audits_pages_deleted_tickets_and_a_weekend_in_pending() {
    let p = Project::new();
    p.write("ticketlake.toml", PAUSING_SLA);
    let (t, a) = (
        fixture("zendesk/tickets.json"),
        fixture("zendesk/audits.json"),
    );
    let (code, v, err) = p.ingest_any(&[
        "--source",
        "zendesk",
        t.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let files = v["files"].as_array().unwrap();
    // 501's first page copy (1), 502 (1), 503 (1), 501's latest copy: state at creation,
    // 4 status changes and its current state (6).
    assert_eq!(
        (
            files[0]["records_read"].as_u64(),
            files[0]["loaded"].as_u64()
        ),
        (Some(9), Some(9))
    );
    assert_eq!(files[1]["shape"], "zendesk/audits-json");
    assert_eq!(
        (
            files[1]["records_read"].as_u64(),
            files[1]["loaded"].as_u64(),
            files[1]["rejected"].as_u64()
        ),
        (Some(6), Some(5), Some(1))
    );
    let rejects = p.rejects();
    assert_eq!(rejects[0]["error_type"], "orphan_audit");
    assert!(rejects[0]["message"].as_str().unwrap().contains("`999`"));
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, kind, priority, status, source_status, CAST(resolved_at AS VARCHAR) AS r, assignment_group, requester FROM tickets ORDER BY ticket_id"
        ),
        vec![
            "501|incident|2|resolved|solved|2026-03-09T11:00:00Z|Network Support|Acme Ltd",
            "502|request|4|resolved|solved|2026-03-04T12:00:00Z|Billing|Globex",
            // Deleted tickets stay, marked.
            "503|request|null|cancelled|deleted|null|null|null",
        ]
    );
    assert_eq!(
        row(
            &p,
            "SELECT status, CAST(from_ts AS VARCHAR) AS f, CAST(to_ts AS VARCHAR) AS t FROM status_intervals WHERE ticket_id = '501' ORDER BY from_ts"
        ),
        vec![
            "new|2026-03-06T16:00:00Z|2026-03-06T16:30:00Z",
            "in_progress|2026-03-06T16:30:00Z|2026-03-06T17:00:00Z",
            "on_hold|2026-03-06T17:00:00Z|2026-03-09T09:00:00Z",
            "in_progress|2026-03-09T09:00:00Z|2026-03-09T11:00:00Z",
            "resolved|2026-03-09T11:00:00Z|null",
        ]
    );
    let metrics: Value =
        serde_json::from_str(&row(&p, "SELECT vendor_sla FROM tickets WHERE ticket_id = '501'")[0])
            .unwrap();
    assert_eq!(
        metrics["full_resolution_time_in_minutes"]["business"], 240,
        "the metric set is kept"
    );
    // Friday 16:00 to Monday 11:00 is 67 h; 64 h of it pending over the weekend: 3 h count.
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, elapsed_s, business_elapsed_s, paused_s, state FROM sla ORDER BY ticket_id"
        ),
        vec!["501|241200|10800|230400|met"]
    );
}

#[test]
fn servicenow_sys_audit_replaces_derived_intervals_and_rejects_orphans() {
    let p = Project::new();
    p.write("ticketlake.toml", PAUSING_SLA);
    let (i, a) = (
        fixture("servicenow-audit/incident.csv"),
        fixture("servicenow-audit/sys_audit.csv"),
    );
    let (code, v, err) = p.ingest_any(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        i.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files[0]["shape"], "servicenow/list-csv+sys-audit");
    // 2 incidents, plus one snapshot per state change of INC0010001 (5).
    assert_eq!(
        (
            files[0]["records_read"].as_u64(),
            files[0]["loaded"].as_u64()
        ),
        (Some(7), Some(7))
    );
    assert_eq!(files[1]["shape"], "servicenow/sys-audit");
    assert_eq!(
        (
            files[1]["records_read"].as_u64(),
            files[1]["loaded"].as_u64(),
            files[1]["rejected"].as_u64()
        ),
        (Some(7), Some(6), Some(1))
    );
    let rejects = p.rejects();
    assert_eq!(
        (
            rejects[0]["error_type"].as_str(),
            rejects[0]["line"].as_u64()
        ),
        (Some("orphan_audit"), Some(8))
    );
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, status, CAST(from_ts AS VARCHAR) AS f, CAST(to_ts AS VARCHAR) AS t, derived FROM status_intervals ORDER BY ticket_id, from_ts"
        ),
        vec![
            "INC0010001|new|2026-03-06T16:00:00Z|2026-03-06T16:30:00Z|false",
            "INC0010001|in_progress|2026-03-06T16:30:00Z|2026-03-06T17:00:00Z|false",
            "INC0010001|on_hold|2026-03-06T17:00:00Z|2026-03-09T09:00:00Z|false",
            "INC0010001|in_progress|2026-03-09T09:00:00Z|2026-03-09T11:00:00Z|false",
            "INC0010001|resolved|2026-03-09T11:00:00Z|null|false",
            // No audit rows: intervals derived from its timestamps, as before.
            "INC0010002|in_progress|2026-03-10T09:00:00Z|null|true",
        ]
    );
    assert_eq!(
        row(
            &p,
            "SELECT ticket_id, business_elapsed_s, paused_s FROM sla WHERE ticket_id = 'INC0010001'"
        ),
        vec!["INC0010001|10800|230400"]
    );
}

#[test]
fn config_overrides_jira_statuses_and_sla_check_agrees_with_the_jsm_verdicts() {
    let p = Project::new();
    p.write(
        "exports/issues.csv",
        std::fs::read(fixture("jira/issues.csv")).unwrap(),
    );
    p.write(
        "ticketlake.toml",
        "[ingest]\nmax-reject-pct = 100\n[[sources]]\nname = \"eng\"\nadapter = \"jira\"\ntimezone = \"Europe/London\"\nfiles = [\"exports/issues.csv\"]\n\
         statuses = { \"Waiting for customer\" = \"in_progress\" }\n\
         [[sla]]\nname = \"P2 incidents\"\nmetric = \"resolution\"\ntarget = \"8h\"\nwhen = { kind = [\"incident\"], priority = [2] }\n\
         [[sla]]\nname = \"Requests\"\nmetric = \"resolution\"\ntarget = \"72h\"\nwhen = { kind = [\"request\"] }\n",
    );
    let o = p.run(&["run", "--period", "2026-03", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // This team's "Waiting for customer" does not stop the clock.
    assert_eq!(
        row(
            &p,
            "SELECT status FROM tickets WHERE ticket_id = 'ITSD-103'"
        ),
        vec!["in_progress"]
    );
    // ITSD-101 took 10 h 43 min against 8 h (JSM: "-1:30", breached); ITSD-102 took 54 h
    // against 72 h (JSM: "12:00" left, met).
    let o = p.run(&["sla-check", "--format", "json"]);
    let c: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (c["compared"].as_u64(), c["agreement_rate"].as_f64()),
        (Some(2), Some(1.0)),
        "{c}"
    );
    // A status that is not canonical is refused with the key named.
    let cfg = std::fs::read_to_string(p.path("ticketlake.toml")).unwrap();
    p.write(
        "ticketlake.toml",
        cfg.replace("= \"in_progress\" }", "= \"paused\" }"),
    );
    let o = p.run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("[sources.eng] statuses") && err.contains("paused"),
        "{err}"
    );
}

#[test]
fn vendor_exports_ingested_twice_change_nothing() {
    let p = Project::new();
    let args = |p: &Project| {
        let (t, a) = (
            fixture("zendesk/tickets.json"),
            fixture("zendesk/audits.json"),
        );
        p.ingest_any(&[
            "--source",
            "zendesk",
            t.to_str().unwrap(),
            a.to_str().unwrap(),
        ])
    };
    assert_eq!(args(&p).0, 0);
    let before = (p.version(), p.table("tickets"), p.table("status_intervals"));
    let (code, v, _) = args(&p);
    assert_eq!(code, 0);
    assert_eq!(v["committed"], false);
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["outcome"] == "duplicate")
    );
    assert_eq!(p.version(), before.0);
    assert!(p.table("tickets").equals_missing(&before.1));
    assert!(p.table("status_intervals").equals_missing(&before.2));
}
