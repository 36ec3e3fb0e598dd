//! Typed access to the columns of a table read from the dataset, with errors that name the
//! column. Shared by every stage that walks rows in Rust (intervals, SLA engine, checks,
//! reports). The arrays come back in one chunk: those stages read rows by index, and
//! `ChunkedArray::get` on a column of many chunks (one per Parquet row group, 40 at 10 M
//! rows) walks the chunk list on every call.

use polars::prelude::*;

use crate::error::{Error, Result};

/// `ca` in one chunk (a copy only when it has several).
pub fn single<T: PolarsDataType>(ca: &ChunkedArray<T>) -> ChunkedArray<T> {
    ca.rechunk().into_owned()
}

/// A column as text (any type is cast).
pub fn text(df: &DataFrame, name: &str) -> Result<StringChunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::String))
        .and_then(|c| c.str().map(single))
        .map_err(Error::polars(format!("column {name}")))
}

/// A column as text in its chunks as stored, for stages that only iterate (no copy).
pub fn text_chunks(df: &DataFrame, name: &str) -> Result<StringChunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::String))
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(format!("column {name}")))
}

/// A timestamp (or integer) column as microseconds since the epoch.
pub fn micros(df: &DataFrame, name: &str) -> Result<Int64Chunked> {
    micros_chunks(df, name).map(|c| single(&c))
}

/// [`micros`] in its chunks as stored, for stages that only iterate (no copy).
pub fn micros_chunks(df: &DataFrame, name: &str) -> Result<Int64Chunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars(format!("column {name}")))
}

/// An integer column as `Int32` (priorities).
pub fn int32(df: &DataFrame, name: &str) -> Result<Int32Chunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::Int32))
        .and_then(|c| c.i32().map(single))
        .map_err(Error::polars(format!("column {name}")))
}

/// A boolean column.
pub fn flags(df: &DataFrame, name: &str) -> Result<BooleanChunked> {
    df.column(name)
        .and_then(|c| c.bool().map(single))
        .map_err(Error::polars(format!("column {name}")))
}

/// Rows per data-quality flag of a `dq_flags` column (`;`-separated names), counted by
/// borrowed text: one owned key per flag, not one per row.
pub fn flag_counts(df: &DataFrame) -> Result<std::collections::BTreeMap<String, u64>> {
    let mut counts: std::collections::HashMap<&str, u64> = Default::default();
    let dq = text_chunks(df, "dq_flags")?;
    for f in dq.iter().flatten().flat_map(|s| s.split(';')) {
        if !f.is_empty() {
            *counts.entry(f).or_default() += 1;
        }
    }
    Ok(counts
        .into_iter()
        .map(|(f, n)| (f.to_string(), n))
        .collect())
}

/// Whether a row came from one of `files` (`(ingest_id, source_file)` pairs): the lineage
/// columns every `tickets` and `rejects` row carries.
pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Expr {
    files.into_iter().fold(lit(false), |acc, (ingest, file)| {
        acc.or(col("ingest_id")
            .eq(lit(ingest.to_string()))
            .and(col("source_file").eq(lit(file.to_string()))))
    })
}

/// A column as owned optional strings, for output.
pub fn text_vec(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    Ok(text(df, name)?
        .iter()
        .map(|s| s.map(String::from))
        .collect())
}

/// A ticket key: `(source, ticket_id)`.
pub type Key<'a> = (Option<&'a str>, Option<&'a str>);

/// The key columns of a table (single-chunked, see [`text`], so row access is O(1)): the
/// dataset keeps `tickets` and `status_intervals` in this order.
pub struct Keys {
    source: StringChunked,
    id: StringChunked,
}

impl Keys {
    /// The `source` and `ticket_id` columns of `df`.
    pub fn new(df: &DataFrame) -> Result<Keys> {
        Ok(Keys {
            source: text(df, "source")?,
            id: text(df, "ticket_id")?,
        })
    }

    /// The key of row `i`.
    pub fn get(&self, i: usize) -> Key<'_> {
        (self.source.get(i), self.id.get(i))
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the rows are in key order (nulls first, as polars sorts them).
    pub fn sorted(&self) -> bool {
        ascending(self.source.iter().zip(self.id.iter()))
    }

    /// Whether the rows are in key order and, within a key, in `then` order.
    pub fn sorted_then(&self, then: &Int64Chunked) -> bool {
        ascending(self.source.iter().zip(self.id.iter()).zip(then.iter()))
    }

    /// The first row whose key is not less than `key`.
    pub fn lower_bound(&self, key: Key) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Whether `items` never decrease (one sequential pass, no indexing).
pub fn ascending<T: PartialOrd>(mut items: impl Iterator<Item = T>) -> bool {
    let Some(mut prev) = items.next() else {
        return true;
    };
    for item in items {
        if item < prev {
            return false;
        }
        prev = item;
    }
    true
}
