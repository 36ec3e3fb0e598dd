//! Jira Service Management: the issue navigator's CSV export and the REST search JSON
//! (`/rest/api/3/search?expand=changelog`). CSV headers repeat (`Comment`, `Watchers`, …) and
//! are numbered apart; dates follow the exporting user's locale and are detected, never
//! guessed when two readings disagree. The JSON's changelog status items become status
//! history; the JSM SLA fields (CSV text like `-1:30`, JSON `completedCycles`) become the
//! vendor's verdict for `sla-check`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::history::{self, Change, utc};
use super::mapping::{Mapping, ValueMaps};
use super::raw::{RawTable, TextColumn};
use crate::error::{Error, Result};

/// Date formats a Jira CSV export is seen with, in the exporting user's locale.
pub const CSV_DATE_FORMATS: &[&str] = &[
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%y %H:%M",
    "%m/%d/%y %H:%M",
    "%d/%m/%y %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%d.%m.%Y %H:%M",
];

const DATE_COLUMNS: &[&str] = &["Created", "Updated", "Resolved"];

fn values(pairs: &[(&str, &[&str])]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (canonical, spellings) in pairs {
        for s in *spellings {
            m.insert(s.to_string(), canonical.to_string());
        }
    }
    m
}

/// The stock JSM workflows' statuses and issue types; override with `--mapping`.
pub fn mapping(json: bool) -> Mapping {
    let pairs = column_sources(json);
    let pairs: Vec<(&str, &[&str])> = pairs.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    Mapping::vendor(
        "jira",
        super::servicenow::cols(&pairs),
        if json {
            vec![history::UTC_FORMAT.into()]
        } else {
            CSV_DATE_FORMATS.iter().map(|s| s.to_string()).collect()
        },
        vec![],
        ValueMaps {
            priority: priorities(),
            status: statuses(),
            kind: kinds(),
            kind_prefix: BTreeMap::new(),
        },
    )
}

/// Each canonical column's source field: the CSV header(s) to look for, in order, or the
/// REST JSON field.
fn column_sources(json: bool) -> Vec<(&'static str, Vec<&'static str>)> {
    let c = |csv: &[&'static str], js: &'static str| -> Vec<&'static str> {
        if json { vec![js] } else { csv.to_vec() }
    };
    vec![
        ("ticket_id", c(&["Issue key"], "key")),
        ("title", c(&["Summary"], "summary")),
        ("description", c(&["Description"], "description")),
        ("kind", c(&["Issue Type"], "issuetype")),
        ("priority", c(&["Priority"], "priority")),
        ("status", c(&["Status"], "status")),
        ("opened_at", c(&["Created"], "created")),
        ("updated_at", c(&["Updated"], "updated")),
        ("resolved_at", c(&["Resolved"], "resolutiondate")),
        ("assignee", c(&["Assignee"], "assignee")),
        ("requester", c(&["Reporter"], "reporter")),
        (
            "service",
            c(
                &[
                    "Component/s",
                    "Custom field (Affected services)",
                    "Project name",
                ],
                "component",
            ),
        ),
        (
            "assignment_group",
            c(
                &["Custom field (Team)", "Custom field (Assignment group)"],
                "team",
            ),
        ),
        (
            "category",
            c(&["Custom field (Request Type)", "Labels"], "requesttype"),
        ),
        ("vendor_sla_met", c(&["__vendor_sla_met"], "vendor_sla_met")),
        (
            "vendor_sla",
            c(&["Custom field (Time to resolution)"], "vendor_sla"),
        ),
    ]
}

/// Jira's priority names, and the common alternatives (blocker, p1, …), to canonical
/// priorities 1 (highest) to 5.
fn priorities() -> BTreeMap<String, i32> {
    let mut priority = BTreeMap::new();
    for (n, names) in [
        (1, &["highest", "blocker", "critical", "p1", "urgent"][..]),
        (2, &["high", "major", "p2"]),
        (3, &["medium", "normal", "p3"]),
        (4, &["low", "minor", "p4"]),
        (5, &["lowest", "trivial", "p5"]),
    ] {
        for s in names {
            priority.insert(s.to_string(), n);
        }
    }
    priority
}

/// The stock workflows' status names to canonical statuses.
fn statuses() -> BTreeMap<String, String> {
    values(&[
        (
            "new",
            &[
                "open",
                "to do",
                "new",
                "backlog",
                "waiting for support",
                "pending approval",
            ],
        ),
        (
            "in_progress",
            &[
                "in progress",
                "work in progress",
                "escalated",
                "under investigation",
                "investigating",
                "planning",
                "implementing",
                "under review",
                "awaiting implementation",
                "awaiting approval",
            ],
        ),
        (
            "on_hold",
            &[
                "waiting for customer",
                "pending",
                "on hold",
                "waiting for third party",
                "waiting for vendor",
            ],
        ),
        ("resolved", &["resolved"]),
        ("closed", &["closed", "done", "completed", "failed"]),
        (
            "cancelled",
            &["canceled", "cancelled", "declined", "won't do", "rejected"],
        ),
    ])
}

/// The stock issue types to canonical kinds.
fn kinds() -> BTreeMap<String, String> {
    values(&[
        ("incident", &["incident", "[system] incident", "bug"]),
        (
            "request",
            &[
                "service request",
                "service request with approvals",
                "[system] service request",
                "[system] service request with approvals",
                "it help",
                "get it help",
                "task",
                "sub-task",
                "support",
                "question",
            ],
        ),
        ("problem", &["problem", "[system] problem"]),
        (
            "change",
            &[
                "change",
                "[system] change",
                "emergency change",
                "standard change",
                "normal change",
            ],
        ),
    ])
}

/// Number repeated headers apart (`Comment`, `Comment (2)`, …) so each stays a distinct
/// column, and derive the vendor's SLA verdict from `Custom field (Time to resolution)`:
/// a negative remaining time (`-1:30`) on a resolved issue is a breach.
pub fn prepare_csv(t: &mut RawTable) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for h in &mut t.headers {
        let n = seen.entry(h.clone()).or_default();
        *n += 1;
        if *n > 1 {
            *h = format!("{h} ({n})");
        }
    }
    let verdict = t.column("Custom field (Time to resolution)").map(|c| {
        c.map(|_, v| {
            let v = v?.trim();
            let looks = !v.is_empty()
                && v.trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ':');
            looks.then(|| if v.starts_with('-') { "false" } else { "true" }.into())
        })
    });
    t.headers.push("__vendor_sla_met".into());
    t.columns
        .push(verdict.unwrap_or_else(|| TextColumn::nulls(t.len())));
}

/// The one date format that reads every date cell of the export, or a clear error: when two
/// formats both read every cell but disagree (`03/04/26`), the export is ambiguous and the
/// format must be declared.
pub fn detect_format(t: &RawTable, path: &Path, declared: Option<&str>) -> Result<Vec<String>> {
    if let Some(d) = declared {
        return Ok(vec![d.to_string()]);
    }
    let cells: Vec<&str> = DATE_COLUMNS
        .iter()
        .filter_map(|c| t.column(c))
        .flat_map(|c| {
            c.iter()
                .flatten()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    match super::dates::decide_one(&cells, CSV_DATE_FORMATS) {
        // Cells no format reads are rejected with their line by normalisation.
        Ok(Some(f)) => Ok(vec![f.to_string()]),
        // Nothing is readable: every date cell becomes a reject naming the formats tried.
        Ok(None) => Ok(CSV_DATE_FORMATS.iter().map(|s| s.to_string()).collect()),
        Err(undecided) => Err(Error::Input {
            path: path.into(),
            line: None,
            message: undecided
                .message("--date-format (or `date-format` on the source in ticketlake.toml)"),
        }),
    }
}

fn name(v: &Value, pointer: &str) -> Option<Value> {
    history::text(v, pointer).map(Value::String)
}

/// Plain text of a field that is a string or an Atlassian Document Format object.
fn adf_text(v: &Value) -> Option<String> {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => out.push_str(s),
            Value::Object(o) => {
                if let Some(Value::String(t)) = o.get("text") {
                    out.push_str(t);
                }
                if let Some(Value::Array(a)) = o.get("content") {
                    for c in a {
                        walk(c, out);
                    }
                    if o.get("type").and_then(Value::as_str) == Some("paragraph") {
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
    let mut s = String::new();
    walk(v, &mut s);
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// The vendor's verdict from a JSM SLA field (`completedCycles[].breached`).
fn sla_verdict(fields: &Map<String, Value>) -> Option<Value> {
    let slas: Vec<&Value> = fields
        .values()
        .filter(|v| v.get("completedCycles").is_some() || v.get("ongoingCycle").is_some())
        .collect();
    let pick = slas
        .iter()
        .find(|v| {
            v.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.to_lowercase().contains("resolution"))
        })
        .or(slas.first())?;
    let cycles = pick.get("completedCycles")?.as_array()?;
    if cycles.is_empty() {
        return None;
    }
    let breached = cycles
        .iter()
        .any(|c| c.get("breached").and_then(Value::as_bool) == Some(true));
    Some(Value::String((!breached).to_string()))
}

/// Flatten a search response into rows: per issue its snapshots (one per status change in
/// the changelog) and its current state.
pub fn flatten_json(doc: Value, path: &Path) -> Result<(Vec<Value>, history::WithHistory)> {
    let issues = issues_of(doc, path)?;
    let mut rows = Vec::new();
    let mut with_history = history::WithHistory::new();
    for issue in issues {
        let Some(fields) = issue.get("fields").and_then(Value::as_object) else {
            // Kept as a row so normalisation rejects it with its record number.
            rows.push(issue);
            continue;
        };
        let cur = current_state(&issue, fields);
        let list = status_changes(&issue);
        if !list.is_empty()
            && let Some(k) = history::text(&issue, "/key")
        {
            with_history.insert(k);
        }
        rows.extend(history::expand(
            cur,
            &list,
            ("status", "updated", "created"),
        ));
    }
    Ok((rows, with_history))
}

/// The issues of a search response (or of a bare array of issues).
fn issues_of(doc: Value, path: &Path) -> Result<Vec<Value>> {
    match doc {
        Value::Object(mut o) => match o.remove("issues") {
            Some(Value::Array(a)) => Ok(a),
            _ => Err(Error::Input {
                path: path.into(),
                line: None,
                message: "a Jira JSON export holds its issues in an `issues` array (/rest/api/3/search?expand=changelog)".into(),
            }),
        },
        Value::Array(a) => Ok(a),
        _ => Err(Error::Input {
            path: path.into(),
            line: None,
            message: "expected a JSON object with `issues`".into(),
        }),
    }
}

/// The issue's current state as one flat row under the names the JSON mapping reads;
/// timestamps in UTC.
fn current_state(issue: &Value, fields: &Map<String, Value>) -> Map<String, Value> {
    let mut cur = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        cur.insert(k.into(), v.unwrap_or(Value::Null));
    };
    put("key", name(issue, "/key"));
    put("summary", name(issue, "/fields/summary"));
    put(
        "description",
        fields
            .get("description")
            .and_then(adf_text)
            .map(Value::String),
    );
    put("issuetype", name(issue, "/fields/issuetype/name"));
    put("priority", name(issue, "/fields/priority/name"));
    put("status", name(issue, "/fields/status/name"));
    put(
        "statusCategory",
        name(issue, "/fields/status/statusCategory/key"),
    );
    for (k, f) in [
        ("created", "created"),
        ("updated", "updated"),
        ("resolutiondate", "resolutiondate"),
    ] {
        put(
            k,
            history::text(issue, &format!("/fields/{f}")).map(|s| Value::String(utc(&s))),
        );
    }
    put("assignee", name(issue, "/fields/assignee/displayName"));
    put("reporter", name(issue, "/fields/reporter/displayName"));
    put("component", name(issue, "/fields/components/0/name"));
    put(
        "requesttype",
        name(issue, "/fields/customfield_10010/requestType/name")
            .or_else(|| name(issue, "/fields/labels/0")),
    );
    put("team", name(issue, "/fields/customfield_10001/name"));
    put("vendor_sla_met", sla_verdict(fields));
    // The JSM SLA fields as exported, for analysts and a later cross-check.
    let slas: Map<String, Value> = fields
        .iter()
        .filter(|(_, v)| v.get("completedCycles").is_some() || v.get("ongoingCycle").is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    put(
        "vendor_sla",
        (!slas.is_empty()).then(|| Value::String(Value::Object(slas).to_string())),
    );
    cur
}

/// The issue's status changes from its changelog, in changelog order.
fn status_changes(issue: &Value) -> Vec<Change> {
    let mut list: Vec<Change> = Vec::new();
    for h in issue
        .pointer("/changelog/histories")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for item in h
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if item.get("field").and_then(Value::as_str) == Some("status")
                && let (Some(at), Some(to)) = (
                    history::text(h, "/created"),
                    history::text(item, "/toString"),
                )
            {
                list.push(Change {
                    at,
                    from: history::text(item, "/fromString"),
                    to,
                });
            }
        }
    }
    list
}
