//! Latest wins: one row per configuration item (by its key, the CMDB's id or else its name,
//! case-insensitive) and per relationship (parent, child, type), across every CMDB ingest.
//! An item's newer `updated_at` wins; equal or missing times go to the later read. Every row
//! read is accounted for: it is the live row, or it was superseded by a newer one.

use polars::prelude::*;

use super::read::{Export, Row};
use crate::dataset::columns;
use crate::dataset::schema::{CI_COLUMNS, CI_RELATION_COLUMNS};
use crate::error::{Error, Result};

/// The text columns of `config_items`, in order: a mapping's columns but `updated_at`, then
/// `attributes` (then `updated_at` and the lineage).
static ITEM_TEXT: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    CI_COLUMNS
        .iter()
        .copied()
        .filter(|c| *c != "updated_at")
        .chain(["attributes"])
        .collect()
});
/// Where each row came from: the source, the ingest, the file (then `source_line`).
const LINEAGE: &[&str] = &["source", "ingest_id", "source_file"];

/// One row of a CMDB table.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The table's text columns, then the lineage's ([`LINEAGE`]).
    pub text: Vec<Option<String>>,
    /// `updated_at` (items only), µs UTC.
    pub updated_at: Option<i64>,
    /// The line in its export.
    pub line: Option<i64>,
    /// The file of this ingest it was read from; `None` for a row of an earlier ingest.
    pub file: Option<usize>,
}

/// Where a new row comes from.
pub struct Origin<'a> {
    /// The source adapter (`servicenow`, or the mapping's `source`).
    pub source: &'a str,
    /// This ingest.
    pub ingest_id: &'a str,
    /// The export, as given.
    pub source_file: &'a str,
    /// Its index among this ingest's files.
    pub file: usize,
}

/// The text columns of `export`'s table.
pub fn text_columns(export: Export) -> &'static [&'static str] {
    match export {
        Export::Items => ITEM_TEXT.as_slice(),
        // The text columns of `ci_relations` are a mapping's (then the lineage).
        Export::Relations => CI_RELATION_COLUMNS,
    }
}

impl Record {
    /// A row read by this ingest. An item without an id is keyed by its name.
    pub fn new(export: Export, row: Row, origin: &Origin) -> Record {
        let mut text: Vec<Option<String>> = text_columns(export)
            .iter()
            .map(|c| match *c {
                "attributes" => row.attributes.clone(),
                "ci_id" => row.cells.get("ci_id").or(row.cells.get("name")).cloned(),
                c => row.cells.get(c).cloned(),
            })
            .collect();
        text.extend([origin.source, origin.ingest_id, origin.source_file].map(|s| Some(s.into())));
        Record {
            text,
            updated_at: row.updated_at,
            line: row.line.map(|l| l as i64),
            file: Some(origin.file),
        }
    }

    /// The key that makes rows the same item or relationship: the key columns, trimmed and
    /// lower-cased.
    fn key(&self, export: Export) -> String {
        let n = match export {
            Export::Items => 1,
            Export::Relations => 3,
        };
        self.text[..n]
            .iter()
            .map(|v| v.as_deref().unwrap_or("").trim().to_lowercase())
            .collect::<Vec<_>>()
            .join("\u{1f}")
    }
}

/// The outcome of a merge.
pub struct Merged {
    /// The live rows, sorted by key.
    pub rows: Vec<Record>,
    /// Rows of each of this ingest's files that lost to a newer row.
    pub superseded: Vec<u64>,
    /// Rows of earlier ingests that lost to a row of this one.
    pub displaced: u64,
}

/// Merge `new` rows (in reading order) over the `old` live rows.
pub fn merge(export: Export, old: Vec<Record>, new: Vec<Record>, files: usize) -> Merged {
    let mut best: std::collections::BTreeMap<String, Record> = Default::default();
    let mut superseded = vec![0u64; files];
    let mut displaced = 0;
    for r in old.into_iter().chain(new) {
        let key = r.key(export);
        let loser = match best.remove(&key) {
            // Later rows win ties: a NULL time is older than any time.
            Some(b) if b.updated_at > r.updated_at => {
                best.insert(key, b);
                r
            }
            Some(b) => {
                best.insert(key, r);
                b
            }
            None => {
                best.insert(key, r);
                continue;
            }
        };
        match loser.file {
            Some(f) => superseded[f] += 1,
            None => displaced += 1,
        }
    }
    Merged {
        rows: best.into_values().collect(),
        superseded,
        displaced,
    }
}

/// The rows as a frame of `export`'s table.
pub fn frame(export: Export, rows: &[Record]) -> Result<DataFrame> {
    let names = text_columns(export).iter().chain(LINEAGE);
    let mut cols: Vec<Column> = names
        .enumerate()
        .map(|(i, name)| {
            let v: Vec<Option<&str>> = rows.iter().map(|r| r.text[i].as_deref()).collect();
            Column::new((*name).into(), v)
        })
        .collect();
    if export == Export::Items {
        let t: Vec<Option<i64>> = rows.iter().map(|r| r.updated_at).collect();
        let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        let c = Column::new("updated_at".into(), t)
            .cast(&utc)
            .map_err(Error::polars("config_items.updated_at"))?;
        cols.insert(ITEM_TEXT.len(), c);
    }
    let lines: Vec<Option<i64>> = rows.iter().map(|r| r.line).collect();
    cols.push(Column::new("source_line".into(), lines));
    DataFrame::new(rows.len(), cols).map_err(Error::polars("building a CMDB table"))
}

/// The rows of a stored table of `export` (the live rows of earlier ingests).
pub fn records(export: Export, df: &DataFrame) -> Result<Vec<Record>> {
    let text: Vec<Vec<Option<String>>> = text_columns(export)
        .iter()
        .chain(LINEAGE)
        .map(|c| columns::text_vec(df, c))
        .collect::<Result<_>>()?;
    let updated = match export {
        Export::Items => Some(columns::micros(df, "updated_at")?),
        Export::Relations => None,
    };
    let lines = df
        .column("source_line")
        .and_then(|c| c.cast(&DataType::Int64))
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars("source_line"))?;
    Ok((0..df.height())
        .map(|i| Record {
            text: text.iter().map(|c| c[i].clone()).collect(),
            updated_at: updated.as_ref().and_then(|u| u.get(i)),
            line: lines.get(i),
            file: None,
        })
        .collect())
}
