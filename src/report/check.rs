//! `ticketlake check`: SLA attainment of a period per SLA × service (or group, or priority)
//! against a minimum, for CI pipelines. The numbers come from `queries/sla_attainment.sql`;
//! the verdict is pass, fail, or skipped when no clock counted. Text, JSON, Markdown and
//! JUnit XML (one testcase per row) say the same thing.

use serde::Serialize;

use crate::config::Project;
use crate::error::{Error, Result};
use crate::query::metric::{self, Params};
use crate::query::{catalog, session};
use crate::targets::Rag;

/// `check --by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckBy {
    /// Per service.
    Service,
    /// Per assignment group.
    Group,
    /// Per priority.
    Priority,
}

/// `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Aligned text.
    Text,
    /// A JSON object.
    Json,
    /// A Markdown table (for merge-request comments).
    Markdown,
    /// JUnit XML: one testcase per row, for GitLab and Jenkins.
    Junit,
}

/// One SLA × dimension value.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The dimension value.
    pub scope: String,
    /// The SLA.
    pub sla_name: String,
    /// Clocks met.
    pub met: u64,
    /// Clocks counted (met + breached + running breached).
    pub counted: u64,
    /// Attainment percent.
    pub attainment_pct: Option<f64>,
    /// The minimum.
    pub target_pct: f64,
    /// pass, fail or skipped.
    pub result: &'static str,
}

/// The evaluated check.
#[derive(Debug, Serialize)]
pub struct Check {
    /// The period.
    pub period: String,
    /// service, group or priority.
    pub by: &'static str,
    /// The rows.
    pub rows: Vec<Row>,
    /// Rows that failed.
    pub failures: usize,
}

fn dim(by: CheckBy) -> &'static str {
    match by {
        CheckBy::Service => "service",
        CheckBy::Group => "group",
        CheckBy::Priority => "priority",
    }
}

/// Evaluate attainment of `period` per SLA and `by`.
pub fn evaluate(s: &Project, period: Option<&str>, min: Option<f64>, by: CheckBy) -> Result<Check> {
    if min.is_none()
        && s.targets.default.attainment_pct.is_none()
        && s.targets
            .services
            .values()
            .all(|t| t.attainment_pct.is_none())
    {
        return Err(Error::Usage(
            "no attainment target: pass --min-attainment PCT or set attainment-pct under [targets] in the config".into(),
        ));
    }
    let session = session::open(
        &s.dataset,
        &s.policies,
        &s.engine,
        session::Limits::default(),
    )?;
    let params = Params::resolve(&session, period, None)?;
    let q = catalog::find(&catalog::load(s.queries_dir.as_deref())?, "sla_attainment")?;
    let t = metric::run(&session, &q, Some(dim(by)), &params, 10_000_000)?;
    let col = |name: &str| t.columns.iter().position(|c| c == name);
    let (Some(ci), Some(cs), Some(cm), Some(cb), Some(cp), Some(ca)) = (
        col(dim(by)),
        col("sla_name"),
        col("met"),
        col("breached"),
        col("in_progress_breached"),
        col("attainment_pct"),
    ) else {
        return Err(Error::Query {
            context: format!("query sla_attainment ({})", q.origin),
            message:
                "it must return sla_name, met, breached, in_progress_breached and attainment_pct"
                    .into(),
        });
    };
    let n = |r: &[Option<String>], i: usize| {
        r[i].as_deref()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut rows = Vec::new();
    for r in &t.rows {
        let scope = r[ci].clone().unwrap_or_default();
        // The unit's targets, with --min-attainment in place of the attainment target; the
        // verdict is the reports' own judgement (a near miss still fails a pipeline).
        let mut t = s
            .targets
            .for_unit(if by == CheckBy::Service { &scope } else { "" });
        t.attainment_pct = min.or(t.attainment_pct).or(Some(0.0));
        let target = t.attainment_pct.unwrap_or(0.0);
        let attainment = r[ca].as_deref().and_then(|v| v.parse::<f64>().ok());
        let counted = (n(r, cm) + n(r, cb) + n(r, cp)) as u64;
        let result = match t.attainment(attainment, counted) {
            Rag::Met => "pass",
            Rag::Near | Rag::Missed => "fail",
            Rag::TooFew | Rag::None => "skipped",
        };
        rows.push(Row {
            scope,
            sla_name: r[cs].clone().unwrap_or_default(),
            met: n(r, cm) as u64,
            counted,
            attainment_pct: attainment,
            target_pct: target,
            result,
        });
    }
    rows.sort_by(|a, b| {
        a.scope
            .cmp(&b.scope)
            .then_with(|| a.sla_name.cmp(&b.sla_name))
    });
    Ok(Check {
        period: params.period.label,
        by: dim(by),
        failures: rows.iter().filter(|r| r.result == "fail").count(),
        rows,
    })
}
