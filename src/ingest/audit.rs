//! ServiceNow's audit trail (`sys_audit`: `tablename, fieldname, documentkey, oldvalue,
//! newvalue, sys_created_on`). Given in the same ingest as the ticket export it belongs to,
//! its `state` / `incident_state` changes become the real status history of those tickets and
//! replace the intervals derived from timestamps. `documentkey` is matched against the
//! export's `sys_id` column, or its `number` when the export has no `sys_id`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::history::{Change, Changes, WithHistory};
use super::raw::{RawTable, RawText, Reject, TextColumn};

/// The headers that identify a `sys_audit` export.
const HEADERS: &[&str] = &[
    "tablename",
    "fieldname",
    "documentkey",
    "newvalue",
    "sys_created_on",
];

/// Whether a CSV's first line is a `sys_audit` header (a cheap peek, no full parse).
pub fn looks_like(bytes: &[u8]) -> bool {
    let first = bytes
        .split(|&b| b == b'\n' || b == b'\r')
        .next()
        .unwrap_or_default();
    let head = String::from_utf8_lossy(first).to_ascii_lowercase();
    HEADERS.iter().all(|h| head.contains(h))
}

/// A row of a history file that changes a status: (ticket key, record, line, raw text).
pub type StateRow = (String, u64, Option<u64>, String);

/// A parsed history file (`sys_audit`, a flat history export): every row, with the status
/// changes it holds.
pub struct AuditFile {
    /// Rows read.
    pub read: u64,
    /// Rows that change a status.
    pub state_rows: Vec<StateRow>,
    /// Rejects of the file found while reading it (structural, unparsable values).
    pub rejects: Vec<Reject>,
    /// Rows that are not status changes (other fields of a flat history), counted apart.
    pub skipped: u64,
    /// How the status changes of tickets not in the ingest are rejected.
    pub orphans: Orphans,
}

/// How a history file's orphans (changes of tickets no export of the ingest holds) are
/// rejected: their error type, the key column, and what to do, after the sentence that
/// names the ticket.
#[derive(Debug, Clone)]
pub struct Orphans {
    /// The reject's error type.
    pub error_type: &'static str,
    /// The column that holds the ticket key.
    pub column: String,
    /// The rest of the message.
    pub hint: &'static str,
}

/// How `sys_audit` orphans are rejected.
fn sys_audit_orphans() -> Orphans {
    Orphans {
        error_type: "orphan_audit",
        column: "documentkey".into(),
        hint: " (by sys_id or number); ingest sys_audit together with the export of its table",
    }
}

fn kind_of(table: &str) -> &'static str {
    match table {
        "sc_req_item" | "sc_request" | "sc_task" => "request",
        "change_request" | "change_task" => "change",
        "problem" | "problem_task" => "problem",
        _ => "incident",
    }
}

/// Read the status changes of a parsed `sys_audit` table into `changes`.
pub fn collect(t: &RawTable, changes: &mut Changes) -> AuditFile {
    let col = |n: &str| t.column(n);
    let (Some(table), Some(field), Some(key), Some(new), Some(at)) = (
        col("tablename"),
        col("fieldname"),
        col("documentkey"),
        col("newvalue"),
        col("sys_created_on"),
    ) else {
        return AuditFile {
            read: t.records_read,
            state_rows: Vec::new(),
            rejects: t.rejects.clone(),
            skipped: 0,
            orphans: sys_audit_orphans(),
        };
    };
    let old = col("oldvalue");
    let mut state_rows = Vec::new();
    for i in 0..t.len() {
        if !matches!(field.get(i), Some("state" | "incident_state")) {
            continue;
        }
        let (Some(k), Some(to), Some(when)) = (key.get(i), new.get(i), at.get(i)) else {
            continue;
        };
        let kind = kind_of(table.get(i).unwrap_or("incident"));
        let label =
            |v: &str| super::servicenow::state_label(kind, v).map_or(v.to_string(), String::from);
        changes.entry(k.to_string()).or_default().push(Change {
            at: when.to_string(),
            from: old
                .and_then(|o| o.get(i))
                .filter(|s| !s.is_empty())
                .map(label),
            to: label(to),
        });
        state_rows.push((k.to_string(), t.records[i], t.lines[i], t.raw.get(i)));
    }
    AuditFile {
        read: t.records_read,
        state_rows,
        rejects: t.rejects.clone(),
        skipped: 0,
        orphans: sys_audit_orphans(),
    }
}

/// The history files of one ingest (`sys_audit`, whose changes are vendor text; flat history
/// exports, whose changes are normalised) and the keys their changes were used for.
pub struct Trail<C = Change> {
    /// Status changes per ticket key.
    pub changes: BTreeMap<String, Vec<C>>,
    /// The history files, by path.
    pub files: BTreeMap<PathBuf, AuditFile>,
    /// Keys whose changes a ticket export used.
    pub used: BTreeSet<String>,
}

impl<C> Default for Trail<C> {
    fn default() -> Self {
        Trail {
            changes: BTreeMap::new(),
            files: BTreeMap::new(),
            used: BTreeSet::new(),
        }
    }
}

impl<C> Trail<C> {
    /// Rejects of a history file: those found while reading it, and the status changes of
    /// tickets that were not in the ingest.
    pub fn rejects(&self, path: &Path) -> Vec<Reject> {
        let Some(f) = self.files.get(path) else {
            return Vec::new();
        };
        let mut out = f.rejects.clone();
        for (k, record, line, raw) in &f.state_rows {
            if !self.used.contains(k) {
                out.push(Reject {
                    line: *line,
                    record: *record,
                    column: Some(f.orphans.column.clone()),
                    error_type: f.orphans.error_type,
                    message: format!(
                        "status change of `{}`, which no export in this ingest holds{}",
                        crate::error::quote(k),
                        f.orphans.hint
                    ),
                    raw: raw.clone(),
                });
            }
        }
        out
    }
}

/// Expand a list export with its audit history: for each ticket with changes, its state at
/// creation, one row per change, then the row as exported (last, so it wins).
pub fn expand(t: RawTable, trail: &mut Trail) -> (RawTable, WithHistory) {
    // The columns the list export's mapping reads, so that every header it accepts (field
    // names or display labels) is found here too.
    let m = super::servicenow::mapping(super::servicenow::Shape::ListCsv);
    let first = |canon: &str| m.columns.get(canon).and_then(|c| c.index_in(&t));
    let (Some(status), Some(updated)) = (first("status"), first("updated_at")) else {
        return (t, WithHistory::new());
    };
    let opened = first("opened_at");
    let number = first("ticket_id");
    let sys_id = ["sys_id", "Sys ID"].iter().find_map(|n| t.column_index(n));
    let mut out = RawTable {
        headers: t.headers.clone(),
        columns: vec![TextColumn::default(); t.columns.len()],
        lines: Vec::new(),
        records: Vec::new(),
        raw: RawText::Records(Vec::new()),
        rejects: t.rejects.clone(),
        records_read: t.records_read,
    };
    let mut raws = Vec::new();
    let mut with_history = WithHistory::new();
    let mut push = |out: &mut RawTable, i: usize, over: Option<(String, String)>| {
        for (c, column) in t.columns.iter().enumerate() {
            let v = match &over {
                Some((s, _)) if c == status => Some(s.as_str()),
                Some((_, u)) if c == updated => Some(u.as_str()),
                _ => column.get(i),
            };
            out.columns[c].push(v);
        }
        out.lines.push(t.lines[i]);
        out.records.push(t.records[i]);
        raws.push(t.raw.get(i));
    };
    for i in 0..t.len() {
        let key = [sys_id, number]
            .into_iter()
            .flatten()
            .filter_map(|c| t.columns[c].get(i))
            .find(|k| trail.changes.contains_key(*k))
            .map(String::from);
        if let Some(k) = key {
            let mut list = trail.changes[&k].clone();
            list.sort_by(|a, b| a.at.cmp(&b.at));
            if let (Some(first), Some(o)) = (list.first(), opened.and_then(|c| t.columns[c].get(i)))
                && let Some(from) = &first.from
            {
                push(&mut out, i, Some((from.clone(), o.to_string())));
            }
            for ch in &list {
                push(&mut out, i, Some((ch.to.clone(), ch.at.clone())));
            }
            if let Some(n) = number.and_then(|c| t.columns[c].get(i)) {
                with_history.insert(n.to_string());
            }
            trail.used.insert(k);
        }
        push(&mut out, i, None);
    }
    // Every snapshot is a record of the expanded export (the event-log rule), so read =
    // loaded + rejected still holds.
    out.records_read = t.records_read + (out.records.len() - t.len()) as u64;
    out.raw = RawText::Records(raws);
    (out, with_history)
}
