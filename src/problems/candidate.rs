//! The figures of one candidate's `problem_candidates` row that [`super::detect`] derives
//! from its members: the label, the CI the entity names, resolution times, linked problem
//! records and SLA breaches.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::TicketCols;
use super::cluster::{Cluster, Incident};
use super::lexicon::FAULT;
use super::scan::Breached;

/// A candidate's label: its entity, then its three most frequent other tokens. The fault
/// symptom is left out: nearly every incident has it, and it says nothing about what broke.
pub(super) fn label(c: &Cluster, incidents: &[Incident]) -> String {
    let mut terms: BTreeMap<&str, usize> = BTreeMap::new();
    for &m in &c.members {
        for t in &incidents[m].text.tokens {
            if Some(t) != c.entity.as_ref() && t != FAULT {
                *terms.entry(t.as_str()).or_default() += 1;
            }
        }
    }
    let mut terms: Vec<(&str, usize)> = terms.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<&str> = terms.iter().take(3).map(|t| t.0).collect();
    match &c.entity {
        Some(e) => format!("{e}: {}", top.join(" ")),
        None => top.join(" "),
    }
}

/// The members' CI that the entity names, if any of them has one.
pub(super) fn entity_ci(
    entity: Option<&String>,
    rows_of: &[usize],
    ci: &StringChunked,
) -> Option<String> {
    entity.and_then(|e| {
        rows_of
            .iter()
            .filter_map(|&r| ci.get(r))
            .find(|v| v.eq_ignore_ascii_case(e))
            .map(String::from)
    })
}

/// The members' resolution times (µs), for those resolved no earlier than opened.
pub(super) fn durations(rows_of: &[usize], cols: &TicketCols) -> Vec<i64> {
    rows_of
        .iter()
        .filter_map(|&r| Some(cols.resolved.get(r)? - cols.opened.get(r)?))
        .filter(|d| *d >= 0)
        .collect()
}

/// The problem records the members are already linked to.
pub(super) fn linked_problems<'a>(
    rows_of: &[usize],
    problem: &'a StringChunked,
) -> BTreeSet<&'a str> {
    rows_of
        .iter()
        .filter_map(|&r| problem.get(r))
        .filter(|p| !p.is_empty())
        .collect()
}

/// How many members breached an SLA.
pub(super) fn breached_count(rows_of: &[usize], cols: &TicketCols, breached: &Breached) -> usize {
    rows_of
        .iter()
        .filter(|&&r| {
            let key = (
                cols.source.get(r).unwrap_or_default().to_string(),
                cols.id.get(r).unwrap_or_default().to_string(),
            );
            breached.contains(&key)
        })
        .count()
}
