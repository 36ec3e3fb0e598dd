//! One ticket of [`super::model::tickets`], drawn step by step.
//!
//! A seed must give byte-identical files, so the output depends on the exact sequence of
//! random draws: each step draws the same values in the same order as it always has, and
//! [`ticket`] calls the steps in that order. Reordering any draw changes every seed's output.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::SmallRng;

use super::desk::{
    LOCATIONS, PEOPLE, SERVICES, TARGET_HOURS, Ticket, VAGUE, arrival, normal, pick,
};
use super::faults::other_title;

/// Per-kind counters: they number the tickets and, at the end, are the kinds' totals.
#[derive(Default)]
pub(super) struct Numbers {
    pub(super) inc: u64,
    pub(super) req: u64,
    pub(super) chg: u64,
    pub(super) prb: u64,
}

impl Numbers {
    /// The next number of `kind`: `INC0000001`, `RITM…`, `CHG…`, `PRB…`.
    pub(super) fn next(&mut self, kind: &str) -> String {
        match kind {
            "incident" => {
                self.inc += 1;
                format!("INC{:07}", self.inc)
            }
            "request" => {
                self.req += 1;
                format!("RITM{:07}", self.req)
            }
            "change" => {
                self.chg += 1;
                format!("CHG{:07}", self.chg)
            }
            _ => {
                self.prb += 1;
                format!("PRB{:07}", self.prb)
            }
        }
    }
}

/// The kind: 70% incidents, 20% requests, 7% changes, 3% problems (one draw).
pub(super) fn kind(rng: &mut SmallRng) -> &'static str {
    let r: f64 = rng.random();
    if r < 0.70 {
        "incident"
    } else if r < 0.90 {
        "request"
    } else if r < 0.97 {
        "change"
    } else {
        "problem"
    }
}

/// The priority: mostly 3 and 4, 1 and 5 at 2% each (one draw).
pub(super) fn priority(rng: &mut SmallRng) -> u8 {
    let p: f64 = rng.random();
    if p < 0.02 {
        1
    } else if p < 0.12 {
        2
    } else if p < 0.62 {
        3
    } else if p < 0.98 {
        4
    } else {
        5
    }
}

/// A ticket's title as drawn: final, or a fault whose component is dealt later.
pub(super) enum Title {
    Text(String),
    /// An incident about a background fault: the draw picks its phrasing, and
    /// [`super::background::deal`] its component.
    Fault(u32),
}

/// The title: 3% of incidents get a vague one, the rest a background fault of their service
/// (two draws for incidents, one for the other kinds).
pub(super) fn title(rng: &mut SmallRng, kind: &str, s: usize) -> Title {
    // `&&` short-circuits: only incidents draw the vague-title coin.
    if kind == "incident" && rng.random::<f64>() < 0.03 {
        return Title::Text(pick(rng, VAGUE).to_string());
    }
    // One draw, as the four titles per service before it took, so every later draw (and
    // field) is the same as it was.
    let draw: u32 = rng.random();
    if kind == "incident" {
        Title::Fault(draw)
    } else {
        Title::Text(other_title(kind, s, draw))
    }
}

/// The resolution instant, before the export cuts it off: log-normal around a fraction of the
/// priority's target, longer by the on-hold period that 15% of tickets get (set on `t`).
fn resolution(rng: &mut SmallRng, t: &mut Ticket) -> DateTime<Utc> {
    let opened = t.opened;
    let target = TARGET_HOURS[t.priority as usize - 1];
    let hours = (target * 0.45) * (0.9 * normal(rng)).exp();
    let mut resolved = opened + Duration::seconds((hours * 3600.0) as i64 + 60);
    if rng.random::<f64>() < 0.15 {
        let hold_start = opened + (resolved - opened) / 3;
        let hold_len = Duration::seconds(rng.random_range(1800..86_400 * 2));
        t.hold = Some((hold_start, hold_start + hold_len));
        resolved += hold_len;
    }
    resolved
}

/// A change's type, close code (5% unsuccessful) and planned window.
pub(super) fn change_details(rng: &mut SmallRng, t: &mut Ticket) {
    let ct: f64 = rng.random();
    t.change_type = Some(if ct < 0.6 {
        "Normal"
    } else if ct < 0.9 {
        "Standard"
    } else {
        "Emergency"
    });
    let cc: f64 = rng.random();
    t.close_code = Some(if cc < 0.88 {
        "Successful"
    } else if cc < 0.95 {
        "Successful with issues"
    } else {
        "Unsuccessful"
    });
    t.planned = Some((
        t.opened + Duration::days(2),
        t.opened + Duration::days(2) + Duration::hours(2),
    ));
}

/// The state at the export instant `now`, with the resolved, closed and updated instants it
/// implies; tickets resolved after `now` are still open.
pub(super) fn settle(
    rng: &mut SmallRng,
    t: &mut Ticket,
    resolved: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    if resolved >= now {
        // Still open at the export.
        t.state = if t.hold.is_some_and(|(a, _)| a < now) {
            "On Hold"
        } else if rng.random::<f64>() < 0.3 {
            "New"
        } else {
            "In Progress"
        };
        t.updated = t.opened.max(now - Duration::hours(rng.random_range(1..48)));
    } else {
        t.resolved = Some(resolved);
        let closed = resolved + Duration::days(3);
        if closed < now {
            t.closed = Some(closed);
            t.state = "Closed";
            t.updated = closed;
        } else {
            t.state = "Resolved";
            t.updated = resolved;
        }
    }
}

/// One ticket, numbered by `numbers`, opened in the `days` days from `start`, in its state at
/// the export instant `now`; its title is a placeholder when it is a background fault.
pub(super) fn ticket(
    rng: &mut SmallRng,
    numbers: &mut Numbers,
    start: NaiveDate,
    days: i64,
    now: DateTime<Utc>,
) -> (Ticket, Option<u32>) {
    let kind = kind(rng);
    let number = numbers.next(kind);
    let s = rng.random_range(0..SERVICES.len());
    let svc = &SERVICES[s];
    let priority = priority(rng);
    let opened = arrival(rng, start, days);
    let (title, fault) = match title(rng, kind, s) {
        Title::Text(t) => (t, None),
        Title::Fault(d) => (String::new(), Some(d)),
    };
    // Field initialisers run in source order, so these draws stay in this order.
    let mut t = Ticket {
        number,
        kind,
        service: s,
        group: svc.group,
        category: svc.category,
        ci: pick(rng, svc.cis),
        title,
        priority,
        state: "Closed",
        opened,
        hold: None,
        resolved: None,
        closed: None,
        updated: opened,
        assignee: pick(rng, PEOPLE),
        caller: pick(rng, PEOPLE),
        location: pick(rng, LOCATIONS),
        reopen_count: u32::from(rng.random::<f64>() < 0.05),
        reassignment_count: (normal(rng).abs() * 1.2) as u32,
        problem_id: None,
        caused_by: None,
        change_type: None,
        close_code: None,
        planned: None,
    };
    let resolved = resolution(rng, &mut t);
    if kind == "change" {
        change_details(rng, &mut t);
    }
    settle(rng, &mut t, resolved, now);
    (t, fault)
}
