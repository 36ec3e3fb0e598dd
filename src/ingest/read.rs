//! Reading one export with its adapter: the format (CSV or JSON), the vendor's shape, the
//! mapping that normalises it, and the audit trails (ServiceNow `sys_audit`, Zendesk audits)
//! that are read before the ticket exports they expand.

use std::path::Path;

use super::mapping::{Format, Mapping};
use super::raw::{self, RawTable};
use super::{
    IngestOptions, SourceKind, audit, csv_reader, history, jira, json_reader, servicenow, zendesk,
};
use crate::error::{Error, Result};

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

pub(super) fn parse_json(path: &Path, bytes: &[u8]) -> Result<serde_json::Value> {
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

/// Read one ticket export whole with the adapter of `opts` (each adapter's reading is its
/// own function below; the plan has already told JSON from CSV).
pub(super) fn read_file(
    path: &Path,
    bytes: Vec<u8>,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    audits: &history::Changes,
    trail: &mut audit::Trail,
    json: bool,
) -> Result<Read> {
    match opts.source {
        SourceKind::Jira => read_jira(path, bytes, opts, custom, json),
        SourceKind::Zendesk => read_zendesk(path, &bytes, custom, audits),
        SourceKind::Generic => read_generic(path, bytes, opts, custom, json),
        SourceKind::Servicenow => read_servicenow(path, bytes, opts, custom, trail, json),
    }
}

/// A vendor export's read: JSON carries its history and UTC offsets, CSV neither.
fn vendor(table: RawTable, mapping: Mapping, shape: &str, json: bool) -> Read {
    Read {
        table,
        mapping,
        shape: shape.to_string(),
        history: json,
        fixed_tz: json.then_some("UTC"),
        with_history: None,
    }
}

/// Jira: the REST search JSON (with its changelog), or the issue navigator CSV (whose
/// locale date format is decided from every date cell).
fn read_jira(
    path: &Path,
    bytes: Vec<u8>,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    json: bool,
) -> Result<Read> {
    if json {
        let m = custom.cloned().unwrap_or_else(|| jira::mapping(true));
        let (rows, ids) = jira::flatten_json(parse_json(path, &bytes)?, path)?;
        let mut r = vendor(read_rows(path, rows, &m)?, m, "jira/search-json", true);
        r.with_history = Some(ids);
        return Ok(r);
    }
    let mut m = custom.cloned().unwrap_or_else(|| jira::mapping(false));
    let mut t = csv_reader::read_csv(path, bytes, &csv_options(&m, opts))?;
    jira::prepare_csv(&mut t);
    if custom.is_none() {
        m.timestamp_formats = jira::detect_format(&t, path, opts.date_format.as_deref())?;
    }
    Ok(vendor(t, m, "jira/csv", false))
}

/// Zendesk: the incremental tickets export, with the status changes of the audits files
/// (read by the plan) as history.
fn read_zendesk(
    path: &Path,
    bytes: &[u8],
    custom: Option<&Mapping>,
    audits: &history::Changes,
) -> Result<Read> {
    let m = custom.cloned().unwrap_or_else(zendesk::mapping);
    let doc = parse_json(path, bytes)?;
    let zendesk::Export::Tickets(doc) = zendesk::read(doc, path)? else {
        // The plan accounts for audits files before any ticket export is read.
        return Err(Error::Input {
            path: path.into(),
            line: None,
            message:
                "an audits export was read as tickets; ingest it together with its tickets export"
                    .into(),
        });
    };
    let (rows, ids) = zendesk::flatten(doc, audits);
    let mut r = vendor(read_rows(path, rows, &m)?, m, "zendesk/tickets-json", true);
    r.with_history = Some(ids);
    Ok(r)
}

/// A CSV or NDJSON export read with its format's reader.
pub(super) fn read_table(
    path: &Path,
    bytes: Vec<u8>,
    m: &Mapping,
    opts: &IngestOptions,
    json: bool,
) -> Result<RawTable> {
    if json || m.format == Format::Ndjson {
        json_reader::read_json(path, &bytes, &m.null_values)
    } else {
        csv_reader::read_csv(path, bytes, &csv_options(m, opts))
    }
}

/// Generic: any CSV or NDJSON export, through its mapping file.
fn read_generic(
    path: &Path,
    bytes: Vec<u8>,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    json: bool,
) -> Result<Read> {
    let m = custom.cloned().ok_or_else(|| {
        Error::Usage(
            "--source generic needs --mapping FILE (see the mapping reference in README.md)".into(),
        )
    })?;
    let t = read_table(path, bytes, &m, opts, json)?;
    Ok(Read {
        table: t,
        mapping: m,
        shape: format!("generic/{}", if json { "json" } else { "csv" }),
        history: false,
        fixed_tz: None,
        with_history: None,
    })
}

/// ServiceNow: the shape (list CSV, Table API JSON, event log) is recognised from the file;
/// a list CSV is expanded by the ingest's `sys_audit` changes.
fn read_servicenow(
    path: &Path,
    bytes: Vec<u8>,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    trail: &mut audit::Trail,
    json: bool,
) -> Result<Read> {
    // Null spellings differ by shape, so read with the list mapping first and re-apply the
    // event log's `?` afterwards.
    let probe = servicenow::mapping(servicenow::Shape::ListCsv);
    let mut t = read_table(path, bytes, custom.unwrap_or(&probe), opts, json)?;
    let shape = servicenow::detect(&t, json);
    let mut m = custom
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
    let declared = opts.date_format.as_deref();
    if !trail.changes.is_empty() && shape == servicenow::Shape::ListCsv {
        let (expanded, ids) = audit::expand(t, trail);
        if custom.is_none() {
            m.timestamp_formats = servicenow::date_formats(&expanded, &m, path, declared)?;
        }
        return Ok(Read {
            table: expanded,
            mapping: m,
            shape: "servicenow/list-csv+sys-audit".into(),
            history: true,
            fixed_tz: None,
            with_history: Some(ids),
        });
    }
    // The event log's dates are always `dd/MM/yyyy` (its documented format) unless declared;
    // the other shapes' are decided from every date cell.
    match (custom, shape, declared) {
        (Some(_), ..) => {}
        (None, servicenow::Shape::EventLog, None) => {}
        (None, servicenow::Shape::EventLog, Some(d)) => m.timestamp_formats = vec![d.into()],
        (None, ..) => m.timestamp_formats = servicenow::date_formats(&t, &m, path, declared)?,
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

/// Open `path` to be read piece by piece with `m` (from the plan; `custom` says it is the
/// user's `--mapping`). It is read whole after all (`None`) when its header says it is a
/// ServiceNow event log (its rows are one ticket's history), or when a ServiceNow list
/// export's first piece has dates that are not ISO: their format is then decided from every
/// date cell of the file, which a piece cannot do.
pub(super) fn open_stream(
    path: &Path,
    mut m: Mapping,
    custom: bool,
    opts: &IngestOptions,
) -> Result<Option<Stream>> {
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
            if !custom {
                let iso = || servicenow::DATE_READINGS[0].iter().map(|f| f.to_string());
                m.timestamp_formats = match (&opts.date_format, &first) {
                    (Some(d), _) => vec![d.clone()],
                    (None, None) => iso().collect(),
                    (None, Some(t)) => match servicenow::date_formats(t, &m, path, None) {
                        Ok(f) if f.iter().cloned().eq(iso()) => f,
                        _ => return Ok(None),
                    },
                };
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
pub(super) fn csv_options(m: &Mapping, opts: &IngestOptions) -> csv_reader::CsvOptions {
    csv_reader::CsvOptions {
        delimiter: m.delimiter_byte(),
        encoding: opts.encoding.unwrap_or(m.encoding),
        null_values: m.null_values.clone(),
        max_field_bytes: m.max_field_bytes,
    }
}

/// The mapping a file is normalised with: the adapter's (or `--mapping`), with the config's
/// value-map entries and `resolved-from-closed` over it.
pub(super) fn with_overrides(mut m: Mapping, opts: &IngestOptions) -> Mapping {
    overlay(&mut m.values.status, &opts.overrides.status);
    overlay(&mut m.values.kind, &opts.overrides.kind);
    overlay(&mut m.values.priority, &opts.overrides.priority);
    if let Some(v) = opts.resolved_from_closed {
        m.resolved_from_closed = v;
    }
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
