//! The charts of a unit's page, each with the table behind it (written to `charts/` and
//! `tables/`), and the CSV writer with its formula-injection guard.

use std::path::Path;

use super::charts::{self, Labels, Series};
use super::data::Fetch;
use super::fmt;
use super::model::{self, Unit};
use super::page::Figure;
use crate::error::{Error, Result};

/// Write a chart's table as CSV, text cells guarded against formula injection.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::io("writing", path)(std::io::Error::other(e));
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(
            r.iter()
                .map(|c| crate::table::csv_cell(&fmt::clean(c), c.parse::<f64>().is_ok())),
        )
        .map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| io(e.into_error().into()))?;
    super::write_file(path, bytes)
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}")).unwrap_or_default()
}

/// The charts of a unit's page, each with the table behind it.
pub fn figures(f: &Fetch, u: &Unit, label: &str) -> Result<Vec<Figure>> {
    let name = |n: &str| format!("{label}-{}-{n}", u.slug);
    // The 13-month charts label their axis `YY-MM`; their tables keep `YYYY-MM`.
    let short: Vec<String> = f.months.iter().map(|m| m[2..].to_string()).collect();
    Ok(vec![
        attainment_figure(u, name("attainment-trend"), &f.months, &short)?,
        mttr_figure(u, name("mttr-trend"), &short)?,
        weekly_flow_figure(u, name("weekly-flow"))?,
        aging_figure(u, name("aging"))?,
        breaches_figure(u, name("breaches-by-priority"))?,
    ])
}

/// The verdict of one of the unit's trends, for the charts' descriptions and captions.
fn verdict(u: &Unit, k: &str) -> &'static str {
    u.trends.get(k).map_or("insufficient data", |t| t.verdict)
}

/// Monthly SLA attainment against its target over the 13 months.
fn attainment_figure(u: &Unit, n: String, months: &[String], short: &[String]) -> Result<Figure> {
    let att: Vec<Option<f64>> = u.months.iter().map(|m| m.attainment_pct).collect();
    Ok(Figure {
        svg: charts::line(
            Labels {
                name: &n,
                title: &format!("SLA attainment of {}, 13 months", u.name),
                desc: &format!(
                    "Monthly SLA attainment (all SLAs), {} to {}; trend: {}.",
                    months[0],
                    months[months.len() - 1],
                    verdict(u, "attainment_pct")
                ),
            },
            short,
            &[Series {
                name: "attainment %".into(),
                values: att.clone(),
            }],
            u.attainment_pct.target,
            &|v| format!("{v:.0}%"),
            false,
        )?,
        caption: format!(
            "SLA attainment per month (trend: {}).",
            verdict(u, "attainment_pct")
        ),
        header: vec!["month".into(), "attainment_pct".into(), "target_pct".into()],
        rows: months
            .iter()
            .zip(&att)
            .map(|(m, a)| vec![m.clone(), num(*a, 2), num(u.attainment_pct.target, 1)])
            .collect(),
        name: n,
    })
}

/// Monthly MTTR median and p90 in hours over the 13 months, against the median's target.
fn mttr_figure(u: &Unit, n: String, short: &[String]) -> Result<Figure> {
    let p50: Vec<Option<f64>> = u
        .months
        .iter()
        .map(|m| m.mttr_median_s.map(|s| s / 3600.0))
        .collect();
    let p90: Vec<Option<f64>> = u
        .months
        .iter()
        .map(|m| m.mttr_p90_s.map(|s| s / 3600.0))
        .collect();
    Ok(Figure {
        svg: charts::line(
            Labels {
                name: &n,
                title: &format!("MTTR of {}, 13 months", u.name),
                desc: &format!(
                    "Monthly MTTR median and p90 in hours; median trend: {}, p90 trend: {}.",
                    verdict(u, "mttr_median_s"),
                    verdict(u, "mttr_p90_s")
                ),
            },
            short,
            &[
                Series {
                    name: "median (h)".into(),
                    values: p50.clone(),
                },
                Series {
                    name: "p90 (h)".into(),
                    values: p90.clone(),
                },
            ],
            u.mttr_median_s.target.map(|t| t / 3600.0),
            &|v| format!("{v:.0}h"),
            true,
        )?,
        caption: format!(
            "MTTR median (trend: {}) and p90 (trend: {}) per month, hours.",
            verdict(u, "mttr_median_s"),
            verdict(u, "mttr_p90_s")
        ),
        header: vec![
            "month".into(),
            "resolved".into(),
            "mttr_median_h".into(),
            "mttr_p90_h".into(),
        ],
        rows: u
            .months
            .iter()
            .zip(p50.iter().zip(&p90))
            .map(|(m, (a, b))| {
                vec![
                    m.month.clone(),
                    m.resolved.to_string(),
                    num(*a, 2),
                    num(*b, 2),
                ]
            })
            .collect(),
        name: n,
    })
}

/// Opened, resolved and backlog per week of the period.
fn weekly_flow_figure(u: &Unit, n: String) -> Result<Figure> {
    let weeks: Vec<String> = u
        .weeks
        .iter()
        .map(|w| w.week_start[5..].to_string())
        .collect();
    let col = |g: &dyn Fn(&model::WeekPoint) -> u64| {
        u.weeks
            .iter()
            .map(|w| Some(g(w) as f64))
            .collect::<Vec<_>>()
    };
    Ok(Figure {
        svg: charts::bars(
            &n,
            &format!("Weekly flow of {}", u.name),
            "Incidents and requests opened and resolved per week of the month, and the backlog at each week's end.",
            &weeks,
            &[
                Series {
                    name: "opened".into(),
                    values: col(&|w| w.opened),
                },
                Series {
                    name: "resolved".into(),
                    values: col(&|w| w.resolved),
                },
                Series {
                    name: "backlog".into(),
                    values: col(&|w| w.backlog),
                },
            ],
        )?,
        caption: "Opened, resolved and backlog per week (weeks start on Monday; the first and last are cut at the month's edges).".into(),
        header: vec![
            "week_start".into(),
            "opened".into(),
            "resolved".into(),
            "backlog".into(),
        ],
        rows: u
            .weeks
            .iter()
            .map(|w| {
                vec![
                    w.week_start.clone(),
                    w.opened.to_string(),
                    w.resolved.to_string(),
                    w.backlog.to_string(),
                ]
            })
            .collect(),
        name: n,
    })
}

/// Open incidents and requests by age band at the end of the period.
fn aging_figure(u: &Unit, n: String) -> Result<Figure> {
    Ok(Figure {
        svg: charts::bars(
            &n,
            &format!("Backlog aging of {}", u.name),
            "Open incidents and requests at the as-of instant by age.",
            &u.aging.iter().map(|a| a.0.clone()).collect::<Vec<_>>(),
            &[Series {
                name: "open".into(),
                values: u.aging.iter().map(|a| Some(a.1 as f64)).collect(),
            }],
        )?,
        caption: "Open incidents and requests by age at the end of the period.".into(),
        header: vec!["age".into(), "open".into()],
        rows: u
            .aging
            .iter()
            .map(|a| vec![a.0.clone(), a.1.to_string()])
            .collect(),
        name: n,
    })
}

/// The period's SLA breaches per ticket priority.
fn breaches_figure(u: &Unit, n: String) -> Result<Figure> {
    Ok(Figure {
        svg: charts::bars(
            &n,
            &format!("SLA breaches of {} by priority", u.name),
            "Clocks that breached in the period, per ticket priority.",
            &u.breaches_by_priority
                .iter()
                .map(|a| a.0.clone())
                .collect::<Vec<_>>(),
            &[Series {
                name: "breaches".into(),
                values: u
                    .breaches_by_priority
                    .iter()
                    .map(|a| Some(a.1 as f64))
                    .collect(),
            }],
        )?,
        caption: "SLA breaches in the period by priority.".into(),
        header: vec!["priority".into(), "breaches".into()],
        rows: u
            .breaches_by_priority
            .iter()
            .map(|a| vec![a.0.clone(), a.1.to_string()])
            .collect(),
        name: n,
    })
}
