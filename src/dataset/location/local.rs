//! The local side of [`super::Location`]: files written in place and synced (and their
//! folder, so a new name survives a crash), a manifest created only if absent through a
//! hard link, and listings of a folder that may not exist yet.

use std::path::Path;

use bytes::Bytes;

use super::Entry;
use crate::error::{Error, Result};

/// The bytes of `path`, or `None` when there is no such file.
pub(super) fn read_if_exists(path: &Path) -> Result<Option<Bytes>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(Bytes::from(b))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("reading", path)(e)),
    }
}

/// Write `path` and sync it and its folder.
pub(super) fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    write_synced(path, bytes)?;
    sync_parent(path)
}

/// Create `path` only if it does not exist (`Ok(false)` when it does): written whole to a
/// temporary name first, then hard-linked, which fails when the name is taken.
pub(super) fn create_new(path: &Path, bytes: &[u8]) -> Result<bool> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
    let tmp = path.with_file_name(format!(".tmp-{}", name.unwrap_or_default()));
    write_synced(&tmp, bytes)?;
    crate::dataset::store::fault_point("after-manifest-tmp");
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => sync_parent(path).map(|_| true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("publishing", path)(e)),
    }
}

/// Delete `path` (nothing when it is already gone).
pub(super) fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("removing", path)(e)),
        _ => Ok(()),
    }
}

/// The folders directly in `dir` (none when it does not exist).
pub(super) fn folders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect()
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    }
    let mut f = std::fs::File::create(path).map_err(Error::io("creating", path))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(Error::io("writing", path))
}

/// Sync the directory holding `path`, so its new name survives a crash.
fn sync_parent(path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("syncing directory", dir))
}

/// The files directly in `dir` (none when it does not exist).
pub(super) fn list(dir: &Path) -> Result<Vec<Entry>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries.filter_map(|e| e.ok()) {
        let meta = e.metadata().map_err(Error::io("listing", e.path()))?;
        if !meta.is_file() {
            continue;
        }
        let modified_us = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_micros() as i64);
        out.push(Entry {
            name: e.file_name().to_string_lossy().to_string(),
            modified_us,
            size: meta.len(),
        });
    }
    Ok(out)
}
