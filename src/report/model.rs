//! What a unit's report says, as plain data: KPIs against targets and last month, the 13-month
//! series with their trend verdicts, the weekly flow, aging, breaches, recurring problems,
//! change success and data quality. `summary.json` is this structure serialised; the HTML
//! pages and charts only present it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::query::trend;
use crate::targets::{Rag, judge};

/// One KPI: this month, last month, the target and the verdict.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Kpi {
    /// This period's value.
    pub value: Option<f64>,
    /// The previous month's value.
    pub previous: Option<f64>,
    /// The target from config.
    pub target: Option<f64>,
    /// How the value compares with the target.
    pub status: Rag,
}

impl Kpi {
    /// A KPI judged against its target.
    pub fn new(
        value: Option<f64>,
        previous: Option<f64>,
        target: Option<f64>,
        higher: bool,
        pct: bool,
    ) -> Kpi {
        Kpi {
            value,
            previous,
            target,
            status: judge(value, target, higher, pct),
        }
    }
}

/// Attainment of one SLA.
#[derive(Debug, Clone, Serialize)]
pub struct SlaKpi {
    /// The SLA.
    pub sla_name: String,
    /// Clocks counted (met + breached + running breached).
    pub counted: u64,
    /// Clocks met.
    pub met: u64,
    /// Attainment percent.
    #[serde(flatten)]
    pub kpi: Kpi,
}

/// One month of the 13-month series.
#[derive(Debug, Clone, Serialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    /// Incidents and requests opened.
    pub opened: u64,
    /// Incidents resolved.
    pub resolved: u64,
    /// MTTR median (s) of incidents resolved in the month.
    pub mttr_median_s: Option<f64>,
    /// MTTR p90 (s).
    pub mttr_p90_s: Option<f64>,
    /// SLA attainment (all SLAs) of clocks counted in the month.
    pub attainment_pct: Option<f64>,
}

/// A trend test over the 13 months.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// improving, worsening, no clear trend or insufficient data.
    pub verdict: &'static str,
    /// Theil-Sen slope per month.
    pub slope_per_month: Option<f64>,
    /// Mann-Kendall p-value.
    pub p: Option<f64>,
}

impl Trend {
    /// Test `values` (oldest first).
    pub fn of(values: &[Option<f64>], higher_is_better: bool) -> Trend {
        Trend {
            verdict: trend::verdict(values, higher_is_better),
            slope_per_month: trend::theil_sen(values),
            p: trend::mann_kendall_p(values),
        }
    }
}

/// One week bucket of the period.
#[derive(Debug, Clone, Serialize)]
pub struct WeekPoint {
    /// First day (UTC).
    pub week_start: String,
    /// Incidents and requests opened.
    pub opened: u64,
    /// Resolved.
    pub resolved: u64,
    /// Open at the bucket's end.
    pub backlog: u64,
}

/// A breach, worst overrun first.
#[derive(Debug, Clone, Serialize)]
pub struct Breach {
    /// The SLA.
    pub sla_name: String,
    /// The ticket.
    pub ticket_id: String,
    /// Priority label.
    pub priority: String,
    /// Assignment group.
    pub group: String,
    /// Title.
    pub title: String,
    /// When it breached.
    pub breach_at: String,
    /// Wall seconds past the target.
    pub overrun_s: f64,
}

/// A recurring-problem candidate touching the unit.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemRow {
    /// `PC-…`.
    pub candidate_id: String,
    /// Portfolio rank.
    pub rank: u64,
    /// What the incidents share.
    pub label: String,
    /// Incidents in the cluster.
    pub incidents: u64,
    /// First and last incident.
    pub first_seen: String,
    /// Last incident.
    pub last_seen: String,
    /// No incident is linked to a problem record.
    pub unlinked: bool,
    /// Linked problem records.
    pub problem_ids: String,
    /// Share of the cluster's clocks breached.
    pub breach_pct: Option<f64>,
    /// `burst` or `chronic`.
    pub pattern: String,
}

/// Change success in the period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeKpi {
    /// Changes closed.
    pub changes: u64,
    /// Successful.
    pub successful: u64,
    /// Failed.
    pub failed: u64,
    /// Success percent.
    pub success_pct: Option<f64>,
    /// Incidents caused by changes.
    pub incidents_caused: u64,
    /// Changes followed by more incidents than their CIs' rate explains (`change_impact`).
    pub followed_by_incidents: u64,
    /// Changes an incident names as its cause.
    pub confirmed: u64,
}

/// A unit's configuration items in the period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CiSection {
    /// The CIs with the most incidents, most first.
    pub top: Vec<CiRow>,
    /// Changes followed by more incidents than their CIs' rate explains.
    pub suspects: Vec<SuspectChange>,
    /// CIs changed without an incident.
    pub quiet: Vec<QuietCi>,
}

/// One CI of the unit and its month.
#[derive(Debug, Clone, Serialize)]
pub struct CiRow {
    /// Its name (or the `config_item` as given, when it is in no CMDB).
    pub ci: String,
    /// Its class (`(not in CMDB)` for a name no CI has).
    pub class: String,
    /// Incidents opened in the month on it.
    pub incidents: u64,
    /// Incidents opened on it the month before.
    pub previous: u64,
    /// Its share of the unit's incidents.
    pub share_pct: Option<f64>,
    /// Mean resolution time of its resolved incidents, hours.
    pub mttr_h: Option<f64>,
    /// Its incidents that breached an SLA.
    pub breaches: u64,
    /// Changes closed on it in the month.
    pub changes: u64,
}

/// A change followed by incidents (`suspect` in `change_impact`).
#[derive(Debug, Clone, Serialize)]
pub struct SuspectChange {
    /// The change.
    pub change_id: String,
    /// The CI it changed.
    pub ci: String,
    /// When it ended.
    pub change_end: String,
    /// Incidents after it on the CI or on CIs that depend on it.
    pub incidents_after: u64,
    /// Incidents the CIs' rate predicts.
    pub expected: f64,
    /// Whether an incident names it as its cause.
    pub confirmed: bool,
}

/// A CI changed in the month without an incident.
#[derive(Debug, Clone, Serialize)]
pub struct QuietCi {
    /// Its name.
    pub ci: String,
    /// Its class.
    pub class: String,
    /// Changes closed on it.
    pub changes: u64,
}

/// A unit's report.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// Service or group name.
    pub name: String,
    /// File-safe slug.
    pub slug: String,
    /// SLA attainment over all SLAs.
    pub attainment_pct: Kpi,
    /// Per SLA.
    pub slas: Vec<SlaKpi>,
    /// MTTR median, seconds.
    pub mttr_median_s: Kpi,
    /// MTTR p90, seconds.
    pub mttr_p90_s: Kpi,
    /// Incidents and requests opened.
    pub volume: Kpi,
    /// Incidents and requests open at the period's end.
    pub backlog: Kpi,
    /// Reopened share of resolved incidents.
    pub reopen_pct: Kpi,
    /// Trend tests over the 13 months.
    pub trends: BTreeMap<&'static str, Trend>,
    /// The 13 months.
    pub months: Vec<MonthPoint>,
    /// The weeks of the period.
    pub weeks: Vec<WeekPoint>,
    /// Open tickets by age: 0-2 d, 3-7 d, 8-30 d, over 30 d.
    pub aging: Vec<(String, u64)>,
    /// Breaches in the period per priority.
    pub breaches_by_priority: Vec<(String, u64)>,
    /// The worst breaches.
    pub top_breaches: Vec<Breach>,
    /// Recurring-problem candidates.
    pub problems: Vec<ProblemRow>,
    /// Change success.
    pub changes: ChangeKpi,
    /// The unit's configuration items.
    pub cis: CiSection,
    /// Tickets opened in the period and how many carry data-quality flags.
    pub opened_flagged: (u64, u64),
    /// The largest movements against last month, as sentences.
    pub what_changed: Vec<String>,
    /// KPIs that missed their target.
    pub missed: Vec<String>,
    /// What to look at: the unit's findings of the `insights` table.
    pub insights: Vec<Insight>,
}

/// One row of the `insights` table, as the reports show it (text masked when `[privacy] at
/// = "report"`).
#[derive(Debug, Clone, Serialize)]
pub struct Insight {
    /// The service the finding was looked for in; `None`: the whole desk.
    pub service: Option<String>,
    /// Rank within its scope.
    pub rank: u64,
    /// `trend`, `concentration`, `imbalance`, `spike`, `correlation` or `recurring`.
    pub kind: String,
    /// `volume`, `ttr` or `share`.
    pub metric: String,
    /// `overall`, a ticket dimension, or `title`.
    pub dimension: String,
    /// The dimension's value, or the candidate's label.
    pub value: String,
    /// `up`, `down`, `higher` or `lower`.
    pub direction: String,
    /// A spike's first day.
    pub window_start: Option<String>,
    /// A spike's last day.
    pub window_end: Option<String>,
    /// The effect in words.
    pub effect: String,
    /// The effect as a number.
    pub effect_value: Option<f64>,
    /// Incidents (or weeks) the finding rests on.
    pub n: Option<u64>,
    /// The test's p-value.
    pub p_value: Option<f64>,
    /// Its Benjamini-Hochberg q-value.
    pub q_value: Option<f64>,
    /// The ranking score.
    pub score: Option<f64>,
    /// The finding in one sentence.
    pub sentence: String,
    /// The clear service and value, for the SQL of the chart (never shown).
    #[serde(skip)]
    pub raw: (Option<String>, String),
}

/// Turn a name into a file-safe ASCII slug: no separators, no dots, never empty.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-');
    if s.is_empty() {
        "unnamed".into()
    } else {
        s.chars().take(60).collect()
    }
}

/// Make slugs unique by suffixing a short hash of the name where two collide.
pub fn unique_slugs(names: &[String]) -> Vec<String> {
    let base: Vec<String> = names.iter().map(|n| slug(n)).collect();
    base.iter()
        .zip(names)
        .map(|(b, n)| {
            if base.iter().filter(|x| *x == b).count() > 1 {
                use sha2::Digest;
                let h = sha2::Sha256::digest(n.as_bytes());
                format!("{b}-{:02x}{:02x}{:02x}", h[0], h[1], h[2])
            } else {
                b.clone()
            }
        })
        .collect()
}
