//! Running a named metric query: the reporting period (`2026-10`, `2026-Q4`, `2026`, or
//! `2026-10-01..2026-11-01`), the as-of instant, and the placeholders they fill.
//!
//! Periods are half-open, `[$period_start, $period_end)`, in UTC, so consecutive months
//! neither overlap nor leave a gap, and a ticket resolved at exactly midnight belongs to the
//! month that starts then.

use chrono::{Datelike, NaiveDate};
use datafusion::common::{ParamValues, ScalarValue};

use super::adhoc::{self, Table};
use super::catalog::Query;
use super::session::Session;
use crate::error::{Error, Result};

/// A reporting period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    /// What the user typed, or the month chosen by default.
    pub label: String,
    /// Inclusive start, µs since the epoch (UTC).
    pub start: i64,
    /// Exclusive end, µs since the epoch (UTC).
    pub end: i64,
}

fn micros(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_micros()
}

fn month_start(y: i32, m: u32) -> Option<NaiveDate> {
    let (y, m) = if m > 12 { (y + 1, m - 12) } else { (y, m) };
    NaiveDate::from_ymd_opt(y, m, 1)
}

impl Period {
    /// Parse `YYYY-MM`, `YYYY-Qn`, `YYYY` or `FROM..TO` (dates, `TO` exclusive).
    pub fn parse(s: &str) -> Result<Period> {
        let bad = || {
            Error::Usage(format!(
                "--period `{s}`: expected YYYY-MM (2026-10), YYYY-Qn (2026-Q4), YYYY (2026) \
                 or FROM..TO dates with TO exclusive (2026-10-01..2026-11-01)"
            ))
        };
        let t = s.trim();
        let (a, b) = if let Some((from, to)) = t.split_once("..") {
            let p = |x: &str| NaiveDate::parse_from_str(x.trim(), "%Y-%m-%d").map_err(|_| bad());
            (p(from)?, p(to)?)
        } else if let Some((y, q)) = t.split_once("-Q").or_else(|| t.split_once("-q")) {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let q: u32 = q
                .parse()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or_else(bad)?;
            (
                month_start(y, 3 * q - 2).ok_or_else(bad)?,
                month_start(y, 3 * q + 1).ok_or_else(bad)?,
            )
        } else if let Some((y, m)) = t.split_once('-') {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let m: u32 = m
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            (
                month_start(y, m).ok_or_else(bad)?,
                month_start(y, m + 1).ok_or_else(bad)?,
            )
        } else {
            let y: i32 = t.parse().map_err(|_| bad())?;
            (
                month_start(y, 1).ok_or_else(bad)?,
                month_start(y + 1, 1).ok_or_else(bad)?,
            )
        };
        if b <= a {
            return Err(Error::Usage(format!(
                "--period `{s}`: the end must be after the start"
            )));
        }
        Ok(Period {
            label: t.to_string(),
            start: micros(a),
            end: micros(b),
        })
    }

    /// The last month that ended at or before `as_of` (µs, UTC).
    pub fn last_complete_month(as_of: i64) -> Period {
        let d = chrono::DateTime::from_timestamp_micros(as_of)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let (y, m) = if d.month() == 1 {
            (d.year() - 1, 12)
        } else {
            (d.year(), d.month() - 1)
        };
        Period::parse(&format!("{y:04}-{m:02}")).expect("a valid month")
    }
}

/// The values a metric query is run with.
#[derive(Debug, Clone)]
pub struct Params {
    /// The reporting period.
    pub period: Period,
    /// The as-of instant (µs, UTC): backlog and still-open shares are measured here.
    pub as_of: i64,
}

impl Params {
    /// The period given (or the last complete month before the dataset's as-of) and an as-of
    /// that defaults to the earlier of the period's end and the last build's as-of.
    pub fn resolve(session: &Session, period: Option<&str>, as_of: Option<&str>) -> Result<Params> {
        let dataset_as_of = session
            .as_of
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        let period = match period {
            Some(p) => Period::parse(p)?,
            None => Period::last_complete_month(dataset_as_of),
        };
        let as_of = match as_of {
            Some(a) => crate::derive::parse_as_of(a)?,
            None => dataset_as_of.min(period.end),
        };
        Ok(Params { period, as_of })
    }

    /// The placeholder values.
    pub fn values(&self) -> ParamValues {
        let ts = |v: i64| ScalarValue::TimestampMicrosecond(Some(v), Some("UTC".into()));
        ParamValues::from(vec![
            ("period_start", ts(self.period.start)),
            ("period_end", ts(self.period.end)),
            ("as_of", ts(self.as_of)),
        ])
    }
}

/// Run `query` grouped by `by`.
pub fn run(
    session: &Session,
    query: &Query,
    by: Option<&str>,
    params: &Params,
    max_rows: usize,
) -> Result<Table> {
    let sql = query.render(by)?;
    run_sql(session, query, &sql, params.values(), max_rows)
}

/// Run a query's rendered SQL with parameter values, with the query named in errors.
pub fn run_sql(
    session: &Session,
    query: &Query,
    sql: &str,
    values: ParamValues,
    max_rows: usize,
) -> Result<Table> {
    adhoc::to_table(
        &collect_sql(session, query, sql, values, max_rows)?,
        max_rows,
    )
}

/// [`run_sql`] as Arrow batches (at most `max_rows + 1` rows).
pub fn collect_sql(
    session: &Session,
    query: &Query,
    sql: &str,
    values: ParamValues,
    max_rows: usize,
) -> Result<Vec<datafusion::arrow::array::RecordBatch>> {
    adhoc::collect_with(session, sql, Some(values), max_rows).map_err(|e| match e {
        Error::Query { message, .. } => Error::Query {
            context: format!("query {} ({})", query.name, query.origin),
            message: if message.contains("not found")
                && ["sla", "problem_candidate"]
                    .iter()
                    .any(|t| message.contains(&format!("public.{t}")))
            {
                format!(
                    "{message}; the derived tables are written by `ticketlake build` \
                     (ingest runs it only when SLAs are configured): run it first"
                )
            } else {
                message
            },
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_half_open_in_utc() {
        let p = Period::parse("2026-12").unwrap();
        assert_eq!(
            p.start,
            micros(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        assert_eq!(p.end, micros(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(
            (q.start, q.end),
            (micros(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()), p.end)
        );
        assert_eq!(Period::parse("2026").unwrap().end, p.end);
        let r = Period::parse("2026-10-01..2026-10-08").unwrap();
        assert_eq!(r.end - r.start, 7 * 86_400_000_000);
        for bad in ["2026-13", "2026-Q5", "oct", "2026-10-08..2026-10-01", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        let jan = micros(NaiveDate::from_ymd_opt(2027, 1, 15).unwrap());
        assert_eq!(Period::last_complete_month(jan).label, "2026-12");
    }
}
