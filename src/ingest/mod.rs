//! Ingest: exports in, one committed dataset version out. Each file is hashed (a file
//! ingested before is a no-op), read by the structural reader of its format, normalised by
//! polars through its adapter's mapping, and accounted for: read = loaded + rejected, with
//! superseded counted separately (promise 1). Nothing is committed when the reject limit is
//! exceeded.

pub mod canonical;
pub mod csv_reader;
pub mod history;
pub mod intervals;
pub mod jira;
pub mod json_reader;
pub mod mapping;
pub mod normalize;
pub mod raw;
pub mod rejects;
pub mod servicenow;
pub mod writer;
pub mod zendesk;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dataset::manifest::{self, FileRecord};
use crate::dataset::{lock, store};
use crate::error::{Error, Result};
use mapping::{Encoding, Format, Mapping};
use raw::{RawTable, Reject};

/// Which adapter reads the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// ServiceNow list CSV, Table API JSON or event log (recognised automatically).
    Servicenow,
    /// Any CSV/NDJSON export described by a mapping file.
    Generic,
    /// Jira Service Management: issue navigator CSV or REST search JSON with changelog.
    Jira,
    /// Zendesk: incremental ticket export JSON, and ticket audits JSON.
    Zendesk,
}

/// Options of one ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The adapter.
    pub source: SourceKind,
    /// Mapping file (required for `generic`, optional override for vendors).
    pub mapping: Option<PathBuf>,
    /// Source time zone of naive timestamps, over the mapping's own (`--tz`).
    pub tz: Option<String>,
    /// Time zone used only when neither `tz` nor the mapping declares one (the config's
    /// `[ingest] timezone`).
    pub default_tz: Option<String>,
    /// Encoding override.
    pub encoding: Option<Encoding>,
    /// Declared date format (strftime) of locale-formatted exports (Jira CSV).
    pub date_format: Option<String>,
    /// Abort when more rows than this are rejected.
    pub max_rejects: Option<u64>,
    /// Abort when more than this percentage of records is rejected.
    pub max_reject_pct: Option<f64>,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
}

/// The outcome of an ingest, printed as text or JSON.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Whether a new version was committed.
    pub committed: bool,
    /// The dataset version after the ingest.
    pub version: u64,
    /// The ingest id, when something was committed.
    pub ingest_id: Option<String>,
    /// Per-file accounting.
    pub files: Vec<FileRecord>,
    /// Sum of records read.
    pub records_read: u64,
    /// Sum of rows loaded.
    pub loaded: u64,
    /// Sum of rows rejected.
    pub rejected: u64,
    /// Sum of rows superseded.
    pub superseded: u64,
    /// Sum of flagged rows.
    pub flagged: u64,
    /// Leftovers of an interrupted earlier run that were cleaned up.
    pub recovered: Vec<String>,
    /// The first rejects, for a quick look (all are in the `rejects` table).
    pub sample_rejects: Vec<FileReject>,
}

/// A reject with its file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReject {
    /// The export file.
    pub source_file: String,
    /// The reject.
    #[serde(flatten)]
    pub reject: Reject,
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_json(path: &Path, bytes: &[u8]) -> bool {
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

/// Read one file into a raw table and pick its mapping. Returns (table, mapping, shape label,
/// whether rows are update history).
/// A file read by its adapter: the table, the mapping that normalises it, its shape label,
/// whether its rows are update history, and a zone that overrides `--tz` (offset-qualified
/// timestamps already made UTC).
struct Read {
    table: RawTable,
    mapping: Mapping,
    shape: String,
    history: bool,
    fixed_tz: Option<&'static str>,
    /// For vendor JSON: the tickets that have history (the rest get derived intervals).
    with_history: Option<history::WithHistory>,
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

fn read_file(
    path: &Path,
    bytes: Vec<u8>,
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    audits: &history::Changes,
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
            let o = csv_reader::CsvOptions {
                delimiter: m.delimiter_byte(),
                encoding: opts.encoding.unwrap_or(m.encoding),
                null_values: m.null_values.clone(),
                max_field_bytes: m.max_field_bytes,
            };
            let mut t = csv_reader::read_csv(path, bytes, &o)?;
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
            let o = csv_reader::CsvOptions {
                delimiter: m.delimiter_byte(),
                encoding: opts.encoding.unwrap_or(m.encoding),
                null_values: m.null_values.clone(),
                max_field_bytes: m.max_field_bytes,
            };
            csv_reader::read_csv(path, bytes, &o)
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
            let label = serde_json::to_value(shape)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            Ok(Read {
                table: t,
                mapping: m,
                shape: format!("servicenow/{label}"),
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
struct AuditFiles {
    changes: history::Changes,
    files: std::collections::BTreeMap<PathBuf, (u64, Vec<Reject>)>,
}

fn zendesk_audits(files: &[PathBuf]) -> Result<AuditFiles> {
    let mut ticket_ids = std::collections::BTreeSet::new();
    let mut audit_docs = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let doc = parse_json(path, &bytes)?;
        let is_audits = doc.get("audits").is_some();
        match zendesk::read(doc.clone(), path)? {
            zendesk::Export::Audits(..) if is_audits => audit_docs.push((path.clone(), doc)),
            _ => {
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
    for (path, doc) in audit_docs {
        let list = doc
            .get("audits")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        let mut rejects = Vec::new();
        for (i, a) in list.iter().enumerate() {
            let id = history::text(a, "/ticket_id").unwrap_or_default();
            if !ticket_ids.contains(&id) {
                rejects.push(Reject {
                    line: None,
                    record: i as u64 + 1,
                    column: Some("ticket_id".into()),
                    error_type: "orphan_audit",
                    message: format!(
                        "audit of ticket `{id}`, which is not in this ingest; ingest the audits export together with its tickets export"
                    ),
                    raw: raw::truncate_raw(&a.to_string()),
                });
            }
        }
        if let zendesk::Export::Audits(changes, _) = zendesk::read(doc, &path)? {
            for (id, c) in changes
                .into_iter()
                .filter(|(id, _)| ticket_ids.contains(id))
            {
                out.changes.entry(id).or_default().extend(c);
            }
        }
        out.files.insert(path, (list.len() as u64, rejects));
    }
    Ok(out)
}

/// The rejects of one ingest as a frame in the `rejects` schema.
fn rejects_frame(ingest_id: &str, rejects: &[FileReject]) -> Result<DataFrame> {
    let n = rejects.len();
    let cols = vec![
        Column::new("ingest_id".into(), vec![ingest_id.to_string(); n]),
        Column::new(
            "source_file".into(),
            rejects
                .iter()
                .map(|r| r.source_file.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "line".into(),
            rejects
                .iter()
                .map(|r| r.reject.line.map(|l| l as i64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "record".into(),
            rejects
                .iter()
                .map(|r| r.reject.record as i64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "column".into(),
            rejects
                .iter()
                .map(|r| r.reject.column.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "error_type".into(),
            rejects
                .iter()
                .map(|r| r.reject.error_type.to_string())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "message".into(),
            rejects
                .iter()
                .map(|r| r.reject.message.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "raw".into(),
            rejects
                .iter()
                .map(|r| r.reject.raw.clone())
                .collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new_infer_height(cols).map_err(Error::polars("building rejects"))
}

fn progress_bar(opts: &IngestOptions, n: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    (opts.progress && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new(n as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        pb
    })
}

/// Ingest `files` into the dataset at `root`.
pub fn ingest(root: &Path, files: &[PathBuf], opts: &IngestOptions) -> Result<IngestReport> {
    if files.is_empty() {
        return Err(Error::Usage(
            "no input files given; name one or more exports after the options".into(),
        ));
    }
    let custom = opts.mapping.as_deref().map(Mapping::load).transpose()?;
    let _lock = lock::acquire(root)?;
    store::fault_point("after-lock");
    let recovered = store::recover(root)?;
    let current = manifest::current(root)?;
    let version = current.version + 1;
    let ingest_id = format!("ing-{version:06}");
    let pb = progress_bar(opts, files.len());

    let mut records = Vec::new();
    let mut tickets = Vec::new();
    let mut history = Vec::new();
    let mut all_rejects: Vec<FileReject> = Vec::new();
    let mut source_name = serde_json::to_value(opts.source)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let audits = if opts.source == SourceKind::Zendesk {
        zendesk_audits(files)?
    } else {
        AuditFiles {
            changes: Default::default(),
            files: Default::default(),
        }
    };
    for path in files {
        let label = path.display().to_string();
        if let Some(pb) = &pb {
            pb.set_message(label.clone());
        }
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let sha = sha256_hex(&bytes);
        let mut rec = FileRecord {
            path: label.clone(),
            sha256: sha.clone(),
            bytes: bytes.len() as u64,
            ..Default::default()
        };
        let earlier = current
            .ingest_of_hash(&sha)
            .map(|i| i.ingest_id.clone())
            .or_else(|| {
                records
                    .iter()
                    .any(|r: &FileRecord| r.sha256 == sha && r.outcome == "loaded")
                    .then(|| ingest_id.clone())
            });
        if let Some(prev) = earlier {
            rec.outcome = "duplicate".into();
            rec.duplicate_of = Some(prev);
            records.push(rec);
            continue;
        }
        if let Some((n, rejects)) = audits.files.get(path) {
            rec.shape = "zendesk/audits-json".into();
            rec.outcome = "history".into();
            rec.records_read = *n;
            rec.rejected = rejects.len() as u64;
            rec.loaded = n - rec.rejected;
            all_rejects.extend(rejects.iter().map(|reject| FileReject {
                source_file: label.clone(),
                reject: reject.clone(),
            }));
            records.push(rec);
            continue;
        }
        let Read {
            table,
            mapping: m,
            shape,
            history: is_history,
            fixed_tz,
            with_history,
        } = read_file(path, bytes, opts, custom.as_ref(), &audits.changes)?;
        source_name = m.source.clone();
        let read = table.records_read;
        let lineage = normalize::Lineage {
            ingest_id: ingest_id.clone(),
            source_file: label.clone(),
        };
        let n = normalize::normalize(
            table,
            &m,
            fixed_tz
                .or(opts.tz.as_deref())
                .or(m.timezone.as_deref())
                .or(opts.default_tz.as_deref()),
            &lineage,
            path,
        )?;
        let loaded = n.tickets.height() as u64;
        let rejected = n.rejects.len() as u64;
        if loaded + rejected != read {
            return Err(Error::Input {
                path: path.clone(),
                line: None,
                message: format!(
                    "internal accounting error: read {read}, loaded {loaded}, rejected {rejected}; please report this"
                ),
            });
        }
        rec.shape = shape;
        rec.outcome = "loaded".into();
        rec.records_read = read;
        rec.loaded = loaded;
        rec.rejected = rejected;
        rec.flagged = n.flagged;
        rec.missing_columns = n.missing_columns;
        rec.extra_columns = n.extra_columns;
        rec.warnings = n.warnings;
        if is_history {
            let updates = match &with_history {
                Some(ids) => {
                    let keep: Vec<String> = ids.iter().cloned().collect();
                    n.tickets
                        .clone()
                        .lazy()
                        .filter(
                            col("ticket_id")
                                .is_in(lit(Series::new("k".into(), keep)).implode(false), false),
                        )
                        .collect()
                        .map_err(Error::polars("selecting tickets with history"))?
                }
                None => n.tickets.clone(),
            };
            history.push(intervals::from_history(&updates)?);
        }
        tickets.push(n.tickets);
        all_rejects.extend(n.rejects.into_iter().map(|reject| FileReject {
            source_file: label.clone(),
            reject,
        }));
        records.push(rec);
        if let Some(pb) = &pb {
            pb.inc(1);
        }
    }
    store::fault_point("after-read");
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let read: u64 = records.iter().map(|r| r.records_read).sum();
    let rejected: u64 = records.iter().map(|r| r.rejected).sum();
    check_limits(read, rejected, opts, &all_rejects)?;

    let mut report = IngestReport {
        committed: false,
        version: current.version,
        ingest_id: None,
        files: records.clone(),
        records_read: read,
        loaded: records.iter().map(|r| r.loaded).sum(),
        rejected,
        superseded: 0,
        flagged: records.iter().map(|r| r.flagged).sum(),
        recovered,
        sample_rejects: all_rejects.iter().take(20).cloned().collect(),
    };
    if records.iter().all(|r| r.outcome == "duplicate") {
        return Ok(report);
    }
    let batch = writer::Batch {
        version,
        ingest_id: ingest_id.clone(),
        source: source_name,
        tickets,
        history,
        rejects: rejects_frame(&ingest_id, &all_rejects)?,
        files: records,
    };
    let m = writer::commit(root, &current, batch)?;
    let files = m
        .ingests
        .last()
        .map(|i| i.files.clone())
        .unwrap_or_default();
    report.superseded = files.iter().map(|f| f.superseded).sum();
    report.files = files;
    report.committed = true;
    report.version = m.version;
    report.ingest_id = Some(ingest_id);
    Ok(report)
}

fn check_limits(
    read: u64,
    rejected: u64,
    opts: &IngestOptions,
    rejects: &[FileReject],
) -> Result<()> {
    let examples = || -> Vec<String> {
        rejects
            .iter()
            .take(5)
            .map(|r| {
                let at = r
                    .reject
                    .line
                    .map(|l| format!(":{l}"))
                    .unwrap_or_else(|| format!(" record {}", r.reject.record));
                format!(
                    "  {}{at}: {}: {}",
                    r.source_file, r.reject.error_type, r.reject.message
                )
            })
            .collect()
    };
    if let Some(max) = opts.max_rejects
        && rejected > max
    {
        return Err(Error::RejectLimit {
            examples: examples(),
            rejected,
            read,
            limit: format!("--max-rejects {max}"),
        });
    }
    if let Some(pct) = opts.max_reject_pct
        && read > 0
        && (rejected as f64) * 100.0 / (read as f64) > pct
    {
        return Err(Error::RejectLimit {
            examples: examples(),
            rejected,
            read,
            limit: format!("--max-reject-pct {pct}"),
        });
    }
    Ok(())
}
