//! The single-writer lock (promise 5): an OS advisory lock on `_lock` in the dataset, taken
//! without waiting so a second writer fails at once. The OS drops it when the holder dies,
//! even by SIGKILL, so a crashed run never leaves the dataset locked.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use super::Location;

use crate::error::{Error, Result};

/// Holds the writer lock until dropped.
#[derive(Debug)]
pub struct WriterLock {
    /// The locked file; `None` for a nested acquisition inside a process that holds it.
    _file: Option<File>,
    /// The lock file.
    pub path: PathBuf,
}

/// Lock files this process holds. `run` holds the lock for its whole job while the ingest and
/// build inside it take it again; an OS lock on a second descriptor would refuse them.
static HELD: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn held() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        if self._file.is_some() {
            held().retain(|p| p != &self.path);
        }
    }
}

/// Take the dataset's writer lock, or fail with [`Error::Locked`]. Re-entrant within one
/// process: a nested call returns a guard that releases nothing.
///
/// A dataset on object storage has no OS lock to take: there the conditional put of the
/// manifest decides between writers (see [`super::store::publish`]).
pub fn acquire(root: &Location) -> Result<WriterLock> {
    let Some(root) = root.local_dir() else {
        return Ok(WriterLock {
            _file: None,
            path: PathBuf::new(),
        });
    };
    std::fs::create_dir_all(root).map_err(Error::io("creating dataset directory", root))?;
    let path = root
        .canonicalize()
        .map_err(Error::io("resolving dataset directory", root))?
        .join("_lock");
    if held().contains(&path) {
        return Ok(WriterLock { _file: None, path });
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::io("opening lock file", &path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(Error::Locked {
                dataset: root.into(),
                lock: path,
                holder: (!holder.is_empty()).then(|| holder.to_string()),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("locking", &path)(e)),
    }
    let who = format!(
        "pid {} since {}",
        std::process::id(),
        crate::time::now_rfc3339()
    );
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(who.as_bytes()))
        .map_err(Error::io("writing lock file", &path))?;
    held().push(path.clone());
    Ok(WriterLock {
        _file: Some(file),
        path,
    })
}
