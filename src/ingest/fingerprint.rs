//! A file's fingerprint: the SHA-256 of its bytes and every option it was read with. Two
//! reads of one export are the same read only when both agree; the same bytes read another
//! way (a corrected zone, encoding or mapping) supersede the earlier read, and `--replace`
//! reads a file again on purpose.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{IngestOptions, Run, writer};
use crate::dataset::manifest::{self, FileRecord};
use crate::error::{Error, Result};
use crate::hex;

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Hex SHA-256 and size of a file, read in blocks (an export of any size).
pub(super) fn sha256_file(path: &Path) -> Result<(String, u64)> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(Error::io("reading export", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(Error::io("reading export", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex(&hasher.finalize()), total))
}

/// Every option that changes how an export is read, as recorded in the manifest: the same
/// bytes read with other options (a corrected zone, encoding, mapping…) are read again and
/// supersede the earlier read. The mapping is recorded by the SHA-256 of its file.
pub fn read_options(opts: &IngestOptions) -> Result<serde_json::Value> {
    let hash = |m: Option<&Path>| -> Result<Option<String>> {
        Ok(m.map(sha256_file).transpose()?.map(|(sha, _)| sha))
    };
    let mut options = serde_json::json!({
        "adapter": opts.source,
        "mapping_sha256": hash(opts.mapping.as_deref())?,
        "history_mapping_sha256": hash(opts.history_mapping.as_deref())?,
        "tz": opts.tz,
        "default_tz": opts.default_tz,
        "encoding": opts.encoding.map(|e| format!("{e:?}").to_lowercase()),
        "date_format": opts.date_format,
        "statuses": opts.overrides.status,
        "kinds": opts.overrides.kind,
        "priorities": opts.overrides.priority,
        "resolved_from_closed": opts.resolved_from_closed,
    });
    // Masking at ingest changes what is stored, so turning it on reads the files again (and
    // supersedes their clear rows). Recorded only when set: older records stay comparable.
    if let Some(p) = opts
        .privacy
        .as_ref()
        .filter(|p| p.at == crate::privacy::At::Ingest)
    {
        options["privacy"] = serde_json::json!({"mask": p.mask, "mode": p.mode});
    }
    Ok(options)
}

/// What an earlier ingest of a file means for this one.
enum Earlier {
    /// Nothing: the file is new.
    None,
    /// The same bytes read the same way, by this ingest.
    Duplicate(String),
    /// An earlier contribution (ingest id, path) this file supersedes.
    Replaces(String, String),
}

impl Run {
    /// The file's record, or `None` when it is a duplicate (then it is recorded as one and
    /// skipped). A file that supersedes an earlier read is noted in the batch.
    pub(super) fn unless_duplicate(
        &mut self,
        current: &manifest::Manifest,
        path: &Path,
        sha: String,
        bytes: u64,
    ) -> Option<FileRecord> {
        let mut rec = FileRecord {
            path: path.display().to_string(),
            sha256: sha,
            bytes,
            read_options: Some(self.read_options.clone()),
            ..Default::default()
        };
        match self.earlier(current, &rec) {
            Earlier::Duplicate(prev) => {
                rec.outcome = "duplicate".into();
                rec.duplicate_of = Some(prev);
                self.records.push(rec);
                return None;
            }
            Earlier::Replaces(ingest_id, path) => {
                rec.replaces = Some(ingest_id.clone());
                self.replaces.push(writer::Replacement {
                    by: rec.path.clone(),
                    ingest_id,
                    path,
                });
            }
            Earlier::None => {}
        }
        Some(rec)
    }

    /// What an earlier ingest of this file means for it: a duplicate when this ingest
    /// already read the same bytes, or an earlier one read them with the same options
    /// (unless `replace`); otherwise the contribution it supersedes, if any (the same bytes,
    /// or with `replace` the same path).
    fn earlier(&self, current: &manifest::Manifest, rec: &FileRecord) -> Earlier {
        let replace = self.replace;
        if self
            .records
            .iter()
            .any(|r| r.sha256 == rec.sha256 && r.contributed())
        {
            return Earlier::Duplicate(self.ingest_id.clone());
        }
        let same_bytes = current.contribution(|f| f.sha256 == rec.sha256);
        if let Some((i, f)) = same_bytes {
            // A record from before options were recorded counts as read the same way.
            let same_options = f.read_options.is_none() || f.read_options == rec.read_options;
            if same_options && !replace {
                return Earlier::Duplicate(i.ingest_id.clone());
            }
            return Earlier::Replaces(i.ingest_id.clone(), f.path.clone());
        }
        match current.contribution(|f| f.path == rec.path) {
            Some((i, f)) if replace => Earlier::Replaces(i.ingest_id.clone(), f.path.clone()),
            _ => Earlier::None,
        }
    }
}
