//! `ticketlake check`: SLA attainment of a period per SLA × service (or group, or priority)
//! against a minimum, for CI pipelines. The numbers come from `queries/sla_attainment.sql`;
//! the verdict is pass, fail, or skipped when no clock counted. Text, JSON, Markdown and
//! JUnit XML (one testcase per row) say the same thing.

use serde::Serialize;

use super::html::escape;
use crate::cli::{CheckBy, CheckFormat};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::query::metric::{self, Params};
use crate::query::{catalog, session};
use crate::targets::Rag;

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
pub fn evaluate(
    s: &Settings,
    period: Option<&str>,
    min: Option<f64>,
    by: CheckBy,
) -> Result<Check> {
    if let Some(m) = min.filter(|m| !(0.0..=100.0).contains(m)) {
        return Err(Error::Usage(format!(
            "--min-attainment {m}: give a percentage between 0 and 100"
        )));
    }
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
    let session = session::open(&s.dataset, &s.policies, session::Limits::default())?;
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

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2} %"))
}

/// Render the check in `format`.
pub fn render(c: &Check, format: CheckFormat) -> String {
    match format {
        CheckFormat::Json => serde_json::to_string(c).unwrap_or_default() + "\n",
        CheckFormat::Text => {
            let mut out = String::new();
            for r in &c.rows {
                out.push_str(&format!(
                    "{:<7} {} / {}: {} of {} clocks met, attainment {} (target {:.1} %)\n",
                    r.result.to_uppercase(),
                    super::fmt::clean(&r.scope),
                    r.sla_name,
                    r.met,
                    r.counted,
                    pct(r.attainment_pct),
                    r.target_pct
                ));
            }
            out.push_str(&format!(
                "{}: {} row(s) by {}, {} failed\n",
                c.period,
                c.rows.len(),
                c.by,
                c.failures
            ));
            out
        }
        CheckFormat::Markdown => {
            let cell = |s: &str| super::fmt::clean(s).replace('|', "\\|");
            let mut out = format!(
                "| {} | SLA | met | counted | attainment | target | result |\n|---|---|---:|---:|---:|---:|---|\n",
                c.by
            );
            for r in &c.rows {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {:.1} % | {} |\n",
                    cell(&r.scope),
                    cell(&r.sla_name),
                    r.met,
                    r.counted,
                    pct(r.attainment_pct),
                    r.target_pct,
                    if r.result == "fail" {
                        "**fail**"
                    } else {
                        r.result
                    }
                ));
            }
            out
        }
        CheckFormat::Junit => {
            let skipped = c.rows.iter().filter(|r| r.result == "skipped").count();
            let mut out = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ticketlake check\" tests=\"{n}\" failures=\"{f}\" skipped=\"{skipped}\">\n  \
                 <testsuite name=\"SLA attainment {p} by {b}\" tests=\"{n}\" failures=\"{f}\" skipped=\"{skipped}\">\n",
                n = c.rows.len(),
                f = c.failures,
                p = escape(&c.period),
                b = c.by
            );
            for r in &c.rows {
                out.push_str(&format!(
                    "    <testcase classname=\"{}.{}\" name=\"{}\">",
                    c.by,
                    escape(&r.scope),
                    escape(&r.sla_name)
                ));
                match r.result {
                    "fail" => out.push_str(&format!(
                        "\n      <failure type=\"attainment\" message=\"attainment {} below target {:.1} %\">{} of {} counted clocks met</failure>\n    ",
                        pct(r.attainment_pct),
                        r.target_pct,
                        r.met,
                        r.counted
                    )),
                    "skipped" => out.push_str(&format!(
                        "\n      <skipped message=\"{} counted clock(s): too few to judge\"/>\n    ",
                        r.counted
                    )),
                    _ => {}
                }
                out.push_str("</testcase>\n");
            }
            out.push_str("  </testsuite>\n</testsuites>\n");
            out
        }
    }
}
