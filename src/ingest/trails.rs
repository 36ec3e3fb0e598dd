//! The accounting of an ingest's history files (Zendesk audits, ServiceNow `sys_audit`, flat
//! history exports), done once the ticket exports have decided which changes were used: each
//! row read is loaded (as history), skipped (not a status change) or rejected.

use super::fingerprint::sha256_file;
use super::plan::Plan;
use super::{Run, flat, raw};
use crate::dataset::manifest::{self, FileRecord};
use crate::error::{Error, Result};

impl Run {
    /// A history file's accounting: each of the `read` rows is loaded (as history),
    /// `skipped` (not a status change) or rejected.
    pub(super) fn history_file(
        &mut self,
        mut rec: FileRecord,
        shape: &str,
        (read, skipped): (u64, u64),
        rejects: Vec<raw::Reject>,
    ) -> Result<()> {
        rec.shape = shape.into();
        rec.outcome = "history".into();
        rec.records_read = read;
        rec.rejected = rejects.len() as u64;
        rec.skipped = skipped;
        rec.loaded = read
            .checked_sub(rec.rejected + skipped)
            .ok_or_else(|| Error::Input {
                path: rec.path.clone().into(),
                line: None,
                message: format!(
                    "internal accounting error: read {read}, skipped {skipped}, rejected {}; please report this",
                    rec.rejected
                ),
            })?;
        let file = rec.path.clone();
        self.add_rejects(&file, rejects);
        self.records.push(rec);
        Ok(())
    }

    /// The `sys_audit` files' accounting, once the ticket exports have used their changes.
    pub(super) fn account_sys_audits(&mut self, plan: &Plan) -> Result<()> {
        for (path, rec) in std::mem::take(&mut self.sys_audit_records) {
            let rejects = plan.trail.rejects(&path);
            let read = plan.trail.files.get(&path).map_or(0, |f| f.read);
            self.history_file(rec, "servicenow/sys-audit", (read, 0), rejects)?;
        }
        Ok(())
    }

    /// The flat history files, once the ticket exports are read: the intervals of the
    /// tickets they cover (over any history those exports carried), then each file's
    /// accounting. A file ingested before is a duplicate, but its changes still give the
    /// history of the tickets of this ingest.
    pub(super) fn flat_history(
        &mut self,
        plan: &mut Plan,
        current: &manifest::Manifest,
    ) -> Result<()> {
        if let Some(frame) = plan.flat.intervals(&self.anchors)? {
            self.history = flat::replace(std::mem::take(&mut self.history), frame)?;
        }
        let trail = &plan.flat.trail;
        for (path, shape) in &plan.flat.shapes {
            let (sha, size) = sha256_file(path)?;
            let Some(rec) = self.unless_duplicate(current, path, sha, size) else {
                continue;
            };
            let counts = trail
                .files
                .get(path)
                .map_or((0, 0), |f| (f.read, f.skipped));
            self.history_file(rec, shape, counts, trail.rejects(path))?;
        }
        Ok(())
    }
}
