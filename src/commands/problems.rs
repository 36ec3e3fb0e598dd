//! `ticketlake problems [show ID]`: detection on the current dataset with the config's
//! `[problems]` settings and any command-line overrides, printed as a table.

use polars::prelude::{IntoLazy, col, lit};

use super::{Ctx, out};
use crate::cli::{OutputFormat, ProblemOptions, ProblemsAction};
use crate::config::Project;
use crate::error::{Error, ExitStatus, Result};
use crate::settings::Shown;
use crate::table::Table;

/// `ticketlake problems [show ID]`: detect with the config (and any overrides) on the
/// current dataset, at the last build's as-of so the ids match the committed tables.
pub(crate) fn run(
    s: &Project,
    action: Option<ProblemsAction>,
    options: ProblemOptions,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    let (show, o) = match action {
        Some(ProblemsAction::Show { id, options }) => (Some(id), options),
        None => (None, options),
    };
    let mut cfg = s.problems.clone();
    let defaults = crate::problems::ProblemConfig::default();
    // The flag and the config key share a name.
    let origin = |flag: bool, key: &str, default: String| {
        if flag {
            format!("--{key}")
        } else {
            format!("[problems] {key} (default {default})")
        }
    };
    shown.add(
        "problems.min-incidents",
        o.min_incidents.unwrap_or(cfg.min_incidents),
        origin(
            o.min_incidents.is_some(),
            "min-incidents",
            defaults.min_incidents.to_string(),
        ),
    );
    shown.add(
        "problems.window",
        o.window.clone().unwrap_or(cfg.window.clone()),
        origin(o.window.is_some(), "window", defaults.window),
    );
    shown.add(
        "problems.pattern",
        o.pattern.map(|p| p.as_str()),
        if o.pattern.is_some() {
            "--pattern"
        } else {
            "default (burst and chronic)"
        },
    );
    shown.add(
        "problems.period",
        &o.period,
        if o.period.is_some() {
            "--period"
        } else {
            "default (all of history)"
        },
    );
    if let Some(n) = o.min_incidents {
        cfg.min_incidents = n;
    }
    if let Some(w) = &o.window {
        cfg.window = w.clone();
    }
    if ctx.showed(shown, o.format == OutputFormat::Json)? {
        return Ok(ExitStatus::Success);
    }
    let period = o
        .period
        .as_deref()
        .map(crate::time::Period::parse)
        .transpose()?
        .map(|p| (p.start, p.end));
    let found = detect_current(s, &cfg, |_| Ok(period))?.0;
    // The ranks stay those of all candidates, so a filtered list agrees with the table.
    let candidates = match o.pattern {
        None => found.candidates.clone(),
        Some(p) => found
            .candidates
            .clone()
            .lazy()
            .filter(col("pattern").eq(lit(p.as_str())))
            .collect()
            .map_err(Error::polars("selecting candidates by pattern"))?,
    };
    let table = match &show {
        None => Table::from_frame(&candidates, o.limit)?,
        Some(id) => {
            let listed = crate::dataset::columns::text(&candidates, "candidate_id")?
                .iter()
                .any(|c| c == Some(id.as_str()));
            let members = found
                .members
                .clone()
                .lazy()
                .filter(col("candidate_id").eq(lit(id.as_str())))
                .collect()
                .map_err(Error::polars("selecting members"))?;
            if !listed || members.height() == 0 {
                return Err(Error::Usage(format!(
                    "no candidate `{id}` with these settings; `ticketlake problems` lists the ids"
                )));
            }
            Table::from_frame(&members, usize::MAX)?
        }
    };
    out::table_cut(&table, o.format, o.limit, "--limit")?;
    if show.is_none() && o.format == OutputFormat::Table && found.incidents > 0 {
        out::note(format_args!(
            "{} candidates from {} incidents; {} ({:.1} %) have text with no signal",
            candidates.height(),
            found.incidents,
            found.uninformative,
            100.0 * found.uninformative as f64 / found.incidents as f64
        ));
    }
    Ok(ExitStatus::Success)
}

/// Detection on the current dataset at the last build's as-of (so the ids match the
/// committed tables), over the period `period` picks from that as-of. Returns the detection
/// and the as-of.
pub(super) fn detect_current(
    s: &Project,
    cfg: &crate::problems::ProblemConfig,
    period: impl FnOnce(i64) -> Result<Option<(i64, i64)>>,
) -> Result<(crate::problems::Detection, i64)> {
    use crate::dataset::{SLA, TICKETS, chunks::Chunks};
    let m = crate::dataset::manifest::current(&s.dataset)?;
    if !m.tables.contains_key(TICKETS) {
        return Err(Error::Dataset {
            path: s.dataset.shown_path(),
            message: "the dataset has no tickets; ingest exports first (ticketlake ingest)".into(),
        });
    }
    // Read piece by piece, and only the columns detection reads: the text columns of every
    // ticket are most of a large dataset's size.
    let tickets = Chunks::files(&s.dataset, &m, TICKETS);
    let as_of = match m.build.as_ref() {
        Some(b) => crate::time::parse_as_of(&b.as_of)?,
        None => tickets.max_micros("updated_at")?.unwrap_or(0),
    };
    let period = period(as_of)?;
    let sla = Chunks::files(&s.dataset, &m, SLA);
    let found = crate::problems::detect_in(&tickets, Some(&sla), cfg, period, as_of)?;
    Ok((found, as_of))
}
