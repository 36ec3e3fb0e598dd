//! The canonical `tickets` schema, and the last normalisation step that projects the parsed
//! columns onto it: derived status where the export has none, `resolved_at` from `closed_at`
//! for closed tickets that lack it only when the mapping asks for it, and the data-quality
//! flags (kept rows, never rejects).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::mapping::Mapping;
use crate::dataset::schema::{COUNTER_COLUMNS, DURATION_COLUMNS, TEXT_COLUMNS, TIMESTAMP_COLUMNS};
use crate::error::{Error, Result};

/// Lineage of the rows being normalised.
#[derive(Debug, Clone)]
pub struct Lineage {
    /// The ingest these rows belong to.
    pub ingest_id: String,
    /// The export file, as given on the command line.
    pub source_file: String,
}

/// An empty `tickets` frame with the canonical schema.
pub fn empty_tickets() -> DataFrame {
    let schema: Schema = tickets_schema()
        .into_iter()
        .map(|(n, t)| (n.into(), t))
        .collect();
    DataFrame::empty_with_schema(&schema)
}

/// The canonical `tickets` schema, in column order.
pub fn tickets_schema() -> Vec<(&'static str, DataType)> {
    let ts = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let mut s = vec![
        ("ticket_id", DataType::String),
        ("source", DataType::String),
        ("kind", DataType::String),
        ("priority", DataType::Int32),
        ("status", DataType::String),
        ("source_status", DataType::String),
    ];
    s.extend(TIMESTAMP_COLUMNS.iter().map(|c| (*c, ts.clone())));
    s.extend(TEXT_COLUMNS.iter().map(|c| (*c, DataType::String)));
    s.extend(COUNTER_COLUMNS.iter().map(|c| (*c, DataType::Int32)));
    s.extend(DURATION_COLUMNS.iter().map(|c| (*c, DataType::Int64)));
    s.extend([
        ("dq_flags", DataType::String),
        ("ingest_id", DataType::String),
        ("source_file", DataType::String),
        ("source_record", DataType::Int64),
        ("source_line", DataType::Int64),
    ]);
    s
}

/// `df` (a `tickets` file of the dataset) in the canonical schema and column order. A file
/// written before a column existed (`vendor_calendar_s`, …) gets it as NULL, so a dataset
/// written by an earlier ticketlake merges with new rows; a column no longer written is left
/// out.
pub fn conform(df: DataFrame) -> Result<DataFrame> {
    let schema = tickets_schema();
    let same = df.width() == schema.len()
        && df
            .get_column_names()
            .iter()
            .zip(&schema)
            .all(|(a, (b, _))| a.as_str() == *b);
    if same {
        return Ok(df);
    }
    let n = df.height();
    let columns: Vec<Column> = schema
        .into_iter()
        .map(|(name, dtype)| match df.column(name) {
            Ok(c) => c.clone(),
            Err(_) => Column::full_null(name.into(), n, &dtype),
        })
        .collect();
    DataFrame::new_infer_height(columns).map_err(Error::polars(
        "reading a tickets file of an earlier version",
    ))
}

/// `resolved_at` as stored: the export's, or `closed_at` where it is imputed.
fn resolved_at(ts: &impl Fn(&str) -> Expr) -> Expr {
    when(col("__resolved_from_closed"))
        .then(ts("closed_at"))
        .otherwise(ts("resolved_at"))
}

/// Whether a row's `resolved_at` is imputed from `closed_at`, and its data-quality flags
/// (`;`-separated, empty when none). `ts` gives a parsed timestamp column.
fn quality(ts: &impl Fn(&str) -> Expr, m: &Mapping) -> (Expr, Expr) {
    let closed_like = col("status")
        .eq(lit("resolved"))
        .or(col("status").eq(lit("closed")));
    // A resolved or closed ticket without a resolution instant: imputed from `closed_at`
    // only on request, otherwise kept NULL and flagged, so MTTR uses real instants only.
    let unresolved_done = ts("resolved_at").is_null().and(closed_like);
    let resolved_from_closed = if m.resolved_from_closed {
        unresolved_done.clone().and(ts("closed_at").is_not_null())
    } else {
        lit(false)
    };
    // A change ends at its close and has no resolution time to miss: not flagged.
    let without_resolution = unresolved_done
        .and(col("__resolved_from_closed").not())
        .and(col("__kind").neq(lit("change")));
    let flag = |cond: Expr, name: &str| when(cond).then(lit(format!("{name};"))).otherwise(lit(""));
    let resolved = resolved_at(ts);
    let dq = concat_str(
        [
            flag(
                resolved.clone().lt(ts("opened_at")),
                "resolved_before_opened",
            ),
            flag(ts("closed_at").lt(ts("opened_at")), "closed_before_opened"),
            flag(ts("closed_at").lt(resolved), "closed_before_resolved"),
            flag(col("__resolved_from_closed"), "resolved_at_from_closed_at"),
            flag(without_resolution, "closed_without_resolution"),
        ],
        "",
        true,
    )
    .str()
    .strip_chars_end(lit(";"));
    (resolved_from_closed, dq)
}

/// Project the good rows onto the canonical schema. Returns the frame and the number of
/// flagged rows.
pub fn finish(
    good: LazyFrame,
    found: &BTreeMap<String, usize>,
    lineage: &Lineage,
    m: &Mapping,
) -> Result<(DataFrame, u64)> {
    let has = |c: &str| found.contains_key(c);
    let ts = |c: &str| -> Expr {
        if has(c) {
            col(format!("__u_{c}"))
        } else {
            lit(NULL).cast(DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC),
            ))
        }
    };
    let derived_status = when(ts("closed_at").is_not_null())
        .then(lit("closed"))
        .when(ts("resolved_at").is_not_null())
        .then(lit("resolved"))
        .otherwise(lit("in_progress"));
    let status = if has("status") {
        when(col("__status_map").is_not_null())
            .then(col("__status_map"))
            .otherwise(derived_status)
    } else {
        derived_status
    };
    let updated = coalesce(&[
        ts("updated_at"),
        ts("closed_at"),
        ts("resolved_at"),
        ts("opened_at"),
    ]);
    let mut select: Vec<Expr> = Vec::new();
    for (name, dtype) in tickets_schema() {
        let e = match name {
            "ticket_id" => col("ticket_id").str().strip_chars(lit(NULL)),
            "source" => lit(m.source.clone()),
            "kind" => col("__kind"),
            "priority" if has("priority") => col("__priority"),
            "status" => col("status"),
            "source_status" if has("status") => col("__status_raw"),
            "resolved_at" => resolved_at(&ts),
            "updated_at" => updated.clone(),
            "priority_label" if has("priority") => col("priority"),
            "dq_flags" => col("__dq"),
            "ingest_id" => lit(lineage.ingest_id.clone()),
            "source_file" => lit(lineage.source_file.clone()),
            "source_record" | "source_line" => col(name),
            c if TIMESTAMP_COLUMNS.contains(&c) => ts(c),
            c if COUNTER_COLUMNS.contains(&c) && has(c) => col(format!("__c_{c}")),
            c if DURATION_COLUMNS.contains(&c) && has(c) => col(format!("__d_{c}")),
            c if TEXT_COLUMNS.contains(&c) && has(c) => col(c),
            _ => lit(NULL),
        };
        select.push(e.cast(dtype).alias(name));
    }
    let (resolved_from_closed, dq) = quality(&ts, m);
    let status_raw = if has("status") {
        col("status").str().strip_chars(lit(NULL))
    } else {
        lit(NULL).cast(DataType::String)
    };
    let df = good
        .with_column(status_raw.alias("__status_raw"))
        .with_column(status.alias("status"))
        .with_column(resolved_from_closed.alias("__resolved_from_closed"))
        .with_column(dq.alias("__dq"))
        .with_column(
            when(col("__dq").eq(lit("")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col("__dq"))
                .alias("__dq"),
        )
        .select(select)
        .collect()
        .map_err(Error::polars("projecting onto the tickets schema"))?;
    let flagged = df
        .column("dq_flags")
        .map(|c| c.len() - c.null_count())
        .unwrap_or(0) as u64;
    Ok((df, flagged))
}
