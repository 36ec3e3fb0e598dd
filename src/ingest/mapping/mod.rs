//! The mapping: how a source's columns and values become canonical ones. The generic adapter
//! reads it from a TOML file; the vendor adapters build it in code, so every source goes
//! through the same normaliser.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::raw::RawTable;
use crate::error::{Error, Result};

use crate::dataset::schema::{
    CI_COLUMNS, CI_KIND, CI_RELATION_COLUMNS, CI_RELATION_KIND, HISTORY_KIND,
};

// The checks of a loaded mapping, per kind (tickets, history, CMDB).
mod validate;

/// File format of a generic export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Delimited text with a header row.
    #[default]
    Csv,
    /// One JSON object per line.
    Ndjson,
}

/// Text encoding of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252 (what Excel on Windows writes as "CSV").
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
}

/// What to do with a local time that occurs twice at a DST change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Ambiguous {
    /// Reject the row (the default: promise 6).
    #[default]
    Reject,
    /// Take the first occurrence (summer time).
    Earliest,
    /// Take the second occurrence (winter time).
    Latest,
}

/// What to do with a local time that does not exist (skipped by a DST change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NonExistent {
    /// Reject the row (the default: promise 6).
    #[default]
    Reject,
    /// Read the time with the offset in force before the gap: it moves forward by the gap's
    /// own length (30 minutes, an hour, two hours), as an unchanged clock would show it.
    ShiftForward,
}

/// One canonical column's source: a single column name or candidates tried in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SourceColumn {
    /// `ticket_id = "id"`
    One(String),
    /// `ticket_id = ["number", "Number"]`: the first present wins.
    Any(Vec<String>),
}

impl SourceColumn {
    /// The candidate names in order of preference.
    pub fn candidates(&self) -> Vec<&str> {
        match self {
            SourceColumn::One(s) => vec![s.as_str()],
            SourceColumn::Any(v) => v.iter().map(String::as_str).collect(),
        }
    }

    /// The column of `table` this source reads: the first candidate present (each matched
    /// as [`RawTable::column_index`] does).
    pub fn index_in(&self, table: &RawTable) -> Option<usize> {
        self.candidates()
            .into_iter()
            .find_map(|c| table.column_index(c))
    }
}

/// Value maps from source spellings to canonical values. Keys are matched after trimming
/// and lower-casing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueMaps {
    /// Source priority spelling to 1..5.
    #[serde(default)]
    pub priority: BTreeMap<String, i32>,
    /// Source status spelling to a canonical status.
    #[serde(default)]
    pub status: BTreeMap<String, String>,
    /// Source kind spelling to a canonical kind.
    #[serde(default)]
    pub kind: BTreeMap<String, String>,
    /// Ticket-id prefix (for example `INC`) to a canonical kind, used when there is no kind
    /// column.
    #[serde(default, rename = "kind-prefix")]
    pub kind_prefix: BTreeMap<String, String>,
}

/// A complete description of how to read one source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Mapping {
    /// The value of `tickets.source` for rows from this mapping (required, except in a
    /// history mapping, whose changes take the source of their tickets).
    #[serde(default)]
    pub source: String,
    /// File format.
    #[serde(default)]
    pub format: Format,
    /// Field delimiter for CSV (one byte).
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Text encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// IANA time zone of naive timestamps; the CLI's `--tz` overrides it. Values read by a
    /// format with an offset are instants, in no zone.
    pub timezone: Option<String>,
    /// chrono `strftime` formats tried in order for every timestamp column (at least one;
    /// see [`timestamps`](super::timestamps) for offset and naive formats).
    #[serde(default)]
    pub timestamp_formats: Vec<String>,
    /// Spellings that mean "no value" (compared after trimming; the empty string always is).
    #[serde(default)]
    pub null_values: Vec<String>,
    /// Policy for ambiguous local times.
    #[serde(default)]
    pub dst_ambiguous: Ambiguous,
    /// Policy for non-existent local times.
    #[serde(default)]
    pub dst_nonexistent: NonExistent,
    /// The kind of every row when there is no kind column and no prefix matches; `history`
    /// makes this a mapping of a flat history export (see [`Mapping::is_history`]).
    pub kind: Option<String>,
    /// In a history mapping with a `field` column: the field name whose rows are status
    /// changes (compared trimmed and case-insensitively; default `status`).
    pub status_field: Option<String>,
    /// In a history mapping: spellings of the status column that are not status changes
    /// (an activity log's `Note added`); their rows are skipped and counted.
    #[serde(default)]
    pub skip_values: Vec<String>,
    /// Largest field accepted, in bytes; a larger one rejects the row.
    #[serde(default = "default_max_field")]
    pub max_field_bytes: usize,
    /// Copy `closed_at` into a missing `resolved_at` of a resolved or closed ticket. Off by
    /// default: `closed_at` is usually an automatic close days after the resolution, so an
    /// imputed value inflates MTTR (promise 11). Off, such tickets keep a NULL `resolved_at`
    /// and the flag `closed_without_resolution`.
    #[serde(default)]
    pub resolved_from_closed: bool,
    /// Canonical column to source column(s).
    pub columns: BTreeMap<String, SourceColumn>,
    /// Value maps.
    #[serde(default)]
    pub values: ValueMaps,
    /// Whether the common spellings of priorities, statuses and kinds (`P1`, `2 - High`,
    /// `Work in Progress`, `Canceled`, …; see [`vocabulary`](super::vocabulary)) are read
    /// besides `values`. On for mapping files (`common-vocabulary = false` turns it off);
    /// off for the vendors' built-in mappings, which list their vendor's own spellings.
    #[serde(default = "yes")]
    pub common_vocabulary: bool,
    /// The mapping file this was read from (for messages that name its keys); `None` for a
    /// vendor's built-in mapping.
    #[serde(skip)]
    pub file: Option<std::path::PathBuf>,
}

fn yes() -> bool {
    true
}

fn default_delimiter() -> String {
    ",".into()
}

fn default_max_field() -> usize {
    1 << 20
}

impl Mapping {
    /// A built-in vendor mapping: UTF-8, comma-separated, the default DST policies and field
    /// limit; what differs between vendors is passed in.
    pub fn vendor(
        source: &str,
        columns: BTreeMap<String, SourceColumn>,
        timestamp_formats: Vec<String>,
        null_values: Vec<String>,
        values: ValueMaps,
    ) -> Mapping {
        Mapping {
            source: source.into(),
            format: Default::default(),
            delimiter: default_delimiter(),
            encoding: Default::default(),
            timezone: None,
            timestamp_formats,
            null_values,
            dst_ambiguous: Default::default(),
            dst_nonexistent: Default::default(),
            kind: None,
            status_field: None,
            skip_values: Vec::new(),
            max_field_bytes: default_max_field(),
            resolved_from_closed: false,
            columns,
            values,
            common_vocabulary: false,
            file: None,
        }
    }

    /// Read and validate a mapping file.
    pub fn load(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(Error::io("reading mapping", path))?;
        let mut mapping: Mapping = toml::from_str(&text).map_err(|e| Error::Config {
            path: path.into(),
            key: e
                .span()
                .map(|s| key_at(&text, s.start))
                .unwrap_or_else(|| "-".into()),
            message: match e.message().trim() {
                "duplicate key" => {
                    "the key is set twice (a column mapped twice?): keep one; see the mapping \
                     reference in README.md"
                        .to_string()
                }
                m => format!("{m}; see the mapping reference in README.md"),
            },
        })?;
        mapping.validate(path)?;
        mapping.file = Some(path.into());
        Ok(mapping)
    }

    /// Whether this mapping reads a flat history export (`kind = "history"`): one row per
    /// change of a ticket, not tickets.
    pub fn is_history(&self) -> bool {
        self.kind.as_deref() == Some(HISTORY_KIND)
    }

    /// The columns of a CMDB mapping (`kind = "ci"` or `kind = "ci_relation"`), `None` for
    /// a mapping of tickets or history.
    pub fn cmdb_columns(&self) -> Option<&'static [&'static str]> {
        match self.kind.as_deref() {
            Some(CI_KIND) => Some(CI_COLUMNS),
            Some(CI_RELATION_KIND) => Some(CI_RELATION_COLUMNS),
            _ => None,
        }
    }

    /// The delimiter as a byte.
    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.as_bytes()[0]
    }
}

/// Where byte `at` of a TOML text is, for a parse error: its key (dotted with the table it
/// is in, when the line has one) and line.
fn key_at(text: &str, at: usize) -> String {
    let head = &text[..at.min(text.len())];
    let line_no = head.matches('\n').count() + 1;
    let start = head.rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let Some((key, _)) = line.split_once('=') else {
        return format!("line {line_no}");
    };
    let table = head[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    let key = key.trim().trim_matches('"');
    match table {
        Some(t) => format!("{t}.{key} (line {line_no})"),
        None => format!("{key} (line {line_no})"),
    }
}
