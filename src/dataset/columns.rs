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
    df.column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .and_then(|c| c.i64().map(single))
        .map_err(Error::polars(format!("column {name}")))
}

/// A column as owned optional strings, for output.
pub fn text_vec(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    Ok(text(df, name)?
        .iter()
        .map(|s| s.map(String::from))
        .collect())
}
