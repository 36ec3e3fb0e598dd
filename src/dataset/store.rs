//! Reading and writing table files, and the commit protocol: data files are written under
//! new names and synced, then the manifest is written to a temporary name, synced, and
//! renamed into place. The rename is the commit; a run killed before it leaves the old
//! version current, and the next writer removes what the dead run left behind.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use super::Location;
use super::manifest::{self, DataFile, MANIFEST_DIR, Manifest};
use crate::error::{Error, Result};

/// Test hook for the crash tests: when `TICKETLAKE_FAULT_PAUSE` names this point, announce it
/// on stderr and wait to be killed. Costs one environment lookup per point.
pub fn fault_point(name: &str) {
    if std::env::var("TICKETLAKE_FAULT_PAUSE").is_ok_and(|v| v == name) {
        eprintln!("ticketlake: paused at fault point {name}");
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
}

/// Diagnostics for performance work: with `TICKETLAKE_TIMINGS=1`, print how long each phase
/// took since the previous mark (to stderr, never in normal output).
pub fn phase(name: &str) {
    use std::sync::Mutex;
    static LAST: Mutex<Option<std::time::Instant>> = Mutex::new(None);
    if std::env::var("TICKETLAKE_TIMINGS").is_ok_and(|v| v == "1") {
        let now = std::time::Instant::now();
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = *last {
            eprintln!(
                "ticketlake: timing {name}: {:.2} s",
                (now - t).as_secs_f64()
            );
        }
        *last = Some(now);
    }
}

/// Read every live file of a table into one frame; `None` when the table has no files.
pub fn read_table(root: &Location, m: &Manifest, table: &str) -> Result<Option<DataFrame>> {
    read_columns(root, m, table, None)
}

/// The `rejects` table, without the rejects of files whose contribution a later ingest
/// superseded (a corrected re-read) unless `all`.
pub fn read_rejects(root: &Location, m: &Manifest, all: bool) -> Result<Option<DataFrame>> {
    let Some(df) = read_table(root, m, super::REJECTS)? else {
        return Ok(None);
    };
    let replaced = m.replaced_files();
    if all || replaced.is_empty() {
        return Ok(Some(df));
    }
    let gone = super::columns::from_files(replaced.keys().map(|(i, f)| (i.as_str(), f.as_str())));
    df.lazy()
        .filter(gone.not())
        .collect()
        .map(Some)
        .map_err(Error::polars("hiding the rejects of replaced files"))
}

/// Like [`read_table`], reading only `columns` (all when `None`): the derive stage needs a
/// third of the tickets' columns, and leaving the rest on disk saves most of its memory.
pub fn read_columns(
    root: &Location,
    m: &Manifest,
    table: &str,
    columns: Option<&[&str]>,
) -> Result<Option<DataFrame>> {
    let Some(files) = m.tables.get(table) else {
        return Ok(None);
    };
    let mut frames = Vec::new();
    for f in &files.files {
        frames.push(super::chunks::read_file(root, &f.path, columns)?.lazy());
    }
    if frames.is_empty() {
        return Ok(None);
    }
    let df = concat(frames, UnionArgs::default())
        .and_then(|lf| lf.collect())
        .map_err(Error::polars(format!("reading table {table}")))?;
    Ok(Some(df))
}

/// Write one table file for `version` and sync it.
pub fn write_table(
    root: &Location,
    table: &str,
    version: u64,
    part: usize,
    df: &mut DataFrame,
) -> Result<DataFile> {
    // The writer's token keeps two writers racing for one version (on object storage,
    // where no lock stops them) from overwriting each other's files; the part number
    // first, so the names of a version sort in key order.
    let rel = format!(
        "{table}/v{version:010}-{part:03}-{}.parquet",
        writer_token()
    );
    let mut bytes = Vec::new();
    parquet_to(&mut bytes, df, Layout::Table, &rel)?;
    let size = bytes.len() as u64;
    root.put(&rel, bytes)?;
    Ok(DataFile {
        path: rel,
        rows: df.height() as u64,
        bytes: size,
    })
}

/// This process's mark on the data files it writes: unique across writers.
fn writer_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        use sha2::Digest;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!(
            "{} {now} {:?}",
            std::process::id(),
            std::thread::current().id()
        );
        crate::hex(&sha2::Sha256::digest(seed.as_bytes()))[..8].to_string()
    })
}

/// How a Parquet file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A dataset file: zstd, row groups of 256 Ki rows, statistics, synced.
    Table,
    /// A temporary file read back once by this process: uncompressed, no statistics, small
    /// row groups (so a row range reads little), not synced.
    Scratch,
}

/// Write `df` to the local file `path` (scratch runs, which stay on local disk); returns
/// the file's size.
pub fn write_parquet(path: &Path, df: &mut DataFrame, layout: Layout) -> Result<u64> {
    let mut file = File::create(path).map_err(Error::io("creating", path))?;
    parquet_to(&mut file, df, layout, &path.display().to_string())?;
    if layout == Layout::Table {
        file.flush()
            .and_then(|_| file.sync_all())
            .map_err(Error::io("syncing", path))?;
    }
    Ok(std::fs::metadata(path)
        .map_err(Error::io("stat", path))?
        .len())
}

/// Encode `df` as Parquet laid out as `layout` into `out`; `name` is for messages.
fn parquet_to(out: &mut impl Write, df: &mut DataFrame, layout: Layout, name: &str) -> Result<()> {
    let w = ParquetWriter::new(out);
    let w = match layout {
        Layout::Table => w
            .with_compression(ParquetCompression::Zstd(None))
            .with_row_group_size(Some(256 * 1024)),
        Layout::Scratch => w
            .with_compression(ParquetCompression::Uncompressed)
            .with_statistics(StatisticsOptions {
                min_value: false,
                max_value: false,
                distinct_count: false,
                null_count: false,
                binary_statistics_truncate_length: None,
            })
            .with_row_group_size(Some(64 * 1024)),
    };
    w.finish(df)
        .map_err(Error::polars(format!("writing {name}")))?;
    Ok(())
}

/// Publish a manifest: created only if no writer published this version first (the commit
/// point; a loser leaves only data files no manifest names, which no reader reads).
pub fn publish(root: &Location, m: &Manifest) -> Result<()> {
    let json = serde_json::to_vec_pretty(m).expect("manifest serialises");
    if !root.create(&manifest::manifest_rel(m.version), json)? {
        return Err(Error::Conflict {
            dataset: root.shown_path(),
            version: m.version,
        });
    }
    fault_point("after-publish");
    Ok(())
}

/// Remove what a killed writer left: temporary manifests, and data files that no published
/// manifest names. Runs only under the writer lock, so only on a local dataset: on object
/// storage another writer's uncommitted files look the same, and `dataset vacuum` removes
/// leftovers only once they are older than its retention.
pub fn recover(root: &Location) -> Result<Vec<String>> {
    if root.local_dir().is_none() {
        return Ok(Vec::new());
    }
    let live = referenced(root)?;
    let mut removed = Vec::new();
    for folder in root.folders()? {
        for f in root.list(&folder)? {
            let rel = format!("{folder}/{}", f.name);
            let orphan = if folder == MANIFEST_DIR {
                f.name.starts_with(".tmp-")
            } else {
                f.name.ends_with(".parquet") && !live.contains(&rel)
            };
            if orphan {
                root.delete(&rel)?;
                removed.push(rel);
            }
        }
    }
    Ok(removed)
}

/// Every data file some published manifest names.
pub fn referenced(root: &Location) -> Result<std::collections::BTreeSet<String>> {
    let mut live = std::collections::BTreeSet::new();
    for v in manifest::versions(root)? {
        for t in manifest::read_version(root, v)?.tables.values() {
            live.extend(t.files.iter().map(|f| f.path.clone()));
        }
    }
    Ok(live)
}
