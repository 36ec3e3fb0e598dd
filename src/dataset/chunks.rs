//! A table read piece by piece: the derive stage and recurring-problem detection walk the
//! files of a dataset table one at a time (so memory follows the file, not the table), and
//! the same code runs on a frame already in memory (tests, the empty tables).
//!
//! Rows are numbered across the pieces in read order, so a first pass can remember a row by
//! its number and a second pass can [`gather`](Chunks::gather) just the rows it kept.

use polars::prelude::*;

use super::Location;
use super::manifest::Manifest;
use crate::error::{Error, Result};

/// A table to read in pieces.
#[derive(Clone, Copy)]
pub enum Chunks<'a> {
    /// One frame in memory: a single piece.
    Frame(&'a DataFrame),
    /// The live files of `table` in the manifest of the dataset at `root`, one piece each.
    Files {
        /// The dataset root.
        root: &'a Location,
        /// The version read.
        manifest: &'a Manifest,
        /// The table.
        table: &'a str,
    },
}

impl<'a> Chunks<'a> {
    /// The files of `table` in `manifest`.
    pub fn files(root: &'a Location, manifest: &'a Manifest, table: &'a str) -> Chunks<'a> {
        Chunks::Files {
            root,
            manifest,
            table,
        }
    }

    /// Whether there is nothing to read (a table no version has written).
    pub fn is_absent(&self) -> bool {
        match self {
            Chunks::Frame(_) => false,
            Chunks::Files {
                manifest, table, ..
            } => !manifest.tables.contains_key(*table),
        }
    }

    /// Call `f` with each piece's first row number and its `columns`, in order.
    pub fn for_each(
        &self,
        columns: &[&str],
        mut f: impl FnMut(usize, DataFrame) -> Result<()>,
    ) -> Result<()> {
        match self {
            Chunks::Frame(df) => f(0, df.select(columns.iter().copied()).map_err(missing)?),
            Chunks::Files {
                root,
                manifest,
                table,
            } => {
                let files = manifest.tables.get(*table).map(|t| t.files.as_slice());
                let mut offset = 0;
                for file in files.unwrap_or_default() {
                    let df = read_file(root, &file.path, Some(columns))?;
                    let n = df.height();
                    f(offset, df)?;
                    offset += n;
                }
                Ok(())
            }
        }
    }

    /// The rows numbered `rows` (ascending, as [`for_each`](Self::for_each) numbers them),
    /// with `columns`, in that order. Reads only the pieces that hold one of them.
    pub fn gather(&self, rows: &[usize], columns: &[&str]) -> Result<DataFrame> {
        let take = |df: &DataFrame, idx: Vec<IdxSize>| {
            df.take(&IdxCa::from_vec("idx".into(), idx))
                .map_err(Error::polars("gathering rows"))
        };
        match self {
            Chunks::Frame(df) => {
                let df = df.select(columns.iter().copied()).map_err(missing)?;
                take(&df, rows.iter().map(|&r| r as IdxSize).collect())
            }
            Chunks::Files {
                root,
                manifest,
                table,
            } => {
                let files = manifest.tables.get(*table).map(|t| t.files.as_slice());
                let (mut offset, mut next, mut parts) = (0usize, 0usize, Vec::new());
                for file in files.unwrap_or_default() {
                    let end = offset + file.rows as usize;
                    let here = rows[next..].partition_point(|&r| r < end);
                    if here > 0 {
                        let df = read_file(root, &file.path, Some(columns))?;
                        let idx = rows[next..next + here]
                            .iter()
                            .map(|&r| (r - offset) as IdxSize)
                            .collect();
                        parts.push(take(&df, idx)?.lazy());
                        next += here;
                    }
                    offset = end;
                }
                if parts.is_empty() {
                    let schema = match files.and_then(|f| f.first()) {
                        Some(f) => read_file(root, &f.path, Some(columns))?.clear(),
                        None => DataFrame::empty(),
                    };
                    return Ok(schema);
                }
                concat(parts, UnionArgs::default())
                    .and_then(|lf| lf.collect())
                    .map_err(Error::polars(format!("gathering rows of {table}")))
            }
        }
    }

    /// The largest value of a timestamp column (µs), `None` when every value is null.
    pub fn max_micros(&self, column: &str) -> Result<Option<i64>> {
        let mut max: Option<i64> = None;
        self.for_each(&[column], |_, df| {
            let m = super::columns::micros(&df, column)?.max();
            max = max.max(m);
            Ok(())
        })?;
        Ok(max)
    }
}

fn missing(e: PolarsError) -> Error {
    Error::polars("selecting columns")(e)
}

/// One Parquet file of the dataset, only `columns` (all when `None`).
pub fn read_file(root: &Location, rel: &str, columns: Option<&[&str]>) -> Result<DataFrame> {
    read_rows(root, rel, columns, None)
}

/// Rows `(offset, len)` of one Parquet file of the dataset (all when `None`), only
/// `columns` (all when `None`).
pub fn read_rows(
    root: &Location,
    rel: &str,
    columns: Option<&[&str]>,
    rows: Option<(usize, usize)>,
) -> Result<DataFrame> {
    ParquetReader::new(root.reader(rel)?)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
        .with_slice(rows)
        .finish()
        .map_err(Error::polars(format!(
            "reading {}",
            root.shown_file(rel).display()
        )))
}
