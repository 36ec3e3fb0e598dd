//! Turns the normaliser's error codes into rejects that a person can act on: the line, the
//! column, the offending value and what to change.

use polars::prelude::*;

use super::mapping::Mapping;
use super::normalize::{codes, formats};
use super::raw::{RawTable, Reject};
use crate::error::{Error, Result};

fn accepted<T>(map: &std::collections::BTreeMap<String, T>) -> String {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.truncate(40);
    keys.join(", ")
}

/// Build one reject per bad row, naming every failing column (the first is the `column`).
pub fn describe(
    bad: &DataFrame,
    errs: &[(String, Expr)],
    table: &RawTable,
    m: &Mapping,
    tz: &str,
) -> Result<Vec<Reject>> {
    let pe = Error::polars("describing rejects");
    let rows = bad
        .column("__row")
        .and_then(|c| c.u32().cloned())
        .map_err(pe)?;
    let mut out = Vec::with_capacity(bad.height());
    let codes_by_col: Vec<(String, Int32Chunked, Option<StringChunked>)> = errs
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let codes = bad
                .column(&format!("__err{i}"))
                .and_then(|c| c.i32().cloned())
                .map_err(Error::polars("reject codes"))?;
            let raw = bad.column(name).ok().and_then(|c| c.str().ok().cloned());
            Ok((name.clone(), codes, raw))
        })
        .collect::<Result<_>>()?;
    for r in 0..bad.height() {
        let row = rows.get(r).unwrap_or(0) as usize;
        let mut first: Option<(String, &'static str)> = None;
        let mut messages = Vec::new();
        for (name, codes, raw) in &codes_by_col {
            let code = codes.get(r).unwrap_or(0);
            if code == 0 {
                continue;
            }
            let value = raw.as_ref().and_then(|s| s.get(r)).unwrap_or("");
            let (error_type, msg) = match code {
                codes::FORMAT => (
                    "invalid_timestamp",
                    format!(
                        "{name}: `{value}` does not match the timestamp format(s) {}; add its format to timestamp-formats in a mapping, or fix the export",
                        formats(m)
                    ),
                ),
                codes::AMBIGUOUS => (
                    "dst_ambiguous",
                    format!(
                        "{name}: local time `{value}` occurs twice in {tz} (clocks go back); set dst-ambiguous = \"earliest\" or \"latest\" in the mapping to accept it"
                    ),
                ),
                codes::NONEXISTENT => (
                    "dst_nonexistent",
                    format!(
                        "{name}: local time `{value}` does not exist in {tz} (clocks go forward); set dst-nonexistent = \"shift-forward\" in the mapping to accept it"
                    ),
                ),
                codes::UNKNOWN => {
                    let list = match name.as_str() {
                        "priority" => accepted(&m.values.priority),
                        "status" => accepted(&m.values.status),
                        _ => {
                            let mut k: Vec<String> = m.values.kind.keys().cloned().collect();
                            k.extend(
                                m.values
                                    .kind_prefix
                                    .keys()
                                    .map(|p| format!("ids starting {p}")),
                            );
                            k.join(", ")
                        }
                    };
                    let shown = if value.is_empty() {
                        "(no value)".to_string()
                    } else {
                        format!("`{value}`")
                    };
                    (
                        "unknown_value",
                        format!(
                            "{name}: {shown} is not a known value; accepted: {list}. Add it under [values.{name}] in a mapping"
                        ),
                    )
                }
                codes::NUMBER => (
                    "invalid_number",
                    format!("{name}: `{value}` is not a whole number"),
                ),
                codes::MISSING => ("missing_value", format!("{name}: a value is required")),
                _ => ("invalid_value", format!("{name}: `{value}` is invalid")),
            };
            if first.is_none() {
                first = Some((name.clone(), error_type));
            }
            messages.push(msg);
        }
        let (column, error_type) = first.unwrap_or_else(|| ("-".into(), "invalid_value"));
        out.push(Reject {
            line: table.lines[row],
            record: table.records[row],
            column: Some(column),
            error_type,
            message: messages.join("; "),
            raw: table.raw.get(row),
        });
    }
    Ok(out)
}
