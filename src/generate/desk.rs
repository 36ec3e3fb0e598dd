//! The synthetic service desk's fixed parts: its services with their routing and CIs (their
//! incidents' wording is in [`super::faults`]), its people and locations, the ticket type every exporter writes, and the random
//! draws ([`normal`], [`pick`], [`arrival`]) the model and its steps share.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand::rngs::SmallRng;

/// One service with its routing.
pub struct Service {
    pub name: &'static str,
    pub group: &'static str,
    pub category: &'static str,
    pub cis: &'static [&'static str],
}

pub const SERVICES: &[Service] = &[
    Service {
        name: "Email",
        group: "Messaging-L2",
        category: "Software",
        cis: &["exch-mbx-01", "exch-mbx-02"],
    },
    Service {
        name: "VPN",
        group: "Network-L2",
        category: "Network",
        cis: &["LON-FW-2", "vpn-gw-01"],
    },
    Service {
        name: "Printing",
        group: "Desktop-Support",
        category: "Hardware",
        cis: &["printer546", "printer123", "printer745"],
    },
    Service {
        name: "ERP",
        group: "ERP-Apps",
        category: "Software",
        cis: &["srv-erp-01", "srv-db-01"],
    },
    Service {
        name: "Laptops",
        group: "Desktop-Support",
        category: "Hardware",
        cis: &["lt-fleet"],
    },
    Service {
        name: "Identity",
        group: "IAM-Team",
        category: "Inquiry / Help",
        cis: &["ad-dc-01", "sso-idp"],
    },
    Service {
        name: "Network",
        group: "Network-L2",
        category: "Network",
        cis: &["LON-SW-14", "wifi-ctrl-01"],
    },
    Service {
        name: "Service Desk Portal",
        group: "Service-Desk",
        category: "Inquiry / Help",
        cis: &["portal-web-01"],
    },
];

pub const PEOPLE: &[&str] = &[
    "Beth Anglin",
    "Luke Wilson",
    "Fred Luddy",
    "Don Goodliffe",
    "David Loo",
    "ITIL User",
    "Charlie Whitherspoon",
    "Howard Johnson",
];
pub const LOCATIONS: &[&str] = &["London", "Manchester", "Leeds", "Dublin", "Remote"];
/// The categories of the null desk (`--inject`), where a category does not follow from the
/// service.
pub const CATEGORIES: &[&str] = &[
    "Database",
    "Hardware",
    "Inquiry / Help",
    "Network",
    "Software",
];
/// Titles that carry no signal after normalisation.
pub const VAGUE: &[&str] = &[
    "Issue reported, please help",
    "Not working",
    "Problem",
    "Help needed urgently please",
];

/// The zone of every generated local timestamp.
pub const TZ: chrono_tz::Tz = chrono_tz::Europe::London;

/// SLA targets (wall-clock hours) used to decide the known breach rate.
pub const TARGET_HOURS: [f64; 5] = [4.0, 8.0, 72.0, 120.0, 240.0];

/// A generated ticket, in UTC.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub number: String,
    pub kind: &'static str,
    pub service: usize,
    pub group: &'static str,
    pub category: &'static str,
    pub ci: &'static str,
    pub title: String,
    pub priority: u8,
    pub state: &'static str,
    pub opened: DateTime<Utc>,
    pub hold: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub resolved: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
    pub updated: DateTime<Utc>,
    pub assignee: &'static str,
    pub caller: &'static str,
    pub location: &'static str,
    pub reopen_count: u32,
    pub reassignment_count: u32,
    pub problem_id: Option<String>,
    pub caused_by: Option<String>,
    pub change_type: Option<&'static str>,
    pub close_code: Option<&'static str>,
    pub planned: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Draw a standard normal (Box-Muller).
pub(super) fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One of `items`, uniformly.
pub(super) fn pick<T: Copy>(rng: &mut SmallRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// An arrival instant in [start, end): weekdays and business hours are far more likely.
pub(super) fn arrival(rng: &mut SmallRng, start: NaiveDate, days: i64) -> DateTime<Utc> {
    loop {
        let day = start + Duration::days(rng.random_range(0..days));
        let weekend = day.weekday().number_from_monday() > 5;
        if weekend && rng.random::<f64>() > 0.15 {
            continue;
        }
        let hour = if rng.random::<f64>() < 0.85 {
            rng.random_range(8..18)
        } else {
            rng.random_range(0..24)
        };
        let secs = hour * 3600 + rng.random_range(0..3600);
        let naive = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(secs);
        return Utc.from_utc_datetime(&naive);
    }
}
