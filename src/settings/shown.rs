//! The record of what a command resolved, printed by `--show-settings`: `key = value  #
//! origin` lines as TOML, or JSON with `--json`.

use serde::Serialize;

/// What a command resolved, for `--show-settings`: `key = value  # origin` lines.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    /// The command the settings are for.
    pub command: String,
    entries: Vec<(String, serde_json::Value, String)>,
}

impl Shown {
    /// A new record of settings for `command`.
    pub fn new(command: &str) -> Shown {
        Shown {
            command: command.to_string(),
            entries: Vec::new(),
        }
    }

    /// Record `key` (dotted, TOML style) with its value and where it came from.
    pub fn add(&mut self, key: &str, value: impl Serialize, origin: impl Into<String>) {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.entries.push((key.to_string(), value, origin.into()));
    }

    /// The settings as TOML, each value followed by its origin; unset values are comments.
    pub fn to_toml(&self) -> String {
        let mut out = format!("# ticketlake {}: resolved settings\n", self.command);
        for (key, value, origin) in &self.entries {
            let text = match toml_value(value) {
                Some(v) => format!("{key} = {v}"),
                None => format!("# {key} is not set"),
            };
            out.push_str(&format!("{text:<48} # {origin}\n"));
        }
        out
    }

    /// The settings as JSON: `{"command", "settings": {key: {"value", "origin"}}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let settings: serde_json::Map<String, serde_json::Value> = self
            .entries
            .iter()
            .map(|(k, v, o)| (k.clone(), serde_json::json!({"value": v, "origin": o})))
            .collect();
        serde_json::json!({"command": self.command, "settings": settings})
    }
}

/// A JSON value as an inline TOML value (`None` for null, which TOML cannot write).
fn toml_value(v: &serde_json::Value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let t: toml::Value = serde_json::from_value(v.clone()).ok()?;
    Some(t.to_string())
}
