//! Running a named metric query: the reporting period (`2026-10`, `2026-Q4`, `2026`, or
//! `2026-10-01..2026-11-01`), the as-of instant, and the placeholders they fill.
//!
//! Periods are half-open, `[$period_start, $period_end)`, in UTC, so consecutive months
//! neither overlap nor leave a gap, and a ticket resolved at exactly midnight belongs to the
//! month that starts then.

use datafusion::common::{ParamValues, ScalarValue};

use super::adhoc::{self, Table};
use super::catalog::Query;
use super::session::Session;
use crate::error::{Error, Result};
pub use crate::time::Period;

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
            Some(a) => crate::time::parse_as_of(a)?,
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
            message,
        },
        other => other,
    })
}
