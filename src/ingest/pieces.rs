//! Loading a streamed export: its pieces are read on one thread and normalised and spilled
//! on the others, with the file's accounting summed over the pieces in file order.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use super::flat;
use super::mapping::Mapping;
use super::normalize::{self, Lineage};
use super::raw::{RawTable, Reject};
use super::read::Stream;
use super::spill::{self, Spill};
use crate::dataset::manifest::FileRecord;
use crate::error::{Error, Result};

/// A file's normalisation, summed over the pieces it was read in.
#[derive(Default)]
pub(super) struct Loaded {
    read: u64,
    loaded: u64,
    rejected: u64,
    flagged: u64,
    missing_columns: Vec<String>,
    extra_columns: Vec<String>,
    warnings: Vec<String>,
}

impl Loaded {
    /// Count one normalised piece of `read` records, `loaded` of them loaded (the first
    /// piece's columns and warnings stand for the file: every piece has the same header).
    pub(super) fn add(&mut self, n: &normalize::Normalized, read: u64, loaded: u64, first: bool) {
        self.read += read;
        self.loaded += loaded;
        self.rejected += n.rejects.len() as u64;
        self.flagged += n.flagged;
        if first {
            self.missing_columns = n.missing_columns.clone();
            self.extra_columns = n.extra_columns.clone();
            self.warnings = n.warnings.clone();
        }
    }

    /// Fill in the file's record, checking read = loaded + rejected (promise 1).
    pub(super) fn record(self, rec: &mut FileRecord, shape: String, path: &Path) -> Result<()> {
        if self.loaded + self.rejected != self.read {
            return Err(Error::Input {
                path: path.into(),
                line: None,
                message: format!(
                    "internal accounting error: read {}, loaded {}, rejected {}; please report this",
                    self.read, self.loaded, self.rejected
                ),
            });
        }
        rec.shape = shape;
        rec.outcome = "loaded".into();
        rec.records_read = self.read;
        rec.loaded = self.loaded;
        rec.rejected = self.rejected;
        rec.flagged = self.flagged;
        rec.missing_columns = self.missing_columns;
        rec.extra_columns = self.extra_columns;
        rec.warnings = self.warnings;
        Ok(())
    }
}

/// A piece's share of the file: its normalisation counted, its rejects, and the anchors of
/// its tickets with flat history.
struct Piece {
    index: usize,
    read: u64,
    loaded: u64,
    n: normalize::Normalized,
    run: spill::Written,
    anchors: flat::Anchors,
}

/// What a streamed file gave: its accounting, its rejects (in file order), and the anchors
/// of its tickets with flat history.
pub(super) type Streamed = (Loaded, Vec<Reject>, flat::Anchors);

/// Read `stream` to the end, normalising each piece with `m`, attaching the flat `history`,
/// and spilling its tickets.
/// Pieces are independent (the stream only serves exports whose rows are), so one worker
/// per core normalises them while the reader splits the next; at most one piece waits
/// between them, which bounds memory. Rejects come back in file order.
pub(super) fn load(
    mut stream: Stream,
    m: &Mapping,
    zone: Option<&str>,
    lineage: &Lineage,
    path: &Path,
    spill: &mut Spill,
    history: &flat::History,
) -> Result<Streamed> {
    let cores = super::workers();
    let failed = AtomicBool::new(false);
    let shared: &Spill = spill;
    let normalise = |index: usize, table: RawTable| -> Result<Piece> {
        let read = table.records_read;
        let mut n = normalize::normalize(table, m, zone, lineage, path)?;
        let loaded = n.tickets.height() as u64;
        let anchors = history.attach(&mut n.tickets)?;
        let run = shared.write(std::mem::take(&mut n.tickets))?;
        Ok(Piece {
            index,
            read,
            loaded,
            n,
            run,
            anchors,
        })
    };
    let mut done: Vec<Piece> = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<RawTable>)>(1);
        let rx = Arc::new(Mutex::new(rx));
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                let rx = Arc::clone(&rx);
                let (failed, normalise) = (&failed, &normalise);
                s.spawn(move || -> std::result::Result<Vec<Piece>, (usize, Error)> {
                    let mut out = Vec::new();
                    loop {
                        let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((index, table)) = next else {
                            return Ok(out);
                        };
                        match table.and_then(|t| normalise(index, t)) {
                            Ok(p) if !failed.load(Relaxed) => out.push(p),
                            Ok(_) => return Ok(out),
                            Err(e) => {
                                failed.store(true, Relaxed);
                                return Err((index, e));
                            }
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        // The reader: stops at the end, at its own error (passed on), or when every
        // worker has stopped (the channel is closed).
        for index in 0.. {
            if failed.load(Relaxed) {
                break;
            }
            match stream.next().transpose() {
                None => break,
                Some(piece) => {
                    let stop = piece.is_err();
                    if tx.send((index, piece)).is_err() || stop {
                        break;
                    }
                }
            }
        }
        drop(tx);
        let mut all = Vec::new();
        // The error of the earliest piece, so the message does not depend on timing.
        let mut first_error: Option<(usize, Error)> = None;
        for w in workers {
            match w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)) {
                Ok(p) => all.extend(p),
                Err(e) if first_error.as_ref().is_none_or(|f| e.0 < f.0) => first_error = Some(e),
                Err(_) => {}
            }
        }
        first_error.map_or(Ok(all), |(_, e)| Err(e))
    })?;
    done.sort_by_key(|p| p.index);
    let mut sum = Loaded::default();
    let mut rejects = Vec::new();
    let mut anchors = flat::Anchors::new();
    for p in done {
        sum.add(&p.n, p.read, p.loaded, p.index == 0);
        rejects.extend(p.n.rejects);
        spill.add(p.run);
        flat::merge_anchors(&mut anchors, p.anchors);
    }
    Ok((sum, rejects, anchors))
}
