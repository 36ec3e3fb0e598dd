//! Merging a batch into the dataset and committing it: the latest `updated_at` wins per
//! ticket with a deterministic tie-break (promise 4), status intervals follow the winning
//! rows, rejects are appended, and the new version is published atomically (promise 3).

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::intervals;
use crate::dataset::columns::{Keys, micros};
use crate::dataset::manifest::{FileRecord, IngestRecord, Manifest, TableFiles};
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
    /// Normalised rows of every loaded file, canonical schema.
    pub tickets: Vec<DataFrame>,
    /// Status intervals from update history (event logs), if any.
    pub history: Vec<DataFrame>,
    /// The `rejects` rows of this ingest.
    pub rejects: DataFrame,
    /// Per-file accounting; `superseded` is filled in here.
    pub files: Vec<FileRecord>,
}

fn keys() -> [Expr; 2] {
    [col("source"), col("ticket_id")]
}

/// Keep the latest version of each ticket: sort by key, `updated_at`, then ingest, file and
/// record (all deterministic), and keep the last row per key.
fn latest_wins(frames: Vec<LazyFrame>) -> Result<DataFrame> {
    concat(frames, UnionArgs::default())
        .map(|lf| {
            lf.sort_by_exprs(
                [
                    col("source"),
                    col("ticket_id"),
                    col("updated_at"),
                    col("ingest_id"),
                    col("source_file"),
                    col("source_record"),
                ],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .unique_stable_generic(Some(keys().to_vec()), UniqueKeepStrategy::Last)
        })
        .and_then(|lf| lf.collect())
        .map_err(Error::polars("merging tickets (latest updated_at wins)"))
}

/// Merge the batch into the current version and publish the next one.
pub fn commit(root: &Path, current: &Manifest, mut batch: Batch) -> Result<Manifest> {
    let existing = store::read_table(root, current, TICKETS)?;
    let existing_rows = existing.as_ref().map(|d| d.height() as u64).unwrap_or(0);
    let mut frames: Vec<LazyFrame> = existing.into_iter().map(|d| d.lazy()).collect();
    frames.extend(batch.tickets.drain(..).map(|d| d.lazy()));
    store::phase("read existing");
    let mut tickets = latest_wins(frames)?;
    store::phase("merge (latest wins)");

    // Accounting: how many of each file's loaded rows survived.
    let ingest_col = tickets
        .column("ingest_id")
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("ingest_id"))?;
    let file_col = tickets
        .column("source_file")
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("source_file"))?;
    let mut survivors: HashMap<&str, u64> = HashMap::new();
    let mut from_before = 0u64;
    for (i, f) in ingest_col.iter().zip(file_col.iter()) {
        if i == Some(batch.ingest_id.as_str()) {
            *survivors.entry(f.unwrap_or("")).or_default() += 1;
        } else {
            from_before += 1;
        }
    }
    for f in &mut batch.files {
        if f.outcome == "loaded" {
            f.superseded = f.loaded - survivors.get(f.path.as_str()).copied().unwrap_or(0);
        }
    }
    let displaced = existing_rows - from_before;

    // Status intervals: the tickets this ingest won get new intervals (history where the
    // export had it, derived otherwise); everyone else keeps theirs.
    let won = tickets
        .clone()
        .lazy()
        .filter(col("ingest_id").eq(lit(batch.ingest_id.clone())))
        .collect()
        .map_err(Error::polars("selecting won tickets"))?;
    let won_keys = won.clone().lazy().select(keys());
    let history = if batch.history.is_empty() {
        None
    } else {
        let h = concat(
            batch
                .history
                .iter()
                .map(|d| d.clone().lazy())
                .collect::<Vec<_>>(),
            UnionArgs::default(),
        )
        .map_err(Error::polars("history"))?;
        Some(h.join(
            won_keys.clone(),
            keys(),
            keys(),
            JoinArgs::new(JoinType::Semi),
        ))
    };
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
    let mut parts: Vec<LazyFrame> = Vec::new();
    if let Some(old) = store::read_table(root, current, STATUS_INTERVALS)? {
        parts.push(
            old.lazy()
                .join(won_keys, keys(), keys(), JoinArgs::new(JoinType::Anti)),
        );
    }
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

    store::phase("status intervals");
    store::fault_point("before-data-files");
    let v = batch.version;
    let mut tables = current.tables.clone();
    tables.insert(
        TICKETS.into(),
        TableFiles {
            files: vec![store::write_table(root, TICKETS, v, 0, &mut tickets)?],
        },
    );
    tables.insert(
        STATUS_INTERVALS.into(),
        TableFiles {
            files: vec![store::write_table(
                root,
                STATUS_INTERVALS,
                v,
                0,
                &mut status_intervals,
            )?],
        },
    );
    if batch.rejects.height() > 0 {
        let f = store::write_table(root, REJECTS, v, 0, &mut batch.rejects)?;
        tables.entry(REJECTS.into()).or_default().files.push(f);
    }
    store::fault_point("after-data-files");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut ingests = current.ingests.clone();
    ingests.push(IngestRecord {
        ingest_id: batch.ingest_id,
        version: v,
        committed_at: now.clone(),
        source: batch.source,
        files: batch.files,
        displaced,
    });
    let next = Manifest {
        version: v,
        committed_at: now,
        tables,
        ingests,
        build: current.build.clone(),
        ..Manifest::empty()
    };
    store::publish(root, &next)?;
    Ok(next)
}
