//! Reports: self-contained HTML for people, with `summary.json`, `tables/*.csv` and
//! `charts/*.svg` beside it for machines. `write` produces a month's portfolio index and one
//! page per service (or group) under `OUT/<period>/`; the data-quality report lives in
//! [`quality`].

pub mod assemble;
pub mod changes;
pub mod charts;
pub mod check;
pub mod cis;
pub mod data;
pub mod figures;
pub mod fmt;
pub mod html;
pub mod improvements;
pub mod insight_charts;
pub mod insight_time;
pub mod insights;
pub mod model;
pub mod page;
pub mod privacy;
pub mod publish;
pub mod quality;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Project;
use crate::error::{Error, Result};
use crate::query::metric::Params;
use crate::query::session::{self, Limits};
use data::{Fetch, UnitKind};
use model::Unit;

/// What `ticketlake report` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// `YYYY-MM`; default the last complete month before the dataset's as-of.
    pub period: Option<String>,
    /// Services or groups.
    pub unit: UnitKind,
    /// Only this service or group.
    pub only: Option<String>,
    /// Output root; the report goes to `out/<period>/`. An object-store URL is staged
    /// (see [`publish`]).
    pub out: PathBuf,
}

impl Options {
    /// These options writing into `dest`'s folder (the staging folder of a remote one).
    pub fn staged(&self, dest: &publish::Destination) -> Options {
        Options {
            out: dest.dir().to_path_buf(),
            ..self.clone()
        }
    }
}

/// What was written.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The period reported.
    pub period: String,
    /// `out/<period>`.
    pub dir: PathBuf,
    /// The portfolio page.
    pub index: PathBuf,
    /// Units reported.
    pub units: usize,
    /// Units that missed a target, with the KPIs missed.
    pub missed: Vec<(String, Vec<String>)>,
    /// The data-quality summary the reports were made with (and its rejects), so `run` can
    /// write the data-quality report without reading the dataset again.
    #[serde(skip)]
    pub quality: (quality::Summary, Option<polars::prelude::DataFrame>),
    /// The manifest reported on.
    #[serde(skip)]
    pub manifest: crate::dataset::Manifest,
}

/// The metric definitions printed in every report and in `summary.json`.
pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "SLA attainment",
        "Clocks met ÷ (met + breached + still running but breached). A clock counts in the month it stopped; a running clock that breached counts in the month it breached (queries/sla_attainment.sql). Business time excludes the statuses an SLA pauses on.",
    ),
    (
        "MTTR",
        "Wall time from opened to resolved of the incidents resolved in the month: median and 90th percentile, exact. Tickets resolved before they were opened are kept in the data but left out (queries/mttr.sql).",
    ),
    (
        "Opened",
        "Incidents and requests opened in the month (queries/volume.sql).",
    ),
    (
        "Backlog",
        "Incidents and requests opened before the end of the month and neither resolved nor closed by then; cancelled tickets without a close time are never backlog (queries/volume.sql).",
    ),
    (
        "Reopen rate",
        "Share of the incidents resolved in the month that were reopened at least once, among those whose export carries a reopen count (queries/reopen_rate.sql).",
    ),
    (
        "Aging",
        "Open incidents and requests at the as-of instant, by days since opened (queries/backlog_aging.sql).",
    ),
    (
        "Breaches",
        "Clocks whose breach instant falls in the month; the overrun is the wall time from the breach to the clock's stop, or to the as-of instant while it runs (queries/sla_breaches.sql).",
    ),
    (
        "Change success",
        "Changes closed in the month by close code, the incidents caused by them, and the changes followed by more incidents on their CIs than those CIs' rate explains (suspected, from the change_impact table that ticketlake build writes) or named as a cause by an incident (confirmed) (queries/change_success.sql).",
    ),
    (
        "Recurring-problem candidates",
        "Clusters of incidents naming the same configuration item, or with similar normalised text within a service (across categories), that are a burst (many within the detection window, far above their own rate elsewhere) or chronic (a steady stream over the last six months, or a large share of the service's incidents); ranked by incidents × priority weight × recency. Unlinked: no incident of the cluster is linked to a problem record.",
    ),
    (
        "What to look at",
        "The findings of the insights table that ticketlake build writes (README, Insights): statistical tests over the incidents opened in its window (by default the 12 complete months before the as-of), significant after the Benjamini-Hochberg correction (q) and material in size, strongest first; recurring-problem candidates join them. The portfolio shows the whole desk's, a service page that service's (build examines the busiest services on their own), a group page the desk's findings about the group; at most [report] insights (5) each.",
    ),
    (
        "Trend verdict",
        "Over the 13 months ending with the period: Theil-Sen slope, significant when the Mann-Kendall test gives p < 0.05; fewer than 4 months is insufficient data.",
    ),
    (
        "Targets",
        "From [targets] in the config. On target; near target: missed by at most a tenth of the target (2 points for percentages); missed. Colours always come with these words.",
    ),
];

/// Write the reports for one month: check the period, assemble the units, then write each
/// unit's page, charts and tables, the portfolio index and `summary.json`.
pub fn write(s: &Project, o: &Options) -> Result<Outcome> {
    crate::dataset::store::phase("report start");
    let session = session::open(&s.dataset, &s.policies, &s.engine, Limits::default())?;
    crate::dataset::store::phase("report session");
    let params = Params::resolve(&session, o.period.as_deref(), None)?;
    let month = params.period.clone();
    // A quarter ("2026-Q4") has seven characters too; a month spans at most 31 days.
    if month.end - month.start > 31 * 86_400_000_000 || month.label.len() != 7 {
        return Err(Error::Usage(format!(
            "--period {}: reports are monthly; give a month such as 2026-10",
            params.period.label
        )));
    }
    let m = crate::dataset::manifest::current(&s.dataset)?;
    let mask = privacy::masker(s, &m)?;
    let mut fetch = Fetch::new(
        &session,
        s.queries_dir.as_deref(),
        o.unit,
        month,
        params.as_of,
    )?;
    fetch.mask = mask.clone();
    let mut units = units(&fetch, s, o, &params.period.label)?;
    let looks = insights::Looks::load(&fetch, s, &m, s.report_insights)?;
    for u in &mut units {
        u.insights = looks.for_unit(o.unit, &u.name);
    }
    let register = improvements::evaluate(&fetch, &s.improvements)?;

    let dir = o.out.join(&params.period.label);
    for d in [dir.clone(), dir.join("charts"), dir.join("tables")] {
        std::fs::create_dir_all(&d).map_err(Error::io("creating report directory", &d))?;
    }
    let (dq, rejects) = quality::summarize(&s.dataset, &m, mask.as_ref())?;
    crate::dataset::store::phase("report data quality");
    let ctx = context(s, o, &params, session.version, &dq);
    let mut index_rows = Vec::new();
    for u in &units {
        let spark = write_unit(&fetch, &ctx, o, &dir, u, &register, &looks)?;
        index_rows.push((u, spark));
    }
    crate::dataset::store::phase("report pages");
    let all: Vec<&improvements::Progress> = register.iter().collect();
    let index = dir.join("index.html");
    let desk = looks.desk();
    let look = insights::render(
        &fetch,
        &looks,
        &desk,
        "portfolio",
        &dir,
        insights::Whom::Desk,
    )?;
    let classes = cis::class_table(&fetch)?;
    write_file(
        &index,
        page::index_page(&ctx, &index_rows, &all, &look, &classes),
    )?;
    let summary = summary_json(&ctx, s, o, &units, &register, &dq, (&looks, &desk))?;
    write_file(&dir.join("summary.json"), summary)?;
    Ok(Outcome {
        period: params.period.label.clone(),
        dir,
        index,
        units: units.len(),
        missed: units
            .iter()
            .filter(|u| !u.missed.is_empty())
            .map(|u| (u.name.clone(), u.missed.clone()))
            .collect(),
        quality: (dq, rejects),
        manifest: m,
    })
}

impl Outcome {
    /// Upload a staged report to its destination (nothing to do for a local one), and
    /// name its folder and portfolio page as the user will find them.
    pub fn publish(&mut self, dest: &publish::Destination) -> Result<()> {
        dest.publish(&self.period)?;
        self.dir = dest.shown(&self.dir);
        self.index = dest.shown(&self.index);
        Ok(())
    }
}

/// The units reported (every one, or the one asked for), worst attainment first.
fn units(fetch: &Fetch, s: &Project, o: &Options, period: &str) -> Result<Vec<Unit>> {
    let mut units = assemble::assemble(fetch, &s.targets, s.report_top)?;
    if let Some(only) = &o.only {
        let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
        units.retain(|u| &u.name == only);
        if units.is_empty() {
            return Err(Error::Usage(format!(
                "no {} named `{only}` has tickets in the 13 months to {period}; there are: {}",
                o.unit.dim(),
                names.join(", ")
            )));
        }
    }
    units.sort_by(|a, b| {
        let key = |u: &Unit| u.attainment_pct.value.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    Ok(units)
}

/// What every page shows besides its unit: the period, the methodology and data quality.
fn context(
    s: &Project,
    o: &Options,
    params: &Params,
    dataset_version: u64,
    dq: &quality::Summary,
) -> page::Context {
    page::Context {
        period: params.period.label.clone(),
        as_of: crate::time::rfc3339(params.as_of),
        dataset_version,
        version: env!("CARGO_PKG_VERSION"),
        generated_at: crate::time::now_rfc3339(),
        unit_label: o.unit.dim(),
        definitions: DEFINITIONS,
        slas: s
            .policies
            .slas
            .iter()
            .map(|p| (p.config.name.clone(), describe_sla(&p.config)))
            .collect(),
        calendars: s
            .policies
            .calendars
            .values()
            .map(|c| {
                (
                    c.name.clone(),
                    format!("time zone {}; {} holiday(s)", c.tz, c.holidays.len()),
                )
            })
            .collect(),
        quality: vec![
            (
                "Records read (all ingests)".into(),
                dq.records_read.to_string(),
            ),
            ("Rejected".into(), dq.rejected.to_string()),
            (
                "Superseded by newer versions".into(),
                dq.superseded.to_string(),
            ),
            (
                "Tickets with data-quality flags".into(),
                dq.flags.values().sum::<u64>().to_string(),
            ),
            (
                "Incidents with uninformative text".into(),
                match dq.incidents {
                    0 => "–".into(),
                    n => format!(
                        "{} of {n} ({})",
                        dq.uninformative_incidents,
                        fmt::pct(100.0 * dq.uninformative_incidents as f64 / n as f64)
                    ),
                },
            ),
        ],
    }
}

/// One unit's page, its charts and the tables behind them; returns its index sparkline.
fn write_unit(
    fetch: &Fetch,
    ctx: &page::Context,
    o: &Options,
    dir: &Path,
    u: &Unit,
    register: &[improvements::Progress],
    looks: &insights::Looks,
) -> Result<String> {
    let figures = figures::figures(fetch, u, o.unit.dim())?;
    for f in &figures {
        write_file(&dir.join("charts").join(format!("{}.svg", f.name)), &f.svg)?;
        figures::write_csv(
            &dir.join("tables").join(format!("{}.csv", f.name)),
            &f.header,
            &f.rows,
        )?;
    }
    let stem = |n: &str| {
        dir.join("tables")
            .join(format!("{}-{}-{n}.csv", o.unit.dim(), u.slug))
    };
    figures::write_csv(
        &stem("top-breaches"),
        &[
            "sla_name",
            "ticket_id",
            "priority",
            "assignment_group",
            "title",
            "breach_at",
            "overrun_s",
        ]
        .map(String::from),
        &u.top_breaches
            .iter()
            .map(|b| {
                vec![
                    b.sla_name.clone(),
                    b.ticket_id.clone(),
                    b.priority.clone(),
                    b.group.clone(),
                    b.title.clone(),
                    b.breach_at.clone(),
                    format!("{:.0}", b.overrun_s),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    figures::write_csv(
        &stem("problem-candidates"),
        &[
            "candidate_id",
            "rank",
            "label",
            "incidents",
            "first_seen",
            "last_seen",
            "unlinked",
            "problem_ids",
            "pattern",
        ]
        .map(String::from),
        &u.problems
            .iter()
            .map(|p| {
                vec![
                    p.candidate_id.clone(),
                    p.rank.to_string(),
                    p.label.clone(),
                    p.incidents.to_string(),
                    p.first_seen.clone(),
                    p.last_seen.clone(),
                    p.unlinked.to_string(),
                    p.problem_ids.clone(),
                    p.pattern.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    let mine: Vec<&improvements::Progress> = register
        .iter()
        .filter(|p| o.unit == UnitKind::Service && p.declared.service == u.name)
        .collect();
    let prefix = format!("{}-{}", o.unit.dim(), u.slug);
    let whom = match o.unit {
        UnitKind::Service => insights::Whom::Service(&u.name),
        UnitKind::Group => insights::Whom::Group,
    };
    let look = insights::render(fetch, looks, &u.insights, &prefix, dir, whom)?;
    let html = page::unit_page(ctx, u, &figures, &mine, &look);
    write_file(
        &dir.join(format!("{}-{}.html", o.unit.dim(), u.slug)),
        &html,
    )?;
    let spark: Vec<Option<f64>> = u.months.iter().map(|m| m.attainment_pct).collect();
    let spark = charts::sparkline(
        &format!("{}-spark", u.slug),
        &format!("SLA attainment of {} over 13 months", u.name),
        &spark,
    )?;
    Ok(spark)
}

/// `summary.json`: the units, targets, register, data quality and the whole desk's findings
/// (with their window), for machines.
fn summary_json(
    ctx: &page::Context,
    s: &Project,
    o: &Options,
    units: &[Unit],
    register: &[improvements::Progress],
    dq: &quality::Summary,
    (looks, desk): (&insights::Looks, &[insights::Insight]),
) -> Result<String> {
    // The commit time of the dataset changes on every re-ingest of the same exports; the
    // version identifies the data, so the summary keeps only that.
    let mut quality_json = serde_json::to_value(dq).unwrap_or_default();
    if let Some(o) = quality_json.as_object_mut() {
        o.remove("committed_at");
    }
    let summary = serde_json::json!({
        "ticketlake_version": ctx.version,
        "dataset_version": ctx.dataset_version,
        "period": ctx.period,
        "as_of": ctx.as_of,
        "generated_at": ctx.generated_at,
        "unit": o.unit.dim(),
        "definitions": DEFINITIONS.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
        "targets": { "default": s.targets.default, "services": s.targets.services },
        "units": units,
        "improvements": register,
        "data_quality": quality_json,
        "insights_window": looks.window_json(),
        "insights": desk,
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::Usage(e.to_string()))?;
    Ok(crate::table::json_escape_bidi(text) + "\n")
}

fn describe_sla(c: &crate::sla::policy::SlaConfig) -> String {
    let mut scope = Vec::new();
    if !c.when.kind.is_empty() {
        scope.push(format!("kind {}", c.when.kind.join("/")));
    }
    if !c.when.priority.is_empty() {
        let p: Vec<String> = c.when.priority.iter().map(|p| format!("P{p}")).collect();
        scope.push(p.join("/"));
    }
    if !c.when.service.is_empty() {
        scope.push(format!("service {}", c.when.service.join("/")));
    }
    format!(
        "{} within {} on calendar {}{}{}",
        c.metric.as_str(),
        c.target,
        c.calendar,
        if scope.is_empty() {
            String::new()
        } else {
            format!(", for {}", scope.join(", "))
        },
        if c.pause_on.is_empty() {
            String::new()
        } else {
            format!("; paused while {}", c.pause_on.join(", "))
        }
    )
}

/// Write one output file: to a temporary name in the same folder, then renamed over the
/// target. A rename replaces a symlink planted at the target instead of following it, so a
/// report never writes outside its folder, and a reader never sees a half-written file.
pub(crate) fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(Error::io("writing", path))
}
