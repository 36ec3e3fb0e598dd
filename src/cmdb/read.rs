//! Reading one CMDB export: which kind of export a file is (a list of configuration items or
//! of relationships), its mapping (ServiceNow's `cmdb_ci` and `cmdb_rel_ci` built in, any
//! other tool through a `kind = "ci"` / `kind = "ci_relation"` mapping file), and its rows,
//! each kept with its line, or rejected with the reason.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::TimeZone as _;

use crate::dataset::schema::{CI_COLUMNS, CI_KIND, CI_RELATION_COLUMNS, CI_RELATION_KIND};
use crate::error::{Error, Result, quote};
use crate::ingest::mapping::{Mapping, SourceColumn, ValueMaps};
use crate::ingest::raw::{RawTable, Reject};
use crate::ingest::{IngestOptions, SourceKind, dates, servicenow, timestamps};

/// Which CMDB table an export feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Configuration items (`config_items`).
    Items,
    /// Relationships between them (`ci_relations`).
    Relations,
}

impl Export {
    /// The shape recorded for the file, e.g. `servicenow/cmdb-ci`.
    pub fn shape(self, source: &str) -> String {
        match self {
            Export::Items => format!("{source}/cmdb-ci"),
            Export::Relations => format!("{source}/cmdb-rel-ci"),
        }
    }
}

/// The CMDB export `path` is, if it is one: the mapping's kind, or for ServiceNow without a
/// mapping the header (a class and a name and no ticket number: `cmdb_ci`; a parent, a child
/// and a type and no number: `cmdb_rel_ci`).
pub fn recognise(
    path: &Path,
    source: SourceKind,
    custom: Option<&Mapping>,
) -> Result<Option<Export>> {
    if let Some(m) = custom {
        return Ok(match m.kind.as_deref() {
            Some(CI_KIND) => Some(Export::Items),
            Some(CI_RELATION_KIND) => Some(Export::Relations),
            _ => None,
        });
    }
    if source != SourceKind::Servicenow {
        return Ok(None);
    }
    let mut head = Vec::new();
    let file = std::fs::File::open(path).map_err(Error::io("reading export", path))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, 64 << 10), &mut head)
        .map_err(Error::io("reading export", path))?;
    let text = String::from_utf8_lossy(&head).to_lowercase();
    let json = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '[']);
    let has = |name: &str| {
        if json {
            text.contains(&format!("\"{name}\""))
        } else {
            let header = text.lines().next().unwrap_or("");
            header
                .split([',', ';', '\t'])
                .any(|h| h.trim().trim_matches('"').trim() == name)
        }
    };
    if has("number") {
        return Ok(None);
    }
    if has("name") && (has("sys_class_name") || has("class")) {
        return Ok(Some(Export::Items));
    }
    if has("parent") && has("child") && has("type") {
        return Ok(Some(Export::Relations));
    }
    Ok(None)
}

/// The built-in mapping of ServiceNow's CMDB exports (field names, and the list's display
/// labels in any case).
pub fn servicenow_mapping(export: Export) -> Mapping {
    let cols: &[(&str, &[&str])] = match export {
        Export::Items => &[
            ("ci_id", &["sys_id", "Sys ID"]),
            ("name", &["name", "Name"]),
            ("class", &["sys_class_name", "Class"]),
            (
                "operational_status",
                &["operational_status", "Operational status"],
            ),
            ("support_group", &["support_group", "Support group"]),
            ("location", &["location", "Location"]),
            ("updated_at", &["sys_updated_on", "Updated"]),
        ],
        Export::Relations => &[
            ("parent", &["parent", "Parent"]),
            ("child", &["child", "Child"]),
            ("type", &["type", "Type"]),
        ],
    };
    let columns: BTreeMap<String, SourceColumn> = cols
        .iter()
        .map(|(c, names)| {
            let names = names.iter().map(|n| n.to_string()).collect();
            (c.to_string(), SourceColumn::Any(names))
        })
        .collect();
    let mut m = Mapping::vendor(
        "servicenow",
        columns,
        Vec::new(),
        Vec::new(),
        ValueMaps::default(),
    );
    m.kind = Some(match export {
        Export::Items => CI_KIND.into(),
        Export::Relations => CI_RELATION_KIND.into(),
    });
    m
}

/// One row of an export that passed, by canonical column, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Canonical column → trimmed value (absent = NULL).
    pub cells: BTreeMap<&'static str, String>,
    /// `updated_at`, µs UTC.
    pub updated_at: Option<i64>,
    /// The columns no mapping names, as a JSON object (custom `u_` fields and the rest).
    pub attributes: Option<String>,
    /// Physical line (1-based), when the format has lines.
    pub line: Option<u64>,
}

/// The rows and rejects of one export.
#[derive(Debug, Default)]
pub struct Rows {
    /// Rows that passed.
    pub rows: Vec<Row>,
    /// Rows rejected, with their reason.
    pub rejects: Vec<Reject>,
    /// Records read (rows + rejects).
    pub read: u64,
    /// Mapped columns the file lacks.
    pub missing: Vec<String>,
}

/// The rows of `t` read with `m` (whose timestamp formats are decided), as `export`;
/// `fixed_tz` is the zone of a format whose times are in one (ServiceNow's Table API: UTC).
pub fn rows(
    t: RawTable,
    m: &Mapping,
    export: Export,
    opts: &IngestOptions,
    fixed_tz: Option<&str>,
) -> Result<Rows> {
    let wanted = match export {
        Export::Items => CI_COLUMNS,
        Export::Relations => CI_RELATION_COLUMNS,
    };
    let mut index: Vec<(&'static str, usize)> = Vec::new();
    let mut missing = Vec::new();
    for &c in wanted {
        match m.columns.get(c).and_then(|s| s.index_in(&t)) {
            Some(i) => index.push((c, i)),
            None if m.columns.contains_key(c) => missing.push(c.to_string()),
            None => {}
        }
    }
    let used: Vec<usize> = index.iter().map(|(_, i)| *i).collect();
    let zone = zone(m, opts, fixed_tz)?;
    let mut out = Rows {
        read: t.records_read,
        missing,
        rejects: t.rejects.clone(),
        ..Rows::default()
    };
    for r in 0..t.len() {
        match row(&t, r, &index, &used, m, zone, export) {
            Ok(row) => out.rows.push(row),
            Err((column, error_type, message)) => out.rejects.push(Reject {
                line: t.lines[r],
                record: t.records[r],
                column: Some(column.into()),
                error_type,
                message,
                raw: t.raw.get(r),
            }),
        }
    }
    Ok(out)
}

/// Why a row was rejected: the column, a stable reason and a sentence.
type Why = (&'static str, &'static str, String);

fn row(
    t: &RawTable,
    r: usize,
    index: &[(&'static str, usize)],
    used: &[usize],
    m: &Mapping,
    zone: chrono_tz::Tz,
    export: Export,
) -> std::result::Result<Row, Why> {
    let mut cells = BTreeMap::new();
    for &(c, i) in index {
        if let Some(v) = t.columns[i].get(r).map(str::trim).filter(|v| !v.is_empty()) {
            cells.insert(c, v.to_string());
        }
    }
    let required: &[&'static str] = match export {
        Export::Items => &["name"],
        Export::Relations => &["parent", "child"],
    };
    if let Some(c) = required.iter().find(|c| !cells.contains_key(**c)) {
        return Err((
            c,
            "missing_value",
            format!(
                "no `{c}`: a {} needs one; fill it in the export or map another column to it",
                match export {
                    Export::Items => "configuration item",
                    Export::Relations => "relationship",
                }
            ),
        ));
    }
    let updated_at = match cells.get("updated_at") {
        Some(v) => Some(instant(v, &m.timestamp_formats, zone).ok_or_else(|| {
            (
                "updated_at",
                "invalid_timestamp",
                format!(
                    "`{}` is not a time in the format(s) {}; declare the export's format \
                     (--date-format, or timestamp-formats in the mapping)",
                    quote(v),
                    m.timestamp_formats.join(", ")
                ),
            )
        })?),
        None => None,
    };
    let mut extra = serde_json::Map::new();
    for (i, h) in t.headers.iter().enumerate() {
        if used.contains(&i) {
            continue;
        }
        if let Some(v) = t.columns[i].get(r).map(str::trim).filter(|v| !v.is_empty()) {
            extra.insert(h.clone(), serde_json::Value::String(v.to_string()));
        }
    }
    let attributes = (!extra.is_empty()).then(|| serde_json::Value::Object(extra).to_string());
    Ok(Row {
        cells,
        updated_at,
        attributes,
        line: t.lines[r],
    })
}

/// The zone of naive `updated_at` values: the format's own, `--tz`, the mapping's, the
/// config's `[ingest] timezone`, else UTC (the CMDB's times only order the versions of one
/// item).
fn zone(m: &Mapping, opts: &IngestOptions, fixed: Option<&str>) -> Result<chrono_tz::Tz> {
    let name = fixed
        .or(opts.tz.as_deref())
        .or(m.timezone.as_deref())
        .or(opts.default_tz.as_deref())
        .unwrap_or("UTC");
    crate::time::parse_tz(name).map_err(Error::Usage)
}

/// `cell` as µs UTC: the first of `formats` that reads it (an offset format as an instant,
/// another as a local time in `zone`, the earlier of an ambiguous one).
fn instant(cell: &str, formats: &[String], zone: chrono_tz::Tz) -> Option<i64> {
    formats.iter().find_map(|f| {
        if timestamps::reads_instants(f) {
            chrono::DateTime::parse_from_str(cell, f)
                .ok()
                .map(|d| d.timestamp_micros())
        } else {
            let naive = dates::read(f, cell)?;
            zone.from_local_datetime(&naive)
                .earliest()
                .map(|d| d.timestamp_micros())
        }
    })
}

/// ServiceNow's date formats for `updated_at`: `declared`, else the reading every cell of
/// the column fits (decided as for ticket exports).
pub fn servicenow_formats(
    t: &RawTable,
    m: &Mapping,
    path: &Path,
    declared: Option<&str>,
) -> Result<Vec<String>> {
    let Some(i) = m.columns.get("updated_at").and_then(|s| s.index_in(t)) else {
        return Ok(servicenow::DATE_READINGS[0]
            .iter()
            .map(|f| f.to_string())
            .collect());
    };
    dates::decide(
        &dates::cells_of(t, [i]),
        servicenow::DATE_READINGS,
        path,
        declared,
    )
}
