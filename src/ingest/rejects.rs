//! Rejects: the normaliser's error codes turned into rejects that a person can act on (the
//! line, the column, the offending value and what to change), the `rejects` table of an
//! ingest, and the limits (`--max-rejects`, `--max-reject-pct`) that stop a commit.

use polars::prelude::*;
use serde::Serialize;

use super::mapping::{Mapping, NonExistent};
use super::raw::{RawTable, Reject};
use crate::error::{Error, Result, quote};

/// The accepted values of a value column, for the message of an unknown one: the common
/// vocabulary (where the mapping uses it) and the mapping's own spellings.
fn accepted(m: &Mapping, column: &str) -> String {
    fn keys<T>(map: &std::collections::BTreeMap<String, T>) -> Vec<String> {
        map.keys().take(40).cloned().collect()
    }
    let mut own = match column {
        "priority" => keys(&m.values.priority),
        "status" => keys(&m.values.status),
        _ => keys(&m.values.kind),
    };
    if column == "kind" {
        own.extend(
            m.values
                .kind_prefix
                .keys()
                .map(|p| format!("ids starting {p}")),
        );
    }
    match (m.common_vocabulary, own.is_empty()) {
        (true, true) => super::vocabulary::described(column).to_string(),
        (true, false) => format!(
            "{}; and the mapping's own: {}",
            super::vocabulary::described(column),
            own.join(", ")
        ),
        (false, true) => "(none)".into(),
        (false, false) => own.join(", "),
    }
}

/// What the message of an unknown value tells the user to do.
fn unknown_hint(m: &Mapping, column: &str) -> String {
    if m.common_vocabulary {
        format!(
            "Add it under [values.{column}] in the mapping (its entries add spellings to the \
             built-in ones, or override them)"
        )
    } else {
        format!("Add it under [values.{column}] in a mapping")
    }
}

/// The codes the normaliser gives each bad cell; [`describe`] turns them into reject types
/// and messages.
pub(super) mod codes {
    /// The value matches none of the timestamp formats.
    pub const FORMAT: i32 = 1;
    /// A local time that occurs twice at a DST change.
    pub const AMBIGUOUS: i32 = 2;
    /// A local time skipped by a DST change.
    pub const NONEXISTENT: i32 = 3;
    /// A value missing from the value map.
    pub const UNKNOWN: i32 = 4;
    /// Not a number.
    pub const NUMBER: i32 = 5;
    /// A required value is empty.
    pub const MISSING: i32 = 6;
    /// Not a duration (seconds or the vendor's display form).
    pub const DURATION: i32 = 7;
}

/// The message of a local time in a DST gap: set the policy, or (with it set, which moves every
/// time in a gap but one at the end of chrono's range) fix the export.
fn gap_message(name: &str, value: &str, tz: &str, m: &Mapping) -> String {
    let what = format!("{name}: local time `{value}` does not exist in {tz} (clocks go forward)");
    if m.dst_nonexistent == NonExistent::ShiftForward {
        format!("{what} and cannot be moved past the gap; fix the export")
    } else {
        format!("{what}; set dst-nonexistent = \"shift-forward\" in the mapping to accept it")
    }
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
            let value = quote(raw.as_ref().and_then(|s| s.get(r)).unwrap_or(""));
            let (error_type, msg) = match code {
                codes::FORMAT => (
                    "invalid_timestamp",
                    format!(
                        "{name}: `{value}` does not match the timestamp format(s) {}; add its format to timestamp-formats in a mapping, or fix the export",
                        m.timestamp_formats.join(", ")
                    ),
                ),
                codes::AMBIGUOUS => (
                    "dst_ambiguous",
                    format!(
                        "{name}: local time `{value}` occurs twice in {tz} (clocks go back); set dst-ambiguous = \"earliest\" or \"latest\" in the mapping to accept it"
                    ),
                ),
                codes::NONEXISTENT => ("dst_nonexistent", gap_message(name, &value, tz, m)),
                codes::UNKNOWN => {
                    // A history's `from` column holds statuses too.
                    let map = if name == "from" {
                        "status"
                    } else {
                        name.as_str()
                    };
                    let shown = if value.is_empty() {
                        "(no value)".to_string()
                    } else {
                        format!("`{value}`")
                    };
                    (
                        "unknown_value",
                        format!(
                            "{name}: {shown} is not a known value; accepted: {}. {}",
                            accepted(m, map),
                            unknown_hint(m, map)
                        ),
                    )
                }
                codes::NUMBER => (
                    "invalid_number",
                    format!("{name}: `{value}` is not a whole number"),
                ),
                codes::MISSING => ("missing_value", format!("{name}: a value is required")),
                codes::DURATION => (
                    "invalid_duration",
                    format!(
                        "{name}: `{value}` is not a duration; expected seconds (`5400`), \
                         `1 Day 2 Hours 3 Minutes`, `01:30:00` or `1970-01-01 01:30:00`. \
                         Fix the export, or leave the column out of it"
                    ),
                ),
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

/// A reject with its file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReject {
    /// The export file.
    pub source_file: String,
    /// The reject.
    #[serde(flatten)]
    pub reject: Reject,
}

/// The rejects of one ingest as a frame in the `rejects` schema.
pub fn frame(ingest_id: &str, rejects: &[FileReject]) -> Result<DataFrame> {
    let text = |f: &dyn Fn(&FileReject) -> Option<String>| -> Vec<Option<String>> {
        rejects.iter().map(f).collect()
    };
    df!(
        "ingest_id" => vec![ingest_id; rejects.len()],
        "source_file" => text(&|r| Some(r.source_file.clone())),
        "line" => rejects.iter().map(|r| r.reject.line.map(|l| l as i64)).collect::<Vec<_>>(),
        "record" => rejects.iter().map(|r| r.reject.record as i64).collect::<Vec<_>>(),
        "column" => text(&|r| r.reject.column.clone()),
        "error_type" => text(&|r| Some(r.reject.error_type.to_string())),
        "message" => text(&|r| Some(r.reject.message.clone())),
        "raw" => text(&|r| Some(r.reject.raw.clone())),
    )
    .map_err(Error::polars("building rejects"))
}

/// The reject limits of one ingest, each with the flag or config key it came from, so the
/// outcome names what to change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RejectLimits {
    /// At most this many rejected rows.
    pub max_rejects: Option<u64>,
    /// Where `max_rejects` came from (`--max-rejects`, `[ingest] max-rejects`).
    pub max_rejects_from: String,
    /// At most this share of the records read, in percent.
    pub max_reject_pct: Option<f64>,
    /// Where `max_reject_pct` came from.
    pub max_reject_pct_from: String,
}

/// An ingest over its reject limit: a finding, returned in the ingest's report (nothing was
/// committed), not an error.
#[derive(Debug, Clone, Serialize)]
pub struct LimitExceeded {
    /// The limit, as the user set it: `--max-reject-pct 5` or `[ingest] max-rejects = 100`.
    pub limit: String,
    /// Rows rejected in this ingest.
    pub rejected: u64,
    /// Records read in this ingest.
    pub read: u64,
    /// The file whose every record was rejected, when that is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl LimitExceeded {
    /// The sentence that says what happened and what to do.
    pub fn message(&self) -> String {
        match &self.file {
            Some(f) => format!(
                "every record of {f} was rejected ({} of {} in the ingest); nothing was \
                 committed. Fix the export or mapping (the first rejects are listed with their \
                 lines), or accept anything with --max-reject-pct 100",
                self.rejected, self.read
            ),
            None => format!(
                "{} of {} records rejected, over the limit ({}); nothing was committed. \
                 Fix the export or mapping, or raise the limit",
                self.rejected, self.read, self.limit
            ),
        }
    }
}

fn named(from: &str, value: String) -> String {
    if from == "default" {
        format!("the default {value} %; set --max-reject-pct or [ingest] max-reject-pct")
    } else if from.starts_with("--") {
        format!("{from} {value}")
    } else {
        format!("{from} = {value}")
    }
}

/// The reject limit when none is set: more than 5 % of an ingest's records rejected
/// means the export or mapping is wrong, not that a few rows are bad.
pub const DEFAULT_MAX_REJECT_PCT: f64 = 5.0;

/// Whether the ingest's rejects exceed a limit of `limits`: in total, or in one file whose
/// every record was rejected (a file that loads nothing is always wrong, unless the limit
/// accepts anything: `max-reject-pct = 100`).
pub fn check_limits(
    files: &[crate::dataset::manifest::FileRecord],
    limits: &RejectLimits,
) -> Option<LimitExceeded> {
    let read: u64 = files.iter().map(|r| r.records_read).sum();
    let rejected: u64 = files.iter().map(|r| r.rejected).sum();
    let over = |limit: String, file: Option<String>| LimitExceeded {
        limit,
        rejected,
        read,
        file,
    };
    // A file that loads nothing is named first: it is the one to fix.
    let accepts_anything = limits.max_reject_pct.is_some_and(|p| p >= 100.0);
    if let Some(f) = files
        .iter()
        .find(|f| !accepts_anything && f.records_read > 0 && f.rejected == f.records_read)
    {
        return Some(over(
            "every record of a file rejected".into(),
            Some(f.path.clone()),
        ));
    }
    if let Some(max) = limits.max_rejects
        && rejected > max
    {
        return Some(over(named(&limits.max_rejects_from, max.to_string()), None));
    }
    if let Some(pct) = limits.max_reject_pct
        && read > 0
        && (rejected as f64) * 100.0 / (read as f64) > pct
    {
        return Some(over(
            named(&limits.max_reject_pct_from, pct.to_string()),
            None,
        ));
    }
    None
}
