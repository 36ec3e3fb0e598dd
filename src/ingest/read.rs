//! Reading one export with its adapter: the format (CSV or JSON), the vendor's shape, the
//! mapping that normalises it, and the audit trails (ServiceNow `sys_audit`, Zendesk audits)
//! that are read before the ticket exports they expand.

use std::path::{Path, PathBuf};

use super::mapping::{Format, Mapping};
use super::raw::{self, RawTable, Reject};
use super::{
    IngestOptions, SourceKind, audit, csv_reader, history, jira, json_reader, servicenow, zendesk,
};
use crate::error::{Error, Result};

pub(super) fn is_json(path: &Path, bytes: &[u8]) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "json" | "ndjson" | "jsonl")
        || bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{' || b == b'[')
}

/// A file read by its adapter: the table, the mapping that normalises it, its shape label,
/// whether its rows are update history, and a zone that overrides `--tz` (offset-qualified
/// timestamps already made UTC).
pub(super) struct Read {
    pub(super) table: RawTable,
    pub(super) mapping: Mapping,
    pub(super) shape: String,
    pub(super) history: bool,
    pub(super) fixed_tz: Option<&'static str>,
    /// For vendor JSON: the tickets that have history (the rest get derived intervals).
    pub(super) with_history: Option<history::WithHistory>,
}

fn parse_json(path: &Path, bytes: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|e| {
        Error::Input {
            path: path.into(),
            line: Some(e.line() as u64),
            message: format!("invalid JSON ({e}); re-export the file"),
        }
    })
}

/// Rows flattened by a vendor adapter, read like any JSON array (record = array index + 1).
fn read_rows(path: &Path, rows: Vec<serde_json::Value>, m: &Mapping) -> Result<RawTable> {
    let bytes = serde_json::to_vec(&serde_json::Value::Array(rows)).map_err(|e| Error::Input {
        path: path.into(),
        line: None,
        message: e.to_string(),
    })?;
    json_reader::read_json(path, &bytes, &m.null_values)
}

pub(super) fn read_file(
    path: &Path,
    bytes: Vec<u8>,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    audits: &history::Changes,
    trail: &mut audit::Trail,
) -> Result<Read> {
    let json = is_json(path, &bytes);
    let vendor = |table, mapping, shape: &str| Read {
        table,
        mapping,
        shape: shape.to_string(),
        history: json,
        fixed_tz: json.then_some("UTC"),
        with_history: None,
    };
    match opts.source {
        SourceKind::Jira if json => {
            let m = custom.cloned().unwrap_or_else(|| jira::mapping(true));
            let (rows, ids) = jira::flatten_json(parse_json(path, &bytes)?, path)?;
            let mut r = vendor(read_rows(path, rows, &m)?, m, "jira/search-json");
            r.with_history = Some(ids);
            return Ok(r);
        }
        SourceKind::Jira => {
            let mut m = custom.cloned().unwrap_or_else(|| jira::mapping(false));
            let mut t = csv_reader::read_csv(path, bytes, &csv_options(&m, opts))?;
            jira::prepare_csv(&mut t);
            if custom.is_none() {
                m.timestamp_formats = jira::detect_format(&t, path, opts.date_format.as_deref())?;
            }
            return Ok(vendor(t, m, "jira/csv"));
        }
        SourceKind::Zendesk => {
            let m = custom.cloned().unwrap_or_else(zendesk::mapping);
            let doc = parse_json(path, &bytes)?;
            let zendesk::Export::Tickets(doc) = zendesk::read(doc, path)? else {
                unreachable!("audit files are accounted for before the read");
            };
            let (rows, ids) = zendesk::flatten(doc, audits);
            let mut r = vendor(read_rows(path, rows, &m)?, m, "zendesk/tickets-json");
            (r.history, r.fixed_tz, r.with_history) = (true, Some("UTC"), Some(ids));
            return Ok(r);
        }
        _ => {}
    }
    // Called once per file; it takes the bytes over so CSV text is not copied.
    let read = move |m: &Mapping| -> Result<RawTable> {
        if json || m.format == Format::Ndjson {
            json_reader::read_json(path, &bytes, &m.null_values)
        } else {
            csv_reader::read_csv(path, bytes, &csv_options(m, opts))
        }
    };
    match opts.source {
        SourceKind::Generic => {
            let m = custom.cloned().ok_or_else(|| Error::Usage("--source generic needs --mapping FILE (see the mapping reference in README.md)".into()))?;
            let t = read(&m)?;
            Ok(Read {
                table: t,
                mapping: m,
                shape: format!("generic/{}", if json { "json" } else { "csv" }),
                history: false,
                fixed_tz: None,
                with_history: None,
            })
        }
        SourceKind::Servicenow => {
            // Null spellings differ by shape, so read with the list mapping first and
            // re-apply the event log's `?` afterwards.
            let probe = servicenow::mapping(servicenow::Shape::ListCsv);
            let mut t = read(custom.unwrap_or(&probe))?;
            let shape = servicenow::detect(&t, json);
            let m = custom
                .cloned()
                .unwrap_or_else(|| servicenow::mapping(shape));
            if shape == servicenow::Shape::EventLog {
                for c in &mut t.columns {
                    *c = c.map(|_, v| {
                        v.filter(|s| !raw::is_null_spelling(s, &m.null_values))
                            .map(Into::into)
                    });
                }
            }
            if json {
                servicenow::translate_state_codes(&mut t);
            }
            if !trail.changes.is_empty() && shape == servicenow::Shape::ListCsv {
                let (expanded, ids) = audit::expand(t, trail);
                return Ok(Read {
                    table: expanded,
                    mapping: m,
                    shape: "servicenow/list-csv+sys-audit".into(),
                    history: true,
                    fixed_tz: None,
                    with_history: Some(ids),
                });
            }
            Ok(Read {
                table: t,
                mapping: m,
                shape: format!("servicenow/{}", shape_label(shape)),
                history: shape == servicenow::Shape::EventLog,
                fixed_tz: None,
                with_history: None,
            })
        }
        SourceKind::Jira | SourceKind::Zendesk => unreachable!("handled above"),
    }
}

/// Zendesk audits files of this ingest, read before the tickets: their status changes (for
/// tickets in this ingest) and their accounting. An audit whose ticket is not in the ingest
/// is rejected, not dropped: audits must come with their tickets export.
pub(super) struct AuditFiles {
    pub(super) changes: history::Changes,
    pub(super) files: std::collections::BTreeMap<PathBuf, (u64, Vec<Reject>)>,
}

/// ServiceNow `sys_audit` files of this ingest (recognised from their header), parsed before
/// the ticket exports so their status changes can expand them.
pub(super) fn sys_audits(files: &[PathBuf], opts: &IngestOptions) -> Result<audit::Trail> {
    let mut trail = audit::Trail::default();
    for path in files {
        // Only the header line decides; a large ticket export is not read twice.
        let head = first_line(path)?;
        if is_json(path, &head) || !audit::looks_like(&head) {
            continue;
        }
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let m = servicenow::mapping(servicenow::Shape::ListCsv);
        let t = csv_reader::read_csv(path, bytes, &csv_options(&m, opts))?;
        let f = audit::collect(&t, &mut trail.changes);
        trail.files.insert(path.clone(), f);
    }
    Ok(trail)
}

/// The first line of a file (all of it when it has no newline).
fn first_line(path: &Path) -> Result<Vec<u8>> {
    let mut head = Vec::new();
    let file = std::fs::File::open(path).map_err(Error::io("reading export", path))?;
    std::io::BufRead::read_until(&mut std::io::BufReader::new(file), b'\n', &mut head)
        .map_err(Error::io("reading export", path))?;
    Ok(head)
}

/// A CSV export read piece by piece (see [`csv_reader::CsvChunks`]).
pub(super) struct Stream {
    chunks: csv_reader::CsvChunks,
    first: Option<RawTable>,
    /// The mapping that normalises every piece.
    pub(super) mapping: Mapping,
    /// The shape label, as a whole-file read would give it.
    pub(super) shape: String,
}

impl Stream {
    /// The next piece of the file.
    pub(super) fn next(&mut self) -> Result<Option<RawTable>> {
        match self.first.take() {
            Some(t) => Ok(Some(t)),
            None => self.chunks.next_table(),
        }
    }
}

/// The mapping `path` is read piece by piece with, when its rows are independent of each
/// other: a ServiceNow list CSV (without `sys_audit` files to expand it) or a generic CSV.
/// JSON, Jira CSV (whose date format is decided from every date cell) and audit-expanded
/// exports are read whole; `None` says so. Decided from the first line only.
pub(super) fn stream_mapping(
    path: &Path,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    trail: &audit::Trail,
) -> Result<Option<Mapping>> {
    if is_json(path, &first_line(path)?) {
        return Ok(None);
    }
    Ok(match opts.source {
        SourceKind::Generic => custom.filter(|m| m.format != Format::Ndjson).cloned(),
        SourceKind::Servicenow if trail.changes.is_empty() => Some(
            custom
                .cloned()
                .unwrap_or_else(|| servicenow::mapping(servicenow::Shape::ListCsv)),
        ),
        _ => None,
    })
}

/// Open `path` to be read piece by piece with `m` (from [`stream_mapping`]). A ServiceNow
/// event log, recognised from its header, is read whole after all (its rows are one
/// ticket's history): `None`.
pub(super) fn open_stream(path: &Path, m: Mapping, opts: &IngestOptions) -> Result<Option<Stream>> {
    let mut chunks =
        csv_reader::CsvChunks::open(path, csv_options(&m, opts), super::chunk_bytes())?;
    let first = chunks.next_table()?;
    let shape = match opts.source {
        SourceKind::Servicenow => {
            let shape = first
                .as_ref()
                .map_or(servicenow::Shape::ListCsv, |t| servicenow::detect(t, false));
            if shape != servicenow::Shape::ListCsv {
                return Ok(None);
            }
            format!("servicenow/{}", shape_label(shape))
        }
        _ => "generic/csv".to_string(),
    };
    Ok(Some(Stream {
        chunks,
        first,
        mapping: m,
        shape,
    }))
}

fn shape_label(shape: servicenow::Shape) -> String {
    serde_json::to_value(shape)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The CSV reader's options for a mapping, with the `--encoding` override.
fn csv_options(m: &Mapping, opts: &IngestOptions) -> csv_reader::CsvOptions {
    csv_reader::CsvOptions {
        delimiter: m.delimiter_byte(),
        encoding: opts.encoding.unwrap_or(m.encoding),
        null_values: m.null_values.clone(),
        max_field_bytes: m.max_field_bytes,
    }
}

pub(super) fn zendesk_audits(files: &[PathBuf]) -> Result<AuditFiles> {
    let mut ticket_ids = std::collections::BTreeSet::new();
    // Per audits file: every audit's (ticket id, raw text), and the status changes.
    let mut audit_files = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let doc = parse_json(path, &bytes)?;
        let audits: Vec<(String, String)> = doc
            .get("audits")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    history::text(a, "/ticket_id").unwrap_or_default(),
                    a.to_string(),
                )
            })
            .collect();
        match zendesk::read(doc, path)? {
            zendesk::Export::Audits(changes) => audit_files.push((path.clone(), audits, changes)),
            zendesk::Export::Tickets(doc) => {
                for t in doc
                    .get("tickets")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = history::text(t, "/id") {
                        ticket_ids.insert(id);
                    }
                }
            }
        }
    }
    let mut out = AuditFiles {
        changes: Default::default(),
        files: Default::default(),
    };
    for (path, audits, changes) in audit_files {
        let rejects = audits
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| !ticket_ids.contains(id))
            .map(|(i, (id, raw))| Reject {
                line: None,
                record: i as u64 + 1,
                column: Some("ticket_id".into()),
                error_type: "orphan_audit",
                message: format!(
                    "audit of ticket `{id}`, which is not in this ingest; ingest the audits export together with its tickets export"
                ),
                raw: raw::truncate_raw(raw),
            })
            .collect();
        for (id, c) in changes
            .into_iter()
            .filter(|(id, _)| ticket_ids.contains(id))
        {
            out.changes.entry(id).or_default().extend(c);
        }
        out.files.insert(path, (audits.len() as u64, rejects));
    }
    Ok(out)
}

/// The mapping a file is normalised with: the adapter's (or `--mapping`), with the config's
/// value-map entries over it.
pub(super) fn with_overrides(mut m: Mapping, opts: &IngestOptions) -> Mapping {
    overlay(&mut m.values.status, &opts.overrides.status);
    overlay(&mut m.values.kind, &opts.overrides.kind);
    overlay(&mut m.values.priority, &opts.overrides.priority);
    m
}

/// The zone naive timestamps are read in: a zone the format fixes, `--tz`, the mapping's,
/// then the config's default.
pub(super) fn zone_of<'a>(
    fixed: Option<&'a str>,
    m: &'a Mapping,
    opts: &'a IngestOptions,
) -> Option<&'a str> {
    fixed
        .or(opts.tz.as_deref())
        .or(m.timezone.as_deref())
        .or(opts.default_tz.as_deref())
}

/// Put `over`'s entries into a value map; keys match case- and space-insensitively, as the
/// lookups do, so an override replaces the default spelling instead of duplicating it.
fn overlay<T: Clone>(
    base: &mut std::collections::BTreeMap<String, T>,
    over: &std::collections::BTreeMap<String, T>,
) {
    for (k, v) in over {
        let key = k.trim().to_lowercase();
        base.retain(|b, _| b.trim().to_lowercase() != key);
        base.insert(key, v.clone());
    }
}
