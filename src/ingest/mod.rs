//! Ingest: exports in, one committed dataset version out. Each file is hashed (a file
//! ingested before is a no-op), read by the structural reader of its format, normalised by
//! polars through its adapter's mapping, and accounted for: read = loaded + rejected, with
//! superseded counted separately (promise 1). Nothing is committed when the reject limit is
//! exceeded.

pub mod audit;
pub mod canonical;
pub mod csv_reader;
pub mod history;
pub mod intervals;
pub mod jira;
pub mod json_reader;
pub mod localtime;
pub mod mapping;
pub mod normalize;
mod pieces;
mod prepare;
pub mod raw;
mod read;
pub mod rejects;
pub use rejects::FileReject;
pub mod servicenow;
pub mod spill;
pub mod writer;
pub mod zendesk;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dataset::manifest::{self, FileRecord};
use crate::dataset::{lock, store};
use crate::error::{Error, Result};
use mapping::{Encoding, Mapping};
use pieces::Loaded;
use read::{AuditFiles, Read, read_file, sys_audits, zendesk_audits};

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
    /// Value-map entries added over the adapter's defaults (config `statuses`, `kinds`,
    /// `priorities` of a source).
    pub overrides: mapping::ValueMaps,
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

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 and size of a file, read in blocks (an export of any size).
fn sha256_file(path: &Path) -> Result<(String, u64)> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(Error::io("reading export", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(Error::io("reading export", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex(&hasher.finalize()), total))
}

/// A size the environment variable `var` may set (a tuning and test knob), else `default`.
pub(crate) fn tuning(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// Bytes of CSV text read and normalised at a time: `TICKETLAKE_CHUNK_BYTES`, else 32 MiB,
/// which keeps an ingest's memory bounded whatever the export's size.
pub fn chunk_bytes() -> usize {
    tuning("TICKETLAKE_CHUNK_BYTES", 32 << 20)
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
    let mut spill = spill::Spill::new(root, &ingest_id)?;
    let mut history = Vec::new();
    let mut all_rejects: Vec<FileReject> = Vec::new();
    let mut audit_records: Vec<(PathBuf, FileRecord)> = Vec::new();
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
    let mut trail = if opts.source == SourceKind::Servicenow {
        sys_audits(files, opts)?
    } else {
        audit::Trail::default()
    };
    for path in files {
        let label = path.display().to_string();
        if let Some(pb) = &pb {
            pb.set_message(label.clone());
        }
        store::phase("start");
        let streamed = read::stream_mapping(path, opts, custom.as_ref(), &trail)?;
        // A file read whole is hashed from its bytes, a streamed one in a pass of its own
        // (so that a duplicate is skipped before it is parsed).
        let mut whole = None;
        let (sha, size) = match streamed {
            Some(_) => sha256_file(path)?,
            None => {
                let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
                let hashed = (sha256_hex(&bytes), bytes.len() as u64);
                whole = Some(bytes);
                hashed
            }
        };
        let mut rec = FileRecord {
            path: label.clone(),
            sha256: sha.clone(),
            bytes: size,
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
        if trail.files.contains_key(path) {
            // Accounted for after the ticket exports, which decide which changes were used.
            audit_records.push((path.clone(), rec));
            continue;
        }
        let lineage = normalize::Lineage {
            ingest_id: ingest_id.clone(),
            source_file: label.clone(),
        };
        if let Some(m) = streamed
            && let Some(mut stream) = read::open_stream(path, m, opts)?
        {
            // A plain CSV export: read, normalised and spilled one piece at a time.
            let m = read::with_overrides(stream.mapping.clone(), opts);
            source_name = m.source.clone();
            let shape = std::mem::take(&mut stream.shape);
            let zone = read::zone_of(None, &m, opts);
            let (sum, rejects) = pieces::load(stream, &m, zone, &lineage, path, &mut spill)?;
            all_rejects.extend(rejects.into_iter().map(|reject| FileReject {
                source_file: label.clone(),
                reject,
            }));
            sum.record(&mut rec, shape, path)?;
            records.push(rec);
            if let Some(pb) = &pb {
                pb.inc(1);
            }
            store::phase("read and normalise (streamed)");
            continue;
        }
        let bytes = match whole {
            Some(bytes) => bytes,
            None => std::fs::read(path).map_err(Error::io("reading export", path))?,
        };
        let Read {
            table,
            mapping: m,
            shape,
            history: is_history,
            fixed_tz,
            with_history,
        } = read_file(
            path,
            bytes,
            opts,
            custom.as_ref(),
            &audits.changes,
            &mut trail,
        )?;
        let m = read::with_overrides(m, opts);
        source_name = m.source.clone();
        let read = table.records_read;
        store::phase("read (structural)");
        let n = normalize::normalize(table, &m, read::zone_of(fixed_tz, &m, opts), &lineage, path)?;
        let mut sum = Loaded::default();
        sum.add(&n, read, n.tickets.height() as u64, true);
        sum.record(&mut rec, shape, path)?;
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
        spill.push(n.tickets)?;
        all_rejects.extend(n.rejects.into_iter().map(|reject| FileReject {
            source_file: label.clone(),
            reject,
        }));
        records.push(rec);
        if let Some(pb) = &pb {
            pb.inc(1);
        }
    }
    for (path, mut rec) in audit_records {
        let rejects = trail.rejects(&path);
        let read = trail.files.get(&path).map_or(0, |f| f.read);
        rec.shape = "servicenow/sys-audit".into();
        rec.outcome = "history".into();
        rec.records_read = read;
        rec.rejected = rejects.len() as u64;
        rec.loaded = read - rec.rejected;
        all_rejects.extend(rejects.into_iter().map(|reject| FileReject {
            source_file: rec.path.clone(),
            reject,
        }));
        records.push(rec);
    }
    store::fault_point("after-read");
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let read: u64 = records.iter().map(|r| r.records_read).sum();
    let rejected: u64 = records.iter().map(|r| r.rejected).sum();
    rejects::check_limits(read, rejected, opts, &all_rejects)?;

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
        spill,
        history,
        rejects: rejects::frame(&ingest_id, &all_rejects)?,
        files: records,
    };
    store::phase("normalise");
    let m = writer::commit(root, &current, batch)?;
    store::phase("commit (written)");
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
