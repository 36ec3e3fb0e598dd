//! Vectorised normalisation with polars: timestamps parsed with the declared formats and time
//! zone (DST gaps and folds detected), priorities, statuses and kinds mapped, counters cast,
//! data-quality flags raised. Every value that fails becomes an error code in a column; the
//! rows with any code are turned into rejects that name the column and the reason, so nothing
//! becomes a quiet NULL (promise 2).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::localtime;
use super::mapping::{self, Ambiguous, Mapping, NonExistent as DstGap};
use crate::dataset::schema::{COUNTER_COLUMNS, TIMESTAMP_COLUMNS};
use super::raw::{RawTable, Reject};
use crate::error::{Error, Result};

/// Error codes written into the `__err_*` columns.
use super::rejects::codes::{
    AMBIGUOUS as E_AMBIGUOUS, FORMAT as E_FORMAT, MISSING as E_MISSING,
    NONEXISTENT as E_NONEXISTENT, NUMBER as E_NUMBER, UNKNOWN as E_UNKNOWN,
};
pub use super::canonical::Lineage;

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

/// Find each mapped canonical column's source column in the file.
fn resolve(
    table: &RawTable,
    m: &Mapping,
    path: &std::path::Path,
) -> Result<(BTreeMap<String, usize>, Vec<String>)> {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for (canon, src) in &m.columns {
        match src
            .candidates()
            .into_iter()
            .find_map(|c| table.column_index(c))
        {
            Some(i) => {
                found.insert(canon.clone(), i);
            }
            None => missing.push(canon.clone()),
        }
    }
    for required in ["ticket_id", "opened_at"] {
        if !found.contains_key(required) {
            return Err(Error::Input {
                path: path.into(),
                line: Some(1),
                message: format!(
                    "required column for `{required}` is missing (looked for {}); the header has: {}. \
                     Export the field, or use --source generic with a mapping that names it",
                    m.columns[required].candidates().join(" or "),
                    table.headers.join(", ")
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
                    "column `{name}` appears {} times (positions {:?}) and is mapped, so its values are ambiguous; \
                     remove or rename the duplicates in the export",
                    positions.len(),
                    positions
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
fn lookup(e: Expr, keys: Vec<String>, values: Series) -> Expr {
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

fn lower_keys<T>(map: &BTreeMap<String, T>) -> Vec<String> {
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
    let (found, missing) = resolve(&table, m, path)?;
    let used: std::collections::BTreeSet<usize> = found.values().copied().collect();
    let extra_columns: Vec<String> = table
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, h)| h.clone())
        .collect();
    let mut warnings = Vec::new();
    let has_ts = TIMESTAMP_COLUMNS.iter().any(|c| found.contains_key(*c));
    let tz_name = match tz.or(m.timezone.as_deref()) {
        Some(t) => t.to_string(),
        None if has_ts => {
            let cols: Vec<&str> = TIMESTAMP_COLUMNS
                .iter()
                .copied()
                .filter(|c| found.contains_key(*c))
                .collect();
            return Err(Error::Input {
                path: path.into(),
                line: None,
                message: format!(
                    "timestamps in {} are naive local times and no source time zone is declared; \
                     pass --tz ZONE (e.g. --tz Europe/London), or set `timezone` in the mapping \
                     or [ingest] timezone in ticketlake.toml. ticketlake never guesses the machine's zone",
                    cols.join(", ")
                ),
            });
        }
        None => "UTC".to_string(),
    };
    // Every zone was validated where it was set (flag, mapping or config key), so this only
    // fails for a zone given through the library.
    let zone = crate::time::parse_tz(&tz_name).map_err(|message| Error::Input {
        path: path.into(),
        line: None,
        message: format!("time zone {message}"),
    })?;

    // Build the frame of raw strings under canonical names.
    let n = table.len();
    let mut columns: Vec<Column> = Vec::with_capacity(found.len() + 3);
    let mut taken: BTreeMap<usize, String> = BTreeMap::new();
    for (canon, &i) in &found {
        let cells = match taken.get(&i) {
            Some(first) => columns
                .iter()
                .find(|c| c.name() == first.as_str())
                .unwrap()
                .as_materialized_series()
                .clone(),
            None => {
                // Convert and free the raw column at once, so the text is held twice at most.
                let col = std::mem::take(&mut table.columns[i]);
                StringChunked::from_iter_options(canon.as_str().into(), col.iter()).into_series()
            }
        };
        taken.entry(i).or_insert_with(|| canon.clone());
        columns.push(cells.with_name(canon.as_str().into()).into_column());
    }
    columns.push(Column::new(
        "__row".into(),
        (0..n as u32).collect::<Vec<u32>>(),
    ));
    columns.push(Column::new(
        "source_record".into(),
        table
            .records
            .iter()
            .map(|&r| r as i64)
            .collect::<Vec<i64>>(),
    ));
    columns.push(Column::new(
        "source_line".into(),
        table
            .lines
            .iter()
            .map(|l| l.map(|v| v as i64))
            .collect::<Vec<Option<i64>>>(),
    ));
    let mut df =
        DataFrame::new_infer_height(columns).map_err(Error::polars("building the raw frame"))?;
    let has = |c: &str| found.contains_key(c);

    // Stage 1: parse and map.
    let mut s1: Vec<Expr> = Vec::new();
    let mut errs: Vec<(String, Expr)> = Vec::new();
    let parse = |c: &str, f: &str| {
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
    };
    for c in TIMESTAMP_COLUMNS.iter().filter(|c| has(c)) {
        let formats = &m.timestamp_formats;
        // Most exports use one format per column: parse with the first, and only when some
        // non-null cell fails it fall back to trying every format (a coalesce evaluates all
        // of them on every cell). The result is the same either way; this is only faster.
        if formats.len() > 1 {
            let first = df
                .clone()
                .lazy()
                .select([parse(c, &formats[0]).alias("p")])
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
        let parsed: Vec<Expr> = formats.iter().map(|f| parse(c, f)).collect();
        s1.push(coalesce(&parsed).alias(format!("__n_{c}")));
    }
    if has("priority") {
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
    if has("status") {
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
    // Kind: an explicit column, else the id prefix, else the mapping's constant.
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
    if has("kind") {
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
    s1.push(kind.alias("__kind"));
    errs.push((
        "kind".into(),
        when(col("__kind").is_null())
            .then(lit(E_UNKNOWN))
            .otherwise(lit(0i32)),
    ));
    for c in COUNTER_COLUMNS.iter().filter(|c| has(c)) {
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
    let rules = localtime::Rules {
        fold: match m.dst_ambiguous {
            Ambiguous::Reject => None,
            Ambiguous::Earliest => Some(false),
            Ambiguous::Latest => Some(true),
        },
        gap_shift_forward: m.dst_nonexistent == DstGap::ShiftForward,
    };
    let ts_cols: Vec<&str> = TIMESTAMP_COLUMNS
        .iter()
        .copied()
        .filter(|c| has(c))
        .collect();
    for (utc, code) in
        localtime::localize(&parsed, &ts_cols, zone, rules, (E_AMBIGUOUS, E_NONEXISTENT))?
    {
        parsed
            .with_column(utc)
            .and_then(|d| d.with_column(code))
            .map_err(Error::polars("localised timestamps"))?;
    }
    for c in &ts_cols {
        errs.push((
            c.to_string(),
            when(col(*c).is_not_null().and(col(format!("__n_{c}")).is_null()))
                .then(lit(E_FORMAT))
                .otherwise(col(format!("__dst_{c}"))),
        ));
    }
    if has("opened_at") {
        errs.push((
            "opened_at".into(),
            when(col("opened_at").is_null())
                .then(lit(E_MISSING))
                .otherwise(lit(0i32)),
        ));
    }

    // Stage 3: error codes and the "bad" flag.
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
    let all = lf
        .collect()
        .map_err(Error::polars(format!("normalising {}", path.display())))?;

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

/// Code E_UNKNOWN where the raw value is present but did not map.
fn unknown_if(raw: Expr, mapped: Expr) -> Expr {
    when(
        raw.str()
            .strip_chars(lit(NULL))
            .is_not_null()
            .and(mapped.is_null()),
    )
    .then(lit(E_UNKNOWN))
    .otherwise(lit(0i32))
}
