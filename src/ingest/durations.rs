//! The vendor's own durations (`tickets.vendor_calendar_s`, `vendor_business_s`: ServiceNow's
//! `calendar_duration` / `business_duration`), kept in whole seconds so `sla-check` can hold
//! ticketlake's clocks against them. Exports write them as plain seconds (`5400`), as the
//! display form (`1 Day 2 Hours 3 Minutes`), as `[D ]HH:MM:SS`, or as the Table API's raw
//! value, an offset from the epoch (`1970-01-01 01:30:00`). A value in none of these forms
//! is a reject naming the column, never a NULL.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::rejects::codes::DURATION as E_DURATION;
use crate::dataset::schema::DURATION_COLUMNS;
use crate::error::{Error, Result};

/// Seconds in a duration cell, or `None` when it is in no known form.
pub fn parse(cell: &str) -> Option<i64> {
    let s = cell.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(x) = s.parse::<f64>() {
        return x.is_finite().then(|| x.round() as i64);
    }
    clock(s).or_else(|| epoch(s)).or_else(|| words(s))
}

/// `HH:MM:SS` or `D HH:MM:SS` (ServiceNow's `gs.dateDiff` form).
fn clock(s: &str) -> Option<i64> {
    let (days, hms) = match s.split_once(' ') {
        Some((d, rest)) => (d.parse::<i64>().ok()?, rest.trim()),
        None => (0, s),
    };
    let parts: Vec<i64> = hms
        .split(':')
        .map(|p| {
            p.parse::<i64>()
                .ok()
                .filter(|_| p.len() == 2 || p.len() == 1)
        })
        .collect::<Option<_>>()?;
    let [h, m, sec] = parts[..] else {
        return None;
    };
    (m < 60 && sec < 60 && days >= 0 && h >= 0).then_some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// A glide_duration's raw value: the duration as an instant after 1970-01-01 00:00:00
/// (up to ten years, beyond which it is more likely a real date in the wrong column).
fn epoch(s: &str) -> Option<i64> {
    let d = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()?;
    (chrono::Datelike::year(&d) < 1980).then(|| d.and_utc().timestamp())
}

/// The display form: `1 Day 2 Hours 3 Minutes 4 Seconds`, each unit at most once, any case.
fn words(s: &str) -> Option<i64> {
    let tokens: Vec<&str> = s.split([' ', ',']).filter(|t| !t.is_empty()).collect();
    if tokens.is_empty() || !tokens.len().is_multiple_of(2) {
        return None;
    }
    let mut seen = [false; 4];
    let mut total = 0i64;
    for pair in tokens.chunks(2) {
        let n: i64 = pair[0].parse().ok().filter(|n| *n >= 0)?;
        let unit = pair[1].to_lowercase();
        let (i, secs) = match unit.trim_end_matches('s') {
            "day" => (0, 86_400),
            "hour" => (1, 3600),
            "minute" => (2, 60),
            "second" => (3, 1),
            _ => return None,
        };
        if std::mem::replace(&mut seen[i], true) {
            return None;
        }
        total = total.checked_add(n.checked_mul(secs)?)?;
    }
    Some(total)
}

/// Add to `df` the parsed `__d_{c}` of every mapped duration column (Int64 seconds, NULL
/// where the raw cell is NULL or not a duration), and their checks to `errs`.
pub(super) fn parse_columns(
    df: &mut DataFrame,
    found: &BTreeMap<String, usize>,
    errs: &mut Vec<(String, Expr)>,
) -> Result<()> {
    for c in DURATION_COLUMNS.iter().filter(|c| found.contains_key(**c)) {
        let raw = df
            .column(c)
            .and_then(|x| x.str().cloned())
            .map_err(Error::polars(format!("column {c}")))?;
        let parsed: Int64Chunked = raw
            .iter()
            .map(|v| v.and_then(parse))
            .collect::<Int64Chunked>()
            .with_name(format!("__d_{c}").as_str().into());
        df.with_column(parsed.into_column())
            .map_err(Error::polars(format!("parsing {c}")))?;
        errs.push((
            c.to_string(),
            when(
                col(*c)
                    .str()
                    .strip_chars(lit(NULL))
                    .is_not_null()
                    .and(col(format!("__d_{c}")).is_null()),
            )
            .then(lit(E_DURATION))
            .otherwise(lit(0i32)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn every_form_a_servicenow_export_writes() {
        for (cell, secs) in [
            ("5400", Some(5400)),
            (" 5400.0 ", Some(5400)),
            ("1 Day 2 Hours 3 Minutes", Some(93_780)),
            ("2 hours 4 seconds", Some(7204)),
            ("45 Seconds", Some(45)),
            ("1 Day, 1 Hour", Some(90_000)),
            ("01:30:00", Some(5400)),
            ("2 01:00:00", Some(176_400)),
            ("1970-01-02 02:03:04", Some(93_784)),
            ("", None),
            ("soon", None),
            ("3 Hours 2 Hours", None),
            ("3 Fortnights", None),
            ("1:75:00", None),
            ("2026-01-02 02:03:04", None),
        ] {
            assert_eq!(parse(cell), secs, "{cell}");
        }
    }
}
