//! The numbers behind the monthly reports, gathered with DataFusion over the dataset. Wherever
//! a metric exists in `queries/`, the report runs that query (so a report and `ticketlake
//! query` always agree), grouped by a composite key ticketlake builds itself: the report unit
//! (service or group) with the month, priority or group.
//!
//! The query groups by a `struct` of the key's parts, and each part is read back from the
//! grouped rows' Arrow arrays: no ticket text, whatever characters it holds, can split a key
//! wrongly. (Building a text key, and formatting months, on every ticket row in SQL was most
//! of a report's time at 10 M tickets.)

use std::collections::BTreeMap;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{ParamValues, ScalarValue};

use crate::error::{Error, Result};
use crate::privacy::Masker;
use crate::query::adhoc;
use crate::query::catalog::{self, Query};
use crate::query::metric::{self, Period};
use crate::query::session::Session;

/// What one report is about: a service or an assignment group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// `service`
    Service,
    /// `assignment_group`
    Group,
}

impl UnitKind {
    /// The dimension's name in `queries/` headers.
    pub fn dim(self) -> &'static str {
        match self {
            UnitKind::Service => "service",
            UnitKind::Group => "group",
        }
    }

    /// The ticket column.
    pub fn column(self) -> &'static str {
        match self {
            UnitKind::Service => "service",
            UnitKind::Group => "assignment_group",
        }
    }
}

/// One part of a composite report key.
#[derive(Debug, Clone, Copy)]
pub enum Part<'a> {
    /// A text expression (the unit, a priority, a group).
    Text(&'a str),
    /// A timestamp expression, grouped by its UTC month and shown as `YYYY-MM`.
    Month(&'a str),
}

impl Part<'_> {
    /// The expression grouped on. Months are truncated as naive UTC timestamps: DataFusion's
    /// `date_trunc` on a zoned timestamp converts every row through the time zone, several
    /// times slower, and every timestamp in the dataset is UTC.
    fn grouped(self) -> String {
        match self {
            Part::Text(e) => e.to_string(),
            Part::Month(e) => format!("date_trunc('month', CAST({e} AS TIMESTAMP))"),
        }
    }
}

/// The grouping expression of a key: a `struct` of its parts (never empty: no parts is the
/// empty text).
fn group_expr(parts: &[Part]) -> String {
    if parts.is_empty() {
        return "''".into();
    }
    let grouped: Vec<String> = parts.iter().map(|p| p.grouped()).collect();
    format!("struct({})", grouped.join(", "))
}

/// The decoded keys of a result's `key` column, one per row: the text of each part of the
/// `struct`, NULL as empty, months as `YYYY-MM`.
fn keys(batches: &[RecordBatch], parts: &[Part]) -> Result<Vec<Vec<String>>> {
    let text = FormatOptions::default().with_null("");
    let month = text.clone().with_timestamp_format(Some("%Y-%m"));
    let bad = |m: String| Error::Query {
        context: "report key".into(),
        message: m,
    };
    let mut out = Vec::new();
    for b in batches {
        let key = match (parts.is_empty(), b.column_by_name("key")) {
            (false, Some(k)) => k
                .as_struct_opt()
                .ok_or_else(|| bad(format!("column key is {}, not a struct", k.data_type())))?,
            _ => {
                out.extend(std::iter::repeat_n(Vec::new(), b.num_rows()));
                continue;
            }
        };
        let fmts = key
            .columns()
            .iter()
            .zip(parts)
            .map(|(c, p)| {
                let opts = if matches!(p, Part::Month(_)) {
                    &month
                } else {
                    &text
                };
                ArrayFormatter::try_new(c.as_ref(), opts).map_err(|e| bad(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        for r in 0..b.num_rows() {
            out.push(fmts.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    Ok(out)
}

/// SQL string literal.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether a grid row belongs to unit `name` (the unit is the first key part).
pub fn of_unit(k: &[String], name: &str) -> bool {
    k.first().is_some_and(|k| k == name)
}

/// A query result whose first key column is decoded.
pub struct Grid {
    columns: Vec<String>,
    /// Decoded key and the cells.
    pub rows: Vec<(Vec<String>, Vec<Option<String>>)>,
}

impl Grid {
    /// The grid of `batches`, with every text cell and text key part masked by `mask`
    /// (`[privacy] at = "report"`).
    fn new(batches: &[RecordBatch], parts: &[Part], mask: Option<&Masker>) -> Result<Grid> {
        let t = adhoc::to_table(batches, MAX_ROWS)?;
        let mut rows: Vec<_> = keys(batches, parts)?.into_iter().zip(t.rows).collect();
        if let Some(m) = mask {
            for (key, cells) in &mut rows {
                for (k, p) in key.iter_mut().zip(parts) {
                    if matches!(p, Part::Text(_)) {
                        *k = m.text_seen(k);
                    }
                }
                for (c, numeric) in cells.iter_mut().zip(&t.numeric) {
                    if let (Some(v), false) = (c.as_mut(), numeric) {
                        *v = m.text_seen(v);
                    }
                }
            }
        }
        Ok(Grid {
            columns: t.columns,
            rows,
        })
    }

    fn idx(&self, col: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == col)
    }

    /// A cell as text.
    pub fn text<'a>(&self, row: &'a [Option<String>], col: &str) -> Option<&'a str> {
        self.idx(col).and_then(|i| row[i].as_deref())
    }

    /// A cell as a number.
    pub fn num(&self, row: &[Option<String>], col: &str) -> Option<f64> {
        self.text(row, col).and_then(|v| v.parse().ok())
    }
}

/// Runs catalog queries and report SQL for one reporting period.
pub struct Fetch<'a> {
    /// The open session.
    pub session: &'a Session,
    catalog: Vec<Query>,
    /// The report unit.
    pub unit: UnitKind,
    /// The reporting month.
    pub period: Period,
    /// The month before it.
    pub previous: Period,
    /// The first of the 13 trend months.
    pub series_start: i64,
    /// As-of instant for backlog and aging.
    pub as_of: i64,
    /// The 13 month labels, oldest first.
    pub months: Vec<String>,
    /// Masks every text read (`[privacy] at = "report"`).
    pub mask: Option<Masker>,
}

const MAX_ROWS: usize = 50_000_000;

fn ts(v: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(v), Some("UTC".into()))
}

impl<'a> Fetch<'a> {
    /// Prepare for `period` (a month).
    pub fn new(
        session: &'a Session,
        queries_dir: Option<&std::path::Path>,
        unit: UnitKind,
        period: Period,
        as_of: i64,
    ) -> Result<Fetch<'a>> {
        let catalog = catalog::load(queries_dir)?;
        let mut starts = vec![period.start];
        for _ in 0..12 {
            let first = *starts.last().unwrap_or(&period.start);
            starts.push(Period::last_complete_month(first).start);
        }
        starts.reverse();
        let previous = Period::last_complete_month(period.start);
        Ok(Fetch {
            session,
            catalog,
            unit,
            series_start: starts[0],
            months: starts.iter().map(|s| super::fmt::month(*s)).collect(),
            previous,
            period,
            as_of,
            mask: None,
        })
    }

    /// The unit expression with NULL shown as `(none)`, as `queries/` does.
    pub fn unit_expr(&self) -> String {
        format!("COALESCE({}, '(none)')", self.unit.column())
    }

    fn values(&self, start: i64, end: i64) -> ParamValues {
        ParamValues::from(vec![
            ("period_start", ts(start)),
            ("period_end", ts(end)),
            ("as_of", ts(self.as_of.min(end))),
        ])
    }

    /// Run catalog query `name` over `[start, end)` grouped by the key of `parts`.
    pub fn query(&self, name: &str, parts: &[Part], start: i64, end: i64) -> Result<Grid> {
        let q = catalog::find(&self.catalog, name)?;
        self.run(
            &q,
            q.render_expr("key", &group_expr(parts)),
            parts,
            start,
            end,
        )
    }

    /// The period view of `queries/mttr.sql` (incidents resolved in the period), the only
    /// view the reports use, in no particular order. The filter is applied around the
    /// query, so DataFusion pushes it in and the cohort view is never computed.
    pub fn mttr(&self, parts: &[Part], start: i64, end: i64) -> Result<Grid> {
        let q = catalog::find(&self.catalog, "mttr")?;
        let inner = q.render_expr("key", &group_expr(parts));
        let inner = inner.trim_end().trim_end_matches(';');
        let sql = format!("SELECT * FROM (\n{inner}\n) q WHERE view = 'period'");
        self.run(&q, sql, parts, start, end)
    }

    fn run(&self, q: &Query, sql: String, parts: &[Part], start: i64, end: i64) -> Result<Grid> {
        let batches =
            metric::collect_sql(self.session, q, &sql, self.values(start, end), MAX_ROWS)?;
        crate::dataset::store::phase(&format!(
            "report query {} by {} part(s)",
            q.name,
            parts.len()
        ));
        Grid::new(&batches, parts, self.mask.as_ref())
    }

    /// Run report SQL (`{{unit}}` replaced by the unit) over `[start, end)`; its `key` column
    /// is the unit.
    pub fn sql(&self, sql: &str, start: i64, end: i64) -> Result<Grid> {
        let unit = self.unit_expr();
        let parts = [Part::Text(&unit)];
        let batches = adhoc::collect_with(
            self.session,
            &sql.replace("{{unit}}", &group_expr(&parts)),
            Some(self.values(start, end)),
            MAX_ROWS,
        )?;
        let head: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
        crate::dataset::store::phase(&format!("report sql {head}"));
        Grid::new(&batches, &parts, self.mask.as_ref())
    }

    /// Run SQL without parameters or a unit key (the "What to look at" section); `masked`
    /// masks its text cells as every other grid is (unmasked only to read values that are
    /// filtered on, never shown).
    pub fn plain(&self, sql: &str, masked: bool) -> Result<Grid> {
        let batches = adhoc::collect_with(self.session, sql, None, MAX_ROWS)?;
        let head: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
        crate::dataset::store::phase(&format!("report sql {head}"));
        Grid::new(
            &batches,
            &[],
            if masked { self.mask.as_ref() } else { None },
        )
    }

    /// Index of a month label in the series.
    pub fn month_index(&self, label: &str) -> Option<usize> {
        self.months.iter().position(|m| m == label)
    }

    /// Week buckets of the period: from its start, then every Monday, to its end.
    pub fn weeks(&self) -> Vec<(i64, i64)> {
        let day = 86_400_000_000i64;
        let mut out = Vec::new();
        let mut s = self.period.start;
        while s < self.period.end {
            let days_since_epoch = s.div_euclid(day);
            // 1970-01-01 was a Thursday: Monday is (days + 3) % 7 == 0.
            let to_monday = 7 - (days_since_epoch + 3).rem_euclid(7);
            let e = ((days_since_epoch + to_monday) * day).min(self.period.end);
            out.push((s, e));
            s = e;
        }
        out
    }
}

/// Opened, resolved and backlog (incidents and requests) per week bucket.
pub fn weekly_sql(weeks: &[(i64, i64)]) -> String {
    let values: Vec<String> = weeks
        .iter()
        .enumerate()
        .map(|(i, (s, e))| format!("({i}, to_timestamp_micros({s}), to_timestamp_micros({e}))"))
        .collect();
    format!(
        "WITH t AS (
  SELECT {{{{unit}}}} AS key, opened_at, resolved_at, status,
         COALESCE(resolved_at, closed_at) AS done_at
  FROM tickets
  WHERE kind IN ('incident', 'request') AND opened_at < $period_end
    AND (COALESCE(resolved_at, closed_at) IS NULL OR COALESCE(resolved_at, closed_at) >= $period_start)
),
w AS (SELECT column1 AS i, column2 AS ws, column3 AS we FROM (VALUES {}))
SELECT key, i,
  SUM(CASE WHEN opened_at >= ws AND opened_at < we THEN 1 ELSE 0 END) AS opened,
  SUM(CASE WHEN resolved_at >= ws AND resolved_at < we THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN opened_at < we AND (done_at IS NULL OR done_at >= we)
            AND NOT (status = 'cancelled' AND done_at IS NULL) THEN 1 ELSE 0 END) AS backlog
FROM t CROSS JOIN w
GROUP BY key, i
ORDER BY key, i",
        values.join(", ")
    )
}

/// Tickets opened in the period per unit, and how many carry data-quality flags.
pub const FLAGS_SQL: &str = "SELECT {{unit}} AS key, COUNT(*) AS tickets,
  SUM(CASE WHEN dq_flags IS NOT NULL AND dq_flags <> '' THEN 1 ELSE 0 END) AS flagged
FROM tickets WHERE opened_at >= $period_start AND opened_at < $period_end
GROUP BY 1";

/// Recurring-problem candidates with the units their incidents belong to.
pub const PROBLEMS_SQL: &str = "WITH u AS (
  SELECT DISTINCT {{unit}} AS key, m.candidate_id
  FROM problem_candidate_members m
  JOIN tickets t ON t.ticket_id = m.ticket_id AND t.source = m.source
)
SELECT u.key, c.candidate_id, c.rank, c.label, c.incidents, c.first_seen, c.last_seen,
  c.unlinked, c.problem_ids, c.score, c.breach_pct, c.pattern
FROM u JOIN problem_candidates c ON c.candidate_id = u.candidate_id
WHERE c.first_seen < $period_end
ORDER BY c.rank";

/// Sum a column of a grid per key, keeping rows that pass `keep`.
pub fn sum_by<K: Ord>(
    g: &Grid,
    col: &str,
    key: impl Fn(&[String]) -> Option<K>,
    keep: impl Fn(&[Option<String>]) -> bool,
) -> BTreeMap<K, f64> {
    let mut out = BTreeMap::new();
    for (k, r) in &g.rows {
        if let Some(k) = key(k).filter(|_| keep(r)) {
            *out.entry(k).or_default() += g.num(r, col).unwrap_or(0.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_any_text() {
        use datafusion::arrow::array::{
            ArrayRef, StringArray, StructArray, TimestampNanosecondArray,
        };
        use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};
        use std::sync::Arc;
        let nasty = ["a:b", "3:xyz", "", "é\u{1f}\u{2028}<x>", "(none)"];
        let text: ArrayRef = Arc::new(StringArray::from(
            nasty
                .iter()
                .map(|s| Some(*s))
                .chain([None])
                .collect::<Vec<_>>(),
        ));
        // 2026-09-01 and 2025-12-01 (ns since the epoch, naive), and NULLs.
        let months: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![
            Some(1_788_220_800_000_000_000),
            Some(1_764_547_200_000_000_000),
            None,
            Some(1_788_220_800_000_000_000),
            None,
            Some(1_764_547_200_000_000_000),
        ]));
        let fields = Fields::from(vec![
            Field::new("c0", DataType::Utf8, true),
            Field::new("c1", DataType::Timestamp(TimeUnit::Nanosecond, None), true),
        ]);
        let key: ArrayRef = Arc::new(StructArray::new(fields, vec![text, months], None));
        let batch = RecordBatch::try_from_iter([("key", key)]).unwrap();
        let parts = [Part::Text("service"), Part::Month("opened_at")];
        let got = keys(std::slice::from_ref(&batch), &parts).unwrap();
        let want: Vec<Vec<String>> = [
            ("a:b", "2026-09"),
            ("3:xyz", "2025-12"),
            ("", ""),
            ("é\u{1f}\u{2028}<x>", "2026-09"),
            ("(none)", ""),
            ("", "2025-12"),
        ]
        .iter()
        .map(|(a, b)| vec![a.to_string(), b.to_string()])
        .collect();
        assert_eq!(got, want);
        // No parts: every row has the empty key, whatever the key column holds.
        assert_eq!(keys(&[batch], &[]).unwrap(), vec![Vec::<String>::new(); 6]);
        assert_eq!(group_expr(&[]), "''");
        assert_eq!(
            group_expr(&parts),
            "struct(service, date_trunc('month', CAST(opened_at AS TIMESTAMP)))"
        );
        assert_eq!(quote("O'Brien"), "'O''Brien'");
    }
}
