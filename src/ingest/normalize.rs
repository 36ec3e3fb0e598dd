//! Vectorised normalisation with polars: timestamps parsed with the declared formats and time
//! zone (DST gaps and folds detected), priorities, statuses and kinds mapped, counters cast,
//! data-quality flags raised. Every value that fails becomes an error code in a column; the
//! rows with any code are turned into rejects that name the column and the reason, so nothing
//! becomes a quiet NULL (promise 2).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::localtime;
use super::mapping::{Ambiguous, Mapping, NonExistent as DstGap};
use super::raw::{RawTable, Reject};
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
            return Err(Error::Input {
                path: path.into(),
                line: Some(1),
                message: format!(
                    "required column for `{required}` is missing (looked for {}); the header has: {}. \
                     Export the field, or use --source generic with a mapping that names it",
                    m.columns[required].candidates().join(" or "),
                    quote(&table.headers.join(", "))
                ),
            });
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

pub(super) fn lower_keys<T>(map: &BTreeMap<String, T>) -> Vec<String> {
    map.keys().map(|k| k.trim().to_lowercase()).collect()
}

/// The timestamp format list, for messages.
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
    let (tz_name, zone) = super::prepare::source_zone(tz, m, &mapped_ts, path)?;
    let mut df = super::prepare::raw_frame(&mut table, &found)?;
    let has = |c: &str| found.contains_key(c);

    // Stage 1: parse and map.
    let mut s1 = parse_timestamps(&mut df, m, &found)?;
    let mut errs: Vec<(String, Expr)> = Vec::new();
    map_values(m, &found, &mut s1, &mut errs);
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
    let all = flag_rows(parsed, &errs, path)?;
    let bad_rows = all
        .clone()
        .lazy()
        .filter(col("__bad"))
        .collect()
        .map_err(Error::polars("selecting rejects"))?;
    let mut rejects = table.rejects.clone();
    rejects.extend(super::rejects::describe(
        &bad_rows, &errs, &table, m, &tz_name,
    )?);

    let good = all.lazy().filter(col("__bad").not());
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

/// Raw column `c` parsed with strptime format `f`; a cell that does not match becomes NULL.
pub(super) fn parse_with(c: &str, f: &str) -> Expr {
    col(c).str().strip_chars(lit(NULL)).str().to_datetime(
        Some(TimeUnit::Microseconds),
        None,
        StrptimeOptions {
            format: Some(f.into()),
            strict: false,
            exact: true,
            // Timestamps rarely repeat: a cache of parsed strings only adds a hash
            // and an insert per cell.
            cache: false,
        },
        lit("raise"),
    )
}

/// One `__n_{c}` expression per mapped timestamp column: its naive local time, parsed with
/// the mapping's formats. A column the first format reads whole is parsed here already (into
/// `df` as `__p_{c}`), and its expression only renames it.
fn parse_timestamps(
    df: &mut DataFrame,
    m: &Mapping,
    found: &BTreeMap<String, usize>,
) -> Result<Vec<Expr>> {
    let mut s1 = Vec::new();
    for c in TIMESTAMP_COLUMNS.iter().filter(|c| found.contains_key(**c)) {
        let formats = &m.timestamp_formats;
        // Most exports use one format per column: parse with the first, and only when some
        // non-null cell fails it fall back to trying every format (a coalesce evaluates all
        // of them on every cell). The result is the same either way; this is only faster.
        if formats.len() > 1 {
            let first = df
                .clone()
                .lazy()
                .select([parse_with(c, &formats[0]).alias("p")])
                .collect()
                .map_err(Error::polars(format!("parsing {c}")))?;
            let p = first.column("p").map_err(Error::polars("parsed column"))?;
            let raw_nonnull = df.column(c).map(|x| x.len() - x.null_count()).unwrap_or(0);
            if p.len() - p.null_count() == raw_nonnull {
                let name = format!("__p_{c}");
                df.with_column(p.clone().with_name(name.as_str().into()))
                    .map_err(Error::polars("parsed column"))?;
                s1.push(col(name).alias(format!("__n_{c}")));
                continue;
            }
        }
        let parsed: Vec<Expr> = formats.iter().map(|f| parse_with(c, f)).collect();
        s1.push(coalesce(&parsed).alias(format!("__n_{c}")));
    }
    Ok(s1)
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
        let p = &m.values.priority;
        s1.push(
            lookup(
                col("priority"),
                lower_keys(p),
                Series::new("v".into(), p.values().copied().collect::<Vec<i32>>()),
            )
            .alias("__priority"),
        );
        errs.push((
            "priority".into(),
            unknown_if(col("priority"), col("__priority")),
        ));
    }
    if found.contains_key("status") {
        let st = &m.values.status;
        s1.push(
            lookup(
                col("status"),
                lower_keys(st),
                Series::new("v".into(), st.values().cloned().collect::<Vec<String>>()),
            )
            .alias("__status_map"),
        );
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
            km.entry(k.to_string()).or_insert_with(|| k.to_string());
        }
        let mapped = lookup(
            col("kind"),
            lower_keys(&km),
            Series::new("v".into(), km.values().cloned().collect::<Vec<String>>()),
        );
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

/// Adds to `parsed` each timestamp column's UTC instant and its `__dst_{c}` code (a DST fold
/// or gap the mapping's rules do not resolve), from its naive `__n_{c}`.
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
/// code; and E_MISSING where `opened_at` is empty.
fn flag_timestamps(
    ts_cols: &[&str],
    found: &BTreeMap<String, usize>,
    errs: &mut Vec<(String, Expr)>,
) {
    for c in ts_cols {
        errs.push((
            c.to_string(),
            when(col(*c).is_not_null().and(col(format!("__n_{c}")).is_null()))
                .then(lit(E_FORMAT))
                .otherwise(col(format!("__dst_{c}"))),
        ));
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

/// Every row with its `__err{i}` code per check in `errs` (the order the reject builder
/// reads them in) and `__bad`: whether any check failed.
pub(super) fn flag_rows(
    parsed: DataFrame,
    errs: &[(String, Expr)],
    path: &std::path::Path,
) -> Result<DataFrame> {
    let err_exprs: Vec<Expr> = errs
        .iter()
        .enumerate()
        .map(|(i, (_, e))| e.clone().cast(DataType::Int32).alias(format!("__err{i}")))
        .collect();
    let bad = (0..errs.len())
        .map(|i| col(format!("__err{i}")).gt(lit(0i32)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let lf = parsed
        .lazy()
        .with_columns(err_exprs)
        .with_column(bad.alias("__bad"));
    lf.collect()
        .map_err(Error::polars(format!("normalising {}", path.display())))
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
