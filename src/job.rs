//! The scheduled job (`ticketlake run`) and the report command. `run` holds the dataset's
//! writer lock from its first ingest to its last report file, so two overlapping cron runs
//! cannot interleave; it is safe to repeat (a re-ingested export is a no-op, and the reports
//! are rewritten from the same data).

use std::path::PathBuf;

use crate::config::Settings;
use crate::dataset::{lock, manifest};
use crate::error::{Error, Result};
use crate::ingest::{self, IngestOptions};
use crate::output::{print_build, print_ingest};
use crate::report::{self, Options, data::UnitKind};

/// A source's files with globs expanded (sorted); a pattern that matches nothing is an error,
/// since a scheduled job that silently ingests nothing reports stale numbers.
pub fn expand(name: &str, patterns: &[String], s: &Settings) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in patterns {
        if !p.contains(['*', '?', '[']) {
            out.push(PathBuf::from(p));
            continue;
        }
        let bad = |m: String| Error::Config {
            path: s
                .config_path
                .clone()
                .unwrap_or_else(|| "ticketlake.toml".into()),
            key: format!("sources.{name}.files"),
            message: m,
        };
        let mut found: Vec<PathBuf> = glob::glob(p)
            .map_err(|e| bad(format!("`{p}` is not a valid glob: {e}")))?
            .filter_map(|e| e.ok())
            .filter(|f| f.is_file())
            .collect();
        if found.is_empty() {
            return Err(bad(format!(
                "`{p}` matches no file; check the path (relative to the config)"
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn out_dir(s: &Settings, out: Option<PathBuf>) -> PathBuf {
    out.or_else(|| s.report_out.clone())
        .unwrap_or_else(|| PathBuf::from("reports"))
}

/// `run`: ingest every source, rebuild, write the data-quality report and the month's reports.
pub fn run(
    s: &Settings,
    out: Option<PathBuf>,
    period: Option<String>,
    json: bool,
    quiet: bool,
) -> Result<i32> {
    if s.sources.is_empty() {
        return Err(Error::Config {
            path: s.config_path.clone().unwrap_or_else(|| "ticketlake.toml (not found)".into()),
            key: "sources".into(),
            message: "no sources; add [sources.NAME] or [[sources]] with the adapter and files (see `ticketlake init`)".into(),
        });
    }
    let _lock = lock::acquire(&s.dataset)?;
    let talk = !quiet && !json;
    let mut ingests = Vec::new();
    for (name, src) in &s.sources {
        let opts = IngestOptions {
            source: src.adapter,
            mapping: src.mapping.clone(),
            tz: src.timezone.clone(),
            default_tz: s.timezone.clone(),
            encoding: None,
            date_format: src.date_format.clone(),
            overrides: crate::ingest::mapping::ValueMaps {
                status: src.statuses.clone(),
                kind: src.kinds.clone(),
                priority: src.priorities.clone(),
                kind_prefix: Default::default(),
            },
            max_rejects: s.max_rejects,
            max_reject_pct: s.max_reject_pct,
            progress: talk,
        };
        let files = expand(name, &src.files, s)?;
        let r = ingest::ingest(&s.dataset, &files, &opts)?;
        if talk {
            println!("source {name}:");
            print_ingest(s, &r);
        }
        ingests.push((name.clone(), r));
    }
    let stale = manifest::current(&s.dataset)?.build.is_none();
    let build = if stale || ingests.iter().any(|(_, r)| r.committed) {
        let b = crate::derive::build(&s.dataset, &s.policies, &s.problems, None)?;
        if talk {
            print_build(&b);
        }
        Some(b)
    } else {
        None
    };
    let opts = Options {
        period,
        unit: UnitKind::Service,
        only: None,
        out: out_dir(s, out),
    };
    crate::dataset::store::fault_point("report");
    let outcome = report::write(s, &opts)?;
    let (summary, rejects) = &outcome.quality;
    let quality =
        report::quality::write_summary(&outcome.manifest, summary, rejects.as_ref(), &outcome.dir)?;
    let code = i32::from(!outcome.missed.is_empty());
    if json {
        let v = serde_json::json!({
            "exit_code": code,
            "period": outcome.period,
            "dataset_version": outcome.manifest.version,
            "sources": ingests.iter().map(|(n, r)| serde_json::json!({"name": n, "ingest": r})).collect::<Vec<_>>(),
            "build": build,
            "report": outcome,
            "data_quality": quality.display().to_string(),
        });
        println!("{v}");
    } else if !quiet {
        print_outcome(&outcome);
        println!("wrote {}", quality.display());
    }
    Ok(code)
}

fn print_outcome(o: &report::Outcome) {
    println!(
        "wrote {} ({} report(s) for {})",
        o.index.display(),
        o.units,
        o.period
    );
    for (unit, missed) in &o.missed {
        println!(
            "  target missed: {}: {}",
            report::fmt::clean(unit),
            missed.join(", ")
        );
    }
}

/// `report`: the month's reports from the dataset as it is.
#[allow(clippy::too_many_arguments)]
pub fn report(
    s: &Settings,
    period: Option<String>,
    service: Option<String>,
    group: Option<String>,
    by_group: bool,
    out: Option<PathBuf>,
    json: bool,
    quiet: bool,
) -> Result<i32> {
    let unit = if group.is_some() || by_group {
        UnitKind::Group
    } else {
        UnitKind::Service
    };
    let opts = Options {
        period,
        unit,
        only: service.or(group),
        out: out_dir(s, out),
    };
    let outcome = report::write(s, &opts)?;
    if json {
        println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
    } else if !quiet {
        print_outcome(&outcome);
    }
    Ok(0)
}
