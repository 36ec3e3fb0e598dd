//! The small chart and the table behind each finding of "What to look at", computed with SQL
//! over the report's session for the finding's scope (its service, or the whole desk) and
//! the window the findings examined, and drawn with the report's charts:
//!
//! - `trend`: the monthly series the trend is about: incidents or median resolution time of
//!   the whole scope; for a value, its share of the incidents or its median against the
//!   scope's (the engine measures a value relative to the whole);
//! - `spike`: weekly incidents of the subject, the spike's weeks drawn as a second series;
//! - `concentration`, `imbalance`: the dimension's commonest values (the finding's among
//!   them), by incidents or by median resolution time;
//! - `correlation`: weekly incidents and median resolution time, as a table only (two
//!   units on one axis would mislead);
//! - `recurring`: the candidate's incidents per month.
//!
//! A finding whose dimension the tickets do not have gets no chart and no table.

use chrono::{Datelike, Months};

use super::charts::{self, Series};
use super::data::{Fetch, Grid, quote};
use super::model::Insight;
use super::page::Figure;
use crate::error::Result;

/// Resolution time (s) as the insights engine measures it: negative ones dropped.
const TTR: &str = "CASE WHEN resolved_at >= opened_at \
  THEN date_part('epoch', resolved_at) - date_part('epoch', opened_at) END";

/// Values shown of a dimension.
const TOP: usize = 8;

/// Characters of a value on a bar chart's axis (the table keeps it whole).
const LABEL_CHARS: usize = 12;

const DAY: i64 = 86_400_000_000;

/// The month starts (µs) of a window of month starts, end exclusive.
pub fn month_starts(w: (i64, i64)) -> Vec<i64> {
    let mut out = Vec::new();
    let Some(mut d) = chrono::DateTime::from_timestamp_micros(w.0)
        .map(|t| t.date_naive())
        .and_then(|d| d.with_day(1))
    else {
        return out;
    };
    loop {
        let t = d
            .and_hms_opt(0, 0, 0)
            .map_or(i64::MAX, |t| t.and_utc().timestamp_micros());
        if t >= w.1 || out.len() >= 240 {
            return out;
        }
        out.push(t);
        match d.checked_add_months(Months::new(1)) {
            Some(n) => d = n,
            None => return out,
        }
    }
}

/// Mondays (µs) from the one on or before the window's start to its end.
pub(super) fn week_starts(w: (i64, i64)) -> Vec<i64> {
    // 1970-01-01 was a Thursday: days since the epoch + 3 is 0 mod 7 on a Monday.
    let days = w.0.div_euclid(DAY);
    let mut t = (days - (days + 3).rem_euclid(7)) * DAY;
    let mut out = Vec::new();
    while t < w.1 && out.len() < 1100 {
        out.push(t);
        t += 7 * DAY;
    }
    out
}

fn dimension_expr(dimension: &str) -> Option<&'static str> {
    crate::insights::series::DIMENSIONS
        .iter()
        .find(|(n, _)| *n == dimension)
        .map(|(_, e)| *e)
}

/// The incidents of the finding's scope opened in the window, and with `value` only its
/// dimension's value.
pub(super) fn filter(w: (i64, i64), i: &Insight, value: Option<&str>) -> String {
    let mut f = format!(
        "kind = 'incident' AND opened_at >= to_timestamp_micros({}) AND opened_at < to_timestamp_micros({})",
        w.0, w.1
    );
    if let Some(s) = &i.raw.0 {
        f += &format!(" AND service = {}", quote(s));
    }
    if let (Some(v), Some(e)) = (value, dimension_expr(&i.dimension)) {
        f += &format!(" AND ({e}) = {}", quote(v));
    }
    f
}

/// Incidents, resolved and median resolution time (s) per `unit` (`month` or `week`).
pub(super) fn per_period(f: &Fetch, unit: &str, label: &str, filter: &str) -> Result<Grid> {
    f.plain(
        &format!(
            "SELECT to_char(t, '{label}') AS t, n, resolved, median_s FROM (\
             SELECT date_trunc('{unit}', CAST(opened_at AS TIMESTAMP)) AS t, count(*) AS n, \
             count({TTR}) AS resolved, median({TTR}) AS median_s \
             FROM tickets WHERE {filter} GROUP BY 1) ORDER BY 1"
        ),
        true,
    )
}

/// A grid's column per label (`t`), zero or `None` where a period has no row.
pub(super) fn column(g: &Grid, labels: &[String], col: &str) -> Vec<Option<f64>> {
    labels
        .iter()
        .map(|l| {
            let row = g.rows.iter().find(|(_, r)| g.text(r, "t") == Some(l));
            match row {
                Some((_, r)) => g.num(r, col),
                None if col == "n" || col == "resolved" => Some(0.0),
                None => None,
            }
        })
        .collect()
}

pub(super) fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|v| format!("{v:.digits$}")).unwrap_or_default()
}

pub(super) fn hours(v: Option<f64>) -> Option<f64> {
    v.map(|s| s / 3600.0)
}

/// Resolution times (h) as a chart shows them: in days once they reach three days, with the
/// unit's name and axis format.
pub(super) fn time_axis(hours: &[Option<f64>]) -> (f64, &'static str, fn(f64) -> String) {
    if hours.iter().flatten().any(|h| *h >= 72.0) {
        (24.0, "d", |v| format!("{v:.0}d"))
    } else {
        (1.0, "h", |v| format!("{v:.0}h"))
    }
}

/// What the finding is about, for titles: "service Email", "category Hardware in Email".
pub(super) fn subject(i: &Insight) -> String {
    let scope = i
        .service
        .as_ref()
        .map_or("the whole desk".to_string(), |s| format!("service {s}"));
    match i.dimension.as_str() {
        "overall" | "title" => scope,
        d => format!("{} {} ({scope})", d.replace('_', " "), i.value),
    }
}

/// Whether the tickets have the finding's dimension (`overall` and `title` need none).
pub(super) fn known_dimension(dimension: &str) -> bool {
    matches!(dimension, "overall" | "title") || dimension_expr(dimension).is_some()
}

pub(super) fn desc(i: &Insight, what: &str) -> String {
    format!("{what}. The finding: {}.", i.sentence)
}

/// The window's months as `YYYY-MM`, and as the axis shows them (`YY-MM`).
pub(super) fn month_labels(w: (i64, i64)) -> (Vec<String>, Vec<String>) {
    let months: Vec<String> = month_starts(w)
        .iter()
        .map(|t| super::fmt::month(*t))
        .collect();
    let short = months
        .iter()
        .map(|m| m.get(2..).unwrap_or(m).to_string())
        .collect();
    (months, short)
}

pub(super) fn span(labels: &[String]) -> String {
    format!(
        "{} to {}",
        labels.first().map_or("", |s| s),
        labels.last().map_or("", |s| s)
    )
}

/// The dimension's commonest values in the scope, the finding's among them: incidents for
/// a share, the median resolution time for a resolution-time finding.
pub(super) fn values(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Figure> {
    let e = dimension_expr(&i.dimension).unwrap_or("NULL");
    let g = f.plain(
        &format!(
            "SELECT * FROM (SELECT v, n, resolved, median_s, sum(n) OVER () AS total FROM (\
             SELECT ({e}) AS v, count(*) AS n, count({TTR}) AS resolved, median({TTR}) AS median_s \
             FROM tickets WHERE {} AND ({e}) IS NOT NULL AND ({e}) <> '' GROUP BY 1) \
             ORDER BY v = {} DESC, n DESC, v LIMIT {TOP}) ORDER BY n DESC, v",
            filter(w, i, None),
            quote(&i.raw.1)
        ),
        true,
    )?;
    let ttr = i.metric == "ttr";
    let col = |c: &str| g.rows.iter().map(|(_, r)| g.num(r, c)).collect::<Vec<_>>();
    let (n, total) = (col("n"), col("total"));
    let med: Vec<Option<f64>> = col("median_s").into_iter().map(hours).collect();
    let (per, unit, _) = time_axis(&med);
    let dim = i.dimension.replace('_', " ");
    let scope = subject(&Insight {
        dimension: "overall".into(),
        ..i.clone()
    });
    let title = if ttr {
        format!("Median resolution time ({unit}) by {dim}, {scope}")
    } else {
        format!("Incidents by {dim}, {scope}")
    };
    let labels: Vec<String> = g
        .rows
        .iter()
        .map(|(_, r)| {
            let v = g.text(r, "v").unwrap_or_default();
            match v.char_indices().nth(LABEL_CHARS) {
                Some((k, _)) => format!("{}…", &v[..k]),
                None => v.to_string(),
            }
        })
        .collect();
    let svg = charts::bars(
        &name,
        &title,
        &desc(
            i,
            &format!(
                "{title}: its commonest values (at most {TOP}) among the incidents opened {}",
                span(&month_labels(w).0)
            ),
        ),
        &labels,
        &[Series {
            name: if ttr { "median" } else { "incidents" }.into(),
            values: if ttr {
                med.iter().map(|m| m.map(|h| h / per)).collect()
            } else {
                n.clone()
            },
        }],
    )?;
    Ok(Figure {
        caption: format!(
            "{title}: its commonest values (at most {TOP}), {} ({} {}).",
            span(&month_labels(w).0),
            i.value,
            i.effect
        ),
        svg,
        header: [
            "value",
            "incidents",
            "share_pct",
            "resolved",
            "median_ttr_h",
        ]
        .map(String::from)
        .to_vec(),
        rows: g
            .rows
            .iter()
            .enumerate()
            .map(|(k, (_, r))| {
                let share = match (n[k], total[k]) {
                    (Some(a), Some(b)) if b > 0.0 => Some(100.0 * a / b),
                    _ => None,
                };
                vec![
                    g.text(r, "v").unwrap_or_default().to_string(),
                    num(n[k], 0),
                    num(share, 1),
                    num(g.num(r, "resolved"), 0),
                    num(med[k], 2),
                ]
            })
            .collect(),
        name,
    })
}

/// Weekly incidents and median resolution time of the scope: a table, no chart.
pub(super) fn correlation(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Figure> {
    let weeks: Vec<String> = week_starts(w).iter().map(|t| super::fmt::day(*t)).collect();
    let g = per_period(f, "week", "%Y-%m-%d", &filter(w, i, None))?;
    let (n, med) = (column(&g, &weeks, "n"), column(&g, &weeks, "median_s"));
    Ok(Figure {
        caption: format!(
            "Incidents and median resolution time per week, {} (no chart: the two have different units)",
            subject(i)
        ),
        svg: String::new(),
        header: ["week_start", "incidents", "median_ttr_h"]
            .map(String::from)
            .to_vec(),
        rows: (0..weeks.len())
            .map(|k| vec![weeks[k].clone(), num(n[k], 0), num(hours(med[k]), 2)])
            .collect(),
        name,
    })
}

/// The recurring-problem candidate's incidents per month of the window.
pub(super) fn recurring(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Figure> {
    let (months, short) = month_labels(w);
    let service = match &i.raw.0 {
        Some(s) => format!(" AND service = {}", quote(s)),
        None => String::new(),
    };
    let g = f.plain(
        &format!(
            "SELECT to_char(t, '%Y-%m') AS t, n FROM (\
             SELECT date_trunc('month', CAST(k.opened_at AS TIMESTAMP)) AS t, count(*) AS n \
             FROM problem_candidate_members m \
             JOIN tickets k ON k.ticket_id = m.ticket_id AND k.source = m.source \
             WHERE m.candidate_id IN (SELECT candidate_id FROM problem_candidates \
               WHERE label = {}{service}) \
             AND k.opened_at >= to_timestamp_micros({}) AND k.opened_at < to_timestamp_micros({}) \
             GROUP BY 1) ORDER BY 1",
            quote(&i.raw.1),
            w.0,
            w.1
        ),
        true,
    )?;
    let n = column(&g, &months, "n");
    let title = format!(
        "Incidents of the recurring problem per month, {}",
        subject(i)
    );
    let svg = charts::bars(
        &name,
        &title,
        &desc(i, &format!("{title}, {}", span(&months))),
        &short,
        &[Series {
            name: "incidents".into(),
            values: n.clone(),
        }],
    )?;
    Ok(Figure {
        caption: format!("{title}, {}: “{}”.", span(&months), i.value),
        svg,
        header: vec!["month".into(), "incidents".into()],
        rows: months
            .iter()
            .zip(&n)
            .map(|(m, v)| vec![m.clone(), num(*v, 0)])
            .collect(),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        crate::time::parse_instant(s).unwrap()
    }

    #[test]
    fn windows_have_their_months_and_mondays() {
        let w = (at("2023-02-01"), at("2024-02-01"));
        let months = month_starts(w);
        assert_eq!(months.len(), 12);
        assert_eq!(super::super::fmt::month(months[0]), "2023-02");
        assert_eq!(super::super::fmt::month(months[11]), "2024-01");
        // 2023-02-01 was a Wednesday: the first week starts on Monday 2023-01-30.
        let weeks = week_starts(w);
        assert_eq!(super::super::fmt::day(weeks[0]), "2023-01-30");
        assert_eq!(super::super::fmt::day(*weeks.last().unwrap()), "2024-01-29");
        assert!(weeks.windows(2).all(|p| p[1] - p[0] == 7 * DAY));
        assert!(month_starts((w.1, w.0)).is_empty());
    }

    #[test]
    fn only_known_dimensions_are_charted() {
        assert!(known_dimension("overall") && known_dimension("title"));
        assert!(known_dimension("category") && known_dimension("config_item"));
        assert!(!known_dimension("weather"));
        assert_eq!(time_axis(&[Some(10.0), None]).1, "h");
        assert_eq!(time_axis(&[Some(80.0)]).1, "d");
    }
}
