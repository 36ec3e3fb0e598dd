//! The null desk of `generate --inject`: a table with no pattern by construction (like
//! insight-bench's null flags), into which a known trend and a known spike are injected.
//!
//! Every ticket draws each dimension uniformly and independently of the others and of time:
//! service, category ([`CATEGORIES`]), assignment group (every group handles every service),
//! CI (any of all services' CIs), assignee, requester and location. The arrival rate is
//! constant (every day alike; hours of the day weighted to business hours), the priority keeps
//! the realistic mix of [`super::draw::priority`], and the resolution time is independent and
//! identically distributed: log-normal, median 24 h, σ 0.9, no on-hold time. Titles are the
//! background faults of the realistic desk ([`super::background`]), so no recurring problem
//! either.
//!
//! - `trend`: one category's resolution time is multiplied by a factor that rises linearly with
//!   the opening time, ×3 from the middle of the first month to the middle of the last. The
//!   factor's geometric mean over the period is 1, so the category's median over the whole
//!   period stays that of the others: the pattern is the trend, not a slow category.
//! - `spike`: one location's volume is ×3 its level elsewhere for 6 weeks (Monday to Sunday,
//!   inside the months before the last one, 4 weeks from either end). The extra tickets are
//!   taken from the other locations, so the overall rate stays constant and the location's
//!   share over the whole period stays 1/k: the pattern is the spike, not a big location.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

use super::desk::{CATEGORIES, LOCATIONS, PEOPLE, SERVICES, Ticket, normal, pick};
use super::draw::{self, Numbers, Title};

/// One injected insight, in the vocabulary of `ticketlake insights`.
#[derive(Debug, Clone, Serialize)]
pub struct Insight {
    pub kind: &'static str,
    pub metric: &'static str,
    pub dimension: &'static str,
    pub value: &'static str,
    pub direction: &'static str,
    /// First day of a spike's window (YYYY-MM-DD); null otherwise.
    pub window_start: Option<String>,
    /// Last day of a spike's window, inclusive; null otherwise.
    pub window_end: Option<String>,
}

/// Median resolution time of the null desk, hours.
const MEDIAN_HOURS: f64 = 24.0;
/// The spike's length and height.
const SPIKE_DAYS: i64 = 42;
const SPIKE_FACTOR: f64 = 3.0;

struct Trend {
    category: usize,
    /// Day offsets of the first and last months' middles.
    first: f64,
    last: f64,
    /// Scale giving the factor a geometric mean of 1 over the period.
    scale: f64,
}

impl Trend {
    fn raw(&self, day: f64) -> f64 {
        (1.0 + 2.0 * (day - self.first) / (self.last - self.first)).max(0.05)
    }

    fn factor(&self, day: f64) -> f64 {
        self.scale * self.raw(day)
    }
}

struct Spike {
    location: usize,
    /// Window, as day offsets from the start: [from, to).
    from: i64,
    to: i64,
    inside: f64,
    outside: f64,
}

/// What the null desk looks like: its period and what is injected.
pub(super) struct Plan {
    pub(super) start: NaiveDate,
    pub(super) days: i64,
    groups: Vec<&'static str>,
    pub(super) cis: Vec<&'static str>,
    trend: Option<Trend>,
    spike: Option<Spike>,
}

/// The distinct assignment groups of [`SERVICES`], in order.
fn groups() -> Vec<&'static str> {
    let mut g: Vec<&'static str> = Vec::new();
    for s in SERVICES {
        if !g.contains(&s.group) {
            g.push(s.group);
        }
    }
    g
}

/// Plan a null desk over `[start, stop)` whose last month starts at `last_month`; the
/// trend's category and the spike's location and window are drawn from `rng`.
pub(super) fn plan(
    rng: &mut SmallRng,
    start: NaiveDate,
    stop: NaiveDate,
    last_month: NaiveDate,
    trend: bool,
    spike: bool,
) -> Plan {
    let days = (stop - start).num_days();
    let month_days = |m: NaiveDate| {
        (m.checked_add_months(chrono::Months::new(1)).expect("month") - m).num_days() as f64
    };
    let trend = trend.then(|| {
        let mut t = Trend {
            category: rng.random_range(0..CATEGORIES.len()),
            first: month_days(start) / 2.0,
            last: (last_month - start).num_days() as f64 + month_days(last_month) / 2.0,
            scale: 1.0,
        };
        let mean_log = (0..days).map(|d| t.raw(d as f64 + 0.5).ln()).sum::<f64>() / days as f64;
        t.scale = (-mean_log).exp();
        t
    });
    let spike = spike.then(|| {
        // Mondays whose window ends 4 weeks before the last month, 4 weeks after the start.
        let first = start + Duration::days(28);
        let first = first + Duration::days((7 - first.weekday().num_days_from_monday() as i64) % 7);
        let latest = last_month - Duration::days(28 + SPIKE_DAYS);
        let choices = ((latest - first).num_days() / 7 + 1).max(1);
        let monday = first + Duration::weeks(rng.random_range(0..choices));
        let from = (monday - start).num_days();
        // The location's share outside the window, so that its share over the period is 1/k.
        let k = LOCATIONS.len() as f64;
        let outside = days as f64 / (k * (days as f64 + (SPIKE_FACTOR - 1.0) * SPIKE_DAYS as f64));
        Spike {
            location: rng.random_range(0..LOCATIONS.len()),
            from,
            to: from + SPIKE_DAYS,
            inside: SPIKE_FACTOR * outside,
            outside,
        }
    });
    Plan {
        start,
        days,
        groups: groups(),
        cis: SERVICES
            .iter()
            .flat_map(|s| s.cis.iter().copied())
            .collect(),
        trend,
        spike,
    }
}

impl Plan {
    /// The location of a ticket opened on day `day` (one draw).
    fn location(&self, rng: &mut SmallRng, day: i64) -> &'static str {
        let u: f64 = rng.random();
        let Some(s) = &self.spike else {
            return LOCATIONS[((u * LOCATIONS.len() as f64) as usize).min(LOCATIONS.len() - 1)];
        };
        let p = if (s.from..s.to).contains(&day) {
            s.inside
        } else {
            s.outside
        };
        if u < p {
            return LOCATIONS[s.location];
        }
        let others = LOCATIONS.len() - 1;
        let j = (((u - p) / (1.0 - p) * others as f64) as usize).min(others - 1);
        LOCATIONS[if j < s.location { j } else { j + 1 }]
    }

    /// The injected insights, for `truth.json`.
    pub(super) fn insights(&self) -> Vec<Insight> {
        let mut out = Vec::new();
        if let Some(t) = &self.trend {
            out.push(Insight {
                kind: "trend",
                metric: "ttr",
                dimension: "category",
                value: CATEGORIES[t.category],
                direction: "up",
                window_start: None,
                window_end: None,
            });
        }
        if let Some(s) = &self.spike {
            let day = |d: i64| (self.start + Duration::days(d)).to_string();
            out.push(Insight {
                kind: "spike",
                metric: "volume",
                dimension: "location",
                value: LOCATIONS[s.location],
                direction: "up",
                window_start: Some(day(s.from)),
                window_end: Some(day(s.to - 1)),
            });
        }
        out
    }
}

/// One null-desk ticket, in its state at the export instant `now`; its title is a
/// placeholder when it is a background fault (the `u32`, as in [`super::draw::ticket`]).
pub(super) fn ticket(
    rng: &mut SmallRng,
    numbers: &mut Numbers,
    plan: &Plan,
    now: DateTime<Utc>,
) -> (Ticket, Option<u32>) {
    let kind = draw::kind(rng);
    let number = numbers.next(kind);
    let service = rng.random_range(0..SERVICES.len());
    let category = rng.random_range(0..CATEGORIES.len());
    let group = pick(rng, &plan.groups);
    let ci = pick(rng, &plan.cis);
    let priority = draw::priority(rng);
    let day = rng.random_range(0..plan.days);
    let hour = if rng.random::<f64>() < 0.85 {
        rng.random_range(8..18)
    } else {
        rng.random_range(0..24)
    };
    let secs = hour * 3600 + rng.random_range(0..3600);
    let midnight = plan.start.and_hms_opt(0, 0, 0).expect("midnight");
    let opened = Utc.from_utc_datetime(&midnight) + Duration::days(day) + Duration::seconds(secs);
    let drawn = Drawn {
        kind,
        number,
        service,
        category,
        group,
        ci,
        priority,
        opened,
    };
    finish(rng, plan, now, drawn)
}

/// The dimensions of a null-desk ticket drawn before the rest.
struct Drawn {
    kind: &'static str,
    number: String,
    service: usize,
    category: usize,
    group: &'static str,
    ci: &'static str,
    priority: u8,
    opened: DateTime<Utc>,
}

/// The rest of a null-desk ticket (title, people, location, resolution), drawn in the same
/// order for every ticket so a seed keeps giving the same desk.
fn finish(rng: &mut SmallRng, plan: &Plan, now: DateTime<Utc>, d: Drawn) -> (Ticket, Option<u32>) {
    let midnight = Utc.from_utc_datetime(&plan.start.and_hms_opt(0, 0, 0).expect("midnight"));
    let since = (d.opened - midnight).num_seconds();
    let (day, secs) = (since.div_euclid(86_400), since.rem_euclid(86_400));
    let (title, fault) = match draw::title(rng, d.kind, d.service) {
        Title::Text(t) => (t, None),
        Title::Fault(f) => (String::new(), Some(f)),
    };
    let assignee = pick(rng, PEOPLE);
    let caller = pick(rng, PEOPLE);
    let location = plan.location(rng, day);
    let mut t = Ticket {
        number: d.number,
        kind: d.kind,
        service: d.service,
        group: d.group,
        category: CATEGORIES[d.category],
        ci: d.ci,
        title,
        priority: d.priority,
        state: "Closed",
        opened: d.opened,
        hold: None,
        resolved: None,
        closed: None,
        updated: d.opened,
        assignee,
        caller,
        location,
        reopen_count: u32::from(rng.random::<f64>() < 0.05),
        reassignment_count: (normal(rng).abs() * 1.2) as u32,
        problem_id: None,
        caused_by: None,
        change_type: None,
        close_code: None,
        planned: None,
    };
    let mut hours = MEDIAN_HOURS * (0.9 * normal(rng)).exp();
    if let Some(tr) = plan.trend.as_ref().filter(|tr| tr.category == d.category) {
        hours *= tr.factor(day as f64 + secs as f64 / 86_400.0);
    }
    let resolved = d.opened + Duration::seconds((hours * 3600.0) as i64 + 60);
    if d.kind == "change" {
        draw::change_details(rng, &mut t);
    }
    draw::settle(rng, &mut t, resolved, now);
    (t, fault)
}

/// An incident on `ci` opened at `opened` (an injected one): its other dimensions drawn as
/// for any null-desk incident.
pub(super) fn incident_on(
    rng: &mut SmallRng,
    numbers: &mut Numbers,
    plan: &Plan,
    now: DateTime<Utc>,
    ci: &'static str,
    opened: DateTime<Utc>,
) -> (Ticket, Option<u32>) {
    let drawn = Drawn {
        kind: "incident",
        number: numbers.next("incident"),
        service: rng.random_range(0..SERVICES.len()),
        category: rng.random_range(0..CATEGORIES.len()),
        group: pick(rng, &plan.groups),
        ci,
        priority: draw::priority(rng),
        opened,
    };
    finish(rng, plan, now, drawn)
}
