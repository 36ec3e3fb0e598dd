//! The synthetic service desk behind `ticketlake generate`: arrivals in business hours, a
//! realistic mix of services, priorities and kinds, on-hold periods, reopens and
//! reassignments, changes that sometimes fail and cause incidents, problems with linked
//! incidents, and injected recurring issues whose truth is written beside the export.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::draw;

use super::desk::arrival;
pub(crate) use super::desk::{PEOPLE, SERVICES, TARGET_HOURS, Ticket};

/// What was injected, for tests of later stages.
#[derive(Debug, Serialize)]
pub struct Truth {
    pub seed: u64,
    pub tickets: u64,
    pub period_start: String,
    pub period_end: String,
    pub timezone: &'static str,
    pub kinds: std::collections::BTreeMap<&'static str, u64>,
    pub sla_target_hours: [f64; 5],
    pub resolution_breach_rate: f64,
    pub recurring: Vec<Recurring>,
    pub failed_changes: u64,
    pub incidents_caused_by_change: u64,
    pub incidents_linked_to_problem: u64,
}

/// One injected recurring issue.
#[derive(Debug, Serialize)]
pub struct Recurring {
    pub config_item: String,
    pub service: String,
    pub title_pattern: String,
    pub incidents: Vec<String>,
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
pub fn tickets(n: u64, months: u32, end: NaiveDate, seed: u64) -> (Vec<Ticket>, Truth) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let start = end
        .checked_sub_months(chrono::Months::new(months.saturating_sub(1)))
        .expect("start month");
    let stop = end
        .checked_add_months(chrono::Months::new(1))
        .expect("end month");
    let days = (stop - start).num_days();
    let now = Utc.from_utc_datetime(&stop.and_hms_opt(0, 0, 0).expect("midnight"));
    let mut out: Vec<Ticket> = Vec::with_capacity(n as usize);
    let mut numbers = draw::Numbers::default();
    let mut failed_changes: Vec<String> = Vec::new();
    let mut problems: Vec<(String, usize)> = Vec::new();
    for _ in 0..n {
        let t = draw::ticket(&mut rng, &mut numbers, start, days, now);
        // Only changes have a close code.
        if t.close_code == Some("Unsuccessful") {
            failed_changes.push(t.number.clone());
        }
        if t.kind == "problem" {
            problems.push((t.number.clone(), t.service));
        }
        out.push(t);
    }
    // Links: incidents caused by failed changes, incidents linked to problems of their service.
    let (caused, linked) = link(&mut rng, &mut out, &failed_changes, &problems);
    let recurring = inject_recurring(&mut rng, &mut out, start, days);
    let truth = Truth {
        seed,
        tickets: n,
        period_start: start.to_string(),
        period_end: stop.to_string(),
        timezone: "Europe/London",
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
        failed_changes: failed_changes.len() as u64,
        incidents_caused_by_change: caused,
        incidents_linked_to_problem: linked,
    };
    (out, truth)
}

/// Turn a few incidents per chosen CI into a burst of near-identical reports within weeks.
fn inject_recurring(
    rng: &mut SmallRng,
    out: &mut [Ticket],
    start: NaiveDate,
    days: i64,
) -> Vec<Recurring> {
    let patterns = [
        (
            2usize,
            "printer546",
            "Printer546 paper jam again in London office",
        ),
        (1, "vpn-gw-01", "VPN gateway vpn-gw-01 drops connections"),
        (
            0,
            "exch-mbx-02",
            "Email system down for multiple users on exch-mbx-02",
        ),
    ];
    let incidents: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == "incident")
        .map(|(i, _)| i)
        .collect();
    let mut result = Vec::new();
    if incidents.len() < 60 {
        return result;
    }
    for (k, (svc, ci, title)) in patterns.iter().enumerate() {
        let burst = arrival(rng, start, (days - 30).max(1));
        let count = 6 + rng.random_range(0..5);
        let mut members = Vec::new();
        for j in 0..count {
            let idx = incidents[(k * 7919 + j * 104_729) % incidents.len()];
            let t = &mut out[idx];
            let shift = burst + Duration::hours(rng.random_range(0..24 * 21)) - t.opened;
            t.opened += shift;
            t.resolved = t.resolved.map(|r| r + shift);
            t.closed = t.closed.map(|c| c + shift);
            t.hold = t.hold.map(|(a, b)| (a + shift, b + shift));
            t.updated += shift;
            t.service = *svc;
            t.ci = ci;
            t.title = if j % 2 == 0 {
                title.to_string()
            } else {
                format!("{title} - reported by {}", PEOPLE[j % PEOPLE.len()])
            };
            members.push(t.number.clone());
        }
        result.push(Recurring {
            config_item: ci.to_string(),
            service: SERVICES[*svc].name.into(),
            title_pattern: title.to_string(),
            incidents: members,
        });
    }
    result
}

/// Format a UTC instant as a naive local time in `tz`, nudging instants that fall in a DST
/// fold forward so the export never contains an ambiguous local time. The exporters use
/// the faster [`super::clock::LocalClock`]; this is the reference it is tested against.
#[cfg(test)]
pub fn local(t: chrono::DateTime<Utc>, tz: chrono_tz::Tz, fmt: &str) -> String {
    let mut l = t.with_timezone(&tz).naive_local();
    if tz.from_local_datetime(&l).single().is_none() {
        l += Duration::hours(1);
    }
    l.format(fmt).to_string()
}
