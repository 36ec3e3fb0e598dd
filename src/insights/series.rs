//! The aggregates the findings are computed from, all DataFusion group-bys over the dataset's
//! `tickets` files (no row loop in Rust): per dimension value, the incident count, the
//! resolution-time rank sum (for Mann-Whitney), the median resolution time, and the monthly
//! and weekly series; the same series for the whole scope.
//!
//! The rows in scope are materialised once as an in-memory table with only the columns the
//! group-bys need, the resolution times ranked once (the ranks serve every dimension).

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

const DAY: i64 = 86_400_000_000;
const WEEK: i64 = 7 * DAY;

/// The dimensions findings are looked for in, as (name, SQL expression over `tickets`).
pub const DIMENSIONS: &[(&str, &str)] = &[
    ("category", "category"),
    ("location", "location"),
    ("assignment_group", "assignment_group"),
    ("assignee", "assignee"),
    ("requester", "requester"),
    ("service", "service"),
    (
        "priority",
        "CASE WHEN priority IS NULL THEN NULL ELSE concat('P', CAST(priority AS VARCHAR)) END",
    ),
    ("config_item", "config_item"),
];

/// What is examined: incidents opened in `[start, end)` (µs, UTC, month starts), of one
/// service or all.
#[derive(Debug, Clone)]
pub struct Scope {
    /// First instant (µs).
    pub start: i64,
    /// Exclusive end (µs).
    pub end: i64,
    /// One service, or all.
    pub service: Option<String>,
}

/// A metric over time: per month and per week of the scope.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Incidents opened per month.
    pub month_n: Vec<f64>,
    /// Median resolution time (s) of the month's incidents; `None` when none was resolved.
    pub month_ttr: Vec<Option<f64>>,
    /// Incidents opened per week.
    pub week_n: Vec<f64>,
    /// Median resolution time (s) of the week's incidents.
    pub week_ttr: Vec<Option<f64>>,
}

/// One value of a dimension.
#[derive(Debug, Clone)]
pub struct Value {
    /// The value as the data spells it.
    pub value: String,
    /// Incidents.
    pub n: f64,
    /// Incidents with a resolution time.
    pub n_ttr: f64,
    /// Sum of the resolution-time ranks among all incidents of the scope.
    pub rank_sum: f64,
    /// Median resolution time (s).
    pub median_ttr: Option<f64>,
    /// Its monthly and weekly series.
    pub series: Series,
}

/// One dimension: the values tested (the commonest, each with enough incidents) and what
/// the shares are measured against.
#[derive(Debug, Clone)]
pub struct Dimension {
    /// Its name in [`DIMENSIONS`].
    pub name: &'static str,
    /// Incidents with a value in this dimension.
    pub total: f64,
    /// Distinct values.
    pub distinct: usize,
    /// The values tested, commonest first.
    pub values: Vec<Value>,
}

/// Everything the findings read.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// Month starts (µs), in order.
    pub months: Vec<i64>,
    /// Week starts (Mondays, µs), in order, and the share of each week inside the scope.
    pub weeks: Vec<i64>,
    /// The share of each week inside the scope (partial weeks at its ends).
    pub week_exposure: Vec<f64>,
    /// Incidents, and those with a resolution time.
    pub n: f64,
    /// Incidents with a resolution time.
    pub n_ttr: f64,
    /// Σ(t³ − t) over the ties of the resolution times.
    pub ties: f64,
    /// Median resolution time of the scope (s).
    pub median_ttr: Option<f64>,
    /// The whole scope's series.
    pub overall: Series,
    /// Each dimension's tested values.
    pub dimensions: Vec<Dimension>,
}

/// The month start `n` months before `t` (µs; `t` itself a month start).
pub fn months_before(t: i64, n: u32) -> i64 {
    let d = date(t);
    let d = d.checked_sub_months(Months::new(n)).unwrap_or(d);
    micros(d)
}

fn date(t: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

use crate::time::micros;

/// A date (µs) as `YYYY-MM-DD`.
pub fn day(t: i64) -> String {
    date(t).format("%Y-%m-%d").to_string()
}

/// A month start (µs) as `Mon YYYY`.
pub fn month_label(t: i64) -> String {
    date(t).format("%b %Y").to_string()
}

fn month_starts(s: &Scope) -> Vec<i64> {
    let mut out = Vec::new();
    let mut d = date(s.start).with_day(1).unwrap_or_default();
    while micros(d) < s.end {
        out.push(micros(d));
        d = d.checked_add_months(Months::new(1)).unwrap_or(d);
        if out.len() > 1200 {
            break;
        }
    }
    out
}

fn week_starts(s: &Scope) -> (Vec<i64>, Vec<f64>) {
    let d = date(s.start);
    let monday = d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64);
    let (mut weeks, mut exposure) = (Vec::new(), Vec::new());
    let mut w = micros(monday);
    while w < s.end && weeks.len() < 5300 {
        let inside = (w + WEEK).min(s.end) - w.max(s.start);
        weeks.push(w);
        exposure.push(inside as f64 / WEEK as f64);
        w += WEEK;
    }
    (weeks, exposure)
}

fn engine(context: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> Error {
    crate::dataset::listing::engine_error(format!("insights: {context}"))
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

async fn rows(ctx: &SessionContext, sql: &str, what: &str) -> Result<Vec<RecordBatch>> {
    ctx.sql(sql)
        .await
        .map_err(engine(what))?
        .collect()
        .await
        .map_err(engine(what))
}

fn strings(b: &RecordBatch, i: usize) -> Result<Vec<Option<String>>> {
    let a = cast(b.column(i), &DataType::Utf8).map_err(|e| Error::Query {
        context: "insights: reading a text column".into(),
        message: e.to_string(),
    })?;
    let a = a.as_string::<i32>();
    Ok((0..a.len())
        .map(|k| (!a.is_null(k)).then(|| a.value(k).to_string()))
        .collect())
}

fn numbers(b: &RecordBatch, i: usize) -> Result<Vec<Option<f64>>> {
    let a = cast(b.column(i), &DataType::Float64).map_err(|e| Error::Query {
        context: "insights: reading a number column".into(),
        message: e.to_string(),
    })?;
    let a = a.as_primitive::<Float64Type>();
    Ok((0..a.len())
        .map(|k| (!a.is_null(k)).then(|| a.value(k)))
        .collect())
}

/// `(key, time, n, median ttr)` rows of a per-period group-by.
type PeriodRows = Vec<(Option<String>, i64, f64, Option<f64>)>;

async fn period_rows(
    ctx: &SessionContext,
    key: &str,
    unit: &str,
    filter: &str,
) -> Result<PeriodRows> {
    let sql = format!(
        "SELECT {key} AS k, to_unixtime(date_trunc('{unit}', opened)) AS t, count(*) AS n, \
         median(ttr) AS med FROM scope WHERE {filter} GROUP BY 1, 2"
    );
    let mut out = Vec::new();
    for b in rows(ctx, &sql, unit).await? {
        let (k, t, n, m) = (
            strings(&b, 0)?,
            numbers(&b, 1)?,
            numbers(&b, 2)?,
            numbers(&b, 3)?,
        );
        for i in 0..b.num_rows() {
            if let (Some(t), Some(n)) = (t[i], n[i]) {
                out.push((k[i].clone(), (t as i64) * 1_000_000, n, m[i]));
            }
        }
    }
    Ok(out)
}

/// Fill per-key series from period rows.
fn fill(
    series: &mut HashMap<Option<String>, Series>,
    rows: PeriodRows,
    index: &HashMap<i64, usize>,
    monthly: bool,
    len: usize,
) {
    for (k, t, n, med) in rows {
        let Some(&i) = index.get(&t) else { continue };
        let s = series.entry(k).or_default();
        let (ns, ts) = if monthly {
            (&mut s.month_n, &mut s.month_ttr)
        } else {
            (&mut s.week_n, &mut s.week_ttr)
        };
        if ns.len() < len {
            ns.resize(len, 0.0);
            ts.resize(len, None);
        }
        ns[i] = n;
        ts[i] = med;
    }
}

/// Make every series as long as the scope's months and weeks (periods without incidents
/// are zeros, not gaps).
fn padded(mut s: Series, months: usize, weeks: usize) -> Series {
    s.month_n.resize(months, 0.0);
    s.month_ttr.resize(months, None);
    s.week_n.resize(weeks, 0.0);
    s.week_ttr.resize(weeks, None);
    s
}

/// Materialise the scope: one row per incident with its month, week, resolution time and
/// rank, and the dimensions.
async fn materialise(ctx: &SessionContext, s: &Scope) -> Result<()> {
    let dims: Vec<String> = DIMENSIONS
        .iter()
        .map(|(n, e)| format!("{e} AS {n}"))
        .collect();
    let service = match &s.service {
        Some(v) => format!(" AND service = {}", quoted(v)),
        None => String::new(),
    };
    let sql = format!(
        "CREATE TABLE scope AS SELECT *, CASE WHEN ttr IS NOT NULL THEN \
           CAST(rank() OVER (ORDER BY ttr ASC NULLS LAST) AS DOUBLE) \
           + (CAST(count(*) OVER (PARTITION BY ttr) AS DOUBLE) - 1) / 2 END AS r \
         FROM (SELECT CAST(opened_at AS TIMESTAMP) AS opened, \
           CASE WHEN resolved_at >= opened_at \
             THEN date_part('epoch', resolved_at) - date_part('epoch', opened_at) END AS ttr, \
           {dims} FROM tickets WHERE kind = 'incident' \
           AND opened_at >= {start} AND opened_at < {end}{service})",
        dims = dims.join(", "),
        start = quoted(&crate::time::rfc3339(s.start)),
        end = quoted(&crate::time::rfc3339(s.end)),
    );
    rows(ctx, &sql, "selecting the incidents in scope").await?;
    Ok(())
}

/// The overall figures of the scope: counts, tie term and median.
async fn totals(ctx: &SessionContext) -> Result<(f64, f64, f64, Option<f64>)> {
    let b = rows(
        ctx,
        "SELECT count(*), count(ttr), median(ttr) FROM scope",
        "counting",
    )
    .await?;
    let ties = rows(
        ctx,
        "SELECT sum(c * c * c - c) FROM (SELECT CAST(count(*) AS DOUBLE) AS c FROM scope \
         WHERE ttr IS NOT NULL GROUP BY ttr)",
        "ranking",
    )
    .await?;
    let first = |bs: &[RecordBatch], i: usize| -> Result<Option<f64>> {
        Ok(match bs.first() {
            Some(b) if b.num_rows() > 0 => numbers(b, i)?[0],
            _ => None,
        })
    };
    Ok((
        first(&b, 0)?.unwrap_or(0.0),
        first(&b, 1)?.unwrap_or(0.0),
        first(&ties, 0)?.unwrap_or(0.0),
        first(&b, 2)?,
    ))
}

/// The values of one dimension worth testing: at least `min_n` incidents, the `top`
/// commonest (ties by value, so runs agree), with their series.
async fn dimension(
    ctx: &SessionContext,
    name: &'static str,
    min_n: f64,
    top: usize,
    index: (&HashMap<i64, usize>, &HashMap<i64, usize>),
    lens: (usize, usize),
) -> Result<Dimension> {
    let sql = format!(
        "SELECT {name}, count(*), count(ttr), sum(r), median(ttr) FROM scope \
         WHERE {name} IS NOT NULL AND {name} <> '' GROUP BY 1"
    );
    let mut values = Vec::new();
    let (mut total, mut distinct) = (0.0, 0usize);
    for b in rows(ctx, &sql, name).await? {
        let (v, n, nt, rs, med) = (
            strings(&b, 0)?,
            numbers(&b, 1)?,
            numbers(&b, 2)?,
            numbers(&b, 3)?,
            numbers(&b, 4)?,
        );
        for i in 0..b.num_rows() {
            let n_i = n[i].unwrap_or(0.0);
            total += n_i;
            distinct += 1;
            if let (Some(value), true) = (v[i].clone(), n_i >= min_n) {
                values.push(Value {
                    value,
                    n: n_i,
                    n_ttr: nt[i].unwrap_or(0.0),
                    rank_sum: rs[i].unwrap_or(0.0),
                    median_ttr: med[i],
                    series: Series::default(),
                });
            }
        }
    }
    values.sort_by(|a, b| b.n.total_cmp(&a.n).then(a.value.cmp(&b.value)));
    values.truncate(top);
    if !values.is_empty() {
        let list: Vec<String> = values.iter().map(|v| quoted(&v.value)).collect();
        let filter = format!("{name} IN ({})", list.join(", "));
        let mut series = HashMap::new();
        let m = period_rows(ctx, name, "month", &filter).await?;
        fill(&mut series, m, index.0, true, lens.0);
        let w = period_rows(ctx, name, "week", &filter).await?;
        fill(&mut series, w, index.1, false, lens.1);
        for v in &mut values {
            let s = series.remove(&Some(v.value.clone())).unwrap_or_default();
            v.series = padded(s, lens.0, lens.1);
        }
    }
    Ok(Dimension {
        name,
        total,
        distinct,
        values,
    })
}

/// Compute the aggregates of `scope` over the `tickets` table registered in `ctx`.
pub async fn aggregates(
    ctx: &SessionContext,
    scope: &Scope,
    min_n: f64,
    top: usize,
) -> Result<Aggregates> {
    materialise(ctx, scope).await?;
    let months = month_starts(scope);
    let (weeks, week_exposure) = week_starts(scope);
    let month_index: HashMap<i64, usize> =
        months.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let week_index: HashMap<i64, usize> = weeks.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let (n, n_ttr, ties, median_ttr) = totals(ctx).await?;
    let mut overall = HashMap::new();
    let m = period_rows(ctx, "'all'", "month", "true").await?;
    fill(&mut overall, m, &month_index, true, months.len());
    let w = period_rows(ctx, "'all'", "week", "true").await?;
    fill(&mut overall, w, &week_index, false, weeks.len());
    let overall = padded(
        overall.remove(&Some("all".to_string())).unwrap_or_default(),
        months.len(),
        weeks.len(),
    );
    let mut dimensions = Vec::new();
    for (name, _) in DIMENSIONS {
        if scope.service.is_some() && *name == "service" {
            continue;
        }
        dimensions.push(
            dimension(
                ctx,
                name,
                min_n,
                top,
                (&month_index, &week_index),
                (months.len(), weeks.len()),
            )
            .await?,
        );
    }
    ctx.deregister_table("scope")
        .map_err(engine("cleaning up"))?;
    Ok(Aggregates {
        months,
        weeks,
        week_exposure,
        n,
        n_ttr,
        ties,
        median_ttr,
        overall,
        dimensions,
    })
}

/// A fresh DataFusion session over the `tickets` files of `m`, with a capped memory pool.
pub async fn session(
    root: &crate::dataset::Location,
    m: &crate::dataset::Manifest,
    memory: usize,
) -> Result<SessionContext> {
    // A fair pool, not the greedy one `with_memory_limit` gives: the scope's window sorts
    // run side by side, and under a greedy pool the first sorter took the whole budget
    // without spilling, so the second one's merge failed ("Resources exhausted") at 10 M
    // tickets. A fair pool makes every sorter spill to disk at its share.
    let env = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_memory_pool(std::sync::Arc::new(
            datafusion::execution::memory_pool::FairSpillPool::new(memory),
        ))
        .build_arc()
        .map_err(engine("memory pool"))?;
    let ctx = SessionContext::new_with_config_rt(datafusion::prelude::SessionConfig::new(), env);
    crate::dataset::listing::register(&ctx, root, m, Some(&[crate::dataset::TICKETS])).await?;
    Ok(ctx)
}
