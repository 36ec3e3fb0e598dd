//! The first steps of [`normalize`](super::normalize::normalize), before any value is
//! parsed: the error for a missing required column, the file's unused columns, the source
//! time zone, and the frame of raw strings under canonical names that the parse and map
//! stages work on.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::mapping::{Format, Mapping};
use super::raw::RawTable;
use crate::error::{Error, Result};

/// The error for the file at `path`, whose header has no column for `required`. With a
/// mapping file, it names the mapping key to set: `delimiter` when the header is one column
/// that holds another delimiter (the file is not split by the mapping's), else the column's.
pub(super) fn missing_required(
    table: &RawTable,
    m: &Mapping,
    required: &str,
    path: &std::path::Path,
) -> Error {
    let candidates = m.columns[required].candidates();
    let looked = candidates.join(" or ");
    let header = crate::error::quote(&table.headers.join(", ")).into_owned();
    let Some(file) = &m.file else {
        return Error::Input {
            path: path.into(),
            line: Some(1),
            message: format!(
                "required column for `{required}` is missing (looked for {looked}); the header \
                 has: {header}. Export the field, or use --source generic with a mapping that names it"
            ),
        };
    };
    let spell = |d: char| match d {
        '\t' => "\\t".to_string(),
        d => d.to_string(),
    };
    let other = match &table.headers[..] {
        [only] if m.format == Format::Csv => [',', ';', '\t', '|']
            .into_iter()
            .find(|&d| only.contains(d) && d as u8 != m.delimiter_byte()),
        _ => None,
    };
    let (key, message) = match other {
        Some(d) => (
            "delimiter".to_string(),
            format!(
                "the header of {} is one column, `{header}`: its fields are not separated by \
                 `{}` but look `{}`-separated; set delimiter = \"{}\"",
                path.display(),
                spell(m.delimiter_byte() as char),
                spell(d),
                spell(d),
            ),
        ),
        None => (
            format!("columns.{required}"),
            format!(
                "{} has no column `{}` (its header: {header}); set columns.{required} to \
                 the export's column name (or a list of candidates)",
                path.display(),
                candidates.join("` or `")
            ),
        ),
    };
    Error::Config {
        path: file.clone(),
        key,
        message,
    }
}

/// The file's headers that no mapped column uses, in file order.
pub(super) fn extra_columns(table: &RawTable, found: &BTreeMap<String, usize>) -> Vec<String> {
    let used: std::collections::BTreeSet<usize> = found.values().copied().collect();
    table
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, h)| h.clone())
        .collect()
}

/// The source time zone's name and zone: `tz`, else the mapping's, else UTC when no column of
/// naive timestamps (`naive`) is mapped; naive timestamps with no declared zone are an error.
pub(super) fn source_zone(
    tz: Option<&str>,
    m: &Mapping,
    naive: &[&str],
    path: &std::path::Path,
) -> Result<(String, chrono_tz::Tz)> {
    let tz_name = match tz.or(m.timezone.as_deref()) {
        Some(t) => t.to_string(),
        None if !naive.is_empty() => {
            return Err(Error::Input {
                path: path.into(),
                line: None,
                message: format!(
                    "timestamps in {} are naive local times and no source time zone is declared; \
                     pass --tz ZONE (e.g. --tz Europe/London), or set `timezone` in the mapping \
                     or [ingest] timezone in ticketlake.toml. ticketlake never guesses the machine's zone",
                    naive.join(", ")
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
    Ok((tz_name, zone))
}

/// The frame of raw strings under canonical names, plus `__row`, `source_record` and
/// `source_line`. The mapped raw columns are moved out of `table`.
pub(super) fn raw_frame(
    table: &mut RawTable,
    found: &BTreeMap<String, usize>,
) -> Result<DataFrame> {
    let n = table.len();
    let mut columns: Vec<Column> = Vec::with_capacity(found.len() + 3);
    let mut taken: BTreeMap<usize, String> = BTreeMap::new();
    for (canon, &i) in found {
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
    DataFrame::new_infer_height(columns).map_err(Error::polars("building the raw frame"))
}
