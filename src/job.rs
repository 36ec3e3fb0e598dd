//! The jobs that chain stages: "ingest, then rebuild" (used by `ingest` and `run`, with one
//! rule for when to rebuild) and the scheduled job (`ticketlake run`). `run` holds the
//! dataset's writer lock from its first ingest to its last report file, so two overlapping
//! cron runs cannot interleave; it is safe to repeat (a re-ingested export is a no-op, and
//! the reports are rewritten from the same data). Outcomes are data: a job over its reject
//! limit or with a missed target returns normally, with the finding in its outcome.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Project;
use crate::dataset::{lock, manifest};
use crate::derive::BuildReport;
use crate::error::{Error, ExitStatus, Result};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::report;

/// A source's files (its `key`: `files` or `history`) with globs expanded (sorted); a pattern
/// that matches nothing is an error, since a scheduled job that silently ingests nothing
/// reports stale numbers.
pub fn expand(name: &str, key: &str, patterns: &[String], p: &Project) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pattern in patterns {
        if !pattern.contains(['*', '?', '[']) {
            out.push(PathBuf::from(pattern));
            continue;
        }
        let bad = |m: String| Error::Config {
            path: p.config_file(),
            key: crate::config::key(&format!("sources.{name}"), key),
            message: m,
        };
        let mut found: Vec<PathBuf> = glob::glob(pattern)
            .map_err(|e| bad(format!("`{pattern}` is not a valid glob: {e}")))?
            .filter_map(|e| e.ok())
            .filter(|f| f.is_file())
            .collect();
        if found.is_empty() {
            return Err(bad(format!(
                "`{pattern}` matches no file; check the path (relative to the config)"
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// The one rule for rebuilding: the derived tables are rebuilt when they are stale, that is
/// never built, or built from an older version than the current one. A re-ingest that
/// changes nothing therefore rebuilds nothing, and an ingest with `--no-build` is caught up
/// by the next ingest or run.
pub fn refresh(p: &Project) -> Result<Option<BuildReport>> {
    let m = manifest::current(&p.dataset)?;
    let stale = m.version > 0 && m.build.as_ref().is_none_or(|b| b.version < m.version);
    if !stale {
        return Ok(None);
    }
    crate::derive::build(
        &p.dataset,
        &p.policies,
        &p.problems,
        &p.insights,
        &p.changes,
        None,
    )
    .map(Some)
}

/// An ingest and the rebuild that followed it.
#[derive(Debug, Serialize)]
pub struct Ingested {
    /// The ingest's accounting (`committed: false` with `limit_exceeded` when over the limit).
    #[serde(flatten)]
    pub ingest: IngestReport,
    /// The rebuild, when one ran.
    pub build: Option<BuildReport>,
}

impl Ingested {
    /// Findings when the reject limit was exceeded.
    pub fn status(&self) -> ExitStatus {
        ExitStatus::findings_if(self.ingest.limit_exceeded.is_some())
    }
}

/// Ingest `files`, then [`refresh`] unless `build` is false or the ingest was refused.
pub fn ingest_and_build(
    p: &Project,
    files: &[PathBuf],
    opts: &IngestOptions,
    build: bool,
) -> Result<Ingested> {
    let _lock = lock::acquire(&p.dataset)?;
    let ingest = ingest_files(&p.dataset, files, opts)?;
    // An ingest into a project without SLAs leaves the derive stage to `build` and `run`.
    let build = if build && ingest.limit_exceeded.is_none() && !p.policies.slas.is_empty() {
        refresh(p)?
    } else {
        None
    };
    Ok(Ingested { ingest, build })
}

/// Ingest `files`: ticket exports by [`ingest::ingest`], CMDB exports by
/// [`crate::cmdb::ingest`]. One call reads one or the other, so its accounting is one table's.
pub fn ingest_files(
    root: &crate::dataset::Location,
    files: &[PathBuf],
    opts: &IngestOptions,
) -> Result<IngestReport> {
    let found = crate::cmdb::recognise(files, opts)?;
    let kinds = &found.kinds;
    if files.is_empty() || kinds.iter().all(Option::is_none) {
        return ingest::ingest(root, files, opts);
    }
    if let Some(i) = kinds.iter().position(Option::is_none) {
        return Err(crate::error::Error::Usage(format!(
            "{} is a ticket export and the other files are CMDB exports: ingest them in \
             calls (or sources) of their own",
            files[i].display()
        )));
    }
    crate::cmdb::ingest(root, files, &found, opts)
}

/// One source of the scheduled job.
#[derive(Debug, Clone)]
pub struct Source {
    /// `[sources.NAME]`.
    pub name: String,
    /// Paths or globs.
    pub files: Vec<String>,
    /// Paths or globs of its flat history exports.
    pub history: Vec<String>,
    /// How its files are ingested (the history files are added from `history`).
    pub options: IngestOptions,
}

/// What `run` did, printed as text or as one JSON object whatever the outcome.
#[derive(Debug, Serialize)]
pub struct RunOutcome {
    /// Success, or findings: a source over its reject limit (then nothing after it ran)
    /// or a target missed. Written as the process's `exit_code` (0 or 1).
    #[serde(rename = "exit_code", serialize_with = "exit_code")]
    pub status: ExitStatus,
    /// The source whose rejects stopped the job, if any.
    pub stopped_at: Option<String>,
    /// Each source's ingest.
    pub sources: Vec<SourceIngest>,
    /// The rebuild, when one ran.
    pub build: Option<BuildReport>,
    /// The reports written.
    pub report: Option<report::Outcome>,
    /// The data-quality report.
    pub data_quality: Option<String>,
    /// The period reported.
    pub period: Option<String>,
    /// The dataset version reported on.
    pub dataset_version: Option<u64>,
}

/// One source's ingest in a run.
#[derive(Debug, Serialize)]
pub struct SourceIngest {
    /// `[sources.NAME]`.
    pub name: String,
    /// Its accounting.
    pub ingest: IngestReport,
}

/// `run`: ingest every source, rebuild, write the data-quality report and the month's
/// reports. A source over its reject limit stops the job before anything is rebuilt or
/// reported, so no report silently leaves a source out.
pub fn run(p: &Project, sources: &[Source], opts: &report::Options) -> Result<RunOutcome> {
    if sources.is_empty() {
        return Err(Error::Config {
            path: p.config_file(),
            key: "[sources]".into(),
            message: "no sources; add [sources.NAME] or [[sources]] with the adapter and files (see `ticketlake init`)".into(),
        });
    }
    let _lock = lock::acquire(&p.dataset)?;
    let mut out = RunOutcome {
        status: ExitStatus::Success,
        stopped_at: None,
        sources: Vec::new(),
        build: None,
        report: None,
        data_quality: None,
        period: None,
        dataset_version: None,
    };
    for s in sources {
        let files = expand(&s.name, "files", &s.files, p)?;
        let mut options = s.options.clone();
        options.history = expand(&s.name, "history", &s.history, p)?;
        let r = ingest_files(&p.dataset, &files, &options)?;
        let over = r.limit_exceeded.is_some();
        out.sources.push(SourceIngest {
            name: s.name.clone(),
            ingest: r,
        });
        if over {
            out.stopped_at = Some(s.name.clone());
            out.status = ExitStatus::Findings;
            return Ok(out);
        }
    }
    out.build = refresh(p)?;
    crate::dataset::store::fault_point("report");
    let dest = report::publish::Destination::open(&opts.out, &p.storage)?;
    let mut outcome = report::write(p, &opts.staged(&dest))?;
    let (summary, rejects) = &outcome.quality;
    let quality =
        report::quality::write_summary(&outcome.manifest, summary, rejects.as_ref(), &outcome.dir)?;
    let quality = dest.shown(&quality);
    outcome.publish(&dest)?;
    out.status = ExitStatus::findings_if(!outcome.missed.is_empty());
    out.period = Some(outcome.period.clone());
    out.dataset_version = Some(outcome.manifest.version);
    out.data_quality = Some(quality.display().to_string());
    out.report = Some(outcome);
    Ok(out)
}

fn exit_code<S: serde::Serializer>(status: &ExitStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i32(status.code())
}
