//! Mapping mistakes (issue 18, item 11): each valid-looking mapping that used to reach polars
//! (and show its plan) is refused before anything is read or committed, with exit 2 and an
//! error naming the mapping file, the key to set and what to do; or it works.

use crate::support::{Project, cell, file0, strings};

/// The keys every case shares.
const BASE: &str = "source = \"x\"\nkind = \"incident\"\ntimezone = \"UTC\"\n";
const FORMATS: &str = "timestamp-formats = [\"%Y-%m-%d %H:%M:%S\"]\n";
const COLUMNS: &str = "[columns]\nticket_id = \"id\"\nopened_at = \"at\"\n";
const CSV: &str = "id,at\n1,2024-06-01 10:00:00\n";
const NDJSON: &str = "{\"id\": \"1\", \"at\": \"2024-06-01 10:00:00\"}\n{\"id\": \"2\", \"at\": \"2024-06-01 11:00:00\"}\n";

/// Ingest `data` (as `file`) through the mapping `toml` (as `m.toml`): it must fail with
/// exit 2, commit nothing, and say `m.toml: {key}` and `says`, with no polars plan. Returns
/// the error line.
fn refused(toml: &str, file: &str, data: &str, key: &str, says: &str) -> String {
    let p = Project::new();
    p.write("m.toml", toml);
    p.write(file, data);
    let (code, _, err) = p.ingest_any(&["--source", "generic", "--mapping", "m.toml", file]);
    assert_eq!(code, 2, "{toml}\n{err}");
    assert!(
        err.contains(&format!("m.toml: {key}")) && err.contains(says),
        "{toml}\nexpected `m.toml: {key}` and `{says}` in: {err}"
    );
    assert!(
        !err.contains("plan") && !err.contains("polars") && !err.contains("supertype"),
        "{err}"
    );
    assert_eq!(p.version(), 0);
    err.trim().to_string()
}

#[test]
fn timestamp_format_mistakes_name_timestamp_formats() {
    let key = "timestamp-formats";
    let mut seen = vec![
        // NDJSON used to be exempt and failed inside polars ("'coalesce' didn't get any inputs").
        refused(
            &format!("{BASE}format = \"ndjson\"\n{COLUMNS}"),
            "a.ndjson",
            NDJSON,
            key,
            "list at least one chrono format",
        ),
        refused(
            &format!("{BASE}{COLUMNS}"),
            "a.csv",
            CSV,
            key,
            "list at least one chrono format",
        ),
    ];
    for (format, says) in [
        ("%H:%M:%S", "needs the year, month and day"),
        ("%d/%m %H:%M", "needs the year, month and day"),
        ("%Y-%m-%d %Q", "chrono does not know"),
        ("%+ UTC", "must be the whole format"),
    ] {
        let toml =
            format!("{BASE}timestamp-formats = [\"%Y-%m-%d %H:%M:%S\", \"{format}\"]\n{COLUMNS}");
        let err = refused(&toml, "a.csv", CSV, key, says);
        assert!(err.contains(&format!("`{format}`")), "{err}");
        seen.push(err);
    }
    insta::assert_snapshot!("timestamp_format_mistakes", seen.join("\n"));
}

#[test]
fn a_delimiter_that_does_not_split_the_header_names_delimiter() {
    let semi = "id;at\n1;2024-06-01 10:00:00\n";
    let seen = [
        refused(
            &format!("{BASE}{FORMATS}{COLUMNS}"),
            "a.csv",
            semi,
            "delimiter",
            "look `;`-separated; set delimiter = \";\"",
        ),
        refused(
            &format!("{BASE}delimiter = \"\\t\"\n{FORMATS}{COLUMNS}"),
            "a.csv",
            CSV,
            "delimiter",
            "not separated by `\\t` but look `,`-separated; set delimiter = \",\"",
        ),
        refused(
            &format!("{BASE}delimiter = '\"'\n{FORMATS}{COLUMNS}"),
            "a.csv",
            CSV,
            "delimiter",
            "other than a quote or a line break",
        ),
    ];
    insta::assert_snapshot!("delimiter_mistakes", seen.join("\n"));
}

#[test]
fn column_mistakes_name_the_column_key() {
    let seen = [
        // A canonical column mapped twice: TOML's duplicate key, with its key and line.
        refused(
            &format!("{BASE}{FORMATS}{COLUMNS}opened_at = \"id\"\n"),
            "a.csv",
            CSV,
            "columns.opened_at (line 8)",
            "the key is set twice (a column mapped twice?): keep one",
        ),
        refused(
            &format!("{BASE}{FORMATS}[columns]\nticket_id = []\nopened_at = \"at\"\n"),
            "a.csv",
            CSV,
            "columns.ticket_id",
            "name the export's column",
        ),
        // A name the export does not have: the mapping key, not "use --source generic".
        refused(
            &format!(
                "{BASE}{FORMATS}[columns]\nticket_id = [\"number\", \"ID \"]\nopened_at = \"at\"\n"
            ),
            "a.csv",
            "key,at\n1,2024-06-01 10:00:00\n",
            "columns.ticket_id",
            "a.csv has no column `number` or `ID ` (its header: key, at); set columns.ticket_id",
        ),
    ];
    insta::assert_snapshot!("column_mistakes", seen.join("\n"));
}

#[test]
fn value_map_and_limit_mistakes_name_their_key() {
    let mapped = format!("{BASE}{FORMATS}{COLUMNS}status = \"s\"\npriority = \"p\"\n");
    let data = "id,at,s,p\n1,2024-06-01 10:00:00,Done,P1\n";
    let seen = [
        // Two spellings the case-insensitive lookup cannot tell apart used to fail inside
        // polars ("must not contain duplicates").
        refused(
            &format!("{mapped}[values.status]\n\"Done\" = \"closed\"\n\"done\" = \"resolved\"\n"),
            "a.csv",
            data,
            "values.status.done",
            "`Done` and `done` are one spelling",
        ),
        refused(
            // The same spelling twice with one value is harmless; with two it is refused.
            &format!("{mapped}[values.priority]\n\"P1\" = 1\n\"p1\" = 2\n"),
            "a.csv",
            data,
            "values.priority.p1",
            "keep one of them",
        ),
        refused(
            &format!("{mapped}[values.priority]\n\"P1\" = \"one\"\n"),
            "a.csv",
            data,
            "values.priority.P1 (line 11)",
            "expected i32",
        ),
        refused(
            &format!("{BASE}{FORMATS}max-field-bytes = 0\n{COLUMNS}"),
            "a.csv",
            CSV,
            "max-field-bytes",
            "must be at least 1",
        ),
    ];
    insta::assert_snapshot!("value_map_mistakes", seen.join("\n"));
}

#[test]
fn a_history_file_without_the_mapped_column_names_the_history_mapping_key() {
    let p = Project::new();
    p.write("t.toml", format!("{BASE}{FORMATS}{COLUMNS}"));
    p.write("t.csv", CSV);
    p.write(
        "h.toml",
        "kind = \"history\"\ntimestamp-formats = [\"%+\"]\n\
         [columns]\nticket_id = \"id\"\nchanged_at = \"when\"\nstatus = \"status\"\n",
    );
    p.write("h.csv", "id,at,status\n1,2024-06-01T11:00:00Z,closed\n");
    let (code, _, err) = p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        "t.toml",
        "--history",
        "h.csv",
        "--history-mapping",
        "h.toml",
        "t.csv",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("h.toml: columns.changed_at: h.csv has no column `when`"),
        "{err}"
    );
}

#[test]
fn a_kind_map_spelling_a_canonical_kind_and_a_column_mapped_twice_work() {
    // `Incident` = "incident" used to collide with the built-in `incident` spelling inside
    // polars; one source column may feed two canonical columns.
    let p = Project::new();
    p.write(
        "m.toml",
        format!(
            "source = \"x\"\ntimezone = \"UTC\"\n{FORMATS}[columns]\nticket_id = \"id\"\nopened_at = \"at\"\n\
             updated_at = \"at\"\nkind = \"type\"\n[values.kind]\n\"Incident\" = \"incident\"\n\"Service Request\" = \"request\"\n"
        ),
    );
    p.write(
        "a.csv",
        "id,at,type\n1,2024-06-01 10:00:00,Incident\n2,2024-06-01 11:00:00,incident\n3,2024-06-01 12:00:00,Service Request\n",
    );
    let (code, v, err) = p.ingest(&["--source", "generic", "--mapping", "m.toml", "a.csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(file0(&v)["loaded"], 3, "{v}");
    let t = p.table("tickets");
    let mut kinds: Vec<String> = strings(&t, "kind").into_iter().flatten().collect();
    kinds.sort();
    assert_eq!(kinds, vec!["incident", "incident", "request"]);
    assert_eq!(cell(&t, "3", "updated_at"), cell(&t, "3", "opened_at"));
    assert_eq!(
        cell(&t, "3", "updated_at").as_deref(),
        Some("2024-06-01 12:00:00 UTC")
    );
}
