//! Shared by the vendor adapters whose exports carry status history next to the ticket (the
//! Jira changelog, Zendesk audits): offset timestamps made UTC, and a ticket's current state
//! expanded into one snapshot per status change, so the event-log machinery (latest snapshot
//! wins; the sequence of statuses becomes `status_intervals`) serves every vendor.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The text format of UTC timestamps after [`utc`].
pub const UTC_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// An ISO 8601 instant with an offset (`2026-02-25T22:17:00.000+0000`, `…Z`) as naive UTC
/// text; anything else is returned unchanged, so normalisation rejects it with its line.
pub fn utc(s: &str) -> String {
    let t = s.trim();
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%z",
    ] {
        if let Ok(d) = chrono::DateTime::parse_from_str(t, f) {
            return d
                .with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string();
        }
    }
    if let Ok(d) = t.parse::<chrono::DateTime<chrono::Utc>>() {
        return d.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    }
    s.to_string()
}

/// One status change: when, from what, to what (vendor spellings).
#[derive(Debug, Clone)]
pub struct Change {
    /// When (vendor text; made UTC by the caller's [`utc`]).
    pub at: String,
    /// Status before.
    pub from: Option<String>,
    /// Status after.
    pub to: String,
}

/// Status changes per ticket id.
pub type Changes = BTreeMap<String, Vec<Change>>;

/// Ticket ids whose rows carry real history (at least one status change); the others get
/// intervals derived from their timestamps, like any export without history.
pub type WithHistory = std::collections::BTreeSet<String>;

/// The rows for one ticket: its state at creation (the first change's `from`), one snapshot
/// per change, then the current state last, so the current state wins the merge.
pub fn expand(
    current: Map<String, Value>,
    changes: &[Change],
    keys: (&str, &str, &str),
) -> Vec<Value> {
    let (status, updated, created) = keys;
    let mut rows = Vec::new();
    let mut changes: Vec<&Change> = changes.iter().collect();
    changes.sort_by_cached_key(|c| utc(&c.at));
    if let (Some(first), Some(c)) = (changes.first(), current.get(created))
        && let Some(from) = &first.from
    {
        let mut row = current.clone();
        row.insert(status.into(), Value::String(from.clone()));
        row.insert(updated.into(), c.clone());
        rows.push(Value::Object(row));
    }
    for ch in changes {
        let mut row = current.clone();
        row.insert(status.into(), Value::String(ch.to.clone()));
        row.insert(updated.into(), Value::String(utc(&ch.at)));
        rows.push(Value::Object(row));
    }
    rows.push(Value::Object(current));
    rows
}

/// A string field at a JSON pointer, numbers and booleans as text.
pub fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_utc() {
        assert_eq!(
            utc("2026-02-25T22:17:00.000+0000"),
            "2026-02-25 22:17:00.000000"
        );
        assert_eq!(
            utc("2026-02-25T23:17:00.000+0100"),
            "2026-02-25 22:17:00.000000"
        );
        assert_eq!(utc("2026-02-25T22:17:00Z"), "2026-02-25 22:17:00.000000");
        assert_eq!(utc("yesterday"), "yesterday");
    }
}
