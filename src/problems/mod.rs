//! Recurring-problem detection: find the clusters of incidents that should become a problem
//! record, rank them by impact, and show which already have one.
//!
//! [`text`] normalises titles, [`cluster`] groups incidents and applies the time window, and
//! this module turns candidates into the `problem_candidates` and
//! `problem_candidate_members` tables that `ticketlake build` commits.
//!
//! The score is `incidents × impact × recency`:
//! - impact is the members' mean priority weight (P1 8, P2 4, P3 2, P4 1, P5 0.5; unknown 1);
//! - recency halves every 90 days between the last incident and the as-of instant.

pub mod cluster;
pub mod text;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::dataset::columns::{flags, int32, micros, text as text_col};
use crate::error::{Error, Result};

/// The `tickets` columns [`detect`] reads (and `updated_at`, for the default as-of).
pub const TICKET_COLUMNS: [&str; 14] = [
    "ticket_id",
    "source",
    "kind",
    "priority",
    "service",
    "opened_at",
    "resolved_at",
    "updated_at",
    "title",
    "description",
    "config_item",
    "category",
    "location",
    "problem_id",
];

const DAY: i64 = 86_400_000_000;

/// `[problems]` in the config.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ProblemConfig {
    /// Whether `build` detects recurring problems at all (default true).
    pub enabled: bool,
    /// Fewest incidents within the window for a candidate.
    pub min_incidents: usize,
    /// The window: `30d`, `4w`.
    pub window: String,
    /// Jaccard similarity threshold of text clusters (0-1).
    pub similarity: f64,
    /// How far above their own baseline text clusters must burst (0 turns the test off).
    pub burst_ratio: f64,
}

impl Default for ProblemConfig {
    fn default() -> Self {
        ProblemConfig {
            enabled: true,
            min_incidents: 3,
            window: "30d".into(),
            similarity: 0.5,
            burst_ratio: 3.0,
        }
    }
}

impl ProblemConfig {
    /// Validated clustering parameters.
    pub fn params(&self) -> Result<cluster::Params> {
        let bad = |key: &str, message: String| Error::Usage(format!("problems {key}: {message}"));
        let w = self.window.trim();
        let (n, unit) = w.split_at(w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len()));
        let days = match (n.parse::<i64>(), unit) {
            (Ok(n), "d") if n > 0 => n,
            (Ok(n), "w") if n > 0 => 7 * n,
            _ => {
                return Err(bad(
                    "window",
                    format!("`{w}` is not a window; write days or weeks, like 30d or 4w"),
                ));
            }
        };
        if !(0.0..=1.0).contains(&self.similarity) || self.similarity == 0.0 {
            return Err(bad("similarity", "must be above 0 and at most 1".into()));
        }
        if self.min_incidents < 2 {
            return Err(bad("min-incidents", "must be at least 2".into()));
        }
        Ok(cluster::Params {
            min_incidents: self.min_incidents,
            window: days * DAY,
            similarity: self.similarity,
            burst_ratio: self.burst_ratio.max(0.0),
        })
    }
}

/// The result of detection.
pub struct Detection {
    /// `problem_candidates`, ranked.
    pub candidates: DataFrame,
    /// `problem_candidate_members`.
    pub members: DataFrame,
    /// Incidents considered.
    pub incidents: u64,
    /// Incidents whose text carries no signal.
    pub uninformative: u64,
}

fn weight(p: Option<i32>) -> f64 {
    match p {
        Some(1) => 8.0,
        Some(2) => 4.0,
        Some(3) => 2.0,
        Some(4) => 1.0,
        Some(5) => 0.5,
        _ => 1.0,
    }
}

fn mode<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Option<String> {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.flatten().filter(|v| !v.is_empty()) {
        *n.entry(v).or_default() += 1;
    }
    n.into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(v, _)| v.to_string())
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

/// Detect recurring candidates among the incidents of `tickets` opened in `period` (µs,
/// half-open; all when `None`). `sla` marks breaching members; `as_of` drives recency.
pub fn detect(
    tickets: &DataFrame,
    sla: Option<&DataFrame>,
    cfg: &ProblemConfig,
    period: Option<(i64, i64)>,
    as_of: i64,
) -> Result<Detection> {
    let p = cfg.params()?;
    let col = |n: &str| text_col(tickets, n);
    let (kind, id, source, title, desc) = (
        col("kind")?,
        col("ticket_id")?,
        col("source")?,
        col("title")?,
        col("description")?,
    );
    let (service, ci, category, location, problem) = (
        col("service")?,
        col("config_item")?,
        col("category")?,
        col("location")?,
        col("problem_id")?,
    );
    let (opened, resolved) = (
        micros(tickets, "opened_at")?,
        micros(tickets, "resolved_at")?,
    );
    let priority = int32(tickets, "priority")?;
    let mut breached: HashSet<(String, String)> = HashSet::new();
    if let Some(s) = sla {
        let (sid, ssrc, sb) = (
            text_col(s, "ticket_id")?,
            text_col(s, "source")?,
            flags(s, "breached")?,
        );
        for i in 0..s.height() {
            if let (Some(true), Some(a), Some(b)) = (sb.get(i), sid.get(i), ssrc.get(i)) {
                breached.insert((b.to_string(), a.to_string()));
            }
        }
    }
    // Titles repeat a lot; normalise each distinct text once.
    let mut cache: HashMap<String, text::Normalized> = HashMap::new();
    let mut incidents = Vec::new();
    let mut uninformative = 0u64;
    for i in 0..tickets.height() {
        let Some(o) = opened.get(i) else { continue };
        if kind.get(i) != Some("incident") || period.is_some_and(|(a, b)| o < a || o >= b) {
            continue;
        }
        let t = match (title.get(i), desc.get(i)) {
            (Some(t), Some(d)) => format!("{t} {d}"),
            (t, d) => t.or(d).unwrap_or_default().to_string(),
        };
        let n = match cache.get(&t) {
            Some(n) => n.clone(),
            None => {
                let n = text::normalize(&t);
                cache.insert(t, n.clone());
                n
            }
        };
        if n.is_empty() {
            uninformative += 1;
        }
        incidents.push(cluster::Incident {
            row: i,
            opened: o,
            service: service.get(i).map(String::from),
            category: category.get(i).map(String::from),
            text: n,
        });
    }
    let found = cluster::candidates(&incidents, cluster::group(&incidents, p.similarity), &p);

    let mut rows: Vec<(f64, String, usize)> = Vec::new();
    for (k, c) in found.iter().enumerate() {
        let n = c.members.len() as f64;
        let impact = c
            .members
            .iter()
            .map(|&m| weight(priority.get(incidents[m].row)))
            .sum::<f64>()
            / n;
        let last = incidents[*c.members.last().expect("a cluster has members")].opened;
        let age_days = ((as_of - last) as f64 / DAY as f64).max(0.0);
        let score = n * impact * 0.5f64.powf(age_days / 90.0);
        let id = format!("PC-{}", &hex(&Sha256::digest(c.key.as_bytes()))[..10]);
        rows.push(((score * 100.0).round() / 100.0, id, k));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));

    let mut out = Columns::default();
    for (rank, (score, cid, k)) in rows.iter().enumerate() {
        let c = &found[*k];
        let rows_of: Vec<usize> = c.members.iter().map(|&m| incidents[m].row).collect();
        let get = |ca: &StringChunked| mode(rows_of.iter().map(|&r| ca.get(r)));
        let mut terms: BTreeMap<&str, usize> = BTreeMap::new();
        for &m in &c.members {
            for t in &incidents[m].text.tokens {
                if Some(t) != c.entity.as_ref() {
                    *terms.entry(t.as_str()).or_default() += 1;
                }
            }
        }
        let mut terms: Vec<(&str, usize)> = terms.into_iter().collect();
        terms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let top: Vec<&str> = terms.iter().take(3).map(|t| t.0).collect();
        let label = match &c.entity {
            Some(e) => format!("{e}: {}", top.join(" ")),
            None => top.join(" "),
        };
        // A CI the entity names is the candidate's CI; otherwise the most common one.
        let entity_ci = c.entity.as_ref().and_then(|e| {
            rows_of
                .iter()
                .filter_map(|&r| ci.get(r))
                .find(|v| v.eq_ignore_ascii_case(e))
                .map(String::from)
        });
        let durations: Vec<i64> = rows_of
            .iter()
            .filter_map(|&r| Some(resolved.get(r)? - opened.get(r)?))
            .filter(|d| *d >= 0)
            .collect();
        let problems: BTreeSet<&str> = rows_of
            .iter()
            .filter_map(|&r| problem.get(r))
            .filter(|p| !p.is_empty())
            .collect();
        let n_breached = rows_of
            .iter()
            .filter(|&&r| {
                let key = (
                    source.get(r).unwrap_or_default().to_string(),
                    id.get(r).unwrap_or_default().to_string(),
                );
                breached.contains(&key)
            })
            .count();
        let first = incidents[c.members[0]].opened;
        let last = incidents[*c.members.last().expect("members")].opened;
        let weeks = ((last - first) as f64 / (7 * DAY) as f64).max(1.0);
        out.id.push(cid.clone());
        out.rank.push(rank as i32 + 1);
        out.label.push(label);
        out.entity.push(c.entity.clone());
        out.service.push(get(&service));
        out.config_item.push(entity_ci.or_else(|| get(&ci)));
        out.category.push(get(&category));
        out.location.push(get(&location));
        out.incidents.push(c.members.len() as i64);
        out.first_seen.push(first);
        out.last_seen.push(last);
        out.per_week
            .push((c.members.len() as f64 / weeks * 100.0).round() / 100.0);
        out.window_start.push(c.window_start);
        out.window_count.push(c.window_count as i64);
        out.total_res
            .push(durations.iter().sum::<i64>() / 1_000_000);
        out.median_res
            .push(median(durations).map(|d| d / 1_000_000));
        out.breach_pct
            .push((n_breached as f64 * 10_000.0 / c.members.len() as f64).round() / 100.0);
        out.problem_ids
            .push(problems.iter().copied().collect::<Vec<_>>().join(", "));
        out.unlinked.push(problems.is_empty());
        out.score.push(*score);
        for &r in &rows_of {
            out.m_id.push(cid.clone());
            out.m_ticket.push(id.get(r).map(String::from));
            out.m_source.push(source.get(r).map(String::from));
            out.m_opened.push(opened.get(r));
            out.m_priority.push(priority.get(r));
            out.m_title.push(title.get(r).map(String::from));
            out.m_problem.push(problem.get(r).map(String::from));
            out.m_ci.push(ci.get(r).map(String::from));
        }
    }
    let (candidates, members) = out.finish()?;
    Ok(Detection {
        candidates,
        members,
        incidents: incidents.len() as u64,
        uninformative,
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Default)]
struct Columns {
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
    fn finish(self) -> Result<(DataFrame, DataFrame)> {
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
