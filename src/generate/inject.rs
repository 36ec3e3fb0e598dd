//! The recurring problems injected into the realistic desk, recorded in `truth.json`:
//! - **bursts** ([`bursts`]): 6 to 10 incidents of one fault within three weeks, on a named CI
//!   whose name is in the title (an entity), or, with `--paraphrases`, in paraphrased titles
//!   without an entity, so that detection must merge the paraphrases to find them;
//! - **chronic streams** ([`chronic`]): 6 to 10 incidents of one fault in every month of the
//!   period, paraphrased, without an entity.
//!
//! Both retitle existing incidents, so the ticket count and every other field's draws stay
//! as they are; the words of these faults are never used by their service's background.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::desk::{PEOPLE, SERVICES, TZ, Ticket, arrival};

/// A steady injected fault: one service, one CI, paraphrased titles with no entity.
pub(super) struct Stream {
    pub(super) service: usize,
    pub(super) ci: &'static str,
    /// A word every title contains, for matching a candidate's label.
    pub(super) keyword: &'static str,
    pub(super) titles: &'static [&'static str],
}

/// The chronic streams: a laptop battery fault and an ERP posting fault, all period long.
pub(super) const CHRONIC: [Stream; 2] = [
    Stream {
        service: 4,
        ci: "lt-fleet",
        keyword: "battery",
        titles: &[
            "Laptop battery drains quickly",
            "Laptop battery not holding charge",
            "Battery on my laptop dies within an hour",
            "Laptop battery runs out fast",
            "Laptop battery won't charge",
            "Laptop battery empty after an hour",
        ],
    },
    Stream {
        service: 3,
        ci: "srv-erp-01",
        keyword: "invoice",
        titles: &[
            "ERP invoice posting fails",
            "Invoices won't post in ERP",
            "Cannot post invoice in ERP",
            "ERP rejects invoice posting",
            "Invoice posting stuck in ERP",
        ],
    },
];

/// An injected burst: a named CI failing within weeks. Its title names the CI (an entity);
/// with `--paraphrases` its members take the paraphrases instead, which name none.
pub(super) struct Burst {
    pub(super) service: usize,
    pub(super) ci: &'static str,
    pub(super) title: &'static str,
    /// A word every paraphrase contains.
    pub(super) keyword: &'static str,
    pub(super) paraphrases: &'static [&'static str],
}

/// The injected bursts: a printer jamming, a VPN gateway dropping, an e-mail outage.
pub(super) const BURSTS: [Burst; 3] = [
    Burst {
        service: 2,
        ci: "printer546",
        title: "Printer546 paper jam again in London office",
        keyword: "printer",
        paraphrases: &[
            "Paper jam in the London office printer",
            "London office printer keeps jamming",
            "Printer in the London office jammed again",
            "Paper stuck in the London office printer",
            "London office printer jams on every job",
        ],
    },
    Burst {
        service: 1,
        ci: "vpn-gw-01",
        title: "VPN gateway vpn-gw-01 drops connections",
        keyword: "vpn",
        paraphrases: &[
            "VPN gateway dropping connections",
            "VPN keeps disconnecting",
            "VPN connection drops every few minutes",
            "Remote users losing VPN connection",
            "VPN disconnects for everyone",
        ],
    },
    Burst {
        service: 0,
        ci: "exch-mbx-02",
        title: "Email system down for multiple users on exch-mbx-02",
        keyword: "email",
        paraphrases: &[
            "Email server not responding",
            "Email system down for multiple users",
            "Cannot access email",
            "Email outage affecting the whole office",
            "Nobody can send or receive email",
        ],
    },
];

/// One injected recurring issue.
#[derive(Debug, Serialize)]
pub struct Recurring {
    /// `burst` or `chronic`.
    pub pattern: &'static str,
    pub config_item: String,
    pub service: String,
    pub title_pattern: String,
    /// A word every member's title contains (the entity, for an entity burst).
    pub keyword: String,
    /// The distinct titles of the members, in first-use order.
    pub titles: Vec<String>,
    pub incidents: Vec<String>,
}

/// The distinct values of `titles`, in first-use order.
fn distinct(titles: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in titles {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Turn a few incidents per chosen CI into a burst of near-identical reports within weeks.
/// Returns the truth and the indexes of the incidents it took.
pub(super) fn bursts(
    rng: &mut SmallRng,
    out: &mut [Ticket],
    start: NaiveDate,
    days: i64,
    paraphrases: bool,
) -> (Vec<Recurring>, Vec<usize>) {
    let incidents: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == "incident")
        .map(|(i, _)| i)
        .collect();
    let (mut result, mut taken) = (Vec::new(), Vec::new());
    if incidents.len() < 60 {
        return (result, taken);
    }
    for (k, b) in BURSTS.iter().enumerate() {
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
            t.service = b.service;
            t.group = SERVICES[b.service].group;
            t.category = SERVICES[b.service].category;
            t.ci = b.ci;
            t.title = if paraphrases {
                b.paraphrases[j % b.paraphrases.len()].to_string()
            } else if j % 2 == 0 {
                b.title.to_string()
            } else {
                format!("{} - reported by {}", b.title, PEOPLE[j % PEOPLE.len()])
            };
            members.push(idx);
        }
        taken.extend_from_slice(&members);
        result.push(Recurring {
            pattern: "burst",
            config_item: b.ci.to_string(),
            service: SERVICES[b.service].name.into(),
            title_pattern: if paraphrases {
                b.paraphrases[0]
            } else {
                b.title
            }
            .to_string(),
            keyword: if paraphrases { b.keyword } else { b.ci }.to_string(),
            titles: distinct(members.iter().map(|&i| out[i].title.clone())),
            incidents: members.iter().map(|&i| out[i].number.clone()).collect(),
        });
    }
    (result, taken)
}

/// Fewest background incidents a month a service needs for a chronic stream, so that the
/// stream (6 to 10 a month) stays at most half of it.
const CHRONIC_MIN_PER_MONTH: usize = 20;

/// Retitle 6 to 10 of the `background` incidents of each [`CHRONIC`] stream's service in
/// every month from `start` to `stop` (months of the export's local time, as the exports
/// show them; drawn anew each month), on the stream's CI. A stream
/// whose service averages fewer than [`CHRONIC_MIN_PER_MONTH`] is left out.
pub(super) fn chronic(
    rng: &mut SmallRng,
    out: &mut [Ticket],
    background: &mut [bool],
    start: NaiveDate,
    stop: NaiveDate,
) -> Vec<Recurring> {
    let mut months = Vec::new();
    let mut m = start;
    while m < stop {
        let next = m
            .checked_add_months(chrono::Months::new(1))
            .expect("next month");
        months.push((m, next));
        m = next;
    }
    let mut result = Vec::new();
    for stream in &CHRONIC {
        let pool: Vec<usize> = (0..out.len())
            .filter(|&i| background[i] && out[i].service == stream.service)
            .collect();
        if pool.len() < CHRONIC_MIN_PER_MONTH * months.len() {
            continue;
        }
        let mut members = Vec::new();
        for &(from, to) in &months {
            let mut month: Vec<usize> = pool
                .iter()
                .copied()
                .filter(|&i| (from..to).contains(&out[i].opened.with_timezone(&TZ).date_naive()))
                .collect();
            month.shuffle(rng);
            month.truncate(6 + rng.random_range(0..5));
            members.extend(month);
        }
        members.sort_unstable();
        for &i in &members {
            let t = &mut out[i];
            t.title = stream.titles[rng.random_range(0..stream.titles.len())].to_string();
            t.ci = stream.ci;
            background[i] = false;
        }
        result.push(Recurring {
            pattern: "chronic",
            config_item: stream.ci.to_string(),
            service: SERVICES[stream.service].name.into(),
            title_pattern: stream.titles[0].to_string(),
            keyword: stream.keyword.to_string(),
            titles: distinct(members.iter().map(|&i| out[i].title.clone())),
            incidents: members.iter().map(|&i| out[i].number.clone()).collect(),
        });
    }
    result
}
