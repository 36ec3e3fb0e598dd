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
        let v = &self.values;
        let spellings = [
            ("status", same_spelling(&v.status)),
            ("priority", same_spelling(&v.priority)),
            ("kind", same_spelling(&v.kind)),
        ];
        for (map, twice) in spellings {
            if let Some((a, b)) = twice {
                return Err(err(
                    &format!("values.{map}.{b}"),
                    format!(
                        "`{a}` and `{b}` are one spelling (keys match ignoring case and \
                         surrounding spaces); keep one of them"
                    ),
                ));
            }
        }
        if self.max_field_bytes == 0 {
            return Err(err(
                "max-field-bytes",
                "must be at least 1 (the default is 1048576, 1 MiB)".into(),
            ));
        }
        Ok(())
    }
}

/// Two keys of a value map that are one spelling to the lookups (trimmed, lower-cased).
fn same_spelling<T>(map: &BTreeMap<String, T>) -> Option<(&str, &str)> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    map.keys().find_map(|k| {
        seen.insert(k.trim().to_lowercase(), k)
            .map(|first| (first, k.as_str()))
    })
}
