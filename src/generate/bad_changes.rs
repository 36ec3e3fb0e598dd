//! `generate --inject bad-changes`: changes of the null desk that break something. Each
//! chosen change is followed, within 72 hours of its planned end, by extra incidents: on its
//! own CI, or (every other one) the change is moved to the infrastructure CI its CI runs on
//! and the incidents land on that CI, which depends on it. `truth.json` lists them.
//!
//! The size of the effect follows the desk's own rate: with `λ` incidents expected on the
//! affected CIs in 72 hours, a bad change adds `⌈λ/2 + 3√λ⌉ + 6`, arriving soon after the
//! change (exponential, mean 12 hours). Bad changes on the same CIs are kept five weeks
//! apart, so one does not sit in another's baseline, and no other change on those CIs (or on
//! what they run on) ends in a bad change's window: its incidents would follow that change
//! just as well, and the truth would be ambiguous.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

use super::cmdb::{host_of, running_on};
use super::desk::Ticket;
use super::draw::Numbers;
use super::null::{self, Plan};

/// One injected bad change, for `truth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct BadChange {
    /// The change's number.
    pub change: String,
    /// The CI it changed.
    pub ci: String,
    /// The CI its incidents were opened on (the changed one, or one that depends on it).
    pub incidents_on: String,
    /// How many incidents it caused.
    pub incidents: u32,
}

const WINDOW_H: i64 = 72;
/// The baseline the correlation looks back over, plus the window: bad changes on the same
/// CIs are this far apart, and none is this close to the desk's start.
const APART_DAYS: i64 = 35;

/// Inject bad changes into `out` (their incidents are appended, with their titles' faults
/// in `faults`), before the export instant `now`.
pub(super) fn inject(
    rng: &mut SmallRng,
    out: &mut Vec<Ticket>,
    faults: &mut Vec<Option<u32>>,
    numbers: &mut Numbers,
    plan: &Plan,
    now: DateTime<Utc>,
) -> Vec<BadChange> {
    let start = plan.start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let incidents = out.iter().filter(|t| t.kind == "incident").count() as f64;
    let per_ci_hour = incidents / (plan.cis.len() as f64 * plan.days as f64 * 24.0);
    let mut candidates: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].kind == "change")
        .filter(|&i| {
            out[i].planned.is_some_and(|(_, end)| {
                end >= start + Duration::days(APART_DAYS)
                    && end + Duration::hours(WINDOW_H + 24) <= now
            })
        })
        .collect();
    // A shuffle (Fisher-Yates), so the bad ones are spread over the desk.
    for i in (1..candidates.len()).rev() {
        candidates.swap(i, rng.random_range(0..=i));
    }
    let wanted = (candidates.len() / 40).clamp(3, 40);
    let mut chosen: Vec<(DateTime<Utc>, Vec<&'static str>)> = Vec::new();
    let mut truth = Vec::new();
    for i in candidates {
        if truth.len() == wanted {
            break;
        }
        let (own, end) = (out[i].ci, out[i].planned.map(|p| p.1).expect("planned"));
        let on_host = truth.len() % 2 == 1;
        let affected = if on_host {
            running_on(host_of(own))
        } else {
            vec![own]
        };
        let clash = chosen.iter().any(|(at, cis)| {
            (*at - end).num_days().abs() < APART_DAYS && cis.iter().any(|c| affected.contains(c))
        });
        // Another change on these CIs (or below them) ending in the window would make the
        // truth itself ambiguous: its incidents would follow that change too.
        let host = host_of(own);
        let crowded = out.iter().enumerate().any(|(j, t)| {
            j != i
                && t.kind == "change"
                && (t.ci == host || affected.contains(&t.ci))
                && t.planned
                    .is_some_and(|(_, e)| e > end && e <= end + Duration::hours(WINDOW_H))
        });
        if clash || crowded {
            continue;
        }
        if on_host {
            out[i].ci = host_of(own);
        }
        let lambda = per_ci_hour * affected.len() as f64 * WINDOW_H as f64;
        let extra = (lambda / 2.0 + 3.0 * lambda.sqrt()).ceil() as u32 + 6;
        for _ in 0..extra {
            let opened = end + Duration::seconds(delay_s(rng));
            let (t, fault) = null::incident_on(rng, numbers, plan, now, own, opened);
            out.push(t);
            faults.push(fault);
        }
        truth.push(BadChange {
            change: out[i].number.clone(),
            ci: out[i].ci.to_string(),
            incidents_on: own.to_string(),
            incidents: extra,
        });
        chosen.push((end, affected));
    }
    truth
}

/// Seconds from a bad change's end to one of its incidents: exponential with a mean of 12
/// hours, within the 72-hour window.
fn delay_s(rng: &mut SmallRng) -> i64 {
    loop {
        let u: f64 = rng.random::<f64>().max(1e-12);
        let s = -12.0 * 3600.0 * u.ln();
        if s >= 60.0 && s < (WINDOW_H * 3600 - 60) as f64 {
            return s as i64;
        }
    }
}
