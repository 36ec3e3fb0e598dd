//! `dataset vacuum`: delete what no reader can need any more. A version stays readable for
//! the retention after a newer one replaced it (a reader that opened it keeps reading only
//! the files it lists), and a data file no manifest names is left alone until it is older
//! than the retention too: on object storage it may be a running writer's, not yet
//! committed.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Location;
use super::manifest::{self, MANIFEST_DIR};
use crate::error::Result;

/// What a vacuum removed and kept.
#[derive(Debug, Default, Serialize)]
pub struct Vacuumed {
    /// Manifests deleted (versions older than the retention, never the current one).
    pub manifests: Vec<u64>,
    /// Data files deleted, as paths inside the dataset.
    pub files: Vec<String>,
    /// Their size in bytes.
    pub bytes: u64,
    /// The versions still readable.
    pub kept_versions: Vec<u64>,
}

/// Vacuum the dataset at `root`: versions replaced more than `older_than_s` seconds before
/// `now_us`, and the data files that only they (or no manifest at all) name once those
/// files are that old too.
pub fn vacuum(root: &Location, older_than_s: i64, now_us: i64) -> Result<Vacuumed> {
    let cutoff = now_us - older_than_s.saturating_mul(1_000_000);
    let versions = manifest::versions(root)?;
    let mut out = Vacuumed::default();
    let mut keep: BTreeSet<String> = BTreeSet::new();
    // A version is needed while it is current, or was replaced after the cutoff: the
    // moment it was replaced is its successor's commit time.
    let mut next_committed: Option<i64> = None;
    for &v in versions.iter().rev() {
        let m = manifest::read_version(root, v)?;
        let needed = match next_committed {
            None => true,
            Some(replaced_at) => replaced_at >= cutoff,
        };
        next_committed = Some(crate::time::parse_instant(&m.committed_at).unwrap_or(now_us));
        if needed {
            out.kept_versions.push(v);
            keep.extend(
                m.tables
                    .values()
                    .flat_map(|t| t.files.iter().map(|f| f.path.clone())),
            );
        } else {
            out.manifests.push(v);
        }
    }
    out.kept_versions.reverse();
    out.manifests.reverse();
    // Manifests first: a version is gone before its files are, so no reader finds a
    // manifest whose files were deleted.
    for &v in &out.manifests {
        root.delete(&manifest::manifest_rel(v))?;
    }
    for folder in root.folders()? {
        if folder == MANIFEST_DIR || folder.starts_with('_') {
            continue;
        }
        for f in root.list(&folder)? {
            let rel = format!("{folder}/{}", f.name);
            if f.name.ends_with(".parquet") && !keep.contains(&rel) && f.modified_us < cutoff {
                root.delete(&rel)?;
                out.bytes += f.size;
                out.files.push(rel);
            }
        }
    }
    out.files.sort();
    Ok(out)
}
