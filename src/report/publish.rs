//! Where a month's reports go: a local folder, or a prefix in object storage (`--out
//! s3://bucket/reports`, `gs://…`, `az://…`), with the credentials of `[dataset.storage]`
//! and the environment, as for the dataset.
//!
//! A remote report is written whole to a staging folder under `TMPDIR` first, by the same
//! code as a local one, then uploaded: the pages, charts and tables, and the portfolio page
//! and `summary.json` last, so that a job watching for `summary.json` finds a complete
//! month. A failed upload is an error naming the object store; what was uploaded before it
//! stays, and a re-run overwrites it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::dataset::location::{Location, is_remote, redacted};
use crate::error::{Error, Result};

/// The files uploaded after every other one, in this order.
const LAST: [&str; 2] = ["index.html", "summary.json"];

/// A report destination.
pub struct Destination {
    /// Where the report is written: the output folder, or the staging folder.
    dir: PathBuf,
    remote: Option<Remote>,
}

struct Remote {
    store: Location,
    /// The output URL as it may be shown (no credentials).
    shown: String,
    /// Removed when the destination is dropped.
    _staging: tempfile::TempDir,
}

impl Destination {
    /// The destination `out` (`--out`, `[report] out`): a local folder, or an object-store
    /// URL opened with `storage` over the environment.
    pub fn open(out: &Path, storage: &BTreeMap<String, String>) -> Result<Destination> {
        let spec = out.to_string_lossy();
        if !is_remote(&spec) {
            return Ok(Destination {
                dir: out.to_path_buf(),
                remote: None,
            });
        }
        let store = Location::parse(&spec, storage)?;
        let staging = tempfile::Builder::new()
            .prefix("ticketlake-report-")
            .tempdir()
            .map_err(Error::io(
                "creating a staging folder for the report",
                &std::env::temp_dir(),
            ))?;
        Ok(Destination {
            dir: staging.path().to_path_buf(),
            remote: Some(Remote {
                store,
                shown: redacted(&spec).trim_end_matches('/').to_string(),
                _staging: staging,
            }),
        })
    }

    /// The folder to write the report into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `path` (under [`Destination::dir`]) as the user will find it: itself when local, its
    /// URL when remote.
    pub fn shown(&self, path: &Path) -> PathBuf {
        match (&self.remote, path.strip_prefix(&self.dir)) {
            (Some(r), Ok(rel)) => PathBuf::from(format!("{}/{}", r.shown, slashed(rel))),
            _ => path.to_path_buf(),
        }
    }

    /// Upload the folder `period` of a remote destination; the number of files (0 when
    /// local: the report is already in place).
    pub fn publish(&self, period: &str) -> Result<usize> {
        let Some(r) = &self.remote else {
            return Ok(0);
        };
        let mut files = Vec::new();
        walk(&self.dir.join(period), &mut files)?;
        let rank = |p: &PathBuf| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let top = p.parent() == Some(self.dir.join(period).as_path());
            LAST.iter()
                .position(|l| top && *l == name)
                .map_or(0, |i| i + 1)
        };
        files.sort_by_key(|p| (rank(p), p.clone()));
        for f in &files {
            let bytes = std::fs::read(f).map_err(Error::io("reading the staged report", f))?;
            let rel = slashed(f.strip_prefix(&self.dir).unwrap_or(f));
            r.store.put_typed(&rel, bytes, content_type(f))?;
        }
        Ok(files.len())
    }
}

/// Every file under `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(Error::io("listing the staged report", dir))?;
    for e in entries {
        let path = e
            .map_err(Error::io("listing the staged report", dir))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A relative path with `/` separators (object names).
fn slashed(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// What a browser needs to be told to show each file the report writes.
fn content_type(path: &Path) -> Option<&'static str> {
    Some(match path.extension()?.to_str()? {
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_destination_is_the_folder_itself() {
        let d = Destination::open(Path::new("reports"), &BTreeMap::new()).unwrap();
        assert_eq!(d.dir(), Path::new("reports"));
        assert_eq!(
            d.shown(Path::new("reports/2026-10/index.html")),
            Path::new("reports/2026-10/index.html")
        );
        assert_eq!(d.publish("2026-10").unwrap(), 0);
    }

    #[test]
    fn a_remote_destination_stages_then_uploads_the_month_with_the_index_last() {
        let d = Destination::open(Path::new("memory:///reports/"), &BTreeMap::new()).unwrap();
        let month = d.dir().join("2026-10");
        std::fs::create_dir_all(month.join("charts")).unwrap();
        for f in [
            "summary.json",
            "index.html",
            "service-email.html",
            "charts/a.svg",
        ] {
            std::fs::write(month.join(f), f).unwrap();
        }
        assert_eq!(
            d.shown(&month.join("index.html")),
            Path::new("memory:///reports/2026-10/index.html")
        );
        assert_eq!(d.publish("2026-10").unwrap(), 4);
        let store = &d.remote.as_ref().unwrap().store;
        let got = store.get("2026-10/charts/a.svg").unwrap().unwrap();
        assert_eq!(&got[..], b"charts/a.svg");
        assert!(store.get("2026-10/summary.json").unwrap().is_some());
        assert_eq!(
            content_type(Path::new("x/index.html")),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(content_type(Path::new("x/notes")), None);
    }
}
