//! The continual-improvement register: for each `[[improvements]]` entry, the metric's
//! monthly values from the baseline month to the reporting month, the trend test over them,
//! progress from baseline towards the target, and whether it is on track for the due month.

use serde::Serialize;

use super::data::{Fetch, Part, quote, sum_by};
use super::model::Trend;
use crate::error::Result;
use crate::targets::Improvement;
use crate::time::Period;

/// The metric's value in a month (`YYYY-MM`).
type ValueAt = Box<dyn Fn(&str) -> Option<f64>>;

/// Progress of one initiative.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The initiative as declared.
    #[serde(flatten)]
    pub declared: Improvement,
    /// Baseline month's value (seconds for MTTR, percent for rates).
    pub baseline_value: Option<f64>,
    /// The reporting month's value.
    pub current_value: Option<f64>,
    /// The target as a number.
    pub target_value: f64,
    /// Share of the way from baseline to target, percent.
    pub progress_pct: Option<f64>,
    /// Trend test over the months since the baseline.
    pub trend: Trend,
    /// Value the trend line projects for the due month.
    pub projected_at_due: Option<f64>,
    /// achieved, on track, at risk, missed or too early to tell.
    pub status: &'static str,
    /// (month, value) from baseline to now.
    pub series: Vec<(String, Option<f64>)>,
}

fn months_between(a: i64, b: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut s = a;
    while s < b {
        let label = super::fmt::month(s);
        let Ok(p) = Period::parse(&label) else { break };
        out.push(label);
        s = p.end;
    }
    out
}

/// Evaluate every initiative as of the reporting month.
pub fn evaluate(f: &Fetch, list: &[Improvement]) -> Result<Vec<Progress>> {
    let mut out = Vec::new();
    for imp in list {
        let base = Period::parse(&imp.baseline)?;
        let due = Period::parse(&imp.due)?;
        let end = f.period.end;
        let months = months_between(base.start, end);
        let mut filter = format!("COALESCE(service, '(none)') = {}", quote(&imp.service));
        if let Some(p) = imp.priority {
            filter.push_str(&format!(" AND priority = {p}"));
        }
        // The month of the rows of this improvement's scope; NULL (an empty key) elsewhere.
        let key = |month: &str| format!("CASE WHEN {filter} THEN {month} END");
        let month_of = |k: &[String]| k.first().filter(|m| !m.is_empty()).cloned();
        let all = |_: &[Option<String>]| true;
        let value: ValueAt = match imp.metric.as_str() {
            "mttr_median" | "mttr_p90" => {
                let g = f.mttr(&[Part::Month(&key("resolved_at"))], base.start, end)?;
                let col = if imp.metric == "mttr_median" {
                    "median_s"
                } else {
                    "p90_s"
                };
                let v = sum_by(&g, col, month_of, |r| g.num(r, col).is_some());
                Box::new(move |m| v.get(m).copied())
            }
            "attainment" => {
                let g = f.query(
                    "sla_attainment",
                    &[Part::Month(&key("COALESCE(stop_at, breach_at, start_at)"))],
                    base.start,
                    end,
                )?;
                let met = sum_by(&g, "met", month_of, all);
                let br = sum_by(&g, "breached", month_of, all);
                let ip = sum_by(&g, "in_progress_breached", month_of, all);
                Box::new(move |m| {
                    let a = met.get(m).copied().unwrap_or(0.0);
                    let d =
                        a + br.get(m).copied().unwrap_or(0.0) + ip.get(m).copied().unwrap_or(0.0);
                    (d > 0.0).then(|| 100.0 * a / d)
                })
            }
            "volume" => {
                let g = f.query("volume", &[Part::Month(&key("opened_at"))], base.start, end)?;
                let v = sum_by(&g, "opened", month_of, |r| {
                    matches!(g.text(r, "kind"), Some("incident" | "request"))
                });
                Box::new(move |m| Some(v.get(m).copied().unwrap_or(0.0)))
            }
            _ => {
                let g = f.query(
                    "reopen_rate",
                    &[Part::Month(&key("resolved_at"))],
                    base.start,
                    end,
                )?;
                let re = sum_by(&g, "reopened", month_of, all);
                let wd = sum_by(&g, "with_data", month_of, all);
                Box::new(move |m| {
                    let d = wd.get(m).copied().unwrap_or(0.0);
                    (d > 0.0).then(|| 100.0 * re.get(m).copied().unwrap_or(0.0) / d)
                })
            }
        };
        let series: Vec<(String, Option<f64>)> =
            months.iter().map(|m| (m.clone(), value(m))).collect();
        let values: Vec<Option<f64>> = series.iter().map(|s| s.1).collect();
        let higher = imp.higher_is_better();
        let target = imp.target_value().unwrap_or(0.0);
        let baseline_value = values.first().copied().flatten();
        let current_value = values.last().copied().flatten();
        let trend = Trend::of(&values, higher);
        let months_to_due = months_between(f.period.start, due.start).len() as f64;
        let projected = match (current_value, trend.slope_per_month) {
            (Some(c), Some(s)) => Some(c + s * months_to_due),
            _ => None,
        };
        let meets = |v: f64| if higher { v >= target } else { v <= target };
        let status = match (current_value, projected) {
            (Some(c), _) if meets(c) => "achieved",
            _ if f.period.start >= due.start => "missed",
            (_, Some(p)) if values.iter().flatten().count() >= 4 && meets(p) => "on track",
            _ if values.iter().flatten().count() < 4 => "too early to tell",
            _ => "at risk",
        };
        let progress_pct = match (baseline_value, current_value) {
            (Some(b), Some(c)) if b != target => {
                Some((1000.0 * (b - c) / (b - target)).round() / 10.0)
            }
            _ => None,
        };
        out.push(Progress {
            declared: imp.clone(),
            baseline_value,
            current_value,
            target_value: target,
            progress_pct,
            trend,
            projected_at_due: projected,
            status,
            series,
        });
    }
    Ok(out)
}
