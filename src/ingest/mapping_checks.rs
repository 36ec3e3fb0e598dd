//! The checks of what every mapping reads with, ticket or history mapping alike: timestamp
//! formats that ingest can read, source column names, value-map keys that the lookups tell
//! apart, and the field limit. Each names the key to set and what to do, so that no mapping
//! mistake reaches polars (whose errors name its plan, not the mapping).

use std::collections::BTreeMap;
use std::path::Path;

use super::mapping::Mapping;
use super::timestamps::check_format;
use crate::error::{Error, Result};

impl Mapping {
    /// The checks of what every mapping reads with: its timestamp formats, its source column
    /// names, its value-map spellings and its field limit.
    pub(super) fn validate_reading(&self, path: &Path) -> Result<()> {
        let err = |key: &str, message: String| Error::Config {
            path: path.into(),
            key: key.into(),
            message,
        };
        if self.timestamp_formats.is_empty() {
            return Err(err(
                "timestamp-formats",
                "list at least one chrono format of the export's timestamps, e.g. \
                 [\"%Y-%m-%d %H:%M:%S\"] (local times, read in `timezone`) or \
                 [\"%Y-%m-%dT%H:%M:%S%:z\"] (with their UTC offset)"
                    .into(),
            ));
        }
        for f in &self.timestamp_formats {
            check_format(f).map_err(|m| err("timestamp-formats", m))?;
        }
        for (canon, src) in &self.columns {
            if src.candidates().iter().all(|c| c.trim().is_empty()) {
                return Err(err(
                    &format!("columns.{canon}"),
                    "name the export's column: a header name, or a list of candidate names".into(),
                ));
            }
        }
        // Spellings the lookups see as one (trimmed, lower-cased) must agree.
        same_spellings_agree(&self.values.priority, "values.priority", &err)?;
        same_spellings_agree(&self.values.status, "values.status", &err)?;
        same_spellings_agree(&self.values.kind, "values.kind", &err)?;
        if self.max_field_bytes == 0 {
            return Err(err(
                "max-field-bytes",
                "must be at least 1 (the default is 1048576, 1 MiB)".into(),
            ));
        }
        Ok(())
    }
}

/// An error when two keys of a value map are the same spelling (compared trimmed and
/// case-insensitively, as the lookups compare them) with different values; the same
/// spelling twice with one value is harmless (`mapping suggest` writes such keys).
fn same_spellings_agree<T: PartialEq + std::fmt::Debug>(
    map: &BTreeMap<String, T>,
    section: &str,
    err: &dyn Fn(&str, String) -> Error,
) -> Result<()> {
    let mut seen: BTreeMap<String, (&str, &T)> = BTreeMap::new();
    for (k, v) in map {
        match seen.get(&k.trim().to_lowercase()) {
            Some((first, w)) if *w != v => {
                return Err(err(
                    &format!("{section}.{k}"),
                    format!(
                        "`{first}` and `{k}` are one spelling (keys match ignoring case and \
                         surrounding spaces) but map to {w:?} and {v:?}; keep one of them"
                    ),
                ));
            }
            _ => {
                seen.insert(k.trim().to_lowercase(), (k, v));
            }
        }
    }
    Ok(())
}
