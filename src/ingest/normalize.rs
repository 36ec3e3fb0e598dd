//! Vectorised normalisation with polars: timestamps parsed with the declared formats and time
//! zone (DST gaps and folds detected), priorities, statuses and kinds mapped, counters cast,
//! data-quality flags raised. Every value that fails becomes an error code in a column; the
//! rows with any code are turned into rejects that name the column and the reason, so nothing
//! becomes a quiet NULL (promise 2).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::mapping::{Ambiguous, Mapping, NonExistent as DstGap};
use super::raw::{RawTable, Reject};
use super::{localtime, timestamps};
use crate::dataset::schema::{COUNTER_COLUMNS, TIMESTAMP_COLUMNS};
use crate::error::{Error, Result, quote};

pub use super::canonical::Lineage;
/// Error codes written into the `__err_*` columns.
use super::rejects::codes::{
    AMBIGUOUS as E_AMBIGUOUS, FORMAT as E_FORMAT, MISSING as E_MISSING,
    NONEXISTENT as E_NONEXISTENT, NUMBER as E_NUMBER, UNKNOWN as E_UNKNOWN,
};

/// The result of normalising one file.
#[derive(Debug)]
pub struct Normalized {
    /// Rows that passed, in the canonical `tickets` schema.
    pub tickets: DataFrame,
    /// Rows that did not, with reasons.
    pub rejects: Vec<Reject>,
    /// Mapped columns that the file does not have.
    pub missing_columns: Vec<String>,
    /// File columns that no mapping uses (reported, not an error).
    pub extra_columns: Vec<String>,
    /// Notes about the file as a whole.
    pub warnings: Vec<String>,
    /// Rows kept but flagged with data-quality findings.
    pub flagged: u64,
}

/// Find each mapped column's source column in the file; the `required` ones must be there.
pub(super) fn resolve(
    table: &RawTable,
    m: &Mapping,
    path: &std::path::Path,
    required: &[&str],
) -> Result<(BTreeMap<String, usize>, Vec<String>)> {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for (canon, src) in &m.columns {
        match src.index_in(table) {
            Some(i) => {
                found.insert(canon.clone(), i);
            }
            None => missing.push(canon.clone()),
        }
    }
    for &required in required {
        if !found.contains_key(required) {
            return Err(super::prepare::missing_required(table, m, required, path));
        }
    }
    for (name, positions) in table.duplicate_headers() {
        if found.values().any(|&i| table.headers[i] == name) {
            return Err(Error::Input {
                path: path.into(),
                line: Some(1),
                message: format!(
                    "column `{}` appears {} times (positions {}) and is mapped, so its values are ambiguous; \
                     remove or rename the duplicates in the export",
                    quote(&name),
                    positions.len(),
                    quote(&format!("{positions:?}"))
                ),
            });
        }
    }
    // Kind and status have fallbacks (id prefix, timestamps), so their absence is not news.
    missing.retain(|c| c != "kind" && c != "status");
    Ok((found, missing))
}

/// A `replace_strict` lookup from lower-cased spellings (`keys`) to canonical values
/// (`values`, same order); an unknown spelling becomes NULL and is caught by the caller.
pub(super) fn lookup(e: Expr, keys: Vec<String>, values: Series) -> Expr {
    let dtype = values.dtype().clone();
    let old = Series::new("old".into(), keys);
    e.str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase()
        .replace_strict(
            lit(old),
            lit(values),
            Some(lit(NULL).cast(dtype.clone())),
            Some(dtype),
        )
}

/// A value map's spellings, trimmed and lower-cased as the lookup matches them, with their
/// values. Of spellings that differ only in case (`Incident`, `incident`) the first is kept:
/// the lookup's keys must be distinct, and a mapping whose such spellings disagree is refused
/// when it is loaded.
pub(super) fn lookup_pairs<T: Clone>(map: &BTreeMap<String, T>) -> (Vec<String>, Vec<T>) {
    let mut seen = std::collections::BTreeSet::new();
    map.iter()
        .map(|(k, v)| (k.trim().to_lowercase(), v.clone()))
        .filter(|(k, _)| seen.insert(k.clone()))
        .unzip()
}

/// Normalise one file's raw table. `tz` is the declared source time zone (CLI over mapping).
pub fn normalize(
    mut table: RawTable,
    m: &Mapping,
    tz: Option<&str>,
    lineage: &Lineage,
    path: &std::path::Path,
) -> Result<Normalized> {
    let (found, missing) = resolve(&table, m, path, &["ticket_id", "opened_at"])?;
    let extra_columns = super::prepare::extra_columns(&table, &found);
    let mut warnings = Vec::new();
    let mapped_ts: Vec<&str> = TIMESTAMP_COLUMNS
        .iter()
        .copied()
        .filter(|c| found.contains_key(*c))
        .collect();
    // Values read by an offset format are instants: only naive ones need the source zone.
    let naive_ts: &[&str] = if timestamps::reads_naive(&m.timestamp_formats) {
        &mapped_ts
    } else {
        &[]
    };
    let (tz_name, zone) = super::prepare::source_zone(tz, m, naive_ts, path)?;
    let mut df = super::prepare::raw_frame(&mut table, &found)?;
    let has = |c: &str| found.contains_key(c);

    // Stage 1: parse and map.
    let mut s1 = timestamps::parse_columns(&mut df, &m.timestamp_formats, &mapped_ts)?;
    let mut errs: Vec<(String, Expr)> = Vec::new();
    // The common vocabulary's readings of this file's spellings join the mapping's own.
    map_values(
        &*super::vocabulary::extend(m, &df)?,
        &found,
        &mut s1,
        &mut errs,
    );
    cast_counters(&found, &mut s1, &mut errs);
    super::durations::parse_columns(&mut df, &found, &mut errs)?;
    errs.push((
        "ticket_id".into(),
        when(col("ticket_id").str().strip_chars(lit(NULL)).is_null())
            .then(lit(E_MISSING))
            .otherwise(lit(0i32)),
    ));

    // Stage 2: local time → UTC, with DST gaps and folds detected, in Rust over the parsed
    // columns (see `localtime`: polars' replace_time_zone asks chrono-tz for every cell).
    let mut parsed = df
        .lazy()
        .with_columns(s1)
        .collect()
        .map_err(Error::polars(format!("parsing {}", path.display())))?;
    to_utc(&mut parsed, &mapped_ts, m, zone)?;
    flag_timestamps(&mapped_ts, &found, &mut errs);

    // Stage 3: error codes and the "bad" flag.
    let (good, rejects) = split_rejects(parsed, &errs, (&table, m, &tz_name), path)?;
    let (tickets, flagged) = super::canonical::finish(good, &found, lineage, m)?;
    if !has("updated_at") {
        warnings.push("no updated_at column: the latest of closed_at, resolved_at and opened_at orders versions of a ticket".into());
    }
    Ok(Normalized {
        tickets,
        rejects,
        missing_columns: missing,
        extra_columns,
        warnings,
        flagged,
    })
}

/// The mapped `__priority`, `__status_map` and `__kind` expressions (into `s1`) and their
/// E_UNKNOWN checks (into `errs`).
fn map_values(
    m: &Mapping,
    found: &BTreeMap<String, usize>,
    s1: &mut Vec<Expr>,
    errs: &mut Vec<(String, Expr)>,
) {
    if found.contains_key("priority") {
        let (keys, values) = lookup_pairs(&m.values.priority);
        s1.push(lookup(col("priority"), keys, Series::new("v".into(), values)).alias("__priority"));
        errs.push((
            "priority".into(),
            unknown_if(col("priority"), col("__priority")),
        ));
    }
    if found.contains_key("status") {
        let (keys, values) = lookup_pairs(&m.values.status);
        s1.push(lookup(col("status"), keys, Series::new("v".into(), values)).alias("__status_map"));
        errs.push((
            "status".into(),
            unknown_if(col("status"), col("__status_map")),
        ));
    }
    s1.push(map_kind(m, found).alias("__kind"));
    errs.push((
        "kind".into(),
        when(col("__kind").is_null())
            .then(lit(E_UNKNOWN))
            .otherwise(lit(0i32)),
    ));
}

/// The canonical kind: an explicit column, else the id prefix, else the mapping's constant.
fn map_kind(m: &Mapping, found: &BTreeMap<String, usize>) -> Expr {
    let mut kind = match &m.kind {
        Some(k) => lit(k.clone()),
        None => lit(NULL).cast(DataType::String),
    };
    for (prefix, k) in m.values.kind_prefix.iter().rev() {
        kind = when(
            col("ticket_id")
                .str()
                .strip_chars(lit(NULL))
                .str()
                .starts_with(lit(prefix.clone())),
        )
        .then(lit(k.clone()))
        .otherwise(kind);
    }
    if found.contains_key("kind") {
        // The canonical kinds are accepted as spelled, besides the mapping's own spellings.
        let mut km = m.values.kind.clone();
        for k in crate::dataset::schema::KINDS {
            // Unless the mapping spells it (`Incident`): the lookup keys must be distinct.
            if !km.keys().any(|s| s.trim().eq_ignore_ascii_case(k)) {
                km.insert(k.to_string(), k.to_string());
            }
        }
        let (keys, values) = lookup_pairs(&km);
        let mapped = lookup(col("kind"), keys, Series::new("v".into(), values));
        kind = when(col("kind").is_not_null()).then(mapped).otherwise(kind);
    }
    kind
}

/// The `__c_{c}` integer casts of the mapped counter columns (into `s1`) and their E_NUMBER
/// checks (into `errs`).
fn cast_counters(
    found: &BTreeMap<String, usize>,
    s1: &mut Vec<Expr>,
    errs: &mut Vec<(String, Expr)>,
) {
    for c in COUNTER_COLUMNS.iter().filter(|c| found.contains_key(**c)) {
        s1.push(
            col(*c)
                .str()
                .strip_chars(lit(NULL))
                .cast(DataType::Int32)
                .alias(format!("__c_{c}")),
        );
        errs.push((
            c.to_string(),
            when(col(*c).is_not_null().and(col(format!("__c_{c}")).is_null()))
                .then(lit(E_NUMBER))
                .otherwise(lit(0i32)),
        ));
    }
}

/// Adds to `parsed` each timestamp column's UTC instant `__u_{c}` and its `__dst_{c}` code (a
/// DST fold or gap the mapping's rules do not resolve): the instant its value carried
/// (`__o_{c}`), else its naive `__n_{c}` in `zone`.
pub(super) fn to_utc(
    parsed: &mut DataFrame,
    ts_cols: &[&str],
    m: &Mapping,
    zone: chrono_tz::Tz,
) -> Result<()> {
    let rules = localtime::Rules {
        fold: match m.dst_ambiguous {
            Ambiguous::Reject => None,
            Ambiguous::Earliest => Some(false),
            Ambiguous::Latest => Some(true),
        },
        gap_shift_forward: m.dst_nonexistent == DstGap::ShiftForward,
    };
    for (utc, code) in
        localtime::localize(parsed, ts_cols, zone, rules, (E_AMBIGUOUS, E_NONEXISTENT))?
    {
        parsed
            .with_column(utc)
            .and_then(|d| d.with_column(code))
            .map_err(Error::polars("localised timestamps"))?;
    }
    Ok(())
}

/// The timestamp checks (into `errs`): E_FORMAT where no format read the cell, else its DST
/// code (see [`timestamps::check`]); and E_MISSING where `opened_at` is empty.
fn flag_timestamps(
    ts_cols: &[&str],
    found: &BTreeMap<String, usize>,
    errs: &mut Vec<(String, Expr)>,
) {
    for c in ts_cols {
        errs.push((c.to_string(), timestamps::check(c, E_FORMAT)));
    }
    if found.contains_key("opened_at") {
        errs.push((
            "opened_at".into(),
            when(col("opened_at").is_null())
                .then(lit(E_MISSING))
                .otherwise(lit(0i32)),
        ));
    }
}

/// Stage 3 of every reader: give each row its error codes and the `__bad` flag, turn the
/// bad rows into rejects (after the table's structural ones), and return the good rows.
pub(super) fn split_rejects(
    parsed: DataFrame,
    errs: &[(String, Expr)],
    (table, m, tz): (&RawTable, &Mapping, &str),
    path: &std::path::Path,
) -> Result<(LazyFrame, Vec<Reject>)> {
    let err_exprs: Vec<Expr> = errs
        .iter()
        .enumerate()
        .map(|(i, (_, e))| e.clone().cast(DataType::Int32).alias(format!("__err{i}")))
        .collect();
    let bad = (0..errs.len())
        .map(|i| col(format!("__err{i}")).gt(lit(0i32)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let all = parsed
        .lazy()
        .with_columns(err_exprs)
        .with_column(bad.alias("__bad"))
        .collect()
        .map_err(Error::polars(format!("normalising {}", path.display())))?;
    let bad_rows = all
        .clone()
        .lazy()
        .filter(col("__bad"))
        .collect()
        .map_err(Error::polars("selecting rejects"))?;
    let mut rejects = table.rejects.clone();
    rejects.extend(super::rejects::describe(&bad_rows, errs, table, m, tz)?);
    Ok((all.lazy().filter(col("__bad").not()), rejects))
}

/// Code E_UNKNOWN where the raw value is present but did not map.
pub(super) fn unknown_if(raw: Expr, mapped: Expr) -> Expr {
    when(
        raw.str()
            .strip_chars(lit(NULL))
            .is_not_null()
            .and(mapped.is_null()),
    )
    .then(lit(E_UNKNOWN))
    .otherwise(lit(0i32))
}
