//! The synthetic service desk behind `ticketlake generate`: arrivals in business hours, a
//! realistic mix of services, priorities and kinds, on-hold periods, reopens and
//! reassignments, changes that sometimes fail and cause incidents, problems with linked
//! incidents, a diverse background of faults ([`super::background`]), and injected recurring
//! issues ([`super::inject`]) whose truth is written beside the export; or, with `--inject`,
//! the null desk of [`super::null`] with a known trend and spike.

use chrono::{NaiveDate, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::{background, bad_changes, draw, inject, null};

pub(crate) use super::desk::{SERVICES, TARGET_HOURS, Ticket};
pub use super::inject::Recurring;
pub use super::null::Insight;

/// What was injected, for tests of later stages.
#[derive(Debug, Serialize)]
pub struct Truth {
    pub seed: u64,
    pub tickets: u64,
    pub period_start: String,
    pub period_end: String,
    pub timezone: &'static str,
    /// Whether the injected bursts are paraphrased (`--paraphrases`).
    pub paraphrases: bool,
    /// What `--inject` asked for (empty: the realistic desk).
    pub inject: Vec<&'static str>,
    pub kinds: std::collections::BTreeMap<&'static str, u64>,
    pub sla_target_hours: [f64; 5],
    pub resolution_breach_rate: f64,
    pub recurring: Vec<Recurring>,
    /// The injected insights of the null desk; null for the realistic desk, which is not a
    /// null table (its services have their own groups, categories and CIs).
    pub insights: Option<Vec<Insight>>,
    pub failed_changes: u64,
    pub incidents_caused_by_change: u64,
    pub incidents_linked_to_problem: u64,
    /// The injected bad changes of `--inject bad-changes` (empty for the null desk without
    /// them; absent for the realistic desk).
    pub bad_changes: Option<Vec<super::bad_changes::BadChange>>,
}

/// Which desk to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The realistic desk with injected recurring problems; `paraphrases` paraphrases the
    /// bursts' titles.
    Desk { paraphrases: bool },
    /// The null desk of [`super::null`], with a trend and/or a spike injected.
    Null {
        trend: bool,
        spike: bool,
        bad_changes: bool,
    },
}

/// Link incidents: 2% are caused by a random failed change, 8% are linked to the first problem
/// of their service. Returns how many of each.
fn link(
    rng: &mut SmallRng,
    out: &mut [Ticket],
    failed_changes: &[String],
    problems: &[(String, usize)],
) -> (u64, u64) {
    let (mut caused, mut linked) = (0u64, 0u64);
    for t in out.iter_mut().filter(|t| t.kind == "incident") {
        if !failed_changes.is_empty() && rng.random::<f64>() < 0.02 {
            t.caused_by = Some(failed_changes[rng.random_range(0..failed_changes.len())].clone());
            caused += 1;
        }
        if rng.random::<f64>() < 0.08
            && let Some((p, _)) = problems.iter().find(|(_, s)| *s == t.service)
        {
            t.problem_id = Some(p.clone());
            linked += 1;
        }
    }
    (caused, linked)
}

/// The share of resolved incidents whose wall-clock resolution exceeded their priority's
/// [`TARGET_HOURS`].
fn breach_rate(out: &[Ticket]) -> f64 {
    let breached = out
        .iter()
        .filter(|t| t.kind == "incident")
        .filter(|t| match t.resolved {
            Some(r) => {
                (r - t.opened).num_seconds() as f64 / 3600.0 > TARGET_HOURS[t.priority as usize - 1]
            }
            None => false,
        })
        .count();
    let resolved = out
        .iter()
        .filter(|t| t.kind == "incident" && t.resolved.is_some())
        .count()
        .max(1);
    breached as f64 / resolved as f64
}

/// Generate `n` tickets over `months` months ending with `end` (first day of the last month).
pub fn tickets(n: u64, months: u32, end: NaiveDate, seed: u64, mode: Mode) -> (Vec<Ticket>, Truth) {
    let mut rng = SmallRng::seed_from_u64(seed);
    // The wording has its own stream, so it can change without moving any other field.
    let mut words = SmallRng::seed_from_u64(seed ^ 0x5EED_7E47_0000_0001);
    let start = end
        .checked_sub_months(chrono::Months::new(months.saturating_sub(1)))
        .expect("start month");
    let stop = end
        .checked_add_months(chrono::Months::new(1))
        .expect("end month");
    let days = (stop - start).num_days();
    let now = Utc.from_utc_datetime(&stop.and_hms_opt(0, 0, 0).expect("midnight"));
    let plan = match mode {
        Mode::Null { trend, spike, .. } => {
            Some(null::plan(&mut rng, start, stop, end, trend, spike))
        }
        Mode::Desk { .. } => None,
    };
    let mut out: Vec<Ticket> = Vec::with_capacity(n as usize);
    let mut faults: Vec<Option<u32>> = Vec::with_capacity(n as usize);
    let mut numbers = draw::Numbers::default();
    let mut failed_changes: Vec<String> = Vec::new();
    let mut problems: Vec<(String, usize)> = Vec::new();
    for _ in 0..n {
        let (t, fault) = match &plan {
            Some(p) => null::ticket(&mut rng, &mut numbers, p, now),
            None => draw::ticket(&mut rng, &mut numbers, start, days, now),
        };
        // Only changes have a close code.
        if t.close_code == Some("Unsuccessful") {
            failed_changes.push(t.number.clone());
        }
        if t.kind == "problem" {
            problems.push((t.number.clone(), t.service));
        }
        out.push(t);
        faults.push(fault);
    }
    // Links: incidents caused by failed changes, incidents linked to problems of their service.
    let (caused, linked) = link(&mut rng, &mut out, &failed_changes, &problems);
    let bad_changes = match (&plan, mode) {
        (Some(p), Mode::Null { bad_changes, .. }) => Some(match bad_changes {
            true => bad_changes::inject(&mut rng, &mut out, &mut faults, &mut numbers, p, now),
            false => Vec::new(),
        }),
        _ => None,
    };
    let mut recurring = Vec::new();
    if let Mode::Desk { paraphrases } = mode {
        let (bursts, taken) = inject::bursts(&mut rng, &mut out, start, days, paraphrases);
        for i in taken {
            faults[i] = None;
        }
        recurring = bursts;
    }
    background::deal(&mut words, &mut out, &faults);
    if let Mode::Desk { .. } = mode {
        let mut background: Vec<bool> = faults.iter().map(Option::is_some).collect();
        recurring.extend(inject::chronic(
            &mut words,
            &mut out,
            &mut background,
            start,
            stop,
        ));
    }
    let inject = match mode {
        Mode::Null {
            trend: false,
            spike: false,
            bad_changes: false,
        } => vec!["none"],
        Mode::Null {
            trend,
            spike,
            bad_changes,
        } => [
            (trend, "trend"),
            (spike, "spike"),
            (bad_changes, "bad-changes"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect(),
        Mode::Desk { .. } => Vec::new(),
    };
    let truth = Truth {
        seed,
        tickets: out.len() as u64,
        period_start: start.to_string(),
        period_end: stop.to_string(),
        timezone: "Europe/London",
        paraphrases: mode == Mode::Desk { paraphrases: true },
        inject,
        kinds: [
            ("incident", numbers.inc),
            ("request", numbers.req),
            ("change", numbers.chg),
            ("problem", numbers.prb),
        ]
        .into_iter()
        .collect(),
        sla_target_hours: TARGET_HOURS,
        resolution_breach_rate: breach_rate(&out),
        recurring,
        insights: plan.as_ref().map(null::Plan::insights),
        failed_changes: failed_changes.len() as u64,
        incidents_caused_by_change: caused,
        incidents_linked_to_problem: linked,
        bad_changes,
    };
    (out, truth)
}

/// Format a UTC instant as a naive local time in `tz`, nudging instants that fall in a DST
/// fold forward so the export never contains an ambiguous local time. The exporters use
/// the faster [`super::clock::LocalClock`]; this is the reference it is tested against.
#[cfg(test)]
pub fn local(t: chrono::DateTime<Utc>, tz: chrono_tz::Tz, fmt: &str) -> String {
    let mut l = t.with_timezone(&tz).naive_local();
    if tz.from_local_datetime(&l).single().is_none() {
        l += chrono::Duration::hours(1);
    }
    l.format(fmt).to_string()
}
