//! `ticketlake generate`: writes the synthetic service desk of [`model`] in each ServiceNow
//! export shape, plus `truth.json` with what was injected.

pub mod model;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::cli::{GenerateArgs, GenerateFormat};
use crate::error::{Error, Result};
use model::{SERVICES, Ticket};

const TZ: chrono_tz::Tz = chrono_tz::Europe::London;
const LIST_FMT: &str = "%Y-%m-%d %H:%M:%S";
const EVENT_FMT: &str = "%d/%m/%Y %H:%M";

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

fn ts(t: Option<chrono::DateTime<Utc>>, fmt: &str) -> String {
    t.map(|t| model::local(t, TZ, fmt)).unwrap_or_default()
}

fn list_row(t: &Ticket) -> Vec<String> {
    let svc = &SERVICES[t.service];
    let imp = ["1 - High", "2 - Medium", "3 - Low"][(t.priority.min(3) - 1) as usize].to_string();
    vec![
        t.number.clone(),
        t.title.clone(),
        priority_label(t.priority).into(),
        imp.clone(),
        imp,
        state_label(t).into(),
        ts(Some(t.opened), LIST_FMT),
        ts(t.resolved, LIST_FMT),
        ts(t.closed, LIST_FMT),
        ts(Some(t.updated), LIST_FMT),
        svc.group.into(),
        t.assignee.into(),
        svc.name.into(),
        t.ci.into(),
        svc.category.into(),
        t.caller.into(),
        t.location.into(),
        t.reopen_count.to_string(),
        t.reassignment_count.to_string(),
        t.problem_id.clone().unwrap_or_default(),
        t.caused_by.clone().unwrap_or_default(),
        t.change_type.unwrap_or_default().into(),
        t.close_code.unwrap_or_default().into(),
        ts(t.planned.map(|p| p.0), LIST_FMT),
        ts(t.planned.map(|p| p.1), LIST_FMT),
    ]
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(path).map_err(Error::io("creating", path))?,
    ))
}

fn write_list_csv(out: &Path, tickets: &[Ticket]) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for kind in ["incident", "request", "change", "problem"] {
        let name = format!("{}.csv", table_of(kind));
        let path = out.join(&name);
        let mut w = csv::Writer::from_writer(create(&path)?);
        let io = |e: csv::Error| Error::Input {
            path: path.clone(),
            line: None,
            message: e.to_string(),
        };
        w.write_record(LIST_HEADER).map_err(io)?;
        for t in tickets.iter().filter(|t| t.kind == kind) {
            w.write_record(list_row(t)).map_err(io)?;
        }
        w.flush().map_err(Error::io("writing", &path))?;
        written.push(name);
    }
    Ok(written)
}

fn reference(display: &str, table: &str) -> Value {
    let id = crate::ingest::sha256_hex(display.as_bytes());
    json!({"display_value": display, "value": &id[..32], "link": format!("https://instance.example/api/now/table/{table}/{}", &id[..32])})
}

fn write_json(out: &Path, tickets: &[Ticket]) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for kind in ["incident", "request", "change", "problem"] {
        let name = format!("{}.json", table_of(kind));
        let path = out.join(&name);
        let rows: Vec<Value> = tickets
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| {
                let v = list_row(t);
                let mut o = serde_json::Map::new();
                for (h, val) in LIST_HEADER.iter().zip(v) {
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

fn write_eventlog(out: &Path, tickets: &[Ticket]) -> Result<Vec<String>> {
    let name = "incident_event_log.csv".to_string();
    let path = out.join(&name);
    let mut w = csv::Writer::from_writer(create(&path)?);
    let io = |e: csv::Error| Error::Input {
        path: path.clone(),
        line: None,
        message: e.to_string(),
    };
    w.write_record(EVENT_HEADER).map_err(io)?;
    let q = |s: String| if s.is_empty() { "?".to_string() } else { s };
    for t in tickets.iter().filter(|t| t.kind == "incident") {
        let svc = &SERVICES[t.service];
        let mut steps: Vec<(chrono::DateTime<Utc>, &str)> = vec![
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
        // The vendor's verdict, for the SLA cross-check: resolved within the wall-clock target.
        let made_sla = t.resolved.is_none_or(|r| {
            (r - t.opened).num_seconds() as f64 / 3600.0
                <= model::TARGET_HOURS[t.priority as usize - 1]
        });
        for (m, (at, state)) in steps.iter().enumerate() {
            let final_state = m + 1 == steps.len();
            let row = vec![
                t.number.clone(),
                state.to_string(),
                (!matches!(*state, "Closed")).to_string(),
                t.reassignment_count.to_string(),
                t.reopen_count.to_string(),
                m.to_string(),
                made_sla.to_string(),
                t.caller.into(),
                "Service Desk".into(),
                ts(Some(t.opened), EVENT_FMT),
                "Service Desk".into(),
                ts(Some(t.opened), EVENT_FMT),
                t.assignee.into(),
                ts(Some(*at), EVENT_FMT),
                "Phone".into(),
                t.location.into(),
                svc.category.into(),
                "?".into(),
                "?".into(),
                t.ci.into(),
                "2 - Medium".into(),
                "2 - Medium".into(),
                priority_label(t.priority).into(),
                svc.group.into(),
                t.assignee.into(),
                "false".into(),
                "false".into(),
                "Do Not Notify".into(),
                q(t.problem_id.clone().unwrap_or_default()),
                "?".into(),
                "?".into(),
                q(t.caused_by.clone().unwrap_or_default()),
                if final_state && t.resolved.is_some() {
                    "code 6".into()
                } else {
                    "?".into()
                },
                if t.resolved.is_some() {
                    t.assignee.to_string()
                } else {
                    "?".into()
                },
                q(if final_state {
                    ts(t.resolved, EVENT_FMT)
                } else {
                    String::new()
                }),
                q(if final_state {
                    ts(t.closed, EVENT_FMT)
                } else {
                    String::new()
                }),
            ];
            w.write_record(row).map_err(io)?;
        }
    }
    w.flush().map_err(Error::io("writing", &path))?;
    Ok(vec![name])
}

fn end_month(arg: Option<&str>) -> Result<NaiveDate> {
    match arg {
        Some(s) => NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .map_err(|_| Error::Usage(format!("--end-month `{s}` is not YYYY-MM"))),
        None => {
            let today = Utc::now().date_naive();
            let first =
                NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first of month");
            Ok(first
                .checked_sub_months(chrono::Months::new(1))
                .expect("previous month"))
        }
    }
}

/// Generate exports into `args.out`; returns a one-line summary.
pub fn generate(args: &GenerateArgs) -> Result<String> {
    if args.months == 0 {
        return Err(Error::Usage("--months must be at least 1".into()));
    }
    let end = end_month(args.end_month.as_deref())?;
    std::fs::create_dir_all(&args.out).map_err(Error::io("creating", &args.out))?;
    let (tickets, truth) = model::tickets(args.tickets, args.months, end, args.seed);
    let files = match args.format {
        GenerateFormat::ServicenowCsv => write_list_csv(&args.out, &tickets)?,
        GenerateFormat::ServicenowJson => write_json(&args.out, &tickets)?,
        GenerateFormat::ServicenowEventlog => write_eventlog(&args.out, &tickets)?,
    };
    let truth_path = args.out.join("truth.json");
    std::fs::write(
        &truth_path,
        serde_json::to_vec_pretty(&truth).expect("truth serialises"),
    )
    .map_err(Error::io("writing", &truth_path))?;
    Ok(format!(
        "wrote {} tickets to {} ({}, truth.json); timestamps are Europe/London local time",
        args.tickets,
        args.out.display(),
        files.join(", ")
    ))
}
