//! The period sections of a unit's report, each cut from one query grid by the unit (the
//! first key part): the weekly flow, backlog aging, breaches by priority with the worst in
//! detail, recurring problems, change success and data-quality flags. Part of `assemble`.

use std::collections::BTreeMap;

use crate::report::data::{Grid, of_unit};
use crate::report::model::{Breach, ChangeKpi, ProblemRow, WeekPoint};

/// The unit's flow per week of the period; weeks without a row count zero.
pub(super) fn week_points(weeks: &[(i64, i64)], weekly: &Grid, name: &str) -> Vec<WeekPoint> {
    weeks
        .iter()
        .enumerate()
        .map(|(i, (s, _))| {
            let row = weekly
                .rows
                .iter()
                .find(|(k, r)| of_unit(k, name) && weekly.num(r, "i") == Some(i as f64));
            let v = |c: &str| row.and_then(|(_, r)| weekly.num(r, c)).unwrap_or(0.0) as u64;
            WeekPoint {
                week_start: crate::report::fmt::day(*s),
                opened: v("opened"),
                resolved: v("resolved"),
                backlog: v("backlog"),
            }
        })
        .collect()
}

/// The unit's open incidents and requests per age band, every band listed.
pub(super) fn aging_counts(
    aging: &[(&str, BTreeMap<String, f64>)],
    name: &str,
) -> Vec<(String, u64)> {
    aging
        .iter()
        .map(|(label, v)| {
            (
                label.to_string(),
                v.get(name).copied().unwrap_or(0.0) as u64,
            )
        })
        .collect()
}

/// The unit's breaches counted per priority, and the first `top` of them in detail.
pub(super) fn breach_lists(
    breaches: &Grid,
    rows: Option<&Vec<&[Option<String>]>>,
    top: usize,
) -> (Vec<(String, u64)>, Vec<Breach>) {
    let mut by_prio: BTreeMap<String, u64> = BTreeMap::new();
    let mut top_breaches = Vec::new();
    for r in rows.into_iter().flatten() {
        let prio = breaches
            .text(r, "priority")
            .map_or("(none)".to_string(), |p| format!("P{p}"));
        *by_prio.entry(prio.clone()).or_default() += 1;
        if top_breaches.len() < top {
            let s = |c: &str| breaches.text(r, c).unwrap_or_default().to_string();
            top_breaches.push(Breach {
                sla_name: s("sla_name"),
                ticket_id: s("ticket_id"),
                priority: prio,
                group: s("assignment_group"),
                title: s("title"),
                breach_at: s("breach_at"),
                overrun_s: breaches.num(r, "overrun_s").unwrap_or(0.0),
            });
        }
    }
    (by_prio.into_iter().collect(), top_breaches)
}

/// The unit's first `top` recurring-problem candidates, by rank.
pub(super) fn problem_rows(problems: &Grid, name: &str, top: usize) -> Vec<ProblemRow> {
    problems
        .rows
        .iter()
        .filter(|(k, _)| of_unit(k, name))
        .take(top)
        .map(|(_, r)| {
            let s = |c: &str| problems.text(r, c).unwrap_or_default().to_string();
            ProblemRow {
                candidate_id: s("candidate_id"),
                rank: problems.num(r, "rank").unwrap_or(0.0) as u64,
                label: s("label"),
                incidents: problems.num(r, "incidents").unwrap_or(0.0) as u64,
                first_seen: s("first_seen"),
                last_seen: s("last_seen"),
                unlinked: problems.text(r, "unlinked") == Some("true"),
                problem_ids: s("problem_ids"),
                breach_pct: problems.num(r, "breach_pct"),
                pattern: s("pattern"),
            }
        })
        .collect()
}

/// The unit's change success over all change types (the `(all)` row).
pub(super) fn change_kpi(changes: &Grid, name: &str) -> ChangeKpi {
    let ch = changes
        .rows
        .iter()
        .find(|(k, r)| of_unit(k, name) && changes.text(r, "change_type") == Some("(all)"));
    let chv = |c: &str| ch.and_then(|(_, r)| changes.num(r, c));
    ChangeKpi {
        changes: chv("changes").unwrap_or(0.0) as u64,
        successful: chv("successful").unwrap_or(0.0) as u64,
        failed: chv("failed").unwrap_or(0.0) as u64,
        success_pct: chv("success_pct"),
        incidents_caused: chv("incidents_caused").unwrap_or(0.0) as u64,
        followed_by_incidents: chv("followed_by_incidents").unwrap_or(0.0) as u64,
        confirmed: chv("confirmed").unwrap_or(0.0) as u64,
    }
}

/// The unit's tickets opened in the period and how many of them carry data-quality flags.
pub(super) fn opened_flagged(flags: &Grid, name: &str) -> (u64, u64) {
    let fl = flags.rows.iter().find(|(k, _)| of_unit(k, name));
    let flv = |c: &str| fl.and_then(|(_, r)| flags.num(r, c)).unwrap_or(0.0) as u64;
    (flv("tickets"), flv("flagged"))
}
