//! The synthetic service desk's fixed parts: its services with their routing, CIs and
//! titles, its people and locations, the ticket type every exporter writes, and the random
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
    pub titles: &'static [&'static str],
}

pub const SERVICES: &[Service] = &[
    Service {
        name: "Email",
        group: "Messaging-L2",
        category: "Software",
        cis: &["exch-mbx-01", "exch-mbx-02"],
        titles: &[
            "Outlook not syncing mailbox",
            "Cannot send email to external domain",
            "Shared mailbox access request failing",
            "Email delayed by several hours",
        ],
    },
    Service {
        name: "VPN",
        group: "Network-L2",
        category: "Network",
        cis: &["LON-FW-2", "vpn-gw-01"],
        titles: &[
            "Unable to connect to VPN",
            "VPN disconnects every few minutes",
            "VPN client certificate expired",
            "Slow VPN connection from home",
        ],
    },
    Service {
        name: "Printing",
        group: "Desktop-Support",
        category: "Hardware",
        cis: &["printer546", "printer123", "printer745"],
        titles: &[
            "Printer jam on floor 3",
            "Printer offline in office",
            "Print queue stuck",
            "Toner low warning will not clear",
        ],
    },
    Service {
        name: "ERP",
        group: "ERP-Apps",
        category: "Software",
        cis: &["srv-erp-01", "srv-db-01"],
        titles: &[
            "ERP invoice posting error",
            "ERP report runs very slowly",
            "Cannot approve purchase order in ERP",
            "ERP login fails with timeout",
        ],
    },
    Service {
        name: "Laptops",
        group: "Desktop-Support",
        category: "Hardware",
        cis: &["lt-fleet"],
        titles: &[
            "Laptop will not boot",
            "Laptop battery drains quickly",
            "Docking station not detecting monitors",
            "Keyboard keys not responding",
        ],
    },
    Service {
        name: "Identity",
        group: "IAM-Team",
        category: "Inquiry / Help",
        cis: &["ad-dc-01", "sso-idp"],
        titles: &[
            "Password reset required",
            "Account locked out",
            "MFA token not accepted",
            "Access to shared drive needed",
        ],
    },
    Service {
        name: "Network",
        group: "Network-L2",
        category: "Network",
        cis: &["LON-SW-14", "wifi-ctrl-01"],
        titles: &[
            "Wi-Fi drops in meeting rooms",
            "Network port dead at desk",
            "Intermittent packet loss to data centre",
            "DNS resolution failing for intranet",
        ],
    },
    Service {
        name: "Service Desk Portal",
        group: "Service-Desk",
        category: "Inquiry / Help",
        cis: &["portal-web-01"],
        titles: &[
            "Portal page shows error 500",
            "Cannot attach file to request",
            "Portal search returns nothing",
            "Request form missing approver",
        ],
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
/// Titles that carry no signal after normalisation.
pub const VAGUE: &[&str] = &[
    "Issue reported, please help",
    "Not working",
    "Problem",
    "Help needed urgently please",
];

/// SLA targets (wall-clock hours) used to decide the known breach rate.
pub const TARGET_HOURS: [f64; 5] = [4.0, 8.0, 72.0, 120.0, 240.0];

/// A generated ticket, in UTC.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub number: String,
    pub kind: &'static str,
    pub service: usize,
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
