//! The synthetic service desk in the Jira Service Management and Zendesk export shapes: the
//! issue navigator CSV (repeated columns, locale dates, JSM SLA text), the search JSON with
//! changelog, and Zendesk's incremental ticket export with metric sets plus its audits. The
//! vendors get their own services (an engineering desk on Jira, a customer help desk on
//! Zendesk), so a dataset holding all three shows them side by side.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::model::{SERVICES, Ticket};
use crate::error::{Error, Result};

const JIRA_COMPONENTS: [&str; 4] = [
    "CI/CD",
    "Source Control",
    "Artifact Registry",
    "Developer Portal",
];
const ZENDESK_BRANDS: [&str; 2] = ["Customer Help Desk", "Partner Support"];
const TZ: chrono_tz::Tz = chrono_tz::Europe::London;

/// The status sequence a ticket went through, as (instant, model state).
fn history(t: &Ticket) -> Vec<(DateTime<Utc>, &'static str)> {
    let mut h = vec![(t.opened, "New")];
    if t.state != "New" {
        h.push((t.opened + Duration::minutes(15), "In Progress"));
    }
    if let Some((a, b)) = t.hold {
        h.push((a, "On Hold"));
        h.push((b, "In Progress"));
    }
    if let Some(r) = t.resolved {
        h.push((r, "Resolved"));
    }
    if let Some(c) = t.closed {
        h.push((
            c,
            if t.state == "Cancelled" {
                "Cancelled"
            } else {
                "Closed"
            },
        ));
    }
    h.retain(|(at, _)| *at <= t.updated);
    h.sort_by_key(|x| x.0);
    h
}

fn jira_status(state: &str) -> &'static str {
    match state {
        "New" => "Open",
        "In Progress" => "In Progress",
        "On Hold" => "Waiting for customer",
        "Resolved" => "Resolved",
        "Cancelled" => "Canceled",
        _ => "Closed",
    }
}

fn jira_type(kind: &str) -> &'static str {
    match kind {
        "incident" => "[System] Incident",
        "request" => "[System] Service request",
        "change" => "[System] Change",
        _ => "[System] Problem",
    }
}

fn jira_priority(p: u8) -> &'static str {
    ["Highest", "High", "Medium", "Low", "Lowest"][p as usize - 1]
}

/// JSM's "Time to resolution" text: what was left of a wall-clock goal, `-1:30` when over.
fn ttr_text(t: &Ticket, goal_h: f64) -> String {
    let Some(r) = t.resolved else {
        return String::new();
    };
    let left = (goal_h * 60.0) as i64 - (r - t.opened).num_minutes();
    format!(
        "{}{}:{:02}",
        if left < 0 { "-" } else { "" },
        left.abs() / 60,
        left.abs() % 60
    )
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(Error::io("writing", path))
}

/// `jira-issues.csv`: the issue navigator's "Export CSV (all fields)".
pub fn jira_csv(out: &Path, tickets: &[Ticket], goals: &[f64; 5]) -> Result<Vec<String>> {
    let local = |t: Option<DateTime<Utc>>| {
        t.map(|t| {
            t.with_timezone(&TZ)
                .format("%d/%b/%y %-I:%M %p")
                .to_string()
        })
        .unwrap_or_default()
    };
    let mut s = String::from(
        "Summary,Issue key,Issue id,Issue Type,Status,Project key,Priority,Assignee,Reporter,Created,Updated,Resolved,\
         Component/s,Component/s,Watchers,Watchers,Custom field (Request Type),Custom field (Team),Custom field (Time to resolution),Comment,Comment\n",
    );
    for (i, t) in tickets.iter().enumerate() {
        let n = i as u64 + 1;
        let comment = format!(
            "{};{};Looking into it",
            local(Some(t.opened + Duration::minutes(15))),
            t.assignee
        );
        let fields = [
            t.title.clone(),
            format!("ENG-{n}"),
            (20000 + n).to_string(),
            jira_type(t.kind).into(),
            jira_status(t.state).into(),
            "ENG".into(),
            jira_priority(t.priority).into(),
            t.assignee.into(),
            t.caller.into(),
            local(Some(t.opened)),
            local(Some(t.updated)),
            local(t.resolved),
            JIRA_COMPONENTS[t.service % 4].into(),
            t.category.into(),
            t.assignee.into(),
            t.caller.into(),
            if t.kind == "incident" {
                "Report a system problem".into()
            } else {
                "Get IT help".into()
            },
            t.group.into(),
            ttr_text(t, goals[t.priority as usize - 1]),
            comment,
            String::new(),
        ];
        s.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        s.push('\n');
    }
    write(&out.join("jira-issues.csv"), &s)?;
    Ok(vec!["jira-issues.csv".into()])
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// `jira-search.json`: `/rest/api/3/search?expand=changelog`.
pub fn jira_json(out: &Path, tickets: &[Ticket], goals: &[f64; 5]) -> Result<Vec<String>> {
    let issues: Vec<Value> = tickets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let n = i as u64 + 1;
            let h = history(t);
            let histories: Vec<Value> = h
                .windows(2)
                .enumerate()
                .map(|(i, w)| json!({"id": i.to_string(), "created": iso(w[1].0),
                    "items": [{"field": "status", "fromString": jira_status(w[0].1), "toString": jira_status(w[1].1)}]}))
                .collect();
            let goal_ms = (goals[t.priority as usize - 1] * 3_600_000.0) as i64;
            let cycles: Vec<Value> = t
                .resolved
                .map(|r| {
                    let took = (r - t.opened).num_milliseconds();
                    json!({"breached": took > goal_ms, "goalDuration": {"millis": goal_ms}, "elapsedTime": {"millis": took}})
                })
                .into_iter()
                .collect();
            json!({
                "id": (20000 + n).to_string(),
                "key": format!("ENG-{n}"),
                "fields": {
                    "summary": t.title,
                    "description": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": format!("{} on {}", t.title, t.ci)}]}]},
                    "issuetype": {"name": jira_type(t.kind)},
                    "priority": {"name": jira_priority(t.priority)},
                    "status": {"name": jira_status(t.state)},
                    "created": iso(t.opened),
                    "updated": iso(t.updated),
                    "resolutiondate": t.resolved.map(iso),
                    "assignee": {"displayName": t.assignee},
                    "reporter": {"displayName": t.caller},
                    "components": [{"name": JIRA_COMPONENTS[t.service % 4]}],
                    "customfield_10001": {"name": t.group},
                    "customfield_10030": {"name": "Time to resolution", "completedCycles": cycles},
                },
                "changelog": {"histories": histories},
            })
        })
        .collect();
    let doc =
        json!({"startAt": 0, "maxResults": issues.len(), "total": issues.len(), "issues": issues});
    write(&out.join("jira-search.json"), &doc.to_string())?;
    Ok(vec!["jira-search.json".into()])
}

fn zendesk_status(state: &str) -> &'static str {
    match state {
        "New" => "new",
        "In Progress" => "open",
        "On Hold" => "pending",
        "Resolved" => "solved",
        "Cancelled" => "deleted",
        _ => "closed",
    }
}

/// `zendesk-tickets.json` (incremental export with metric sets and side tables) and
/// `zendesk-audits.json`.
pub fn zendesk(out: &Path, tickets: &[Ticket]) -> Result<Vec<String>> {
    let z = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut list = Vec::new();
    let mut metrics = Vec::new();
    let mut audits = Vec::new();
    for (i, t) in tickets.iter().enumerate() {
        let id = 1000 + i as u64;
        list.push(json!({
            "id": id, "subject": t.title, "description": format!("{} ({})", t.title, t.ci),
            "type": match t.kind { "incident" => json!("incident"), "problem" => json!("problem"), "change" => json!("task"), _ => Value::Null },
            "priority": (["urgent", "high", "normal", "low", "low"][t.priority as usize - 1]),
            "status": zendesk_status(t.state), "created_at": z(t.opened), "updated_at": z(t.updated),
            "group_id": 9000 + (t.service % 2), "organization_id": 70 + (id % 5), "brand_id": 1 + (t.service % 2),
            "assignee_id": 1200 + (id % 7), "tags": [t.category.to_lowercase()], "problem_id": Value::Null,
        }));
        metrics.push(json!({
            "ticket_id": id, "reopens": t.reopen_count, "group_stations": t.reassignment_count + 1,
            "solved_at": t.resolved.map(z),
            "reply_time_in_minutes": {"calendar": 15, "business": 15},
            "full_resolution_time_in_minutes": {"calendar": t.resolved.map(|r| (r - t.opened).num_minutes())},
        }));
        for (i, w) in history(t).windows(2).enumerate() {
            audits.push(json!({"id": id * 100 + i as u64, "ticket_id": id, "created_at": z(w[1].0),
                "events": [{"type": "Change", "field_name": "status", "previous_value": zendesk_status(w[0].1), "value": zendesk_status(w[1].1)}]}));
        }
    }
    let doc = json!({
        "tickets": list, "metric_sets": metrics,
        "groups": [{"id": 9000, "name": "Tier 1 Support"}, {"id": 9001, "name": "Tier 2 Support"}],
        "organizations": (0..5).map(|i| json!({"id": 70 + i, "name": (["Acme Ltd", "Globex", "Initech", "Umbrella", "Hooli"][i as usize])})).collect::<Vec<_>>(),
        "brands": [{"id": 1, "name": ZENDESK_BRANDS[0]}, {"id": 2, "name": ZENDESK_BRANDS[1]}],
        "end_of_stream": true, "next_page": Value::Null,
    });
    write(&out.join("zendesk-tickets.json"), &doc.to_string())?;
    write(
        &out.join("zendesk-audits.json"),
        &json!({"audits": audits, "next_page": Value::Null}).to_string(),
    )?;
    Ok(vec![
        "zendesk-tickets.json".into(),
        "zendesk-audits.json".into(),
    ])
}

fn sn_state_code(state: &str) -> &'static str {
    match state {
        "New" => "1",
        "In Progress" => "2",
        "On Hold" => "3",
        "Resolved" => "6",
        "Cancelled" => "8",
        _ => "7",
    }
}

/// `incident.csv` (list export with `sys_id`) and `sys_audit.csv` with its state changes, for
/// the incidents of the model. Numbers start at INC9000001 so they never collide with the
/// other ServiceNow shapes in one dataset.
pub fn servicenow_audit(out: &Path, tickets: &[Ticket]) -> Result<Vec<String>> {
    let local = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&TZ).format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    };
    let mut inc = String::from(
        "sys_id,number,short_description,priority,state,opened_at,resolved_at,closed_at,sys_updated_on,assignment_group,business_service,cmdb_ci,category\n",
    );
    let mut aud = String::from(
        "sys_id,tablename,fieldname,documentkey,oldvalue,newvalue,sys_created_on,user\n",
    );
    for (i, t) in tickets.iter().filter(|t| t.kind == "incident").enumerate() {
        let sys_id = &crate::ingest::sha256_hex(format!("incident-{i}").as_bytes())[..32];
        let svc = &SERVICES[t.service];
        let fields = [
            sys_id.to_string(),
            format!("INC{:07}", 9_000_001 + i),
            t.title.clone(),
            [
                "1 - Critical",
                "2 - High",
                "3 - Moderate",
                "4 - Low",
                "5 - Planning",
            ][t.priority as usize - 1]
                .into(),
            t.state.to_string(),
            local(Some(t.opened)),
            local(t.resolved),
            local(t.closed),
            local(Some(t.updated)),
            t.group.into(),
            svc.name.into(),
            t.ci.into(),
            t.category.into(),
        ];
        inc.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        inc.push('\n');
        let h = history(t);
        let mut prev = "";
        for (k, (at, state)) in h.iter().enumerate() {
            let code = sn_state_code(state);
            aud.push_str(&format!(
                "{sys_id}{k:02x},incident,state,{sys_id},{prev},{code},{},{}\n",
                local(Some(*at)),
                t.assignee
            ));
            prev = code;
        }
    }
    write(&out.join("incident.csv"), &inc)?;
    write(&out.join("sys_audit.csv"), &aud)?;
    Ok(vec!["incident.csv".into(), "sys_audit.csv".into()])
}
