//! Zendesk: the incremental ticket export (`tickets`, with `include=metric_sets`), and the
//! ticket audits (`audits[].events[]`) whose status changes become status history. Audits
//! belong with their tickets: give both files to the same ingest. Group and organisation
//! ids become names where the export carries the side tables (`groups`, `organizations`).
//! Deleted tickets are kept, marked by their source status `deleted` (canonical
//! `cancelled`); a ticket repeated across export pages is merged like any other: the latest
//! `updated_at` wins.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::history::{self, Change, Changes, text, utc};
use super::mapping::{Mapping, ValueMaps};
use crate::error::{Error, Result};

/// The default mapping of the flattened rows.
pub fn mapping() -> Mapping {
    let pairs: Vec<(&str, &[&str])> = vec![
        ("ticket_id", &["id"]),
        ("title", &["subject"]),
        ("description", &["description"]),
        ("kind", &["type"]),
        ("priority", &["priority"]),
        ("status", &["status"]),
        ("opened_at", &["created_at"]),
        ("updated_at", &["updated_at"]),
        ("resolved_at", &["solved_at"]),
        ("first_response_at", &["first_reply_at"]),
        ("assignment_group", &["group"]),
        ("assignee", &["assignee_id"]),
        ("requester", &["organization"]),
        ("category", &["tag"]),
        ("service", &["brand"]),
        ("problem_id", &["problem_id"]),
        ("reopen_count", &["reopens"]),
        ("reassignment_count", &["group_stations"]),
        ("vendor_sla", &["metric_set"]),
    ];
    let map = |p: &[(&str, &str)]| {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    Mapping::vendor(
        "zendesk",
        super::servicenow::cols(&pairs),
        vec![history::UTC_FORMAT.into()],
        vec![],
        ValueMaps {
            priority: [("urgent", 1), ("high", 2), ("normal", 3), ("low", 4)]
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            status: map(&[
                ("new", "new"),
                ("open", "in_progress"),
                ("pending", "on_hold"),
                ("hold", "on_hold"),
                ("solved", "resolved"),
                ("closed", "closed"),
                ("deleted", "cancelled"),
            ]),
            // Zendesk leaves `type` empty on general tickets: see `flatten`.
            kind: map(&[
                ("incident", "incident"),
                ("problem", "problem"),
                ("question", "request"),
                ("task", "request"),
            ]),
            kind_prefix: BTreeMap::new(),
        },
    )
}

/// What a Zendesk JSON file holds.
pub enum Export {
    /// Tickets (with metric sets and side tables).
    Tickets(Value),
    /// Audits: status changes per ticket.
    Audits(Changes),
}

/// Recognise a Zendesk JSON document.
pub fn read(doc: Value, path: &Path) -> Result<Export> {
    if let Some(audits) = doc.get("audits").and_then(Value::as_array) {
        let mut changes: Changes = BTreeMap::new();
        for a in audits {
            let (Some(id), Some(at)) = (text(a, "/ticket_id"), text(a, "/created_at")) else {
                continue;
            };
            for e in a
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if text(e, "/type").as_deref() == Some("Change")
                    && text(e, "/field_name").as_deref() == Some("status")
                    && let Some(to) = text(e, "/value")
                {
                    changes.entry(id.clone()).or_default().push(Change {
                        at: at.clone(),
                        from: text(e, "/previous_value"),
                        to,
                    });
                }
            }
        }
        return Ok(Export::Audits(changes));
    }
    if doc.get("tickets").is_some_and(Value::is_array) || doc.get("ticket").is_some() {
        return Ok(Export::Tickets(doc));
    }
    Err(Error::Input {
        path: path.into(),
        line: None,
        message: "not a Zendesk export: expected `tickets` (incremental export, include=metric_sets) or `audits`".into(),
    })
}

fn names(doc: &Value, key: &str) -> BTreeMap<String, String> {
    doc.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| Some((text(g, "/id")?, text(g, "/name")?)))
        .collect()
}

/// Flatten a tickets export into rows, expanding each ticket's audit history (once, on the
/// ticket's latest copy when export pages repeat it); also the ids that have history.
pub fn flatten(doc: Value, audits: &Changes) -> (Vec<Value>, history::WithHistory) {
    let groups = names(&doc, "groups");
    let orgs = names(&doc, "organizations");
    let brands = names(&doc, "brands");
    let metrics: BTreeMap<String, Value> = doc
        .get("metric_sets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| Some((text(m, "/ticket_id")?, m.clone())))
        .collect();
    let tickets: Vec<Value> = match doc.get("tickets") {
        Some(Value::Array(a)) => a.clone(),
        _ => doc.get("ticket").cloned().into_iter().collect(),
    };
    let mut latest: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (i, t) in tickets.iter().enumerate() {
        if let Some(id) = text(t, "/id") {
            let u = text(t, "/updated_at").map(|s| utc(&s)).unwrap_or_default();
            let e = latest.entry(id).or_insert((u.clone(), i));
            if u >= e.0 {
                *e = (u, i);
            }
        }
    }
    let mut rows = Vec::new();
    let mut with_history = history::WithHistory::new();
    for (i, t) in tickets.into_iter().enumerate() {
        let Some(id) = text(&t, "/id") else {
            rows.push(t);
            continue;
        };
        let m = metrics.get(&id).or_else(|| t.get("metric_set"));
        let mut cur = Map::new();
        let mut put = |k: &str, v: Option<String>| {
            cur.insert(k.into(), v.map_or(Value::Null, Value::String));
        };
        put("id", Some(id.clone()));
        put(
            "subject",
            text(&t, "/subject").or_else(|| text(&t, "/raw_subject")),
        );
        put("description", text(&t, "/description"));
        // Tickets nobody typed are general requests in Zendesk's own reports.
        put(
            "type",
            Some(text(&t, "/type").unwrap_or_else(|| "question".into())),
        );
        put("priority", text(&t, "/priority"));
        put("status", text(&t, "/status"));
        for k in ["created_at", "updated_at"] {
            put(k, text(&t, &format!("/{k}")).map(|s| utc(&s)));
        }
        put(
            "solved_at",
            m.and_then(|m| text(m, "/solved_at")).map(|s| utc(&s)),
        );
        put(
            "first_reply_at",
            m.and_then(|m| {
                let mins = m.pointer("/reply_time_in_minutes/calendar")?.as_f64()?;
                let c = chrono::DateTime::parse_from_rfc3339(&text(&t, "/created_at")?).ok()?;
                Some((c + chrono::Duration::seconds((mins * 60.0) as i64)).to_rfc3339())
            })
            .map(|s| utc(&s)),
        );
        let gid = text(&t, "/group_id");
        put(
            "group",
            gid.map(|g| groups.get(&g).cloned().unwrap_or(format!("group {g}"))),
        );
        put("assignee_id", text(&t, "/assignee_id"));
        let oid = text(&t, "/organization_id");
        put(
            "organization",
            oid.map(|o| orgs.get(&o).cloned().unwrap_or(format!("organization {o}"))),
        );
        put(
            "brand",
            text(&t, "/brand_id").map(|b| brands.get(&b).cloned().unwrap_or(format!("brand {b}"))),
        );
        put("tag", text(&t, "/tags/0"));
        put("problem_id", text(&t, "/problem_id"));
        put("reopens", m.and_then(|m| text(m, "/reopens")));
        put("group_stations", m.and_then(|m| text(m, "/group_stations")));
        // The metric set's {calendar, business} minutes as exported, for the cross-check.
        put("metric_set", m.map(|m| m.to_string()));
        let changes = match audits.get(&id) {
            Some(c) if latest.get(&id).is_some_and(|l| l.1 == i) && !c.is_empty() => {
                with_history.insert(id.clone());
                c.as_slice()
            }
            _ => &[],
        };
        rows.extend(history::expand(
            cur,
            changes,
            ("status", "updated_at", "created_at"),
        ));
    }
    (rows, with_history)
}
