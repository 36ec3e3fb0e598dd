//! Recurring-problem detection: find the clusters of incidents that should become a problem
//! record, rank them by impact, and show which already have one.
//!
//! [`text`] normalises titles (with the word lists of [`lexicon`]), [`cluster`] groups
//! incidents, [`pattern`] keeps the bursts and the chronic streams, and this module ranks
//! the candidates and turns them ([`output`]) into the `problem_candidates` and
//! `problem_candidate_members` tables that `ticketlake build` commits.
//!
//! The score is `incidents × impact × recency`:
//! - impact is the members' mean priority weight (P1 8, P2 4, P3 2, P4 1, P5 0.5; unknown 1);
//! - recency halves every 90 days between the last incident and the as-of instant.

mod candidate;
pub mod cluster;
pub mod lexicon;
mod output;
pub mod pattern;
mod scan;
pub mod signal;
pub mod text;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::dataset::chunks::Chunks;
use crate::dataset::columns::{int32, micros, text as text_col};
use crate::error::{Error, Result};
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
    /// Fewest incidents in a month for it to count towards a chronic stream (3 of the last
    /// 6 months must).
    pub chronic_min_per_month: usize,
    /// The share of its block's incidents, in percent, that makes a cluster chronic.
    pub chronic_min_share: f64,
}

impl Default for ProblemConfig {
    fn default() -> Self {
        ProblemConfig {
            enabled: true,
            min_incidents: 3,
            window: "30d".into(),
            similarity: 0.5,
            burst_ratio: 3.0,
            chronic_min_per_month: 4,
            chronic_min_share: 10.0,
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
        if self.chronic_min_per_month < 1 {
            return Err(bad("chronic-min-per-month", "must be at least 1".into()));
        }
        if !(self.chronic_min_share > 0.0 && self.chronic_min_share <= 100.0) {
            return Err(bad(
                "chronic-min-share",
                format!(
                    "{} is not a share; write a percent above 0 and at most 100, like 10",
                    self.chronic_min_share
                ),
            ));
        }
        Ok(cluster::Params {
            min_incidents: self.min_incidents,
            window: days * DAY,
            similarity: self.similarity,
            burst_ratio: self.burst_ratio.max(0.0),
            chronic_min_per_month: self.chronic_min_per_month,
            chronic_min_share: self.chronic_min_share,
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

/// The columns of the candidates' members that the second pass gathers.
const MEMBER_COLUMNS: [&str; 11] = [
    "ticket_id",
    "source",
    "title",
    "service",
    "config_item",
    "category",
    "location",
    "problem_id",
    "opened_at",
    "resolved_at",
    "priority",
];

/// The `tickets` columns of the candidates' members, each read and cast once.
struct TicketCols {
    id: StringChunked,
    source: StringChunked,
    title: StringChunked,
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
            id: col("ticket_id")?,
            source: col("source")?,
            title: col("title")?,
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
/// half-open; all when `None`). `sla` marks breaching members; `as_of` drives recency and
/// ends the months the chronic rule counts (the period's end does when earlier).
pub fn detect(
    tickets: &DataFrame,
    sla: Option<&DataFrame>,
    cfg: &ProblemConfig,
    period: Option<(i64, i64)>,
    as_of: i64,
) -> Result<Detection> {
    let sla = sla.map(Chunks::Frame);
    detect_in(&Chunks::Frame(tickets), sla.as_ref(), cfg, period, as_of)
}

/// [`detect`] over tickets and `sla` rows read piece by piece (the files of a dataset
/// version): memory follows the incidents' count, not their text (see [`scan`]).
pub fn detect_in(
    tickets: &Chunks,
    sla: Option<&Chunks>,
    cfg: &ProblemConfig,
    period: Option<(i64, i64)>,
    as_of: i64,
) -> Result<Detection> {
    let p = cfg.params()?;
    let scan::Scan {
        mut incidents,
        uninformative,
        ..
    } = scan::incidents(tickets, period)?;
    // The chronic rule's months end at the as-of, or at the period's end when that is
    // earlier (a period running past the data would count months nothing could fill).
    let reference = period.map_or(as_of, |(_, end)| end.min(as_of));
    let found = pattern::candidates(&incidents, cluster::group(&incidents, &p), &p, reference);
    let rows = scan::member_rows(&found, &mut incidents);
    let members = tickets.gather(&rows, &MEMBER_COLUMNS)?;
    let cols = TicketCols::read(&members)?;
    let breached = scan::breached(sla, &cols.id, &cols.source)?;
    let rows = ranked(&found, &incidents, &cols.priority, as_of);
    let mut out = output::Columns::default();
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
