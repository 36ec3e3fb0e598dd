//! Sorted runs and key ranges: how an ingest of any size merges in bounded memory. Each piece
//! of normalised tickets is sorted by `(source, ticket_id)` and spilled to a scratch Parquet
//! file with a sample of its keys; the dataset's own files are runs too (they are stored in
//! key order). The merge then cuts the key space into ranges of about [`range_rows`] rows
//! from the samples and merges one range at a time, reading from each run only the row
//! groups that can hold the range's keys. The ranges become the table's files, in key order.

use std::path::PathBuf;

use polars::prelude::*;

use crate::dataset::Location;
use crate::dataset::columns::{Key, Keys};
use crate::dataset::store::{self, Layout};
use crate::error::{Error, Result};

/// Rows per key range merged at once (and so per dataset file): bounds the merge's memory.
/// `TICKETLAKE_RANGE_ROWS` overrides it (a tuning and test knob).
pub fn range_rows() -> usize {
    super::tuning("TICKETLAKE_RANGE_ROWS", 256 * 1024)
}

/// One sampled key per this many rows of a run, at most.
const SAMPLE_EVERY: usize = 4096;

/// One sampled key per this many rows: [`SAMPLE_EVERY`], or finer when the ranges are small
/// (a range can only end at a sampled key, so ranges of a few hundred rows need samples
/// every few rows).
fn sample_every() -> usize {
    (range_rows() / 16).clamp(1, SAMPLE_EVERY)
}

/// A `(source, ticket_id)` key, owned.
pub type OwnedKey = (Option<String>, Option<String>);

fn borrow(k: &OwnedKey) -> Key<'_> {
    (k.0.as_deref(), k.1.as_deref())
}

/// A half-open range of keys, `lo <= key < hi`; `None` is unbounded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Range {
    /// Inclusive lower bound.
    pub lo: Option<OwnedKey>,
    /// Exclusive upper bound.
    pub hi: Option<OwnedKey>,
}

impl Range {
    fn contains(&self, k: Key) -> bool {
        self.lo.as_ref().is_none_or(|lo| borrow(lo) <= k)
            && self.hi.as_ref().is_none_or(|hi| k < borrow(hi))
    }

    fn is_all(&self) -> bool {
        self.lo.is_none() && self.hi.is_none()
    }
}

/// The rows of `df` whose key is in `range`, keeping their order. `sorted` says `df` is in
/// key order, so the rows are one slice found by binary search.
pub fn select(df: &DataFrame, range: &Range, sorted: bool) -> Result<DataFrame> {
    if range.is_all() || df.height() == 0 {
        return Ok(df.clone());
    }
    let keys = Keys::new(df)?;
    if sorted {
        let a = range
            .lo
            .as_ref()
            .map_or(0, |lo| keys.lower_bound(borrow(lo)));
        let b = range
            .hi
            .as_ref()
            .map_or(keys.len(), |hi| keys.lower_bound(borrow(hi)));
        return Ok(df.slice(a as i64, b.saturating_sub(a)));
    }
    let mask: BooleanChunked = (0..keys.len())
        .map(|i| range.contains(keys.get(i)))
        .collect();
    df.filter(&mask)
        .map_err(Error::polars("selecting a key range"))
}

/// A Parquet file of ticket-keyed rows, with what is known of its order.
#[derive(Debug)]
pub struct Run {
    /// Where the file is: the dataset, or the local scratch folder.
    at: Location,
    /// The file inside `at`.
    rel: String,
    rows: usize,
    /// `(key, row)` of every [`sample_every`]th row and the last, when the file is in key
    /// order; `None` when it is not (it is then read whole for every range).
    samples: Option<Vec<(OwnedKey, usize)>>,
}

fn sample(keys: &Keys) -> Option<Vec<(OwnedKey, usize)>> {
    if !keys.sorted() {
        return None;
    }
    let n = keys.len();
    let own = |i: usize| {
        let (s, t) = keys.get(i);
        ((s.map(String::from), t.map(String::from)), i)
    };
    let every = sample_every();
    let mut out: Vec<_> = (0..n).step_by(every).map(own).collect();
    if n > 0 && !(n - 1).is_multiple_of(every) {
        out.push(own(n - 1));
    }
    Some(out)
}

impl Run {
    /// A file of the dataset, sampled from its key columns.
    pub fn existing(at: &Location, rel: &str) -> Result<Run> {
        let keys = crate::dataset::chunks::read_file(at, rel, Some(&["source", "ticket_id"]))?;
        let keys = Keys::new(&keys)?;
        Ok(Run {
            rows: keys.len(),
            samples: sample(&keys),
            at: at.clone(),
            rel: rel.to_string(),
        })
    }

    /// Rows in the file.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The file's rows whose key is in `range`, in file order.
    pub fn read(&self, range: &Range) -> Result<DataFrame> {
        self.read_columns(range, None)
    }

    /// Like [`read`](Self::read), only `columns` (which must hold the key columns).
    pub fn read_columns(&self, range: &Range, columns: Option<&[&str]>) -> Result<DataFrame> {
        let (start, end) = match &self.samples {
            Some(s) => {
                // Rows before the last sample below `lo` are below it too; rows from the
                // first sample at or above `hi` on are at or above it.
                let start = range.lo.as_ref().map_or(0, |lo| {
                    match s.partition_point(|(k, _)| borrow(k) < borrow(lo)) {
                        0 => 0,
                        i => s[i - 1].1,
                    }
                });
                let end = range.hi.as_ref().map_or(self.rows, |hi| {
                    let i = s.partition_point(|(k, _)| borrow(k) < borrow(hi));
                    s.get(i).map_or(self.rows, |(_, row)| *row)
                });
                (start, end.max(start))
            }
            None => (0, self.rows),
        };
        let df = crate::dataset::chunks::read_rows(
            &self.at,
            &self.rel,
            columns,
            Some((start, end - start)),
        )?;
        select(&df, range, self.samples.is_some())
    }
}

/// The dataset's files of `table` as runs, in the manifest's (key) order.
pub fn runs_of(
    root: &Location,
    current: &crate::dataset::Manifest,
    table: &str,
) -> Result<Vec<Run>> {
    current
        .tables
        .get(table)
        .into_iter()
        .flat_map(|t| &t.files)
        .map(|f| Run::existing(root, &f.path))
        .collect()
}

/// The rows of `range` from every run, in run order, as one frame (`columns` only, all when
/// `None`; they must hold the key columns).
pub fn read_all(runs: &[Run], range: &Range, columns: Option<&[&str]>) -> Result<DataFrame> {
    let parts = runs
        .iter()
        .map(|r| r.read_columns(range, columns).map(|d| d.lazy()))
        .collect::<Result<Vec<_>>>()?;
    if parts.is_empty() {
        return Ok(DataFrame::empty());
    }
    concat(parts, UnionArgs::default())
        .and_then(|lf| lf.collect())
        .map_err(Error::polars("reading a key range"))
}

/// `f(i)` for every `i < n`, taken in turn by `workers` threads (each holding one item at a
/// time, so memory is `workers` items whatever `n`); the results in index order. Once one
/// fails the others take no more, and its error is returned.
pub fn in_turn<T: Send>(
    n: usize,
    workers: usize,
    f: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let (next, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
    let work = || -> Result<Vec<(usize, T)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Relaxed);
            if i >= n || failed.load(Relaxed) {
                return Ok(done);
            }
            match f(i) {
                Ok(t) => done.push((i, t)),
                Err(e) => {
                    failed.store(true, Relaxed);
                    return Err(e);
                }
            }
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.clamp(1, n.max(1)))
            .map(|_| s.spawn(work))
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok::<_, Error>(all)
    })?;
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

/// The key ranges that split `runs` into pieces of about `rows` rows.
pub fn plan<'a>(runs: impl IntoIterator<Item = &'a Run>, rows: usize) -> Vec<Range> {
    let mut total = 0;
    let mut keys: Vec<&OwnedKey> = Vec::new();
    for r in runs {
        total += r.rows;
        keys.extend(r.samples.iter().flatten().map(|(k, _)| k));
    }
    let parts = total.div_ceil(rows.max(1));
    if parts <= 1 || keys.is_empty() {
        return vec![Range::default()];
    }
    keys.sort_unstable_by(|a, b| borrow(a).cmp(&borrow(b)));
    let mut bounds: Vec<&OwnedKey> = (1..parts).map(|i| keys[i * keys.len() / parts]).collect();
    bounds.dedup();
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut lo = None;
    for b in bounds {
        out.push(Range {
            lo: lo.take(),
            hi: Some(b.clone()),
        });
        lo = Some(b.clone());
    }
    out.push(Range { lo, hi: None });
    out
}

/// The scratch runs of one ingest, removed when dropped (a killed process leaves them to
/// [`store::recover`], which removes every Parquet file no manifest names).
#[derive(Debug)]
pub struct Spill {
    dir: PathBuf,
    prefix: String,
    next: std::sync::atomic::AtomicUsize,
    runs: Vec<Run>,
    /// An empty frame with the schema of the spilled rows (the first one added).
    schema: Option<DataFrame>,
    /// Masks every frame before it is written (`[privacy] at = "ingest"`): every ingest
    /// path spills, so nothing reaches the dataset unmasked.
    masker: Option<crate::privacy::Masker>,
}

/// A run written by [`Spill::write`], to be [`added`](Spill::add).
pub struct Written {
    schema: DataFrame,
    run: Option<Run>,
}

/// Where scratch runs live inside the dataset.
pub const SPILL_DIR: &str = "_spill";

impl Spill {
    /// An empty spill for the ingest `ingest_id` of the dataset at `root`: in the dataset
    /// when it is local, else in the local temporary folder (`TMPDIR`).
    pub fn new(root: &Location, ingest_id: &str) -> Result<Spill> {
        let dir = match root.local_dir() {
            Some(d) => d.join(SPILL_DIR),
            // The process id too: writers racing on one object-store dataset may pick
            // the same next ingest id.
            None => std::env::temp_dir().join(format!(
                "ticketlake{SPILL_DIR}-{}-{ingest_id}",
                std::process::id()
            )),
        };
        std::fs::create_dir_all(&dir).map_err(Error::io("creating", &dir))?;
        Ok(Spill {
            dir,
            prefix: format!("{ingest_id}-"),
            next: Default::default(),
            runs: Vec::new(),
            schema: None,
            masker: None,
        })
    }

    /// Mask every frame written with `masker`.
    pub fn masking(mut self, masker: Option<crate::privacy::Masker>) -> Spill {
        self.masker = masker;
        self
    }

    /// Sort `df` by key and write it as a run file; several threads may write at once.
    pub fn write(&self, df: DataFrame) -> Result<Written> {
        let df = match &self.masker {
            Some(m) => m.frame(df)?,
            None => df,
        };
        let schema = df.clear();
        if df.height() == 0 {
            return Ok(Written { schema, run: None });
        }
        let mut df = df
            .sort(
                ["source", "ticket_id"],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .map_err(Error::polars("sorting tickets by key"))?;
        let samples = sample(&Keys::new(&df)?);
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let rel = format!("{}{n:05}.parquet", self.prefix);
        store::write_parquet(&self.dir.join(&rel), &mut df, Layout::Scratch)?;
        let run = Run {
            at: Location::local(&self.dir),
            rel,
            rows: df.height(),
            samples,
        };
        Ok(Written {
            schema,
            run: Some(run),
        })
    }

    /// Add a written run.
    pub fn add(&mut self, w: Written) {
        self.schema.get_or_insert(w.schema);
        self.runs.extend(w.run);
    }

    /// Sort `df` by key and add it as a run.
    pub fn push(&mut self, df: DataFrame) -> Result<()> {
        let w = self.write(df)?;
        self.add(w);
        Ok(())
    }

    /// The runs.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// An empty frame in the spilled rows' schema, if anything was added.
    pub fn schema(&self) -> Option<&DataFrame> {
        self.schema.as_ref()
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        // Every file this ingest wrote, added or not (a failed ingest stops between the two).
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.filter_map(|e| e.ok()) {
                if e.file_name().to_string_lossy().starts_with(&self.prefix) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        // Only succeeds when no other file is left in it.
        let _ = std::fs::remove_dir(&self.dir);
    }
}
