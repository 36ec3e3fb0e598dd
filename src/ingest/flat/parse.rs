//! Reading one flat history file: the rows that are status changes (the status field's, less
//! the skipped spellings), parsed and mapped with polars like a ticket export's (the
//! mapping's formats and zone, read as [`timestamps`] reads them: an offset format reads
//! instants), and their rejects.

use std::path::Path;

use polars::prelude::*;

use super::Step;
use crate::dataset::columns::{micros, text};
use crate::error::{Error, Result};
use crate::ingest::audit::{AuditFile, Orphans, StateRow, Trail};
use crate::ingest::mapping::Mapping;
use crate::ingest::normalize::{lookup, lookup_pairs, resolve, split_rejects, to_utc, unknown_if};
use crate::ingest::raw::RawTable;
use crate::ingest::rejects::codes::{FORMAT, MISSING};
use crate::ingest::{prepare, timestamps};

/// The lower-cased, trimmed text of column `c`.
fn folded(c: &str) -> Expr {
    col(c).str().strip_chars(lit(NULL)).str().to_lowercase()
}

/// Which rows are status changes: the status field's rows (of a field/from/to export), whose
/// status is not one of the skipped spellings.
fn status_rows(m: &Mapping, field: bool) -> Expr {
    let mut keep = lit(true);
    if field {
        let name = m.status_field.as_deref().unwrap_or("status");
        keep = folded("field")
            .eq(lit(name.trim().to_lowercase()))
            .fill_null(lit(false));
    }
    if !m.skip_values.is_empty() {
        let skip: Vec<String> = m
            .skip_values
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        let listed =
            folded("status").is_in(lit(Series::new("s".into(), skip)).implode(false), false);
        keep = keep.and(listed.not().fill_null(lit(true)));
    }
    keep
}

/// Parse and map one history file's rows: the ticket key, the instant of the change (offset
/// formats give instants, the others are local times in `zone`), and the statuses. Its status
/// changes go into `trail`; the file's accounting is returned.
pub(super) fn read_file(
    mut table: RawTable,
    m: &Mapping,
    zone: Option<&str>,
    path: &Path,
    trail: &mut Trail<Step>,
) -> Result<AuditFile> {
    let field = m.columns.contains_key("field");
    let required: &[&str] = if field {
        &["ticket_id", "changed_at", "field", "to"]
    } else {
        &["ticket_id", "changed_at", "status"]
    };
    let (found, _) = resolve(&table, m, path, required)?;
    let key_header = table.headers[found["ticket_id"]].clone();
    let naive_cols: &[&str] = if timestamps::reads_naive(&m.timestamp_formats) {
        &["changed_at"]
    } else {
        &[]
    };
    let (tz_name, tz) = prepare::source_zone(zone, m, naive_cols, path)?;
    let mut df = prepare::raw_frame(&mut table, &found)?;
    if field {
        df.rename("to", "status".into())
            .map_err(Error::polars("history columns"))?;
    }
    let all = df.height();
    let df = df
        .lazy()
        .filter(status_rows(m, field))
        .collect()
        .map_err(Error::polars("selecting status changes"))?;
    let skipped = (all - df.height()) as u64;

    let from = found.contains_key("from");
    let mut parsed = df
        .lazy()
        .with_columns(parse_and_map(m, from))
        .collect()
        .map_err(Error::polars(format!("parsing {}", path.display())))?;
    to_utc(&mut parsed, &["changed_at"], m, tz)?;
    let errs = checks(from);
    let (good, rejects) = split_rejects(parsed, &errs, (&table, m, &tz_name), path)?;
    let good = good
        .with_column(col("__u_changed_at").cast(DataType::Int64).alias("__at"))
        .collect()
        .map_err(Error::polars("selecting status changes"))?;
    let state_rows = collect_steps(&good, &table, from, trail)?;
    Ok(AuditFile {
        read: table.records_read,
        state_rows,
        rejects,
        skipped,
        orphans: Orphans {
            error_type: "orphan_history",
            column: key_header,
            hint: "; give the history file in the same ingest as its tickets export \
                   (--history with the tickets' files, or history = [...] on their source)",
        },
    })
}

/// The parsed and mapped columns of a history file: `__n_changed_at` and `__o_changed_at`
/// (the local time or the instant; see [`timestamps::exprs`]), and the canonical
/// `__status_map` (and `__from_map`).
fn parse_and_map(m: &Mapping, from: bool) -> Vec<Expr> {
    let (keys, values) = lookup_pairs(&m.values.status);
    let map = |c: &str| {
        lookup(
            col(c),
            keys.clone(),
            Series::new("v".into(), values.clone()),
        )
    };
    let mut out: Vec<Expr> = timestamps::exprs("changed_at", &m.timestamp_formats).into();
    out.push(map("status").alias("__status_map"));
    if from {
        out.push(map("from").alias("__from_map"));
    }
    out
}

/// The checks of a history row, in the order the reject builder reads them: a ticket key, a
/// time that parses (and exists, at a DST change), a known status (and `from`).
fn checks(from: bool) -> Vec<(String, Expr)> {
    let present = |c: &str| col(c).str().strip_chars(lit(NULL)).is_not_null();
    let mut errs: Vec<(String, Expr)> = vec![
        (
            "ticket_id".into(),
            when(present("ticket_id"))
                .then(lit(0i32))
                .otherwise(lit(MISSING)),
        ),
        (
            "changed_at".into(),
            when(present("changed_at").not())
                .then(lit(MISSING))
                .otherwise(timestamps::check("changed_at", FORMAT)),
        ),
        (
            "status".into(),
            when(present("status").not())
                .then(lit(MISSING))
                .otherwise(unknown_if(col("status"), col("__status_map"))),
        ),
    ];
    if from {
        errs.push(("from".into(), unknown_if(col("from"), col("__from_map"))));
    }
    errs
}

/// Row `i` of an optional column, trimmed.
fn cell(c: &Option<StringChunked>, i: usize) -> Option<&str> {
    c.as_ref().and_then(|c| c.get(i)).map(str::trim)
}

/// The good rows of a history file as steps (into `trail`), and their (key, record, line,
/// raw text) for the orphan check.
fn collect_steps(
    good: &DataFrame,
    table: &RawTable,
    from: bool,
    trail: &mut Trail<Step>,
) -> Result<Vec<StateRow>> {
    let (id, status, raw) = (
        text(good, "ticket_id")?,
        text(good, "__status_map")?,
        text(good, "status")?,
    );
    let (from_map, from_raw) = if from {
        (Some(text(good, "__from_map")?), Some(text(good, "from")?))
    } else {
        (None, None)
    };
    let at = micros(good, "__at")?;
    let rows = micros(good, "__row")?;
    let mut out = Vec::with_capacity(good.height());
    for i in 0..good.height() {
        let (Some(k), Some(to), Some(when), Some(row)) =
            (id.get(i), status.get(i), at.get(i), rows.get(i))
        else {
            continue;
        };
        let (k, row) = (k.trim(), row as usize);
        let before = match (cell(&from_map, i), cell(&from_raw, i)) {
            (Some(s), Some(r)) => Some((s.to_string(), r.to_string())),
            _ => None,
        };
        trail.changes.entry(k.to_string()).or_default().push(Step {
            at: when,
            record: table.records[row],
            to: (
                to.to_string(),
                raw.get(i).unwrap_or_default().trim().to_string(),
            ),
            from: before,
        });
        out.push((
            k.to_string(),
            table.records[row],
            table.lines[row],
            table.raw.get(row),
        ));
    }
    Ok(out)
}
