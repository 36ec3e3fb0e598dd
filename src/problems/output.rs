//! The `problem_candidates` and `problem_candidate_members` frames: one row per ranked
//! candidate with the figures [`super::candidate`] derives, and one row per member ticket.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::cluster::{Cluster, Incident};
use super::scan::Breached;
use super::{TicketCols, candidate};
use crate::error::{Error, Result};

const DAY: i64 = 86_400_000_000;

pub(super) fn mode<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Option<String> {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.flatten().filter(|v| !v.is_empty()) {
        *n.entry(v).or_default() += 1;
    }
    n.into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(v, _)| v.to_string())
}

/// Each value with its count, commonest first, ties by the value: `Hardware 180, Software
/// 12, Network 10`. Missing and empty values are left out.
pub(super) fn breakdown<'a>(values: impl Iterator<Item = Option<&'a str>>) -> String {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.flatten().filter(|v| !v.is_empty()) {
        *n.entry(v).or_default() += 1;
    }
    let mut n: Vec<(&str, usize)> = n.into_iter().collect();
    n.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    n.iter()
        .map(|(v, k)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    })
}

/// The two frames, column by column.
#[derive(Default)]
pub(super) struct Columns {
    id: Vec<String>,
    rank: Vec<i32>,
    label: Vec<String>,
    entity: Vec<Option<String>>,
    service: Vec<Option<String>>,
    config_item: Vec<Option<String>>,
    category: Vec<Option<String>>,
    location: Vec<Option<String>>,
    incidents: Vec<i64>,
    first_seen: Vec<i64>,
    last_seen: Vec<i64>,
    per_week: Vec<f64>,
    window_start: Vec<i64>,
    window_count: Vec<i64>,
    total_res: Vec<i64>,
    median_res: Vec<Option<i64>>,
    breach_pct: Vec<f64>,
    problem_ids: Vec<String>,
    unlinked: Vec<bool>,
    score: Vec<f64>,
    pattern: Vec<&'static str>,
    categories: Vec<String>,
    m_id: Vec<String>,
    m_ticket: Vec<Option<String>>,
    m_source: Vec<Option<String>>,
    m_opened: Vec<Option<i64>>,
    m_priority: Vec<Option<i32>>,
    m_title: Vec<Option<String>>,
    m_problem: Vec<Option<String>>,
    m_ci: Vec<Option<String>>,
}

fn ts(name: &str, v: Vec<Option<i64>>) -> Result<Column> {
    Column::new(name.into(), v)
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
        .map_err(Error::polars(name))
}

impl Columns {
    /// Append the candidate ranked `rank` (from 0): its `problem_candidates` row and its
    /// `problem_candidate_members` rows.
    pub(super) fn push_candidate(
        &mut self,
        rank: usize,
        (score, cid): (f64, &str),
        c: &Cluster,
        incidents: &[Incident],
        cols: &TicketCols,
        breached: &Breached,
    ) {
        let rows_of: Vec<usize> = c.members.iter().map(|&m| incidents[m].row).collect();
        let get = |ca: &StringChunked| mode(rows_of.iter().map(|&r| ca.get(r)));
        let label = candidate::label(c, incidents);
        // A CI the entity names is the candidate's CI; otherwise the most common one.
        let entity_ci = candidate::entity_ci(c.entity.as_ref(), &rows_of, &cols.ci);
        let durations = candidate::durations(&rows_of, cols);
        let problems = candidate::linked_problems(&rows_of, &cols.problem);
        let n_breached = candidate::breached_count(&rows_of, cols, breached);
        let first = incidents[c.members[0]].opened;
        let last = incidents[*c.members.last().expect("members")].opened;
        let weeks = ((last - first) as f64 / (7 * DAY) as f64).max(1.0);
        self.id.push(cid.to_string());
        self.rank.push(rank as i32 + 1);
        self.label.push(label);
        self.entity.push(c.entity.clone());
        self.service.push(get(&cols.service));
        self.config_item.push(entity_ci.or_else(|| get(&cols.ci)));
        self.category.push(get(&cols.category));
        self.location.push(get(&cols.location));
        self.incidents.push(c.members.len() as i64);
        self.first_seen.push(first);
        self.last_seen.push(last);
        self.per_week
            .push((c.members.len() as f64 / weeks * 100.0).round() / 100.0);
        self.window_start.push(c.window_start);
        self.window_count.push(c.window_count as i64);
        self.total_res
            .push(durations.iter().sum::<i64>() / 1_000_000);
        self.median_res
            .push(median(durations).map(|d| d / 1_000_000));
        self.breach_pct
            .push((n_breached as f64 * 10_000.0 / c.members.len() as f64).round() / 100.0);
        self.problem_ids
            .push(problems.iter().copied().collect::<Vec<_>>().join(", "));
        self.unlinked.push(problems.is_empty());
        self.score.push(score);
        self.pattern.push(c.pattern.as_str());
        self.categories
            .push(breakdown(rows_of.iter().map(|&r| cols.category.get(r))));
        self.push_members(cid, &rows_of, cols);
    }

    /// Append one `problem_candidate_members` row per ticket row of candidate `cid`.
    fn push_members(&mut self, cid: &str, rows_of: &[usize], cols: &TicketCols) {
        for &r in rows_of {
            self.m_id.push(cid.to_string());
            self.m_ticket.push(cols.id.get(r).map(String::from));
            self.m_source.push(cols.source.get(r).map(String::from));
            self.m_opened.push(cols.opened.get(r));
            self.m_priority.push(cols.priority.get(r));
            self.m_title.push(cols.title.get(r).map(String::from));
            self.m_problem.push(cols.problem.get(r).map(String::from));
            self.m_ci.push(cols.ci.get(r).map(String::from));
        }
    }
    /// `problem_candidates` and `problem_candidate_members`.
    pub(super) fn finish(self) -> Result<(DataFrame, DataFrame)> {
        let some = |v: Vec<i64>| v.into_iter().map(Some).collect::<Vec<_>>();
        let c = DataFrame::new_infer_height(vec![
            Column::new("candidate_id".into(), self.id),
            Column::new("rank".into(), self.rank),
            Column::new("label".into(), self.label),
            Column::new("entity".into(), self.entity),
            Column::new("service".into(), self.service),
            Column::new("config_item".into(), self.config_item),
            Column::new("category".into(), self.category),
            Column::new("location".into(), self.location),
            Column::new("incidents".into(), self.incidents),
            ts("first_seen", some(self.first_seen))?,
            ts("last_seen", some(self.last_seen))?,
            Column::new("incidents_per_week".into(), self.per_week),
            ts("busiest_window_start", some(self.window_start))?,
            Column::new("busiest_window_incidents".into(), self.window_count),
            Column::new("total_resolution_s".into(), self.total_res),
            Column::new("median_resolution_s".into(), self.median_res),
            Column::new("breach_pct".into(), self.breach_pct),
            Column::new("problem_ids".into(), self.problem_ids),
            Column::new("unlinked".into(), self.unlinked),
            Column::new("score".into(), self.score),
            Column::new("pattern".into(), self.pattern),
            Column::new("categories".into(), self.categories),
        ])
        .map_err(Error::polars("building problem_candidates"))?;
        let m = DataFrame::new_infer_height(vec![
            Column::new("candidate_id".into(), self.m_id),
            Column::new("ticket_id".into(), self.m_ticket),
            Column::new("source".into(), self.m_source),
            ts("opened_at", self.m_opened)?,
            Column::new("priority".into(), self.m_priority),
            Column::new("title".into(), self.m_title),
            Column::new("problem_id".into(), self.m_problem),
            Column::new("config_item".into(), self.m_ci),
        ])
        .map_err(Error::polars("building problem_candidate_members"))?;
        Ok((c, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breakdown_is_commonest_first_ties_by_name() {
        let v = [
            Some("Network"),
            Some("Hardware"),
            None,
            Some("Software"),
            Some("Hardware"),
            Some(""),
            Some("Database"),
        ];
        assert_eq!(
            breakdown(v.into_iter()),
            "Hardware 2, Database 1, Network 1, Software 1"
        );
        assert_eq!(mode(v.into_iter()).as_deref(), Some("Hardware"));
        assert_eq!(breakdown(std::iter::empty()), "");
    }
}
