//! Each ServiceNow shape, recognised without being named, and the generic mapping adapter:
//! real-shaped insight-bench exports and generated ones checked against their truth.

use serde_json::Value;

use crate::support::*;

fn truth(dir: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

fn count(df: &polars::prelude::DataFrame, col: &str, value: &str) -> usize {
    strings(df, col)
        .iter()
        .filter(|v| v.as_deref() == Some(value))
        .count()
}

/// Every finished (resolved or closed) row carries `flag` and no other row does; finished
/// rows have a `resolved_at` exactly when `imputed`. Returns the finished rows.
fn finished_rows_flagged(t: &polars::prelude::DataFrame, flag: &str, imputed: bool) -> usize {
    let (flags, status, resolved) = (
        strings(t, "dq_flags"),
        strings(t, "status"),
        strings(t, "resolved_at"),
    );
    let mut done = 0;
    for i in 0..t.height() {
        let finished = matches!(status[i].as_deref(), Some("resolved" | "closed"));
        let flagged = flags[i].as_deref().unwrap_or("").contains(flag);
        assert_eq!(finished, flagged, "row {i}");
        assert_eq!(finished && imputed, resolved[i].is_some(), "row {i}");
        done += usize::from(finished);
    }
    done
}

#[test]
fn insight_bench_list_exports_load_with_nanosecond_fractions_and_flags() {
    let p = Project::new();
    let a = fixture("insight-bench/flag-1.csv");
    let b = fixture("insight-bench/flag-2.csv");
    let (code, v, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for f in v["files"].as_array().unwrap() {
        assert_eq!(f["shape"], "servicenow/list-csv");
        assert_eq!(
            (f["records_read"].as_u64(), f["rejected"].as_u64()),
            (Some(500), Some(0)),
            "{f}"
        );
    }
    let t = p.table("tickets");
    // Both files number their incidents from INC0000000000, so the second file's newer
    // versions win ticket by ticket: superseded rows are counted, never lost.
    let superseded: u64 = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["superseded"].as_u64().unwrap())
        .sum();
    assert_eq!(t.height() as u64 + superseded, 1000);
    assert_eq!(count(&t, "kind", "incident"), t.height());
    // Closed tickets without resolved_at keep it empty, and say so (no imputation by
    // default: the exports have closed_at only).
    let done = finished_rows_flagged(&t, "closed_without_resolution", false);
    assert!(done > 0 && done < t.height(), "flag-2 has open tickets too");
    // Asked for, they take closed_at, and say so.
    let q = Project::new();
    let (code, _, err) = q.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--resolved-from-closed",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let imputed = q.table("tickets");
    assert!(finished_rows_flagged(&imputed, "resolved_at_from_closed_at", true) > 0);
    // `2 - High` maps to 2 and keeps its label.
    let (p2, lbl) = (strings(&t, "priority"), strings(&t, "priority_label"));
    let i = lbl
        .iter()
        .position(|l| l.as_deref() == Some("2 - High"))
        .unwrap();
    assert_eq!(p2[i].as_deref(), Some("2"));
}

#[test]
fn generated_list_csv_loads_every_kind_with_truthful_counts() {
    let p = Project::new();
    let dir = p.generate("servicenow-csv", "servicenow-csv", 3000, 11);
    let files: Vec<String> = ["incident", "sc_req_item", "change_request", "problem"]
        .iter()
        .map(|f| dir.join(format!("{f}.csv")).display().to_string())
        .collect();
    let mut args = vec!["--source", "servicenow", "--tz", "Europe/London"];
    args.extend(files.iter().map(String::as_str));
    let (code, v, err) = p.ingest(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["rejected"], 0, "{v}");
    let t = p.table("tickets");
    let truth = truth(&dir);
    for kind in ["incident", "request", "change", "problem"] {
        assert_eq!(
            count(&t, "kind", kind) as u64,
            truth["kinds"][kind].as_u64().unwrap(),
            "{kind}"
        );
    }
    assert_eq!(
        count(&t, "close_code", "Unsuccessful") as u64,
        truth["failed_changes"].as_u64().unwrap()
    );
    let caused = strings(&t, "caused_by_change")
        .iter()
        .filter(|c| c.is_some())
        .count() as u64;
    assert_eq!(
        caused,
        truth["incidents_caused_by_change"].as_u64().unwrap()
    );
    // Every injected recurring incident sits on its CI.
    for r in truth["recurring"].as_array().unwrap() {
        for id in r["incidents"].as_array().unwrap() {
            assert_eq!(
                cell(&t, id.as_str().unwrap(), "config_item").as_deref(),
                r["config_item"].as_str()
            );
        }
    }
    // Status intervals exist for every ticket and are marked derived.
    let si = p.table("status_intervals");
    assert!(si.height() >= t.height());
    assert!(
        strings(&si, "derived")
            .iter()
            .all(|d| d.as_deref() == Some("true"))
    );
}

#[test]
fn generated_table_api_json_translates_state_codes_and_reference_fields() {
    let p = Project::new();
    let dir = p.generate("servicenow-json", "servicenow-json", 1500, 12);
    let csv = p.generate("servicenow-csv", "servicenow-csv", 1500, 12);
    let j = dir.join("incident.json");
    let (code, v, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "Europe/London",
        j.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["files"][0]["shape"], "servicenow/table-json");
    assert_eq!(v["rejected"], 0);
    // The same seed as CSV gives the same tickets: JSON and CSV must agree field by field.
    let q = Project::new();
    let c = csv.join("incident.csv");
    assert_eq!(
        q.ingest(&[
            "--source",
            "servicenow",
            "--tz",
            "Europe/London",
            c.to_str().unwrap()
        ])
        .0,
        0
    );
    let (a, b) = (p.table("tickets"), q.table("tickets"));
    for col in [
        "ticket_id",
        "status",
        "priority",
        "assignment_group",
        "config_item",
        "opened_at",
        "resolved_at",
        "reassignment_count",
    ] {
        assert_eq!(strings(&a, col), strings(&b, col), "{col}");
    }
}

#[test]
fn event_log_keeps_latest_update_per_ticket_and_builds_history_intervals() {
    let p = Project::new();
    let dir = p.generate("servicenow-eventlog", "servicenow-eventlog", 800, 13);
    let f = dir.join("incident_event_log.csv");
    let (code, v, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "Europe/London",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let f0 = file0(&v);
    assert_eq!(f0["shape"], "servicenow/event-log");
    let t = p.table("tickets");
    let incidents = truth(&dir)["kinds"]["incident"].as_u64().unwrap();
    assert_eq!(t.height() as u64, incidents);
    assert_eq!(
        f0["loaded"].as_u64().unwrap() - f0["superseded"].as_u64().unwrap(),
        incidents
    );
    let si = p.table("status_intervals");
    assert!(
        strings(&si, "derived")
            .iter()
            .all(|d| d.as_deref() == Some("false"))
    );
    assert!(
        count(&si, "status", "on_hold") > 0,
        "awaiting states become on_hold intervals"
    );
    // The public event log's own date shape, with `?` as null.
    let q = Project::new();
    let ev = q.write(
        "ev.csv",
        "number,incident_state,sys_mod_count,opened_at,sys_updated_at,priority,resolved_at\n\
         INC1,New,0,29/2/2016 01:16,29/2/2016 01:16,3 - Moderate,?\n\
         INC1,Awaiting User Info,1,29/2/2016 01:16,29/2/2016 09:00,3 - Moderate,?\n\
         INC1,Resolved,2,29/2/2016 01:16,1/3/2016 9:05,3 - Moderate,1/3/2016 9:05\n",
    );
    let (code, v, _) = q.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        ev.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        (
            file0(&v)["loaded"].as_u64(),
            file0(&v)["superseded"].as_u64()
        ),
        (Some(3), Some(2))
    );
    let t = q.table("tickets");
    assert_eq!(cell(&t, "INC1", "status").as_deref(), Some("resolved"));
    assert_eq!(
        cell(&t, "INC1", "resolved_at").as_deref(),
        Some("2016-03-01 09:05:00 UTC")
    );
    let si = q.table("status_intervals");
    assert_eq!(
        strings(&si, "status"),
        vec![
            Some("new".into()),
            Some("on_hold".into()),
            Some("resolved".into())
        ]
    );
}

#[test]
fn generic_mapping_reads_semicolons_windows_1252_nulls_and_value_maps() {
    let p = Project::new();
    let (m, f) = (fixture("generic/glpi.toml"), fixture("generic/glpi.csv"));
    let (code, v, err) = p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        m.to_str().unwrap(),
        // One of four records is a reject on purpose: over the 5 % default.
        "--max-reject-pct",
        "50",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let f0 = file0(&v);
    assert_eq!(
        (f0["loaded"].as_u64(), f0["rejected"].as_u64()),
        (Some(3), Some(1)),
        "{v}"
    );
    let t = p.table("tickets");
    assert_eq!(cell(&t, "101", "source").as_deref(), Some("glpi"));
    assert_eq!(
        cell(&t, "101", "title").as_deref(),
        Some("Imprimante bloquée")
    );
    assert_eq!(cell(&t, "101", "priority").as_deref(), Some("2"));
    // 09:15 in Paris in March (CET) is 08:15 UTC.
    assert_eq!(
        cell(&t, "101", "opened_at").as_deref(),
        Some("2026-03-02 08:15:00 UTC")
    );
    assert_eq!(cell(&t, "102", "status").as_deref(), Some("in_progress"));
    assert_eq!(cell(&t, "102", "resolved_at"), None);
    assert_eq!(cell(&t, "103", "kind").as_deref(), Some("request"));
    // 2026-03-29 02:30 does not exist in Paris.
    let r = p.rejects();
    assert_eq!(
        (r[0]["error_type"].as_str(), r[0]["line"].as_u64()),
        (Some("dst_nonexistent"), Some(5))
    );
}

#[test]
fn generic_mapping_errors_name_the_key() {
    let p = Project::new();
    let m = p.write("bad.toml", "source = \"x\"\ntimezone = \"Mars/Olympus\"\ntimestamp-formats = [\"%Y\"]\n[columns]\nticket_id = \"id\"\nopened_at = \"at\"\n");
    let f = p.write("a.csv", "id,at\n1,2026\n");
    let (code, _, err) = p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        m.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml") && err.contains("timezone") && err.contains("Mars/Olympus"),
        "{err}"
    );
    let m = p.write("typo.toml", "source = \"x\"\ntimestamp-formats = [\"%Y\"]\n[columns]\nticket_id = \"id\"\nopened_at = \"at\"\nopend_at = \"x\"\n");
    let (code, _, err) = p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        m.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("columns.opend_at"), "{err}");
}
