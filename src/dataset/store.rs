//! Reading and writing table files, and the commit protocol: data files are written under
//! new names and synced, then the manifest is written to a temporary name, synced, and
//! renamed into place. The rename is the commit; a run killed before it leaves the old
//! version current, and the next writer removes what the dead run left behind.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

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
pub fn read_table(root: &Path, m: &Manifest, table: &str) -> Result<Option<DataFrame>> {
    read_columns(root, m, table, None)
}

/// The `rejects` table, without the rejects of files whose contribution a later ingest
/// superseded (a corrected re-read) unless `all`.
pub fn read_rejects(root: &Path, m: &Manifest, all: bool) -> Result<Option<DataFrame>> {
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
    root: &Path,
    m: &Manifest,
    table: &str,
    columns: Option<&[&str]>,
) -> Result<Option<DataFrame>> {
    let Some(files) = m.tables.get(table) else {
        return Ok(None);
    };
    let mut frames = Vec::new();
    for f in &files.files {
        frames.push(super::chunks::read_file(&root.join(&f.path), columns)?.lazy());
    }
    if frames.is_empty() {
        return Ok(None);
    }
    let df = concat(frames, UnionArgs::default())
        .and_then(|lf| lf.collect())
        .map_err(Error::polars(format!("reading table {table}")))?;
    Ok(Some(df))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("syncing directory", dir))
}

/// Write one table file for `version` and sync it.
pub fn write_table(
    root: &Path,
    table: &str,
    version: u64,
    part: usize,
    df: &mut DataFrame,
) -> Result<DataFile> {
    let rel = format!("{table}/v{version:010}-{part:03}.parquet");
    let path = root.join(&rel);
    let dir = root.join(table);
    std::fs::create_dir_all(&dir).map_err(Error::io("creating", &dir))?;
    let bytes = write_parquet(&path, df, Layout::Table)?;
    Ok(DataFile {
        path: rel,
        rows: df.height() as u64,
        bytes,
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

/// Write `df` to `path`; returns the file's size.
pub fn write_parquet(path: &Path, df: &mut DataFrame, layout: Layout) -> Result<u64> {
    let mut file = File::create(path).map_err(Error::io("creating", path))?;
    let w = ParquetWriter::new(&mut file);
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
        .map_err(Error::polars(format!("writing {}", path.display())))?;
    if layout == Layout::Table {
        file.flush()
            .and_then(|_| file.sync_all())
            .map_err(Error::io("syncing", path))?;
    }
    Ok(std::fs::metadata(path)
        .map_err(Error::io("stat", path))?
        .len())
}

/// Publish a manifest: temp file, sync, rename, sync the directory.
pub fn publish(root: &Path, m: &Manifest) -> Result<()> {
    let dir = root.join(MANIFEST_DIR);
    std::fs::create_dir_all(&dir).map_err(Error::io("creating", &dir))?;
    let tmp = dir.join(format!(".tmp-{}", manifest::manifest_name(m.version)));
    let json = serde_json::to_vec_pretty(m).expect("manifest serialises");
    let mut f = File::create(&tmp).map_err(Error::io("writing", &tmp))?;
    f.write_all(&json)
        .and_then(|_| f.sync_all())
        .map_err(Error::io("writing", &tmp))?;
    fault_point("after-manifest-tmp");
    let dest = manifest::manifest_path(root, m.version);
    std::fs::rename(&tmp, &dest).map_err(Error::io("publishing", &dest))?;
    sync_dir(&dir)?;
    fault_point("after-publish");
    Ok(())
}

/// Remove what a killed writer left: temporary manifests, and data files that no published
/// manifest names. Runs only under the writer lock.
pub fn recover(root: &Path) -> Result<Vec<String>> {
    let mut live = std::collections::BTreeSet::new();
    for v in manifest::versions(root)? {
        for t in manifest::read_version(root, v)?.tables.values() {
            live.extend(t.files.iter().map(|f| f.path.clone()));
        }
    }
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(removed);
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().to_string();
        if !entry.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(entry.path())
            .map_err(Error::io("listing", entry.path()))?
            .filter_map(|e| e.ok())
        {
            let fname = f.file_name().to_string_lossy().to_string();
            let rel = format!("{name}/{fname}");
            let orphan = if name == MANIFEST_DIR {
                fname.starts_with(".tmp-")
            } else {
                fname.ends_with(".parquet") && !live.contains(&rel)
            };
            if orphan {
                std::fs::remove_file(f.path()).map_err(Error::io("removing leftover", f.path()))?;
                removed.push(rel);
            }
        }
    }
    Ok(removed)
}
