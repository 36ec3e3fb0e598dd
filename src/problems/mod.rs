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

mod candidate;
pub mod cluster;
pub mod signal;
pub mod text;

use std::collections::{BTreeMap, HashMap, HashSet};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::dataset::columns::{flags, int32, micros, text as text_col};
use crate::error::{Error, Result};
use signal::Uninformative;
pub use signal::uninformative_finding;

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
    /// Of those, incidents with neither a title nor a description.
    pub without_text: u64,
    /// The commonest uninformative text in the data, to quote (none when every such
    /// incident has no text at all).
    pub uninformative_example: Option<String>,
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

/// The `tickets` columns detection reads, each read and cast once.
struct TicketCols {
    kind: StringChunked,
    id: StringChunked,
    source: StringChunked,
    title: StringChunked,
    desc: StringChunked,
    service: StringChunked,
    ci: StringChunked,
    category: StringChunked,
    location: StringChunked,
    problem: StringChunked,
    opened: Int64Chunked,
    resolved: Int64Chunked,
    priority: Int32Chunked,
}

impl TicketCols {
    /// The columns of `tickets`, or the error of the first one missing (in this order).
    fn read(tickets: &DataFrame) -> Result<TicketCols> {
        let col = |n: &str| text_col(tickets, n);
        Ok(TicketCols {
            kind: col("kind")?,
            id: col("ticket_id")?,
            source: col("source")?,
            title: col("title")?,
            desc: col("description")?,
            service: col("service")?,
            ci: col("config_item")?,
            category: col("category")?,
            location: col("location")?,
            problem: col("problem_id")?,
            opened: micros(tickets, "opened_at")?,
            resolved: micros(tickets, "resolved_at")?,
            priority: int32(tickets, "priority")?,
        })
    }
}

/// `(source, ticket_id)` of the tickets that breached an SLA.
type Breached = HashSet<(String, String)>;

/// The keys of the breaching rows of the `sla` table (none without one).
fn breached_keys(sla: Option<&DataFrame>) -> Result<Breached> {
    let mut breached: Breached = HashSet::new();
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
    Ok(breached)
}

/// The incidents opened in `period`, with normalised text, and those whose text carries no
/// signal.
fn incidents_of(
    height: usize,
    cols: &TicketCols,
    period: Option<(i64, i64)>,
) -> (Vec<cluster::Incident>, Uninformative) {
    // Titles repeat a lot; normalise each distinct text once.
    let mut cache: HashMap<String, text::Normalized> = HashMap::new();
    let mut incidents = Vec::new();
    let mut uninformative = Uninformative::default();
    for i in 0..height {
        let Some(o) = cols.opened.get(i) else {
            continue;
        };
        if cols.kind.get(i) != Some("incident") || period.is_some_and(|(a, b)| o < a || o >= b) {
            continue;
        }
        let t = match (cols.title.get(i), cols.desc.get(i)) {
            (Some(t), Some(d)) => format!("{t} {d}"),
            (t, d) => t.or(d).unwrap_or_default().to_string(),
        };
        let n = match cache.get(&t) {
            Some(n) => n.clone(),
            None => {
                let n = text::normalize(&t);
                cache.insert(t.clone(), n.clone());
                n
            }
        };
        if n.is_empty() {
            uninformative.count += 1;
            let shown = t.trim();
            if shown.is_empty() {
                uninformative.without_text += 1;
            } else {
                *uninformative.texts.entry(shown.to_string()).or_default() += 1;
            }
        }
        incidents.push(cluster::Incident {
            row: i,
            opened: o,
            service: cols.service.get(i).map(String::from),
            category: cols.category.get(i).map(String::from),
            text: n,
        });
    }
    (incidents, uninformative)
}

/// `(score, candidate id, index into found)` per candidate, best first: the score rounded to
/// hundredths, ties broken by id so the ranking is stable.
fn ranked(
    found: &[cluster::Cluster],
    incidents: &[cluster::Incident],
    priority: &Int32Chunked,
    as_of: i64,
) -> Vec<(f64, String, usize)> {
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
        let id = format!(
            "PC-{}",
            &crate::hex(&Sha256::digest(c.key.as_bytes()))[..10]
        );
        rows.push(((score * 100.0).round() / 100.0, id, k));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    rows
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
    let cols = TicketCols::read(tickets)?;
    let breached = breached_keys(sla)?;
    let (incidents, uninformative) = incidents_of(tickets.height(), &cols, period);
    let found = cluster::candidates(&incidents, cluster::group(&incidents, p.similarity), &p);
    let rows = ranked(&found, &incidents, &cols.priority, as_of);
    let mut out = Columns::default();
    for (rank, (score, cid, k)) in rows.iter().enumerate() {
        out.push_candidate(
            rank,
            (*score, cid),
            &found[*k],
            &incidents,
            &cols,
            &breached,
        );
    }
    let (candidates, members) = out.finish()?;
    Ok(Detection {
        candidates,
        members,
        incidents: incidents.len() as u64,
        uninformative: uninformative.count,
        without_text: uninformative.without_text,
        uninformative_example: uninformative.example(),
    })
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
    /// Append the candidate ranked `rank` (from 0): its `problem_candidates` row and its
    /// `problem_candidate_members` rows.
    fn push_candidate(
        &mut self,
        rank: usize,
        (score, cid): (f64, &str),
        c: &cluster::Cluster,
        incidents: &[cluster::Incident],
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
