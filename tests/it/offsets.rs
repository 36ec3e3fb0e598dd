//! Timestamps that carry their own offset (issue 18, item 2): a value with an offset or a `Z`
//! is an instant, stored as such whatever zone the mapping declares; the zone applies only to
//! naive values, and a mapping may list both kinds of format.

use crate::support::{Project, cell, file0};

/// Ingest `csv` (columns `id,opened,resolved`) through a generic mapping with `formats` and,
/// when given, `timezone`; accepts any share of rejects.
fn ingest(
    p: &Project,
    timezone: Option<&str>,
    formats: &[&str],
    csv: &str,
) -> (i32, serde_json::Value, String) {
    let zone = timezone.map_or(String::new(), |z| format!("timezone = \"{z}\"\n"));
    let formats: Vec<String> = formats.iter().map(|f| format!("\"{f}\"")).collect();
    p.write(
        "m.toml",
        format!(
            "source = \"x\"\nkind = \"incident\"\n{zone}timestamp-formats = [{}]\n\
             [columns]\nticket_id = \"id\"\nopened_at = \"opened\"\nresolved_at = \"resolved\"\n",
            formats.join(", ")
        ),
    );
    p.write("a.csv", csv);
    p.ingest_any(&["--source", "generic", "--mapping", "m.toml", "a.csv"])
}

/// The stored `opened_at` and `resolved_at` of ticket `id`.
fn stored(p: &Project, id: &str) -> (Option<String>, Option<String>) {
    let t = p.table("tickets");
    (cell(&t, id, "opened_at"), cell(&t, id, "resolved_at"))
}

fn utc(s: &str) -> Option<String> {
    Some(format!("{s} UTC"))
}

#[test]
fn offset_values_are_instants_whatever_the_declared_zone() {
    let p = Project::new();
    let (code, v, err) = ingest(
        &p,
        Some("Europe/Berlin"),
        &["%Y-%m-%dT%H:%M:%S%z"],
        "id,opened,resolved\n\
         1,2024-06-01T10:00:00+02:00,2024-06-01T10:00:00+0000\n\
         2,2024-01-15T23:30:00-0500,\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(file0(&v)["loaded"], 2, "{v}");
    // Not shifted again by Berlin's +02:00: 10:00+02:00 is 08:00Z, 10:00+00:00 is 10:00Z.
    assert_eq!(
        stored(&p, "1"),
        (utc("2024-06-01 08:00:00"), utc("2024-06-01 10:00:00"))
    );
    assert_eq!(stored(&p, "2").0, utc("2024-01-16 04:30:00"));
}

#[test]
fn a_mapping_whose_formats_all_carry_offsets_needs_no_zone() {
    let p = Project::new();
    let (code, _, err) = ingest(
        &p,
        None,
        &["%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%dT%H:%M:%SZ"],
        "id,opened,resolved\n1,2024-06-01T10:00:00+02:00,2024-06-01T12:00:00Z\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        stored(&p, "1"),
        (utc("2024-06-01 08:00:00"), utc("2024-06-01 12:00:00"))
    );
    // One naive format, and the zone is required again, with the usual message.
    let q = Project::new();
    let (code, _, err) = ingest(
        &q,
        None,
        &["%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S"],
        "id,opened,resolved\n1,2024-06-01T10:00:00+02:00,\n",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no source time zone") && err.contains("--tz"),
        "{err}"
    );
}

#[test]
fn offset_and_naive_formats_mix_per_cell() {
    let p = Project::new();
    // Naive cells are Berlin time (and DST-checked), offset cells are instants; in one
    // column and in one row. Row 4's wall time is in Berlin's spring gap, but with its offset
    // it is an instant, not a reject; row 5's is naive and is one.
    let (code, v, err) = ingest(
        &p,
        Some("Europe/Berlin"),
        &["%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S"],
        "id,opened,resolved\n\
         1,2024-06-01T10:00:00+02:00,2024-06-01 12:00:00\n\
         2,2024-06-01 10:00:00,2024-06-01T12:00:00+00:00\n\
         3,2024-06-01 10:00:00,2024-06-01 11:00:00\n\
         4,2024-03-31T02:30:00+01:00,\n\
         5,2024-03-31 02:30:00,\n\
         6,yesterday,\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (file0(&v)["loaded"].as_u64(), file0(&v)["rejected"].as_u64()),
        (Some(4), Some(2)),
        "{v}"
    );
    assert_eq!(
        stored(&p, "1"),
        (utc("2024-06-01 08:00:00"), utc("2024-06-01 10:00:00"))
    );
    assert_eq!(
        stored(&p, "2"),
        (utc("2024-06-01 08:00:00"), utc("2024-06-01 12:00:00"))
    );
    assert_eq!(
        stored(&p, "3"),
        (utc("2024-06-01 08:00:00"), utc("2024-06-01 09:00:00"))
    );
    assert_eq!(stored(&p, "4").0, utc("2024-03-31 01:30:00"));
    let r = p.rejects();
    let by_line: Vec<(u64, &str)> = r
        .iter()
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["error_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_line,
        vec![(6, "dst_nonexistent"), (7, "invalid_timestamp")]
    );
    // The first format reads every cell (the fast path): instants all the same.
    let q = Project::new();
    let (code, _, err) = ingest(
        &q,
        Some("Europe/Berlin"),
        &["%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S"],
        "id,opened,resolved\n1,2024-06-01T10:00:00+02:00,2024-06-01T10:00:00-01:00\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        stored(&q, "1"),
        (utc("2024-06-01 08:00:00"), utc("2024-06-01 11:00:00"))
    );
}

#[test]
fn iso_zulu_and_fractional_seconds_with_offsets() {
    // `%+` (RFC 3339, `Z` or an offset) and a literal `Z` read UTC, not Berlin time.
    let p = Project::new();
    let (code, _, err) = ingest(
        &p,
        Some("Europe/Berlin"),
        &["%+"],
        "id,opened,resolved\n\
         1,2024-06-01T10:00:00Z,2024-06-01T10:00:00.123456+05:30\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        stored(&p, "1"),
        (
            utc("2024-06-01 10:00:00"),
            utc("2024-06-01 04:30:00.123456")
        )
    );
    let q = Project::new();
    let (code, _, err) = ingest(
        &q,
        Some("Europe/Berlin"),
        &["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%.f%z"],
        "id,opened,resolved\n\
         1,2024-06-01T10:00:00Z,2024-06-01T10:00:00.5-0300\n\
         2,2024-06-01T10:00:00.250+0200,2024-06-01T10:00:00Z\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        stored(&q, "1"),
        (
            utc("2024-06-01 10:00:00"),
            utc("2024-06-01 13:00:00.500000")
        )
    );
    assert_eq!(
        stored(&q, "2"),
        (
            utc("2024-06-01 08:00:00.250000"),
            utc("2024-06-01 10:00:00")
        )
    );
}

#[test]
fn flat_history_reads_zulu_times_as_instants_too() {
    // The history parser is the tickets' one: `…Z` is UTC, a naive time is Berlin time.
    let p = Project::new();
    p.write(
        "tickets.toml",
        "source = \"itil\"\nkind = \"incident\"\ntimestamp-formats = [\"%Y-%m-%dT%H:%M:%SZ\"]\n\
         [columns]\nticket_id = \"id\"\nopened_at = \"opened\"\n",
    );
    p.write("tickets.csv", "id,opened\nT1,2024-03-01T09:00:00Z\n");
    p.write(
        "history.toml",
        "kind = \"history\"\ntimezone = \"Europe/Berlin\"\n\
         timestamp-formats = [\"%Y-%m-%dT%H:%M:%SZ\", \"%Y-%m-%d %H:%M:%S\"]\n\
         [columns]\nticket_id = \"id\"\nchanged_at = \"at\"\nstatus = \"status\"\n",
    );
    p.write(
        "history.csv",
        "id,at,status\nT1,2024-03-01T10:00:00Z,in_progress\nT1,2024-03-01 13:00:00,on_hold\n",
    );
    let (code, _, err) = p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        "tickets.toml",
        "--history",
        "history.csv",
        "--history-mapping",
        "history.toml",
        "tickets.csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        crate::vendors::row(
            &p,
            "SELECT status, CAST(from_ts AS VARCHAR) AS f, CAST(to_ts AS VARCHAR) AS t \
             FROM status_intervals ORDER BY from_ts"
        ),
        vec![
            "in_progress|2024-03-01T10:00:00Z|2024-03-01T12:00:00Z",
            "on_hold|2024-03-01T12:00:00Z|null",
        ]
    );
}
