//! The checks of a mapping file when it is loaded, before any file is read: those every
//! kind shares (delimiter, zone, formats, limits) and those of its kind (tickets, a history
//! export, a CMDB export). Each error names the mapping file and the key to fix.

use std::path::Path;

use super::Mapping;
use crate::dataset::schema::{
    CI_KIND, CI_RELATION_KIND, HISTORY_COLUMNS, HISTORY_KIND, KINDS, STATUSES, canonical_columns,
};
use crate::error::{Error, Result, quote};
use crate::time::parse_tz;

impl Mapping {
    /// The checks of a CMDB mapping: a source name, its own columns, the required ones, a
    /// timestamp format when `updated_at` is read, and no value maps.
    fn validate_cmdb(&self, path: &Path, columns: &[&str]) -> Result<()> {
        let err = |key: &str, message: String| Error::Config {
            path: path.into(),
            key: key.into(),
            message,
        };
        let kind = self.kind.as_deref().unwrap_or_default();
        if self.source.trim().is_empty() {
            return Err(err(
                "source",
                "name the source, e.g. source = \"glpi\" (the value of config_items.source)".into(),
            ));
        }
        if let Some(key) = self.columns.keys().find(|k| !columns.contains(&k.as_str())) {
            return Err(err(
                &format!("columns.{key}"),
                format!(
                    "not a column of a kind = \"{kind}\" mapping; expected: {}",
                    columns.join(", ")
                ),
            ));
        }
        let required: &[&str] = if kind == CI_KIND {
            &["name"]
        } else {
            &["parent", "child"]
        };
        for r in required {
            if !self.columns.contains_key(*r) {
                return Err(err(
                    "columns",
                    format!("a kind = \"{kind}\" mapping must name a source column for `{r}`"),
                ));
            }
        }
        if self.columns.contains_key("updated_at") && self.timestamp_formats.is_empty() {
            return Err(err(
                "timestamp-formats",
                "list the chrono format(s) of updated_at, e.g. \"%Y-%m-%d %H:%M:%S\"".into(),
            ));
        }
        let v = &self.values;
        if !(v.priority.is_empty()
            && v.status.is_empty()
            && v.kind.is_empty()
            && v.kind_prefix.is_empty())
        {
            return Err(err(
                "values",
                format!("a kind = \"{kind}\" mapping has no value maps: remove [values]"),
            ));
        }
        Ok(())
    }

    /// Check the mapping's internal consistency; `path` is used in messages.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let err = |key: &str, message: String| Error::Config {
            path: path.into(),
            key: key.into(),
            message,
        };
        if self.is_history() {
            self.validate_history(path)?;
        } else if let Some(columns) = self.cmdb_columns() {
            self.validate_cmdb(path, columns)?;
        } else {
            self.validate_tickets(path)?;
        }
        if self.delimiter.len() != 1 || ["\"", "\n", "\r"].contains(&self.delimiter.as_str()) {
            return Err(err(
                "delimiter",
                "must be a single byte other than a quote or a line break, such as \",\", \";\" \
                 or \"\\t\""
                    .into(),
            ));
        }
        for (k, v) in &self.values.status {
            if !STATUSES.contains(&v.as_str()) {
                return Err(err(
                    &format!("values.status.{k}"),
                    format!("`{}` is not one of {}", quote(v), STATUSES.join(", ")),
                ));
            }
        }
        if let Some(tz) = &self.timezone {
            parse_tz(tz).map_err(|m| err("timezone", m))?;
        }
        self.validate_reading(path)
    }

    /// The checks of a history mapping: its own columns, a status column or a field/to
    /// pair, and only a status value map.
    fn validate_history(&self, path: &Path) -> Result<()> {
        let err = |key: &str, message: String| Error::Config {
            path: path.into(),
            key: key.into(),
            message,
        };
        let has = |c: &str| self.columns.contains_key(c);
        if let Some(key) = self
            .columns
            .keys()
            .find(|k| !HISTORY_COLUMNS.contains(&k.as_str()))
        {
            return Err(err(
                &format!("columns.{key}"),
                format!(
                    "not a column of a history mapping (kind = \"history\"); expected: {}",
                    HISTORY_COLUMNS.join(", ")
                ),
            ));
        }
        for required in ["ticket_id", "changed_at"] {
            if !has(required) {
                return Err(err(
                    "columns",
                    format!("a history mapping must name a source column for `{required}`"),
                ));
            }
        }
        match (has("status"), has("field"), has("to")) {
            (true, false, false) | (false, true, true) => {}
            _ => {
                return Err(err(
                    "columns",
                    "a history mapping names either `status` (the status after each row) or \
                     `field` and `to` (rows of other fields are skipped), not both"
                        .into(),
                ));
            }
        }
        if self.status_field.is_some() && !has("field") {
            return Err(err(
                "status-field",
                "only a history mapping with a `field` column uses status-field".into(),
            ));
        }
        if self.timestamp_formats.is_empty() {
            return Err(err(
                "timestamp-formats",
                "list the chrono format(s) of the change times, e.g. \"%Y-%m-%dT%H:%M:%S%.f%z\""
                    .into(),
            ));
        }
        let values = &self.values;
        if !values.priority.is_empty() || !values.kind.is_empty() || !values.kind_prefix.is_empty()
        {
            return Err(err(
                "values",
                "a history mapping maps statuses only: keep [values.status], remove the others"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The checks of a ticket mapping: a source name, canonical columns, the required ones,
    /// and the kind and priority maps.
    fn validate_tickets(&self, path: &Path) -> Result<()> {
        let err = |key: &str, message: String| Error::Config {
            path: path.into(),
            key: key.into(),
            message,
        };
        if self.source.trim().is_empty() {
            return Err(err(
                "source",
                "name the source, e.g. source = \"glpi\" (the value of tickets.source)".into(),
            ));
        }
        if self.status_field.is_some() || !self.skip_values.is_empty() {
            return Err(err(
                if self.status_field.is_some() {
                    "status-field"
                } else {
                    "skip-values"
                },
                "only a history mapping (kind = \"history\") uses this key".into(),
            ));
        }
        for key in self.columns.keys() {
            if !canonical_columns().any(|c| c == key) {
                return Err(err(
                    &format!("columns.{key}"),
                    format!(
                        "unknown canonical column; expected one of: {}",
                        canonical_columns().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        for required in ["ticket_id", "opened_at"] {
            if !self.columns.contains_key(required) {
                return Err(err(
                    "columns",
                    format!("the mapping must name a source column for `{required}`"),
                ));
            }
        }
        if let Some(k) = self.kind.as_ref().filter(|k| !KINDS.contains(&k.as_str())) {
            return Err(err(
                "kind",
                format!(
                    "`{}` is not one of {}, or `{HISTORY_KIND}` for a flat history export, or \
                     `{CI_KIND}` / `{CI_RELATION_KIND}` for a CMDB export",
                    quote(k),
                    KINDS.join(", ")
                ),
            ));
        }
        for (k, v) in self.values.kind.iter().chain(&self.values.kind_prefix) {
            if !KINDS.contains(&v.as_str()) {
                return Err(err(
                    &format!("values.kind.{k}"),
                    format!("`{}` is not one of {}", quote(v), KINDS.join(", ")),
                ));
            }
        }
        for (k, v) in &self.values.priority {
            if !(1..=5).contains(v) {
                return Err(err(
                    &format!("values.priority.{k}"),
                    "priorities are 1 (highest) to 5".into(),
                ));
            }
        }
        Ok(())
    }
}
