//! Ingest: exports in, one committed dataset version out. Each file is hashed (a file
//! ingested before is a no-op), read by the structural reader of its format, normalised by
//! polars through its adapter's mapping, and accounted for: read = loaded + rejected, with
//! superseded counted separately (promise 1). Nothing is committed when the reject limit is
//! exceeded.

pub mod audit;
pub mod canonical;
mod csv_lines;
pub mod csv_reader;
pub mod dates;
pub mod durations;
pub mod fingerprint;
pub mod flat;
pub mod history;
pub mod intervals;
pub mod jira;
pub mod json_reader;
pub mod localtime;
pub mod mapping;
mod mapping_checks;
pub mod normalize;
mod pieces;
mod plan;
mod prepare;
pub mod raw;
mod read;
pub mod rejects;
mod trails;
pub use rejects::{FileReject, LimitExceeded, RejectLimits};
pub mod servicenow;
pub mod spill;
pub mod suggest;
pub mod timestamps;
pub mod vocabulary;
pub mod writer;
pub mod zendesk;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::dataset::Location;
use crate::dataset::manifest::{self, FileRecord};
use crate::dataset::{lock, store};
use crate::error::{Error, Result};
use fingerprint::sha256_file;
pub use fingerprint::{read_options, sha256_hex};
use mapping::{Encoding, Mapping};
use pieces::Loaded;
use plan::{FilePlan, Plan, Role};
use read::{Read, read_file};

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

/// One export read whole into untyped cells with `m`'s reader: JSON (by extension or first
/// byte) or CSV with `m`'s delimiter and encoding. The CMDB's exports are read with it.
pub fn read_cells(
    path: &Path,
    bytes: Vec<u8>,
    m: &Mapping,
    opts: &IngestOptions,
) -> Result<raw::RawTable> {
    let json = plan::is_json(path, &bytes);
    read::read_table(path, bytes, m, opts, json)
}

/// Whether an export is JSON: by extension, or by a first non-blank byte of `{` or `[`.
pub fn is_json(path: &Path, bytes: &[u8]) -> bool {
    plan::is_json(path, bytes)
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
    /// Declared date format (strftime) of locale-formatted exports (Jira CSV, ServiceNow);
    /// it wins over detection.
    pub date_format: Option<String>,
    /// Value-map entries added over the adapter's defaults (config `statuses`, `kinds`,
    /// `priorities` of a source).
    pub overrides: mapping::ValueMaps,
    /// `resolved-from-closed` of a source or `--resolved-from-closed`, over the mapping's.
    pub resolved_from_closed: Option<bool>,
    /// Re-read a file ingested before with the same bytes and options (`--replace`),
    /// superseding its earlier contribution.
    pub replace: bool,
    /// Commit nothing when the rejects exceed these.
    pub limits: RejectLimits,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
    /// Flat history exports (one row per change) of the tickets of this ingest.
    pub history: Vec<PathBuf>,
    /// The mapping (`kind = "history"`) the history exports are read with.
    pub history_mapping: Option<PathBuf>,
    /// `[privacy]`: with `at = "ingest"`, tickets and rejects are masked before they are
    /// written.
    pub privacy: Option<crate::privacy::Privacy>,
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
    /// Sum of history rows skipped (changes of other fields than the status).
    #[serde(skip_serializing_if = "manifest::is_zero")]
    pub skipped: u64,
    /// Sum of flagged rows.
    pub flagged: u64,
    /// Leftovers of an interrupted earlier run that were cleaned up.
    pub recovered: Vec<String>,
    /// The first rejects, for a quick look (all are in the `rejects` table).
    pub sample_rejects: Vec<FileReject>,
    /// Set when the rejects exceeded a limit: then nothing was committed.
    pub limit_exceeded: Option<LimitExceeded>,
}

/// A size the environment variable `var` may set (a tuning and test knob), else `default`.
pub(crate) fn tuning(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// Worker threads of the stages that run one key range or piece per worker (ingest's
/// merge, the SLA build): `TICKETLAKE_WORKERS`, else one per core.
pub fn workers() -> usize {
    tuning(
        "TICKETLAKE_WORKERS",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    )
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
pub fn ingest(root: &Location, files: &[PathBuf], opts: &IngestOptions) -> Result<IngestReport> {
    if files.is_empty() {
        return Err(Error::Usage(
            "no input files given; name one or more exports after the options".into(),
        ));
    }
    let masker = match &opts.privacy {
        Some(p) => p.masker(crate::privacy::At::Ingest)?,
        None => None,
    };
    let custom = opts.mapping.as_deref().map(Mapping::load).transpose()?;
    if let (Some(m), Some(path)) = (&custom, &opts.mapping)
        && m.is_history()
    {
        return Err(Error::Config {
            path: path.clone(),
            key: "kind".into(),
            message: "this mapping reads a history file (kind = \"history\"): give it with \
                      --history-mapping and the file with --history, next to the tickets' mapping"
                .into(),
        });
    }
    let _lock = lock::acquire(root)?;
    store::fault_point("after-lock");
    let recovered = store::recover(root)?;
    let current = manifest::current(root)?;
    let version = current.version + 1;
    let ingest_id = format!("ing-{version:06}");
    let mut plan = plan::plan(files, opts, custom.as_ref())?;
    let mut run = Run {
        ingest_id: ingest_id.clone(),
        spill: spill::Spill::new(root, &ingest_id)?.masking(masker.clone()),
        masker,
        source: serde_json::to_value(opts.source)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        read_options: read_options(opts)?,
        replaces: Vec::new(),
        replace: opts.replace,
        records: Vec::new(),
        history: Vec::new(),
        rejects: Vec::new(),
        sys_audit_records: Vec::new(),
        anchors: flat::Anchors::new(),
    };
    let pb = progress_bar(opts, files.len());
    for file in plan.files.clone() {
        if let Some(pb) = &pb {
            pb.set_message(file.path.display().to_string());
        }
        store::phase("start");
        run.file(&file, &mut plan, &current, opts, custom.as_ref())?;
        if let Some(pb) = &pb {
            pb.inc(1);
        }
    }
    run.account_sys_audits(&plan)?;
    run.flat_history(&mut plan, &current)?;
    store::fault_point("after-read");
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    run.commit(root, &current, opts, recovered)
}

/// The state of one ingest while its files are read: the accounting, the spilled rows, the
/// histories and the rejects.
struct Run {
    ingest_id: String,
    /// [`read_options`] of this ingest, recorded with every file.
    read_options: serde_json::Value,
    /// Earlier contributions this ingest's files supersede.
    replaces: Vec<writer::Replacement>,
    /// `--replace`: read files again even with the same bytes and options.
    replace: bool,
    source: String,
    records: Vec<FileRecord>,
    spill: spill::Spill,
    history: Vec<DataFrame>,
    rejects: Vec<FileReject>,
    /// `sys_audit` files, accounted for after the ticket exports, which decide which
    /// changes were used.
    sys_audit_records: Vec<(PathBuf, FileRecord)>,
    /// The tickets read that have flat history.
    anchors: flat::Anchors,
    /// Masks the rejects (the spill masks the tickets), with `[privacy] at = "ingest"`.
    masker: Option<crate::privacy::Masker>,
}

impl Run {
    /// Read one file of the plan: skip it as a duplicate, account for an audit trail, or
    /// load its tickets (piece by piece where it can, else whole).
    fn file(
        &mut self,
        file: &FilePlan,
        plan: &mut Plan,
        current: &manifest::Manifest,
        opts: &IngestOptions,
        custom: Option<&Mapping>,
    ) -> Result<()> {
        let path = &file.path;
        // A file read whole is hashed from its bytes, a streamed one in a pass of its own
        // (so that a duplicate is skipped before it is parsed).
        let mut whole = None;
        let (sha, size) = match file.stream {
            Some(_) => sha256_file(path)?,
            None => {
                let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
                let hashed = (sha256_hex(&bytes), bytes.len() as u64);
                whole = Some(bytes);
                hashed
            }
        };
        let Some(rec) = self.unless_duplicate(current, path, sha, size) else {
            return Ok(());
        };
        match file.role {
            Role::ZendeskAudits => {
                let (n, rejects) = plan.zendesk.files.get(path).cloned().unwrap_or_default();
                self.history_file(rec, "zendesk/audits-json", (n, 0), rejects)?;
            }
            Role::SysAudit => self.sys_audit_records.push((path.clone(), rec)),
            Role::Tickets => {
                if let Some(m) = file.stream.clone()
                    && let Some(stream) = read::open_stream(path, m, custom.is_some(), opts)?
                {
                    return self.streamed(stream, rec, path, opts, &plan.flat);
                }
                let bytes = match whole {
                    Some(bytes) => bytes,
                    None => std::fs::read(path).map_err(Error::io("reading export", path))?,
                };
                self.whole(bytes, rec, file, plan, opts, custom)?;
            }
        }
        Ok(())
    }

    fn lineage(&self, rec: &FileRecord) -> normalize::Lineage {
        normalize::Lineage {
            ingest_id: self.ingest_id.clone(),
            source_file: rec.path.clone(),
        }
    }

    fn add_rejects(&mut self, file: &str, rejects: impl IntoIterator<Item = raw::Reject>) {
        self.rejects
            .extend(rejects.into_iter().map(|reject| FileReject {
                source_file: file.to_string(),
                reject,
            }));
    }

    /// A plain CSV export: read, normalised and spilled one piece at a time.
    fn streamed(
        &mut self,
        mut stream: read::Stream,
        mut rec: FileRecord,
        path: &Path,
        opts: &IngestOptions,
        history: &flat::History,
    ) -> Result<()> {
        let m = read::with_overrides(stream.mapping.clone(), opts);
        self.source = m.source.clone();
        let shape = std::mem::take(&mut stream.shape);
        let zone = read::zone_of(None, &m, opts);
        let lineage = self.lineage(&rec);
        let (sum, rejects, anchors) =
            pieces::load(stream, &m, zone, &lineage, path, &mut self.spill, history)?;
        flat::merge_anchors(&mut self.anchors, anchors);
        self.add_rejects(&rec.path.clone(), rejects);
        sum.record(&mut rec, shape, path)?;
        self.records.push(rec);
        store::phase("read and normalise (streamed)");
        Ok(())
    }

    /// An export read whole by its adapter, normalised, and spilled; its history (event log,
    /// vendor JSON, audit-expanded rows) becomes status intervals.
    fn whole(
        &mut self,
        bytes: Vec<u8>,
        mut rec: FileRecord,
        file: &FilePlan,
        plan: &mut Plan,
        opts: &IngestOptions,
        custom: Option<&Mapping>,
    ) -> Result<()> {
        let path = &file.path;
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
            custom,
            &plan.zendesk.changes,
            &mut plan.trail,
            file.json,
        )?;
        let m = read::with_overrides(m, opts);
        self.source = m.source.clone();
        let read = table.records_read;
        store::phase("read (structural)");
        let lineage = self.lineage(&rec);
        let mut n =
            normalize::normalize(table, &m, read::zone_of(fixed_tz, &m, opts), &lineage, path)?;
        let anchors = plan.flat.attach(&mut n.tickets)?;
        flat::merge_anchors(&mut self.anchors, anchors);
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
            self.history.push(intervals::from_history(&updates)?);
        }
        self.spill.push(n.tickets)?;
        self.add_rejects(&rec.path.clone(), n.rejects);
        self.records.push(rec);
        Ok(())
    }

    /// Check the reject limits, then commit the version (unless every file was a duplicate
    /// or the limit was exceeded, which commit nothing).
    fn commit(
        mut self,
        root: &Location,
        current: &manifest::Manifest,
        opts: &IngestOptions,
        recovered: Vec<String>,
    ) -> Result<IngestReport> {
        if let Some(m) = &self.masker {
            // After every ticket is masked, so a name the masker has seen goes too.
            for r in &mut self.rejects {
                r.reject.raw = m.text_seen(&r.reject.raw);
                r.reject.message = m.text_seen(&r.reject.message);
            }
        }
        let records = self.records;
        let read: u64 = records.iter().map(|r| r.records_read).sum();
        let rejected: u64 = records.iter().map(|r| r.rejected).sum();
        let mut report = IngestReport {
            committed: false,
            version: current.version,
            ingest_id: None,
            files: records.clone(),
            records_read: read,
            loaded: records.iter().map(|r| r.loaded).sum(),
            rejected,
            superseded: 0,
            skipped: records.iter().map(|r| r.skipped).sum(),
            flagged: records.iter().map(|r| r.flagged).sum(),
            recovered,
            sample_rejects: self.rejects.iter().take(20).cloned().collect(),
            limit_exceeded: rejects::check_limits(&records, &opts.limits),
        };
        if report.limit_exceeded.is_some() || records.iter().all(|r| r.outcome == "duplicate") {
            return Ok(report);
        }
        let batch = writer::Batch {
            version: current.version + 1,
            ingest_id: self.ingest_id.clone(),
            source: self.source,
            spill: self.spill,
            history: self.history,
            replaces: self.replaces,
            rejects: rejects::frame(&self.ingest_id, &self.rejects)?,
            files: records,
        };
        store::phase("normalise");
        let m = writer::commit(root, current, batch)?;
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
        report.ingest_id = Some(self.ingest_id);
        Ok(report)
    }
}
