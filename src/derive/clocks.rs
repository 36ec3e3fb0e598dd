//! The `sla` table built one key range at a time. Each ticket's clocks depend only on its own
//! row and status intervals, and the dataset stores both tables in key order, so the stage
//! reads one range of each (only the columns the clocks need), evaluates it and writes that
//! range's file. One range runs per worker at a time: memory is set by the range size
//! (`TICKETLAKE_RANGE_ROWS`), never by the dataset's.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use polars::prelude::DataFrame;

use crate::dataset::Location;
use crate::dataset::manifest::{DataFile, Manifest};
use crate::dataset::{SLA, STATUS_INTERVALS, TICKETS, store};
use crate::error::Result;
use crate::ingest::spill;
use crate::sla::policy::Policies;

/// The ticket columns the clocks read.
const TICKET_COLUMNS: [&str; 10] = [
    "ticket_id",
    "source",
    "kind",
    "priority",
    "status",
    "service",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
];

/// The status-interval columns the clocks read.
const INTERVAL_COLUMNS: [&str; 6] = [
    "ticket_id",
    "source",
    "status",
    "from_ts",
    "to_ts",
    "derived",
];

/// The `sla` table as written: its files in key order, and its counts.
pub struct Clocks {
    /// The files, in key order.
    pub files: Vec<DataFile>,
    /// Rows written.
    pub rows: u64,
    /// Rows per state.
    pub states: BTreeMap<String, u64>,
}

/// One range evaluated and written.
struct Range {
    file: Option<DataFile>,
    rows: u64,
    states: BTreeMap<String, u64>,
}

/// Evaluate every ticket of `current` against `policies` at `as_of` and write the `sla`
/// files of `version`, one per key range.
pub fn write(
    root: &Location,
    current: &Manifest,
    policies: &Policies,
    as_of: i64,
    version: u64,
) -> Result<Clocks> {
    let tickets = spill::runs_of(root, current, TICKETS)?;
    let intervals = spill::runs_of(root, current, STATUS_INTERVALS)?;
    let workers = crate::ingest::workers();
    let ranges = spill::plan(&tickets, spill::range_rows() / workers);
    let engine = Mutex::new(0f64);
    let n = ranges.len();
    let written = spill::in_turn(n, workers, |i| {
        let t = spill::read_all(&tickets, &ranges[i], Some(&TICKET_COLUMNS))?;
        let iv = match intervals.is_empty() {
            true => crate::ingest::intervals::empty()?,
            false => spill::read_all(&intervals, &ranges[i], Some(&INTERVAL_COLUMNS))?,
        };
        let start = Instant::now();
        let mut sla = crate::sla::table::compute_on(&t, &iv, policies, as_of, Some(1))?;
        *engine.lock().unwrap_or_else(|p| p.into_inner()) += start.elapsed().as_secs_f64();
        // Empty ranges (possible at the edges) get no file, except the last: a table
        // always has one.
        let file = (sla.height() > 0 || i + 1 == n)
            .then(|| store::write_table(root, SLA, version, i, &mut sla))
            .transpose()?;
        Ok(Range {
            file,
            rows: sla.height() as u64,
            states: state_counts(&sla),
        })
    })?;
    let mut out = Clocks {
        files: Vec::with_capacity(n),
        rows: 0,
        states: BTreeMap::new(),
    };
    for r in written {
        out.files.extend(r.file);
        out.rows += r.rows;
        for (k, v) in r.states {
            *out.states.entry(k).or_default() += v;
        }
    }
    report_engine(
        out.rows,
        engine.into_inner().unwrap_or_else(|p| p.into_inner()),
        workers,
    );
    Ok(out)
}

/// With `TICKETLAKE_TIMINGS=1`, the engine's own rate: evaluations over the seconds the
/// workers spent evaluating in memory (reading and writing excluded), for `benches/compare
/// --only sla-engine`.
fn report_engine(rows: u64, busy: f64, workers: usize) {
    if std::env::var("TICKETLAKE_TIMINGS").is_ok_and(|v| v == "1") {
        eprintln!(
            "ticketlake: sla engine: {rows} evaluations in {:.3} s on {workers} workers",
            busy / workers as f64
        );
    }
}

/// `sla` rows per state.
fn state_counts(sla: &DataFrame) -> BTreeMap<String, u64> {
    let mut states = BTreeMap::new();
    if let Ok(c) = sla.column("state").and_then(|c| c.str().cloned()) {
        // Counted by borrowed text: one owned key per state, not one per row.
        let mut counts: std::collections::HashMap<&str, u64> = Default::default();
        for s in c.iter().flatten() {
            *counts.entry(s).or_default() += 1;
        }
        states.extend(counts.into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    states
}
