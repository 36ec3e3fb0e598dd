//! Every bad-input case of the foundation issue: each gives a clear error, or rejects that
//! name the line and the reason; nothing is lost and nothing panics.

use serde_json::Value;

use crate::support::*;

const OK1: &str =
    "INC0001,Mail down,2 - High,Closed,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-06 09:00:00";
const OK2: &str = "INC0002,VPN drops,3 - Moderate,Resolved,2026-01-06 10:00:00,2026-01-07 10:00:00,2026-01-07 10:00:00";

fn sn(p: &Project, file: &std::path::Path, tz: &str) -> (i32, Value, String) {
    p.ingest_any(&["--source", "servicenow", "--tz", tz, file.to_str().unwrap()])
}

/// Row conservation for one file: read = loaded + rejected.
fn conserved(v: &Value) {
    let f = file0(v);
    assert_eq!(
        f["records_read"].as_u64().unwrap(),
        f["loaded"].as_u64().unwrap() + f["rejected"].as_u64().unwrap(),
        "{v}"
    );
}

fn only_reject(p: &Project) -> Value {
    let r = p.rejects();
    assert_eq!(r.len(), 1, "{r:?}");
    r[0].clone()
}

#[test]
fn unterminated_quote_at_the_end_rejects_every_record_it_swallowed() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&[
            OK1,
            "INC0002,\"never closed,3 - Moderate,New,2026-01-06 10:00:00,,2026-01-06 10:00:00",
            OK2,
        ]),
    );
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    assert_eq!(file0(&v)["loaded"], 1);
    assert_eq!(file0(&v)["records_read"], 3);
    let r = p.rejects();
    let lines: Vec<&Value> = r.iter().map(|r| &r["line"]).collect();
    assert_eq!(lines, [3, 4]);
    assert!(r.iter().all(|r| r["error_type"] == "unterminated_quote"));
    assert_eq!(r[1]["raw"], OK2);
    // A quote left open in the last record, with nothing after it that looks like a record,
    // is one reject for the rest of the file.
    let q = Project::new();
    let f = q.write(
        "a.csv",
        list_csv(&[OK1, "INC0002,\"never closed\nstill the title,3 - Moderate"]),
    );
    let (code, v, _) = sn(&q, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    let r = only_reject(&q);
    assert_eq!(r["error_type"], "unterminated_quote");
    assert_eq!(r["line"], 3);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("remaining 2 line(s)")
    );
}

#[test]
fn embedded_newlines_in_quoted_text_are_kept_byte_for_byte() {
    let p = Project::new();
    let title = "line one\nline two\r\nline three\rend";
    let row = format!(
        "INC0009,\"{title}\",2 - High,Closed,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-06 09:00:00"
    );
    let f = p.write("a.csv", list_csv(&[&row, OK2]));
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["loaded"], 2);
    assert_eq!(
        cell(&p.table("tickets"), "INC0009", "title").as_deref(),
        Some(title)
    );
    // The second record starts after the four physical lines of the first (a lone `\r`
    // ends a line too, as in old Mac and Excel exports).
    assert_eq!(
        cell(&p.table("tickets"), "INC0002", "source_line").as_deref(),
        Some("6")
    );
}

#[test]
fn bom_is_dropped_and_header_recognised() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        [b"\xEF\xBB\xBF".as_slice(), list_csv(&[OK1]).as_bytes()].concat(),
    );
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0, "{v}");
    assert_eq!(file0(&v)["loaded"], 1);
}

#[test]
fn windows_1252_bytes_are_rejected_as_utf8_and_loaded_when_declared() {
    let p = Project::new();
    let row = b"INC0003,Caf\xe9 printer,2 - High,Closed,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-06 09:00:00\n";
    let bytes = [list_csv(&[OK1]).as_bytes(), row.as_slice()].concat();
    let f = p.write("a.csv", &bytes);
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    let r = only_reject(&p);
    assert_eq!(r["error_type"], "invalid_utf8");
    assert_eq!(r["column"], "short_description");
    assert!(r["message"].as_str().unwrap().contains("windows-1252"));

    let q = Project::new();
    let f = q.write("a.csv", &bytes);
    let (code, v, _) = q.ingest_any(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--encoding",
        "windows-1252",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["loaded"], 2);
    assert_eq!(
        cell(&q.table("tickets"), "INC0003", "title").as_deref(),
        Some("Café printer")
    );
}

#[test]
fn duplicate_mapped_header_is_an_error_naming_the_column() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        "number,priority,priority,opened_at\nINC1,1,2,2026-01-01 10:00:00\n",
    );
    let (code, _, err) = sn(&p, &f, "UTC");
    assert_eq!(code, 2);
    assert!(
        err.contains("`priority` appears 2 times") && err.contains("a.csv:1"),
        "{err}"
    );
    assert_eq!(p.version(), 0);
}

#[test]
fn missing_required_column_is_an_error_naming_it() {
    let p = Project::new();
    let f = p.write("a.csv", "number,short_description\nINC1,x\n");
    let (code, _, err) = sn(&p, &f, "UTC");
    assert_eq!(code, 2);
    assert!(
        err.contains("`opened_at`") && err.contains("--source generic"),
        "{err}"
    );
}

#[test]
fn unknown_extra_column_is_reported_not_fatal() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        "number,opened_at,u_custom_thing\nINC1,2026-01-01 10:00:00,x\n",
    );
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    assert_eq!(
        file0(&v)["extra_columns"],
        serde_json::json!(["u_custom_thing"])
    );
}

#[test]
fn short_and_long_rows_are_rejected_with_their_lines() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&[OK1, "INC0004,too short", OK2, &format!("{OK1},extra")]),
    );
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    let r = p.rejects();
    let kinds: Vec<(&str, u64)> = r
        .iter()
        .map(|x| {
            (
                x["error_type"].as_str().unwrap(),
                x["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, vec![("short_row", 3), ("long_row", 5)]);
}

#[test]
fn empty_file_is_an_error_and_header_only_file_loads_nothing() {
    let p = Project::new();
    let f = p.write("empty.csv", "");
    let (code, _, err) = sn(&p, &f, "UTC");
    assert_eq!(code, 2);
    assert!(err.contains("empty.csv") && err.contains("empty"), "{err}");

    let f = p.write("header.csv", list_csv(&[]));
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["records_read"], 0);
    assert_eq!(file0(&v)["loaded"], 0);
}

#[test]
fn same_ticket_twice_in_a_file_keeps_the_newest_or_the_later_record_on_a_tie() {
    let p = Project::new();
    let newer_first = "INC0005,newest,2 - High,Closed,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-09 09:00:00";
    let older = "INC0005,older,2 - High,Resolved,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-01-06 09:00:00";
    let tie_a = "INC0006,first,3 - Moderate,New,2026-01-05 10:00:00,,2026-01-05 10:00:00";
    let tie_b = "INC0006,second,3 - Moderate,New,2026-01-05 10:00:00,,2026-01-05 10:00:00";
    let f = p.write("a.csv", list_csv(&[newer_first, older, tie_a, tie_b]));
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["loaded"], 4);
    assert_eq!(file0(&v)["superseded"], 2);
    let t = p.table("tickets");
    assert_eq!(t.height(), 2);
    assert_eq!(cell(&t, "INC0005", "title").as_deref(), Some("newest"));
    assert_eq!(cell(&t, "INC0006", "title").as_deref(), Some("second"));
}

#[test]
fn same_export_twice_is_a_noop_and_an_older_export_never_overwrites() {
    let p = Project::new();
    let new = p.write("new.csv", list_csv(&["INC0007,current,2 - High,Closed,2026-01-05 10:00:00,2026-01-05 12:00:00,2026-02-01 09:00:00"]));
    let old = p.write(
        "old.csv",
        list_csv(&["INC0007,stale,2 - High,New,2026-01-05 10:00:00,,2026-01-05 10:00:00"]),
    );
    assert_eq!(sn(&p, &new, "UTC").0, 0);
    let before = p.table("tickets");
    let (code, v, _) = sn(&p, &new, "UTC");
    assert_eq!(code, 0);
    assert_eq!(v["committed"], false);
    assert_eq!(file0(&v)["outcome"], "duplicate");
    assert_eq!(p.version(), 1);
    let (_, v, _) = sn(&p, &old, "UTC");
    assert_eq!(file0(&v)["superseded"], 1);
    let after = p.table("tickets");
    assert!(
        before.equals_missing(&after),
        "older export changed the tickets"
    );
}

#[test]
fn naive_timestamps_without_a_time_zone_name_the_option_to_set() {
    let p = Project::new();
    let f = p.write("a.csv", list_csv(&[OK1]));
    let (code, _, err) = p.ingest_any(&["--source", "servicenow", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--tz") && err.contains("timezone") && err.contains("a.csv"),
        "{err}"
    );
    assert_eq!(p.version(), 0);
}

#[test]
fn dst_gap_and_fold_are_rejects_in_new_york() {
    let p = Project::new();
    let gap = "INC0010,gap,3 - Moderate,New,2024-03-10 02:30:00,,2024-03-10 02:30:00";
    let fold = "INC0011,fold,3 - Moderate,New,2024-11-03 01:30:00,,2024-11-03 01:30:00";
    let fine = "INC0012,fine,3 - Moderate,New,2024-11-03 03:30:00,,2024-11-03 03:30:00";
    let f = p.write("a.csv", list_csv(&[gap, fold, fine]));
    let (code, v, _) = sn(&p, &f, "America/New_York");
    assert_eq!(code, 0);
    conserved(&v);
    let r = p.rejects();
    let types: Vec<&str> = r
        .iter()
        .map(|x| x["error_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["dst_nonexistent", "dst_ambiguous"]);
    assert!(r[0]["message"].as_str().unwrap().contains("shift-forward"));
    assert!(r[1]["message"].as_str().unwrap().contains("dst-ambiguous"));
    // 03:30 EST is 08:30 UTC.
    assert_eq!(
        cell(&p.table("tickets"), "INC0012", "opened_at").as_deref(),
        Some("2024-11-03 08:30:00 UTC")
    );
}

#[test]
fn dst_policies_in_a_mapping_accept_gap_and_fold() {
    let p = Project::new();
    let (code, v, _) = ingest_with_dst_rules(
        &p,
        "earliest",
        "shift-forward",
        "id,date\n1,2024-03-10 02:30:00\n2,2024-11-03 01:30:00\n",
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(file0(&v)["loaded"], 2);
    let t = p.table("tickets");
    // 02:30 shifted to 03:30 EDT = 07:30 UTC; 01:30 earliest is EDT = 05:30 UTC.
    assert_eq!(
        cell(&t, "1", "opened_at").as_deref(),
        Some("2024-03-10 07:30:00 UTC")
    );
    assert_eq!(
        cell(&t, "2", "opened_at").as_deref(),
        Some("2024-11-03 05:30:00 UTC")
    );
}

#[test]
fn mixed_formats_and_zero_dates_are_rejects_naming_the_formats() {
    let p = Project::new();
    let mixed = "INC0013,mixed,3 - Moderate,New,05/01/2026 10:00,,2026-01-05 10:00:00";
    let zero = "INC0014,zero,3 - Moderate,New,0000-00-00 00:00:00,,2026-01-05 10:00:00";
    let frac = "INC0015,nanos,3 - Moderate,New,2026-01-05 10:00:00.123456789,,2026-01-05 10:00:00";
    let f = p.write("a.csv", list_csv(&[mixed, zero, frac]));
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    let r = p.rejects();
    assert_eq!(r.len(), 2);
    for x in &r {
        assert_eq!(x["error_type"], "invalid_timestamp");
        assert_eq!(x["column"], "opened_at");
        assert!(x["message"].as_str().unwrap().contains("%Y-%m-%d %H:%M:%S"));
    }
    assert_eq!(
        cell(&p.table("tickets"), "INC0015", "opened_at").as_deref(),
        Some("2026-01-05 10:00:00.123456 UTC")
    );
}

#[test]
fn resolved_before_opened_is_a_flag_not_a_reject() {
    let p = Project::new();
    let f = p.write("a.csv", list_csv(&["INC0016,time travel,3 - Moderate,Resolved,2026-01-05 10:00:00,2026-01-04 10:00:00,2026-01-05 10:00:00"]));
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["loaded"], 1);
    assert_eq!(file0(&v)["flagged"], 1);
    assert_eq!(v["flagged"], 1);
    let flags = cell(&p.table("tickets"), "INC0016", "dq_flags").unwrap();
    assert!(flags.contains("resolved_before_opened"), "{flags}");
}

#[test]
fn unknown_priority_and_status_are_rejects_listing_accepted_values() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&[
            "INC0017,x,Urgent!,New,2026-01-05 10:00:00,,2026-01-05 10:00:00",
            "INC0018,y,3 - Moderate,Teleported,2026-01-05 10:00:00,,2026-01-05 10:00:00",
        ]),
    );
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    let r = p.rejects();
    assert_eq!(r[0]["column"], "priority");
    assert!(
        r[0]["message"]
            .as_str()
            .unwrap()
            .contains("accepted: 1, 1 - critical"),
        "{}",
        r[0]["message"]
    );
    assert_eq!(r[1]["column"], "status");
    assert!(r[1]["message"].as_str().unwrap().contains("on hold"));
}

#[test]
fn ten_megabyte_field_is_rejected_and_the_raw_record_is_cut() {
    let p = Project::new();
    let big = "x".repeat(10 << 20);
    let row = format!("INC0019,{big},3 - Moderate,New,2026-01-05 10:00:00,,2026-01-05 10:00:00");
    let f = p.write("a.csv", list_csv(&[OK1, &row]));
    let (code, v, _) = sn(&p, &f, "UTC");
    assert_eq!(code, 0);
    conserved(&v);
    let r = only_reject(&p);
    assert_eq!(r["error_type"], "field_too_large");
    assert_eq!(r["column"], "short_description");
    assert!(r["raw"].as_str().unwrap().len() < 5000);
}

#[test]
fn deeply_nested_json_is_a_clear_error_or_a_reject() {
    let p = Project::new();
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let f = p.write(
        "a.json",
        format!("{{\"result\": [{{\"number\": \"INC1\", \"x\": {deep}}}]}}"),
    );
    let (code, _, err) = sn(&p, &f, "UTC");
    assert_eq!(code, 2);
    assert!(
        err.contains("a.json:1") && err.contains("recursion limit"),
        "{err}"
    );

    let mapping = p.write("m.toml", "source = \"x\"\nformat = \"ndjson\"\nkind = \"incident\"\ntimezone = \"UTC\"\ntimestamp-formats = [\"%Y-%m-%d %H:%M:%S\"]\n[columns]\nticket_id = \"id\"\nopened_at = \"at\"\n");
    let nd = p.write(
        "a.ndjson",
        format!("{{\"id\": 1, \"at\": \"2026-01-01 00:00:00\"}}\n{{\"id\": 2, \"x\": {deep}}}\n"),
    );
    let (code, v, _) = p.ingest_any(&[
        "--source",
        "generic",
        "--mapping",
        mapping.to_str().unwrap(),
        nd.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    conserved(&v);
    let r = only_reject(&p);
    assert_eq!(
        (r["error_type"].as_str(), r["line"].as_u64()),
        (Some("invalid_json"), Some(2))
    );
}

#[test]
fn json_ticket_id_above_2_pow_53_keeps_every_digit() {
    let p = Project::new();
    let mapping = p.write("m.toml", "source = \"zd\"\nformat = \"ndjson\"\nkind = \"incident\"\ntimezone = \"UTC\"\ntimestamp-formats = [\"%Y-%m-%dT%H:%M:%SZ\"]\n[columns]\nticket_id = \"id\"\nopened_at = \"created_at\"\n");
    let f = p.write("a.ndjson", "{\"id\": 9007199254740993, \"created_at\": \"2026-01-01T00:00:00Z\"}\n{\"id\": 18446744073709551617, \"created_at\": \"2026-01-01T00:00:00Z\"}\n");
    let (code, v, _) = p.ingest_any(&[
        "--source",
        "generic",
        "--mapping",
        mapping.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    let mut ids: Vec<String> = strings(&p.table("tickets"), "ticket_id")
        .into_iter()
        .flatten()
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["18446744073709551617", "9007199254740993"]);
}

#[test]
fn reject_limit_commits_nothing_and_exits_1() {
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&[
            OK1,
            "INC0020,x,Bogus,New,2026-01-05 10:00:00,,2026-01-05 10:00:00",
        ]),
    );
    let (code, v, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--max-rejects",
        "0",
        f.to_str().unwrap(),
    ]);
    // A finding, not an error: the JSON outcome says nothing was committed.
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["committed"], false);
    assert_eq!(v["limit_exceeded"]["limit"], "--max-rejects 0");
    assert_eq!(p.version(), 0);
    let (code, _, _) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--max-reject-pct",
        "60",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(p.version(), 1);
}
