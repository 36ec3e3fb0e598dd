//! Merging a batch into the dataset and committing it: the latest `updated_at` wins per
//! ticket with a deterministic tie-break (promise 4), status intervals follow the winning
//! rows, rejects are appended, and the new version is published atomically (promise 3).

use std::collections::HashMap;

use polars::prelude::*;

use super::spill::{self, Range, Run, Spill, select};
use super::{canonical, intervals};
use crate::dataset::Location;
use crate::dataset::columns::{Keys, from_files, micros, text_chunks};
use crate::dataset::manifest::{DataFile, FileRecord, IngestRecord, Manifest, TableFiles};
use crate::dataset::{REJECTS, STATUS_INTERVALS, TICKETS, store};
use crate::error::{Error, Result};

/// What one ingest adds to the dataset.
pub struct Batch {
    /// The new version number.
    pub version: u64,
    /// `ing-NNNNNN`.
    pub ingest_id: String,
    /// Source adapter name.
    pub source: String,
    /// Normalised rows of every loaded file, canonical schema, spilled as sorted runs.
    pub spill: Spill,
    /// Status intervals from update history (event logs), if any.
    pub history: Vec<DataFrame>,
    /// Earlier contributions of this ingest's files that it supersedes.
    pub replaces: Vec<Replacement>,
    /// The `rejects` rows of this ingest.
    pub rejects: DataFrame,
    /// Per-file accounting; `superseded` is filled in here.
    pub files: Vec<FileRecord>,
}

/// An earlier contribution superseded by a file of this ingest: its rows lose to this
/// ingest's rows of the same tickets, whatever their `updated_at` (a wrong zone may have
/// made them look newer).
#[derive(Debug, Clone)]
pub struct Replacement {
    /// The file of this ingest (its path as given).
    pub by: String,
    /// The ingest that read the earlier contribution.
    pub ingest_id: String,
    /// That file's path, as recorded.
    pub path: String,
}

/// Whether a row belongs to one of the `replaces` contributions.
fn replaced(replaces: &[Replacement]) -> Expr {
    from_files(
        replaces
            .iter()
            .map(|r| (r.ingest_id.as_str(), r.path.as_str())),
    )
}

/// Rows of `df` per replaced contribution.
fn count_replaced(df: &DataFrame, replaces: &[Replacement]) -> Result<HashMap<usize, u64>> {
    let mut out = HashMap::new();
    if replaces.is_empty() || df.height() == 0 {
        return Ok(out);
    }
    let (ing, file) = (
        text_chunks(df, "ingest_id")?,
        text_chunks(df, "source_file")?,
    );
    for (i, f) in ing.iter().zip(file.iter()) {
        if let Some(k) = replaces
            .iter()
            .position(|r| Some(r.ingest_id.as_str()) == i && Some(r.path.as_str()) == f)
        {
            *out.entry(k).or_default() += 1;
        }
    }
    Ok(out)
}

fn keys() -> [Expr; 2] {
    [col("source"), col("ticket_id")]
}

/// Keep the latest version of each ticket: sort by key, `updated_at`, then ingest, file and
/// record (all deterministic), and keep the last row per key. Rows of a superseded
/// contribution sort before every other row of their ticket, so they lose.
fn latest_wins(frames: Vec<LazyFrame>, replaces: &[Replacement]) -> Result<DataFrame> {
    let mut order = vec![col("source"), col("ticket_id")];
    if !replaces.is_empty() {
        order.push(replaced(replaces).not());
    }
    order.extend([
        col("updated_at"),
        col("ingest_id"),
        col("source_file"),
        col("source_record"),
    ]);
    concat(frames, UnionArgs::default())
        .map(|lf| {
            lf.sort_by_exprs(
                order,
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .unique_stable_generic(Some(keys().to_vec()), UniqueKeepStrategy::Last)
        })
        .and_then(|lf| lf.collect())
        .map_err(Error::polars("merging tickets (latest updated_at wins)"))
}

/// Read `range` from every run.
fn read_range<'a>(runs: impl Iterator<Item = &'a Run>, range: &Range) -> Result<Vec<LazyFrame>> {
    runs.map(|r| r.read(range).map(|d| d.lazy())).collect()
}

/// One key range merged: the tickets and status intervals of its file, and its counts.
struct Merged {
    tickets: DataFrame,
    status_intervals: DataFrame,
    tally: Tally,
}

/// What the merge of every range has counted, for the ingest's accounting.
#[derive(Default)]
struct Tally {
    /// Rows of this ingest that won, per source file.
    survivors: HashMap<String, u64>,
    /// Rows of earlier ingests that are still current.
    from_before: u64,
    /// Rows of each superseded contribution (by index into `Batch::replaces`) that lost.
    replaced: HashMap<usize, u64>,
}

/// Merge one key range of the existing tables and the batch.
fn merge_range(
    range: &Range,
    old: (&[Run], &[Run]),
    batch: &Batch,
    history: Option<&DataFrame>,
) -> Result<Merged> {
    // The dataset's files may predate a column of the schema; this ingest's runs cannot.
    let earlier: Vec<DataFrame> = old
        .0
        .iter()
        .map(|r| r.read(range).and_then(canonical::conform))
        .collect::<Result<_>>()?;
    let mut before: HashMap<usize, u64> = HashMap::new();
    for df in &earlier {
        for (k, n) in count_replaced(df, &batch.replaces)? {
            *before.entry(k).or_default() += n;
        }
    }
    let mut frames: Vec<LazyFrame> = earlier.into_iter().map(|d| d.lazy()).collect();
    frames.extend(read_range(batch.spill.runs().iter(), range)?);
    if let Some(empty) = batch.spill.schema().filter(|_| frames.is_empty()) {
        frames.push(empty.clone().lazy());
    }
    let tickets = latest_wins(frames, &batch.replaces)?;

    // Accounting: how many of each file's loaded rows survived, and how many rows of each
    // superseded contribution lost.
    let mut tally = Tally::default();
    let after = count_replaced(&tickets, &batch.replaces)?;
    for (k, n) in before {
        tally
            .replaced
            .insert(k, n - after.get(&k).copied().unwrap_or(0));
    }
    let ingest_col = text_chunks(&tickets, "ingest_id")?;
    let file_col = text_chunks(&tickets, "source_file")?;
    for (i, f) in ingest_col.iter().zip(file_col.iter()) {
        if i == Some(batch.ingest_id.as_str()) {
            *tally
                .survivors
                .entry(f.unwrap_or("").to_string())
                .or_default() += 1;
        } else {
            tally.from_before += 1;
        }
    }

    // Status intervals: the tickets this ingest won get new intervals (history where the
    // export had it, derived otherwise); everyone else keeps theirs.
    let won = tickets
        .clone()
        .lazy()
        .filter(col("ingest_id").eq(lit(batch.ingest_id.clone())))
        .collect()
        .map_err(Error::polars("selecting won tickets"))?;
    let won_keys = won.clone().lazy().select(keys());
    let history = history
        .map(|h| select(h, range, false))
        .transpose()?
        .map(|h| {
            h.lazy().join(
                won_keys.clone(),
                keys(),
                keys(),
                JoinArgs::new(JoinType::Semi),
            )
        });
    let derived_for = match &history {
        Some(h) => won.clone().lazy().join(
            h.clone()
                .select(keys())
                .unique(None, UniqueKeepStrategy::First),
            keys(),
            keys(),
            JoinArgs::new(JoinType::Anti),
        ),
        None => won.clone().lazy(),
    }
    .collect()
    .map_err(Error::polars("selecting tickets without history"))?;
    let mut parts: Vec<LazyFrame> = read_range(old.1.iter(), range)?
        .into_iter()
        .map(|old| {
            old.join(
                won_keys.clone(),
                keys(),
                keys(),
                JoinArgs::new(JoinType::Anti),
            )
        })
        .collect();
    parts.push(intervals::derive(&derived_for)?.lazy());
    if let Some(h) = history {
        parts.push(h);
    }
    let mut status_intervals = concat(parts, UnionArgs::default())
        .and_then(|lf| lf.collect())
        .map_err(Error::polars("merging status intervals"))?;
    // Readers walk intervals in (source, ticket_id, from_ts) order. A first ingest derives
    // them in that order already, and sorting millions of rows by three keys again was most
    // of this phase; the check is one pass.
    let from = micros(&status_intervals, "from_ts")?;
    let sorted = Keys::new(&status_intervals)?.sorted_then(&from);
    drop(from);
    if !sorted {
        status_intervals = status_intervals
            .sort(
                ["source", "ticket_id", "from_ts"],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .map_err(Error::polars("sorting status intervals"))?;
    }
    Ok(Merged {
        tickets,
        status_intervals,
        tally,
    })
}

/// The files of one merged range.
struct RangeFiles {
    tickets: Option<DataFile>,
    status_intervals: Option<DataFile>,
    tally: Tally,
}

/// Merge range `i` and write its files, named by the range so that the files of the
/// tables are in key order. Empty ranges (possible at the edges) get no file, except the
/// last: a table always has one.
fn write_range(
    root: &Location,
    version: u64,
    i: usize,
    ranges: &[Range],
    old: (&[Run], &[Run]),
    batch: &Batch,
    history: Option<&DataFrame>,
) -> Result<RangeFiles> {
    let mut m = merge_range(&ranges[i], old, batch, history)?;
    let keep = |df: &DataFrame| df.height() > 0 || i + 1 == ranges.len();
    let write = |table: &str, df: &mut DataFrame| -> Result<Option<DataFile>> {
        keep(df)
            .then(|| store::write_table(root, table, version, i, df))
            .transpose()
    };
    Ok(RangeFiles {
        tickets: write(TICKETS, &mut m.tickets)?,
        status_intervals: write(STATUS_INTERVALS, &mut m.status_intervals)?,
        tally: m.tally,
    })
}

/// Merge the batch into the current version and publish the next one. The merge runs one
/// key range at a time (see [`spill`](super::spill)), so its memory is bounded by the range,
/// not by the dataset; each range is one file of `tickets` and of `status_intervals`.
pub fn commit(root: &Location, current: &Manifest, mut batch: Batch) -> Result<Manifest> {
    let old_tickets = spill::runs_of(root, current, TICKETS)?;
    let old_intervals = spill::runs_of(root, current, STATUS_INTERVALS)?;
    let existing_rows: u64 = old_tickets.iter().map(|r| r.rows() as u64).sum();
    let history = gather_history(&mut batch.history)?;
    // Ranges are merged by one worker per core, each holding one range: the range size is
    // split between them so memory stays the same on any machine.
    let cores = super::workers();
    let ranges = spill::plan(
        old_tickets.iter().chain(batch.spill.runs()),
        spill::range_rows() / cores,
    );
    store::phase("read existing");
    store::fault_point("before-data-files");
    let v = batch.version;
    let written = write_ranges(
        root,
        v,
        &ranges,
        (&old_tickets, &old_intervals),
        &batch,
        history.as_ref(),
        cores,
    )?;
    let (ticket_files, interval_files, tally) = combine(written);
    store::phase("merge and write (by key range)");
    for f in &mut batch.files {
        if f.outcome == "loaded" {
            f.superseded = f.loaded - tally.survivors.get(f.path.as_str()).copied().unwrap_or(0);
        }
        f.replaced = (batch.replaces.iter().enumerate())
            .filter(|(_, r)| r.by == f.path)
            .map(|(k, _)| tally.replaced.get(&k).copied().unwrap_or(0))
            .sum();
    }
    let displaced = existing_rows - tally.from_before;
    let mut tables = current.tables.clone();
    tables.insert(
        TICKETS.into(),
        TableFiles {
            files: ticket_files,
        },
    );
    tables.insert(
        STATUS_INTERVALS.into(),
        TableFiles {
            files: interval_files,
        },
    );
    if batch.rejects.height() > 0 {
        let f = store::write_table(root, REJECTS, v, 0, &mut batch.rejects)?;
        tables.entry(REJECTS.into()).or_default().files.push(f);
    }
    store::fault_point("after-data-files");
    let now = crate::time::now_rfc3339();
    let mut ingests = current.ingests.clone();
    mark_replaced(&mut ingests, &batch.replaces, &batch.ingest_id);
    let record = IngestRecord {
        ingest_id: batch.ingest_id,
        version: v,
        committed_at: now,
        source: batch.source,
        files: batch.files,
        displaced,
    };
    let next = current.after_ingest(tables, ingests, record);
    store::publish(root, &next)?;
    Ok(next)
}

/// Mark the superseded contributions in the ingest history.
fn mark_replaced(ingests: &mut [IngestRecord], replaces: &[Replacement], by: &str) {
    for r in replaces {
        let file = ingests
            .iter_mut()
            .filter(|i| i.ingest_id == r.ingest_id)
            .flat_map(|i| i.files.iter_mut())
            .find(|f| f.path == r.path && f.replaced_by.is_none());
        if let Some(f) = file {
            f.replaced_by = Some(by.to_string());
        }
    }
}

/// The batch's status history as one frame (`None` when no file had any); `history` is
/// left empty.
fn gather_history(history: &mut Vec<DataFrame>) -> Result<Option<DataFrame>> {
    if history.is_empty() {
        return Ok(None);
    }
    concat(
        history.drain(..).map(|d| d.lazy()).collect::<Vec<_>>(),
        UnionArgs::default(),
    )
    .and_then(|lf| lf.collect())
    .map(Some)
    .map_err(Error::polars("history"))
}

/// The files of every range, in range order: the ranges are taken in turn by `cores`
/// workers, and once one fails the others take no more.
fn write_ranges(
    root: &Location,
    version: u64,
    ranges: &[Range],
    old: (&[Run], &[Run]),
    batch: &Batch,
    history: Option<&DataFrame>,
    cores: usize,
) -> Result<Vec<RangeFiles>> {
    spill::in_turn(ranges.len(), cores, |i| {
        write_range(root, version, i, ranges, old, batch, history)
    })
}

/// The `tickets` and `status_intervals` files of the ranges, in their order, and the sum
/// of their tallies.
fn combine(written: Vec<RangeFiles>) -> (Vec<DataFile>, Vec<DataFile>, Tally) {
    let mut tally = Tally::default();
    let (mut ticket_files, mut interval_files) = (Vec::new(), Vec::new());
    for w in written {
        ticket_files.extend(w.tickets);
        interval_files.extend(w.status_intervals);
        tally.from_before += w.tally.from_before;
        for (k, n) in w.tally.replaced {
            *tally.replaced.entry(k).or_default() += n;
        }
        for (f, n) in w.tally.survivors {
            *tally.survivors.entry(f).or_default() += n;
        }
    }
    (ticket_files, interval_files, tally)
}
