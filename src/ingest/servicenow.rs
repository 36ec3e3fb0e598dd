//! The ServiceNow adapter. It recognises the three export shapes from their headers (the user
//! never says which): list-view CSV of incident/problem/change_request/sc_req_item, Table API
//! JSON, and the per-update event log. It turns each into the shared [`Mapping`].

use std::collections::BTreeMap;
use std::path::Path;

use super::dates;
use super::mapping::{Mapping, SourceColumn, ValueMaps};
use super::raw::RawTable;
use crate::error::Result;

/// The recognised export shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// List-view CSV export (one row per record, display values).
    ListCsv,
    /// Table API JSON (`{"result": [...]}`).
    TableJson,
    /// Event log: one row per update, with `sys_mod_count`.
    EventLog,
}

/// Recognise the shape from the headers. The event log is the only one with both
/// `incident_state` and `sys_mod_count`.
pub fn detect(table: &RawTable, is_json: bool) -> Shape {
    let has = |h: &str| table.column_index(h).is_some();
    if has("incident_state") && has("sys_mod_count") {
        Shape::EventLog
    } else if is_json {
        Shape::TableJson
    } else {
        Shape::ListCsv
    }
}

pub(crate) fn cols(pairs: &[(&str, &[&str])]) -> BTreeMap<String, SourceColumn> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                SourceColumn::Any(v.iter().map(|s| s.to_string()).collect()),
            )
        })
        .collect()
}

fn priorities() -> BTreeMap<String, i32> {
    let labels = [
        (1, "critical"),
        (2, "high"),
        (3, "moderate"),
        (4, "low"),
        (5, "planning"),
    ];
    let mut m = BTreeMap::new();
    for (n, l) in labels {
        m.insert(format!("{n} - {l}"), n);
        m.insert(n.to_string(), n);
        m.insert(l.to_string(), n);
    }
    m
}

fn statuses() -> BTreeMap<String, String> {
    let groups: &[(&str, &[&str])] = &[
        ("new", &["new", "draft", "open", "pending approval"]),
        (
            "in_progress",
            &[
                "in progress",
                "active",
                "assigned",
                "work in progress",
                "assess",
                "authorize",
                "scheduled",
                "implement",
                "review",
                "root cause analysis",
                "fix in progress",
                "approved",
                "requested",
            ],
        ),
        (
            "on_hold",
            &[
                "on hold",
                "pending",
                "awaiting user info",
                "awaiting caller",
                "awaiting problem",
                "awaiting vendor",
                "awaiting evidence",
                "awaiting change",
                "awaiting customer",
            ],
        ),
        ("resolved", &["resolved", "known error"]),
        (
            "closed",
            &[
                "closed",
                "closed complete",
                "closed incomplete",
                "closed skipped",
                "complete",
            ],
        ),
        (
            "cancelled",
            &["canceled", "cancelled", "closed cancelled", "-100"],
        ),
    ];
    groups
        .iter()
        .flat_map(|(canon, spellings)| {
            spellings
                .iter()
                .map(move |s| (s.to_string(), canon.to_string()))
        })
        .collect()
}

/// Raw `state` integers of the Table API, per table (ServiceNow's out-of-box choice lists).
pub fn state_label(kind: &str, code: &str) -> Option<&'static str> {
    let label = match (kind, code) {
        ("incident", "1") => "New",
        ("incident", "2") => "In Progress",
        ("incident", "3") => "On Hold",
        ("incident", "6") => "Resolved",
        ("incident", "7") => "Closed",
        ("incident", "8") => "Canceled",
        ("change", "-5") => "New",
        ("change", "-4") => "Assess",
        ("change", "-3") => "Authorize",
        ("change", "-2") => "Scheduled",
        ("change", "-1") => "Implement",
        ("change", "0") => "Review",
        ("change", "3") => "Closed",
        ("change", "4") => "Canceled",
        ("problem", "101") => "New",
        ("problem", "102") => "Assess",
        ("problem", "103") => "Root Cause Analysis",
        ("problem", "104") => "Fix in Progress",
        ("problem", "106") => "Resolved",
        ("problem", "107") => "Closed",
        ("request", "1") => "Open",
        ("request", "2") => "Work in Progress",
        ("request", "3") => "Closed Complete",
        ("request", "4") => "Closed Incomplete",
        ("request", "7") => "Closed Skipped",
        _ => return None,
    };
    Some(label)
}

fn kind_prefixes() -> BTreeMap<String, String> {
    [
        ("INC", "incident"),
        ("PRB", "problem"),
        ("CHG", "change"),
        ("RITM", "request"),
        ("REQ", "request"),
        ("SCTASK", "request"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

fn kinds() -> BTreeMap<String, String> {
    [
        ("incident", "incident"),
        ("problem", "problem"),
        ("change_request", "change"),
        ("sc_req_item", "request"),
        ("sc_request", "request"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// How ServiceNow writes dates, per the exporting user's date format (System Properties >
/// glide.sys.date_format), each with and without seconds. The first, ISO, is what list
/// exports of field values and the Table API write.
pub const DATE_READINGS: &[&[&str]] = &[
    &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ],
    &["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"],
    &["%m-%d-%Y %H:%M:%S", "%m-%d-%Y %H:%M"],
    &["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"],
    &["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"],
    &["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"],
];

/// Each canonical column's sources in a list export or the Table API: the field name, then
/// ServiceNow's standard display labels (what an export "with display labels" has as
/// headers). Headers match ignoring case and surrounding spaces.
fn list_columns() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("kind", &["sys_class_name", "Task type", "Class"]),
        ("title", &["short_description", "Short description"]),
        ("description", &["description", "Description"]),
        ("priority", &["priority", "Priority"]),
        ("impact", &["impact", "Impact"]),
        ("urgency", &["urgency", "Urgency"]),
        ("resolved_at", &["resolved_at", "Resolved"]),
        ("closed_at", &["closed_at", "Closed"]),
        (
            "assignment_group",
            &["assignment_group", "Assignment group"],
        ),
        ("assignee", &["assigned_to", "Assigned to"]),
        (
            "service",
            &[
                "business_service",
                "Service",
                "service_offering",
                "Service offering",
            ],
        ),
        ("config_item", &["cmdb_ci", "Configuration item"]),
        ("category", &["category", "Category"]),
        ("subcategory", &["subcategory", "Subcategory"]),
        (
            "requester",
            &[
                "caller_id",
                "Caller",
                "requested_for",
                "Requested for",
                "opened_by",
                "Opened by",
            ],
        ),
        ("location", &["location", "Location"]),
        ("reopen_count", &["reopen_count", "Reopen count"]),
        (
            "reassignment_count",
            &["reassignment_count", "Reassignment count"],
        ),
        ("problem_id", &["problem_id", "Problem"]),
        (
            "caused_by_change",
            &["caused_by", "Caused by Change", "rfc", "Change Request"],
        ),
        ("change_type", &["type", "Type"]),
        (
            "close_code",
            &["close_code", "closed_code", "Close code", "Resolution code"],
        ),
        ("vendor_sla_met", &["made_sla", "Made SLA"]),
        // Set by ServiceNow when an incident is resolved (other tables: when closed), from
        // `opened_at`; `*_stc` ("Resolve time") are the same in plain seconds.
        (
            "vendor_calendar_s",
            &[
                "calendar_duration",
                "Duration",
                "calendar_stc",
                "Resolve time",
            ],
        ),
        (
            "vendor_business_s",
            &[
                "business_duration",
                "Business duration",
                "business_stc",
                "Business resolve time",
            ],
        ),
        ("planned_start", &["start_date", "Planned start date"]),
        ("planned_end", &["end_date", "Planned end date"]),
        ("actual_start", &["work_start", "Actual start"]),
        ("actual_end", &["work_end", "Actual end"]),
        (
            "first_response_at",
            &["u_first_response", "first_response_at"],
        ),
    ]
}

/// The built-in mapping for a shape. Column names are the field names ServiceNow writes in
/// list exports and the Table API; its display labels ("Number", "Opened", "Created",
/// "Assignment group") are accepted too, in any case.
pub fn mapping(shape: Shape) -> Mapping {
    let mut columns = cols(&list_columns());
    let (formats, nulls): (Vec<&str>, Vec<&str>) = match shape {
        Shape::EventLog => {
            columns.extend(cols(&[
                ("ticket_id", &["number"]),
                ("status", &["incident_state"]),
                ("opened_at", &["opened_at"]),
                ("updated_at", &["sys_updated_at"]),
            ]));
            (vec!["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"], vec!["?"])
        }
        Shape::ListCsv | Shape::TableJson => {
            columns.extend(cols(&[
                ("ticket_id", &["number", "Number"]),
                (
                    "status",
                    &["state", "State", "incident_state", "Incident state"],
                ),
                (
                    "opened_at",
                    &["opened_at", "Opened", "sys_created_on", "Created"],
                ),
                (
                    "updated_at",
                    &["sys_updated_on", "Updated", "Last update", "Last updated"],
                ),
            ]));
            (DATE_READINGS[0].to_vec(), vec![])
        }
    };
    Mapping::vendor(
        "servicenow",
        columns,
        formats.into_iter().map(String::from).collect(),
        nulls.into_iter().map(String::from).collect(),
        ValueMaps {
            priority: priorities(),
            status: statuses(),
            kind: kinds(),
            kind_prefix: kind_prefixes(),
        },
    )
}

/// The timestamp formats of a list export or Table API file read with the built-in mapping
/// `m`: `declared` (`--date-format`), else the one of [`DATE_READINGS`] that every date cell
/// fits (see [`dates::decide`]).
pub fn date_formats(
    t: &RawTable,
    m: &Mapping,
    path: &Path,
    declared: Option<&str>,
) -> Result<Vec<String>> {
    dates::decide(&dates::cells(t, m), DATE_READINGS, path, declared)
}

/// Translate raw Table API `state` integers into their labels, per row's kind (from the
/// number prefix), so one status map serves every shape.
pub fn translate_state_codes(table: &mut RawTable) {
    let (Some(num), Some(state)) = (table.column_index("number"), table.column_index("state"))
    else {
        return;
    };
    let prefixes = kind_prefixes();
    let numbers = &table.columns[num];
    let translated = table.columns[state].map(|row, code| {
        let kind = numbers.get(row).and_then(|n| {
            prefixes
                .iter()
                .find(|(p, _)| n.starts_with(p.as_str()))
                .map(|(_, k)| k.as_str())
        });
        match (kind, code) {
            (Some(kind), Some(c)) => state_label(kind, c.trim())
                .map(Into::into)
                .or(Some(c.into())),
            (_, c) => c.map(Into::into),
        }
    });
    table.columns[state] = translated;
}
