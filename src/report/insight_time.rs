//! The charts of the findings over time (see [`super::insight_charts`]): a trend's monthly
//! series and a spike's weekly incidents, over the window the findings examined. A value's
//! trend is drawn as the engine measures it: its share of the incidents, or its median
//! resolution time beside the scope's.

use super::charts::{self, Labels, Series};
use super::data::Fetch;
use super::insight_charts::{
    column, desc, filter, hours, month_labels, num, per_period, span, subject, time_axis,
    week_starts,
};
use super::model::Insight;
use super::page::Figure;
use crate::error::Result;

/// Monthly median resolution time: the scope's, and the value's beside it.
pub(super) fn trend_ttr(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Figure> {
    let (months, short) = month_labels(w);
    let all = per_period(f, "month", "%Y-%m", &filter(w, i, None))?;
    let whole: Vec<Option<f64>> = column(&all, &months, "median_s")
        .into_iter()
        .map(hours)
        .collect();
    let own: Option<Vec<Option<f64>>> = if i.dimension == "overall" {
        None
    } else {
        let g = per_period(f, "month", "%Y-%m", &filter(w, i, Some(&i.raw.1)))?;
        Some(
            column(&g, &months, "median_s")
                .into_iter()
                .map(hours)
                .collect(),
        )
    };
    let every: Vec<Option<f64>> = whole.iter().chain(own.iter().flatten()).copied().collect();
    let (per, unit, y_fmt) = time_axis(&every);
    let scaled = |v: &[Option<f64>]| v.iter().map(|h| h.map(|h| h / per)).collect();
    let mut series = Vec::new();
    if let Some(own) = &own {
        series.push(Series {
            name: format!("{} ({unit})", i.value),
            values: scaled(own),
        });
    }
    series.push(Series {
        name: if own.is_some() {
            format!("all incidents ({unit})")
        } else {
            format!("median ({unit})")
        },
        values: scaled(&whole),
    });
    let title = format!("Median resolution time per month, {}", subject(i));
    let svg = charts::line(
        Labels {
            name: &name,
            title: &title,
            desc: &desc(i, &format!("{title}, {}", span(&months))),
        },
        &short,
        &series,
        None,
        &y_fmt,
        true,
    )?;
    let (header, rows) = match &own {
        Some(own) => (
            vec!["month", "median_ttr_h", "all_median_ttr_h"],
            (0..months.len())
                .map(|k| vec![months[k].clone(), num(own[k], 2), num(whole[k], 2)])
                .collect(),
        ),
        None => {
            let resolved = column(&all, &months, "resolved");
            (
                vec!["month", "resolved", "median_ttr_h"],
                (0..months.len())
                    .map(|k| vec![months[k].clone(), num(resolved[k], 0), num(whole[k], 2)])
                    .collect(),
            )
        }
    };
    Ok(Figure {
        caption: format!("{title}, {} (the trend: {}).", span(&months), i.effect),
        svg,
        header: header.into_iter().map(String::from).collect(),
        rows,
        name,
    })
}

/// Monthly incidents of the scope, or a value's share of them.
pub(super) fn trend_volume(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Figure> {
    let (months, short) = month_labels(w);
    let all = column(
        &per_period(f, "month", "%Y-%m", &filter(w, i, None))?,
        &months,
        "n",
    );
    let overall = i.dimension == "overall";
    let own = if overall {
        all.clone()
    } else {
        let g = per_period(f, "month", "%Y-%m", &filter(w, i, Some(&i.raw.1)))?;
        column(&g, &months, "n")
    };
    let share: Vec<Option<f64>> = own
        .iter()
        .zip(&all)
        .map(|(a, b)| match (a, b) {
            (Some(a), Some(b)) if *b > 0.0 && !overall => Some(100.0 * a / b),
            _ => None,
        })
        .collect();
    let (title, series, y_fmt): (String, Series, fn(f64) -> String) = if overall {
        (
            format!("Incidents per month, {}", subject(i)),
            Series {
                name: "incidents".into(),
                values: all.clone(),
            },
            |v| format!("{v:.0}"),
        )
    } else {
        (
            format!("Share of the incidents per month, {}", subject(i)),
            Series {
                name: "share %".into(),
                values: share.clone(),
            },
            |v| format!("{v:.0}%"),
        )
    };
    let svg = charts::line(
        Labels {
            name: &name,
            title: &title,
            desc: &desc(i, &format!("{title}, {}", span(&months))),
        },
        &short,
        &[series],
        None,
        &y_fmt,
        true,
    )?;
    Ok(Figure {
        caption: format!("{title}, {} (the trend: {}).", span(&months), i.effect),
        svg,
        header: ["month", "incidents", "all_incidents", "share_pct"]
            .map(String::from)
            .to_vec(),
        rows: (0..months.len())
            .map(|k| {
                vec![
                    months[k].clone(),
                    num(own[k], 0),
                    num(all[k], 0),
                    num(share[k], 1),
                ]
            })
            .collect(),
        name,
    })
}

/// Weekly incidents of the subject over the window, the spike's weeks as a second series.
pub(super) fn spike(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Figure> {
    let weeks: Vec<String> = week_starts(w).iter().map(|t| super::fmt::day(*t)).collect();
    let value = (i.dimension != "overall").then_some(i.raw.1.as_str());
    let g = per_period(f, "week", "%Y-%m-%d", &filter(w, i, value))?;
    let n = column(&g, &weeks, "n");
    let (from, to) = (
        i.window_start.clone().unwrap_or_default(),
        i.window_end.clone().unwrap_or_default(),
    );
    let inside: Vec<bool> = weeks
        .iter()
        .map(|d| !from.is_empty() && *d >= from && *d <= to)
        .collect();
    // Every fourth week is labelled: fifty labels would overlap.
    let axis: Vec<String> = weeks
        .iter()
        .enumerate()
        .map(|(k, d)| match (k % 4, d.get(5..)) {
            (0, Some(md)) => md.to_string(),
            _ => String::new(),
        })
        .collect();
    let title = format!("Incidents per week, {}", subject(i));
    let svg = charts::line(
        Labels {
            name: &name,
            title: &title,
            desc: &desc(
                i,
                &format!(
                    "{title}, weeks starting {}; the spike from {from} to {to} is the second series",
                    span(&weeks)
                ),
            ),
        },
        &axis,
        &[
            Series {
                name: "incidents".into(),
                values: n.clone(),
            },
            Series {
                name: format!("spike {from} to {to}"),
                values: n
                    .iter()
                    .zip(&inside)
                    .map(|(v, &k)| if k { *v } else { None })
                    .collect(),
            },
        ],
        None,
        &|v| format!("{v:.0}"),
        true,
    )?;
    Ok(Figure {
        caption: format!(
            "{title} (weeks start on Monday; the spike's weeks in the second colour)."
        ),
        svg,
        header: ["week_start", "incidents", "in_spike"]
            .map(String::from)
            .to_vec(),
        rows: weeks
            .iter()
            .zip(n.iter().zip(&inside))
            .map(|(d, (v, k))| vec![d.clone(), num(*v, 0), k.to_string()])
            .collect(),
        name,
    })
}
