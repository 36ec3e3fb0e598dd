//! The versioned manifest: the single list of live files and the ingest history. A version is
//! published by renaming its manifest into `_manifest/`; readers take the highest version and
//! register only the files it names, never a directory glob (promise 3).

use super::Location;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Manifest format marker.
pub const FORMAT: &str = "ticketlake-dataset";
/// Manifest format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Directory of manifests inside the dataset.
pub const MANIFEST_DIR: &str = "_manifest";

/// One Parquet file of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataFile {
    /// Path relative to the dataset root.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// The live files of one table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableFiles {
    /// Files, in read order.
    pub files: Vec<DataFile>,
}

impl TableFiles {
    /// Total rows across the files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// Row accounting and findings for one input file of an ingest (promise 1).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    /// The path as given on the command line.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Adapter and recognised shape, e.g. `servicenow/list-csv`.
    pub shape: String,
    /// `loaded`, or `duplicate` when the same bytes were ingested before.
    pub outcome: String,
    /// The ingest that already holds these bytes, for duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Data records read (header excluded).
    pub records_read: u64,
    /// Records that passed validation.
    pub loaded: u64,
    /// Records rejected (see the `rejects` table).
    pub rejected: u64,
    /// Loaded records that lost to a newer version of the same ticket.
    pub superseded: u64,
    /// Loaded records that carry data-quality flags.
    pub flagged: u64,
    /// Records of a history file that are not status changes (other fields), skipped:
    /// then `records_read = loaded + skipped + rejected`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped: u64,
    /// Mapped columns the file lacks.
    #[serde(default)]
    pub missing_columns: Vec<String>,
    /// File columns no mapping uses.
    #[serde(default)]
    pub extra_columns: Vec<String>,
    /// Other notes.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Every option that changes how the file is read (adapter, mapping hash, zones,
    /// encoding, date format, value maps, imputation): the same bytes read with other
    /// options are not a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_options: Option<serde_json::Value>,
    /// The ingest whose contribution of this file (the same bytes, or with `--replace` the
    /// same path) this one supersedes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// Rows of that earlier contribution that this file's rows replaced.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replaced: u64,
    /// Set on an earlier file once a later ingest superseded its contribution: its rows
    /// lost to the later read, and its rejects are hidden by `ticketlake rejects`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl FileRecord {
    /// Whether the file contributed rows or history (rather than being a duplicate).
    pub fn contributed(&self) -> bool {
        matches!(self.outcome.as_str(), "loaded" | "history")
    }

    /// The outcome for people: `loaded`, `duplicate`, … and what a later or earlier read of
    /// the same file did.
    pub fn outcome_text(&self) -> String {
        let mut s = self.outcome.clone();
        if let Some(i) = &self.replaces {
            s.push_str(&format!(
                " (replaces the read of {i}, {} rows)",
                self.replaced
            ));
        }
        if let Some(i) = &self.replaced_by {
            s.push_str(&format!(" (replaced by {i})"));
        }
        s
    }

    /// Whether the file still counts: it contributed and no later ingest superseded it.
    pub fn live(&self) -> bool {
        self.contributed() && self.replaced_by.is_none()
    }
}

/// Whether a count is zero (counts that only some files have are left out then).
pub fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One committed ingest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IngestRecord {
    /// Deterministic id: `ing-` plus the version it created.
    pub ingest_id: String,
    /// The dataset version it created.
    pub version: u64,
    /// When it was committed (UTC, RFC 3339).
    pub committed_at: String,
    /// The source adapter.
    pub source: String,
    /// Per-file accounting.
    pub files: Vec<FileRecord>,
    /// Rows of earlier ingests replaced by newer versions from this one.
    pub displaced: u64,
}

/// A dataset version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] for this build.
    pub format_version: u32,
    /// Monotonic version number; 0 is the empty dataset.
    pub version: u64,
    /// Commit time (UTC, RFC 3339).
    pub committed_at: String,
    /// Live files per table.
    pub tables: BTreeMap<String, TableFiles>,
    /// Every ingest up to this version, oldest first.
    pub ingests: Vec<IngestRecord>,
    /// The last `build` of the derived tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildRecord>,
}

/// What the last build of derived tables used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BuildRecord {
    /// The version the build created.
    pub version: u64,
    /// The as-of instant of in-progress clocks (UTC, RFC 3339).
    pub as_of: String,
    /// SLA names evaluated.
    pub slas: Vec<String>,
    /// Incidents considered for recurring problems.
    #[serde(default)]
    pub incidents: u64,
    /// Incidents whose title and description carry no signal after normalisation.
    #[serde(default)]
    pub uninformative_incidents: u64,
    /// Recurring-problem candidates committed.
    #[serde(default)]
    pub problem_candidates: u64,
    /// Of the uninformative incidents, those with no title and no description at all.
    #[serde(default)]
    pub incidents_without_text: u64,
    /// The commonest uninformative text, quoted by the data-quality report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninformative_example: Option<String>,
    /// Statistical findings committed in `insights`, and the window they examined (RFC 3339
    /// start and exclusive end).
    #[serde(default)]
    pub insights: u64,
    /// The window of those findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_window: Option<(String, String)>,
}

impl Manifest {
    /// The version an ingest commits after this one: its `tables`, this history with its
    /// `record` added, the last build kept.
    pub fn after_ingest(
        &self,
        tables: BTreeMap<String, TableFiles>,
        ingests: Vec<IngestRecord>,
        record: IngestRecord,
    ) -> Manifest {
        let mut ingests = ingests;
        let (version, committed_at) = (record.version, record.committed_at.clone());
        ingests.push(record);
        Manifest {
            version,
            committed_at,
            tables,
            ingests,
            build: self.build.clone(),
            ..Manifest::empty()
        }
    }

    /// The empty dataset, before the first commit.
    pub fn empty() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            version: 0,
            committed_at: String::new(),
            tables: BTreeMap::new(),
            ingests: Vec::new(),
            build: None,
        }
    }

    /// The latest live contribution of a file matching `which` (an ingest that loaded it
    /// and that no later ingest superseded), with the ingest it belongs to.
    pub fn contribution(
        &self,
        which: impl Fn(&FileRecord) -> bool,
    ) -> Option<(&IngestRecord, &FileRecord)> {
        self.ingests.iter().rev().find_map(|i| {
            i.files
                .iter()
                .find(|f| f.live() && which(f))
                .map(|f| (i, f))
        })
    }

    /// Every file whose contribution a later ingest superseded: `(ingest_id, path)` → the
    /// ingest that read it again.
    pub fn replaced_files(&self) -> std::collections::HashMap<(String, String), String> {
        self.ingests
            .iter()
            .flat_map(|i| {
                i.files.iter().filter_map(|f| {
                    let by = f.replaced_by.clone()?;
                    Some(((i.ingest_id.clone(), f.path.clone()), by))
                })
            })
            .collect()
    }

    /// Rows of a table at this version.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables.get(table).map(TableFiles::rows).unwrap_or(0)
    }
}

/// File name of a version's manifest.
pub fn manifest_name(version: u64) -> String {
    format!("v{version:010}.json")
}

fn parse_version(name: &str) -> Option<u64> {
    name.strip_prefix('v')?.strip_suffix(".json")?.parse().ok()
}

/// All published versions, ascending.
pub fn versions(root: &Location) -> Result<Vec<u64>> {
    let mut v: Vec<u64> = root
        .list(MANIFEST_DIR)?
        .iter()
        .filter_map(|e| parse_version(&e.name))
        .collect();
    v.sort_unstable();
    Ok(v)
}

/// A version's manifest, as a path inside the dataset.
pub fn manifest_rel(version: u64) -> String {
    format!("{MANIFEST_DIR}/{}", manifest_name(version))
}

/// Read one version's manifest.
pub fn read_version(root: &Location, version: u64) -> Result<Manifest> {
    let rel = manifest_rel(version);
    let path = root.shown_file(&rel);
    let bytes = root.get(&rel)?.ok_or_else(|| Error::Dataset {
        path: path.clone(),
        message: "the manifest was listed but is gone; another process removed it".into(),
    })?;
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Dataset {
        path: path.clone(),
        message: format!(
            "manifest is not valid ({e}); restore it from backup or remove this version's manifest"
        ),
    })?;
    if m.format != FORMAT || m.format_version > FORMAT_VERSION {
        return Err(Error::Dataset {
            path,
            message: format!(
                "manifest format {} v{} is not readable by this ticketlake (reads {FORMAT} v{FORMAT_VERSION}); upgrade ticketlake",
                m.format, m.format_version
            ),
        });
    }
    Ok(m)
}

/// The current version of the dataset (the empty manifest if nothing was committed yet).
pub fn current(root: &Location) -> Result<Manifest> {
    match versions(root)?.last() {
        Some(&v) => read_version(root, v),
        None => Ok(Manifest::empty()),
    }
}
