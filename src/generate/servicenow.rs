//! The ServiceNow export shapes `ticketlake generate` writes: the list-view CSV of each
//! table, the Table API JSON, and the incident event log (one row per update), with labels,
//! state codes and local timestamps as ServiceNow writes them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::clock::{Layout, LocalClock};
use super::model::{SERVICES, Ticket};
use crate::error::{Error, Result};

pub(super) use super::desk::TZ;

fn priority_label(p: u8) -> &'static str {
    [
        "1 - Critical",
        "2 - High",
        "3 - Moderate",
        "4 - Low",
        "5 - Planning",
    ][p as usize - 1]
}

fn table_of(kind: &str) -> &'static str {
    match kind {
        "incident" => "incident",
        "request" => "sc_req_item",
        "change" => "change_request",
        _ => "problem",
    }
}

/// The state label as each table spells it.
fn state_label(t: &Ticket) -> &'static str {
    match (t.kind, t.state) {
        ("request", "Closed") => "Closed Complete",
        ("request", "New") => "Open",
        ("request", "In Progress") => "Work in Progress",
        ("change", "In Progress") => "Implement",
        ("change", "Resolved") => "Review",
        ("problem", "In Progress") => "Root Cause Analysis",
        (_, s) => s,
    }
}

fn state_code(t: &Ticket) -> &'static str {
    match (t.kind, t.state) {
        ("incident", "New") => "1",
        ("incident", "In Progress") => "2",
        ("incident", "On Hold") => "3",
        ("incident", "Resolved") => "6",
        ("incident", "Closed") => "7",
        ("change", "New") => "-5",
        ("change", "In Progress") | ("change", "On Hold") => "-1",
        ("change", "Resolved") => "0",
        ("change", "Closed") => "3",
        ("problem", "New") => "101",
        ("problem", "In Progress") | ("problem", "On Hold") => "103",
        ("problem", "Resolved") => "106",
        ("problem", "Closed") => "107",
        ("request", "New") => "1",
        ("request", "Closed") => "3",
        _ => "2",
    }
}

const LIST_HEADER: &[&str] = &[
    "number",
    "short_description",
    "priority",
    "impact",
    "urgency",
    "state",
    "opened_at",
    "resolved_at",
    "closed_at",
    "sys_updated_on",
    "assignment_group",
    "assigned_to",
    "business_service",
    "cmdb_ci",
    "category",
    "caller_id",
    "location",
    "reopen_count",
    "reassignment_count",
    "problem_id",
    "caused_by",
    "type",
    "close_code",
    "start_date",
    "end_date",
];

/// Where a generated row's fields go: straight into CSV text, or into strings for JSON.
trait Row {
    fn text(&mut self, s: &str);
    fn time(&mut self, t: Option<DateTime<Utc>>, layout: Layout);
}

/// A CSV line, quoting only the fields that need it.
struct CsvRow<'a> {
    line: String,
    clock: &'a LocalClock,
}

impl CsvRow<'_> {
    fn sep(&mut self) {
        if !self.line.is_empty() {
            self.line.push(',');
        }
    }
}

impl Row for CsvRow<'_> {
    fn text(&mut self, s: &str) {
        self.sep();
        if s.contains([',', '"', '\n', '\r']) {
            self.line.push('"');
            self.line.push_str(&s.replace('"', "\"\""));
            self.line.push('"');
        } else {
            self.line.push_str(s);
        }
    }

    fn time(&mut self, t: Option<DateTime<Utc>>, layout: Layout) {
        self.sep();
        if let Some(t) = t {
            self.clock.write(&mut self.line, t, layout);
        }
    }
}

/// Fields as strings (the JSON writer).
struct VecRow<'a> {
    fields: Vec<String>,
    clock: &'a LocalClock,
}

impl Row for VecRow<'_> {
    fn text(&mut self, s: &str) {
        self.fields.push(s.to_string());
    }

    fn time(&mut self, t: Option<DateTime<Utc>>, layout: Layout) {
        let mut s = String::new();
        if let Some(t) = t {
            self.clock.write(&mut s, t, layout);
        }
        self.fields.push(s);
    }
}

/// One list-export row, in [`LIST_HEADER`] order.
fn list_row(t: &Ticket, row: &mut impl Row) {
    let svc = &SERVICES[t.service];
    let imp = ["1 - High", "2 - Medium", "3 - Low"][(t.priority.min(3) - 1) as usize];
    for s in [
        t.number.as_str(),
        &t.title,
        priority_label(t.priority),
        imp,
        imp,
        state_label(t),
    ] {
        row.text(s);
    }
    for ts in [Some(t.opened), t.resolved, t.closed, Some(t.updated)] {
        row.time(ts, Layout::Iso);
    }
    for s in [
        t.group, t.assignee, svc.name, t.ci, t.category, t.caller, t.location,
    ] {
        row.text(s);
    }
    row.text(&t.reopen_count.to_string());
    row.text(&t.reassignment_count.to_string());
    row.text(t.problem_id.as_deref().unwrap_or(""));
    row.text(t.caused_by.as_deref().unwrap_or(""));
    row.text(t.change_type.unwrap_or(""));
    row.text(t.close_code.unwrap_or(""));
    row.time(t.planned.map(|p| p.0), Layout::Iso);
    row.time(t.planned.map(|p| p.1), Layout::Iso);
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(path).map_err(Error::io("creating", path))?,
    ))
}

/// Write CSV lines produced by `rows` under `header`.
fn write_csv(
    path: &Path,
    header: &[&str],
    clock: &LocalClock,
    rows: impl FnOnce(
        &mut dyn FnMut(&dyn Fn(&mut CsvRow)) -> std::io::Result<()>,
    ) -> std::io::Result<()>,
) -> Result<()> {
    let mut w = create(path)?;
    let io = Error::io("writing", path);
    let result = (|| {
        w.write_all(header.join(",").as_bytes())?;
        w.write_all(b"\n")?;
        let mut row = CsvRow {
            line: String::with_capacity(512),
            clock,
        };
        let mut emit = |fill: &dyn Fn(&mut CsvRow)| -> std::io::Result<()> {
            row.line.clear();
            fill(&mut row);
            row.line.push('\n');
            w.write_all(row.line.as_bytes())
        };
        rows(&mut emit)?;
        w.flush()
    })();
    result.map_err(io)
}

pub(super) fn write_list_csv(
    out: &Path,
    tickets: &[Ticket],
    clock: &LocalClock,
) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for kind in ["incident", "request", "change", "problem"] {
        let name = format!("{}.csv", table_of(kind));
        write_csv(&out.join(&name), LIST_HEADER, clock, |emit| {
            for t in tickets.iter().filter(|t| t.kind == kind) {
                emit(&|r| list_row(t, r))?;
            }
            Ok(())
        })?;
        written.push(name);
    }
    Ok(written)
}

fn reference(display: &str, table: &str) -> Value {
    let id = crate::ingest::sha256_hex(display.as_bytes());
    json!({"display_value": display, "value": &id[..32], "link": format!("https://instance.example/api/now/table/{table}/{}", &id[..32])})
}

pub(super) fn write_json(
    out: &Path,
    tickets: &[Ticket],
    clock: &LocalClock,
) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for kind in ["incident", "request", "change", "problem"] {
        let name = format!("{}.json", table_of(kind));
        let path = out.join(&name);
        let rows: Vec<Value> = tickets
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| {
                let mut row = VecRow {
                    fields: Vec::new(),
                    clock,
                };
                list_row(t, &mut row);
                let mut o = serde_json::Map::new();
                for (h, val) in LIST_HEADER.iter().zip(row.fields) {
                    let cell = match *h {
                        "assignment_group" => reference(&val, "sys_user_group"),
                        "cmdb_ci" => reference(&val, "cmdb_ci"),
                        "state" => json!(state_code(t).parse::<i64>().unwrap_or(0)),
                        "reopen_count" | "reassignment_count" => {
                            json!(val.parse::<i64>().unwrap_or(0))
                        }
                        _ => json!(val),
                    };
                    o.insert(h.to_string(), cell);
                }
                Value::Object(o)
            })
            .collect();
        let mut w = create(&path)?;
        serde_json::to_writer(&mut w, &json!({ "result": rows })).map_err(|e| Error::Input {
            path: path.clone(),
            line: None,
            message: e.to_string(),
        })?;
        w.flush().map_err(Error::io("writing", &path))?;
        written.push(name);
    }
    Ok(written)
}

const EVENT_HEADER: &[&str] = &[
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
];

/// One event-log row: the ticket after update number `m`, in state `state` at `at`.
fn event_row(t: &Ticket, m: usize, state: &str, at: DateTime<Utc>, last: bool, r: &mut CsvRow) {
    let q = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("?").to_string();
    // The vendor's verdict, for the SLA cross-check: resolved within the wall-clock target.
    let made_sla = t.resolved.is_none_or(|res| {
        (res - t.opened).num_seconds() as f64 / 3600.0
            <= super::model::TARGET_HOURS[t.priority as usize - 1]
    });
    r.text(&t.number);
    r.text(state);
    r.text(if state == "Closed" { "false" } else { "true" });
    r.text(&t.reassignment_count.to_string());
    r.text(&t.reopen_count.to_string());
    r.text(&m.to_string());
    r.text(if made_sla { "true" } else { "false" });
    r.text(t.caller);
    r.text("Service Desk");
    r.time(Some(t.opened), Layout::DayFirst);
    r.text("Service Desk");
    r.time(Some(t.opened), Layout::DayFirst);
    r.text(t.assignee);
    r.time(Some(at), Layout::DayFirst);
    for s in [
        "Phone",
        t.location,
        t.category,
        "?",
        "?",
        t.ci,
        "2 - Medium",
        "2 - Medium",
        priority_label(t.priority),
        t.group,
        t.assignee,
        "false",
        "false",
        "Do Not Notify",
    ] {
        r.text(s);
    }
    r.text(&q(t.problem_id.as_deref()));
    r.text("?");
    r.text("?");
    r.text(&q(t.caused_by.as_deref()));
    r.text(if last && t.resolved.is_some() {
        "code 6"
    } else {
        "?"
    });
    r.text(if t.resolved.is_some() {
        t.assignee
    } else {
        "?"
    });
    for ts in [t.resolved, t.closed] {
        match ts.filter(|_| last) {
            Some(x) => r.time(Some(x), Layout::DayFirst),
            None => r.text("?"),
        }
    }
}

pub(super) fn write_eventlog(
    out: &Path,
    tickets: &[Ticket],
    clock: &LocalClock,
) -> Result<Vec<String>> {
    let name = "incident_event_log.csv".to_string();
    write_csv(&out.join(&name), EVENT_HEADER, clock, |emit| {
        for t in tickets.iter().filter(|t| t.kind == "incident") {
            let mut steps: Vec<(DateTime<Utc>, &str)> = vec![
                (t.opened, "New"),
                (t.opened + chrono::Duration::minutes(20), "Active"),
            ];
            if let Some((a, b)) = t.hold {
                steps.push((a, "Awaiting User Info"));
                steps.push((b, "Active"));
            }
            if let Some(r) = t.resolved {
                steps.push((r, "Resolved"));
            }
            if let Some(c) = t.closed {
                steps.push((c, "Closed"));
            }
            steps.retain(|(at, _)| *at <= t.updated.max(t.opened));
            let n = steps.len();
            for (m, (at, state)) in steps.into_iter().enumerate() {
                emit(&|r| event_row(t, m, state, at, m + 1 == n, r))?;
            }
        }
        Ok(())
    })?;
    Ok(vec![name])
}
