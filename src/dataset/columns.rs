//! Typed access to the columns of a table read from the dataset, with errors that name the
//! column. Shared by every stage that walks rows in Rust (intervals, SLA engine, checks,
//! reports).

use polars::prelude::*;

use crate::error::{Error, Result};

/// A column as text (any type is cast).
pub fn text(df: &DataFrame, name: &str) -> Result<StringChunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::String))
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(format!("column {name}")))
}

/// A timestamp (or integer) column as microseconds since the epoch.
pub fn micros(df: &DataFrame, name: &str) -> Result<Int64Chunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars(format!("column {name}")))
}

/// A column as owned optional strings, for output.
pub fn text_vec(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    Ok(text(df, name)?
        .iter()
        .map(|s| s.map(String::from))
        .collect())
}
