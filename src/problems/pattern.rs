//! Which clusters are recurring candidates, and their pattern.
//!
//! - **Burst:** the cluster's busiest `window` holds at least `min-incidents` of its
//!   incidents, and in that window its share of its block's incidents is `burst-ratio` times
//!   its share outside it. A busy month for the whole service raises both shares and is not
//!   a burst; one fault flaring up raises only the first.
//! - **Chronic:** a steady stream. At least `chronic-min-per-month` incidents in at least
//!   [`CHRONIC_MONTHS_NEEDED`] of the last [`CHRONIC_MONTHS`] calendar months (UTC) before
//!   the reference instant (the as-of, or the end of the period looked at when earlier), or
//!   at least `chronic-min-share` percent of its block's incidents; and always at least
//!   `min-incidents` incidents in all.
//!
//! A text cluster is a candidate when it is either (a burst when both). Entity clusters are
//! candidates when their busiest window holds `min-incidents`, as a named device failing
//! again is recurring however it is spread; their pattern is chronic when the chronic rule
//! holds, else burst. Routine requests ("Password reset") never get here: detection reads
//! incidents only, so they are kept out by their kind, not by these tests.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

pub use super::cluster::Pattern;
use super::cluster::{Cluster, Incident, Params, block};

/// How many calendar months the chronic rule looks back over.
pub const CHRONIC_MONTHS: usize = 6;
/// Of those, how many must each hold `chronic-min-per-month` incidents.
pub const CHRONIC_MONTHS_NEEDED: usize = 3;

/// The last [`CHRONIC_MONTHS`] calendar months (UTC, µs, half-open) that start before
/// `reference`, oldest first: the month holding the instant just before `reference` and
/// the ones before it. A reference on the first of a month at midnight (a period's end)
/// gives the six whole months before it.
pub fn months_before(reference: i64) -> Vec<(i64, i64)> {
    let d = chrono::DateTime::from_timestamp_micros(reference.saturating_sub(1))
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let index = d.year() * 12 + d.month0() as i32;
    let start = |i: i32| {
        NaiveDate::from_ymd_opt(i.div_euclid(12), i.rem_euclid(12) as u32 + 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_micros())
            .unwrap_or(i64::MIN)
    };
    (0..CHRONIC_MONTHS as i32)
        .rev()
        .map(|k| (start(index - k), start(index - k + 1)))
        .collect()
}

/// The chronic rule for a cluster whose incidents opened at `opened` (sorted), in a block
/// of `block_size` incidents.
pub fn is_chronic(
    opened: &[i64],
    block_size: usize,
    months: &[(i64, i64)],
    reference: i64,
    p: &Params,
) -> bool {
    if opened.len() < p.min_incidents {
        return false;
    }
    let steady = months
        .iter()
        .filter(|&&(a, b)| {
            let b = b.min(reference);
            let n = opened.partition_point(|&t| t < b) - opened.partition_point(|&t| t < a);
            b > a && n >= p.chronic_min_per_month
        })
        .count()
        >= CHRONIC_MONTHS_NEEDED;
    // In percent, so a tenth of 50 is 5 exactly.
    let share =
        block_size > 0 && opened.len() as f64 * 100.0 >= p.chronic_min_share * block_size as f64;
    steady || share
}

/// Fill in `c`'s busiest window: its start and how many incidents it holds.
fn busiest_window(c: &mut Cluster, incidents: &[Incident], window: i64) {
    let (mut lo, mut best, mut start) = (0usize, 0usize, 0i64);
    for hi in 0..c.members.len() {
        let t = incidents[c.members[hi]].opened;
        while t - incidents[c.members[lo]].opened >= window {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            start = incidents[c.members[lo]].opened;
        }
    }
    c.window_count = best;
    c.window_start = start;
}

/// The burst test, for a cluster whose busiest window is filled in, in a block whose
/// incidents opened at `times` (sorted).
fn is_burst(c: &Cluster, times: &[i64], p: &Params) -> bool {
    if c.window_count < p.min_incidents.max(2) {
        return false;
    }
    let a = times.partition_point(|&t| t < c.window_start);
    let b = times.partition_point(|&t| t < c.window_start + p.window);
    let (inside, outside) = ((b - a) as f64, (times.len() - (b - a)) as f64);
    let rest = (c.members.len() - c.window_count) as f64;
    if outside == 0.0 || rest == 0.0 {
        // Nothing to compare with: the cluster is all there is of it.
        return true;
    }
    c.window_count as f64 / inside >= p.burst_ratio * (rest / outside)
}

/// Fill in each cluster's busiest window and pattern, and keep the recurring candidates.
/// `reference` (µs) ends the months the chronic rule counts.
pub fn candidates(
    incidents: &[Incident],
    mut clusters: Vec<Cluster>,
    p: &Params,
    reference: i64,
) -> Vec<Cluster> {
    let mut blocks: HashMap<&str, Vec<i64>> = HashMap::new();
    for inc in incidents.iter().filter(|i| !i.text.is_empty()) {
        blocks.entry(block(inc)).or_default().push(inc.opened);
    }
    for times in blocks.values_mut() {
        times.sort_unstable();
    }
    let months = months_before(reference);
    clusters.retain_mut(|c| {
        busiest_window(c, incidents, p.window);
        let times = &blocks[block(&incidents[c.members[0]])];
        let opened: Vec<i64> = c.members.iter().map(|&m| incidents[m].opened).collect();
        let chronic = is_chronic(&opened, times.len(), &months, reference, p);
        let windowed = c.window_count >= p.min_incidents.max(2);
        let (keep, pattern) = if c.entity.is_some() || p.burst_ratio <= 0.0 {
            // No burst test: kept as they come, chronic when the rule says so.
            let keep = windowed || (c.entity.is_none() && chronic);
            (
                keep,
                if chronic {
                    Pattern::Chronic
                } else {
                    Pattern::Burst
                },
            )
        } else if is_burst(c, times, p) {
            (true, Pattern::Burst)
        } else {
            (chronic, Pattern::Chronic)
        };
        c.pattern = pattern;
        keep
    });
    clusters
}

#[cfg(test)]
mod tests {
    use super::super::cluster::group;
    use super::super::cluster::tests::{DAY, inc, params};
    use super::*;

    /// 2026-01-01T00:00:00Z in µs.
    const JAN_2026: i64 = 1_767_225_600_000_000;

    fn day(d: i64) -> i64 {
        JAN_2026 + d * DAY
    }

    #[test]
    fn the_six_months_end_with_the_reference() {
        let m = months_before(day(45)); // 2026-02-15
        assert_eq!(m.len(), 6);
        assert_eq!(m[5], (day(31), day(59))); // February 2026
        assert_eq!(m[4], (JAN_2026, day(31)));
        assert_eq!(m[0].0, JAN_2026 - (31 + 30 + 31 + 30) * DAY); // September 2025
        // A period's end (March 1st) gives the whole months before it.
        assert_eq!(months_before(day(59)), m);
    }

    #[test]
    fn the_chronic_rule_needs_months_or_share_and_min_incidents() {
        let p = params();
        let reference = day(181); // 2026-07-01: January to June
        let months = months_before(reference);
        // Four a month in March, April and May: chronic in a big block.
        let steady: Vec<i64> = [59, 90, 120]
            .iter()
            .flat_map(|&m| (0..4).map(move |d| day(m + d)))
            .collect();
        assert!(is_chronic(&steady, 10_000, &months, reference, &p));
        // Three a month is not enough, nor four in only two months.
        let thin: Vec<i64> = [59, 90, 120]
            .iter()
            .flat_map(|&m| (0..3).map(move |d| day(m + d)))
            .collect();
        assert!(!is_chronic(&thin, 10_000, &months, reference, &p));
        assert!(!is_chronic(&steady[..8], 10_000, &months, reference, &p));
        // Months before the six do not count.
        let old: Vec<i64> = steady.iter().map(|t| t - 365 * DAY).collect();
        assert!(!is_chronic(&old, 10_000, &months, reference, &p));
        // A tenth of the block is chronic however it is spread ...
        assert!(is_chronic(&thin[..5], 50, &months, reference, &p));
        assert!(!is_chronic(&thin[..4], 50, &months, reference, &p));
        // ... but never below min-incidents.
        assert!(!is_chronic(&thin[..2], 4, &months, reference, &p));
    }

    #[test]
    fn patterns_burst_chronic_and_entities() {
        // "Printer not working" four times a month, all year: chronic.
        let mut v: Vec<_> = (0..48)
            .map(|i| inc(i, i as i64 * 7 + 3, "Office", "Printer not working"))
            .collect();
        // A sudden run of one VPN fault: a burst.
        v.extend((0..4).map(|i| inc(100 + i, 200 + i as i64, "VPN", "VPN drops every hour")));
        // Background in the VPN block that the burst stands out from.
        v.extend((0..40).map(|i| inc(200 + i, i as i64 * 9, "VPN", &format!("word{i}x"))));
        // The same named switch, three times in a month, among other network faults.
        v.extend((0..3).map(|i| inc(300 + i, 100 + 9 * i as i64, "Network", "LON-SW-14 reboot")));
        v.extend((0..40).map(|i| inc(400 + i, i as i64 * 9, "Network", &format!("link{i}x"))));
        let v: Vec<_> = v
            .into_iter()
            .map(|mut i| {
                i.opened += JAN_2026 - 365 * DAY;
                i
            })
            .collect();
        let c = candidates(&v, group(&v, &params()), &params(), JAN_2026);
        let got: Vec<(&str, Pattern)> = c.iter().map(|c| (c.key.as_str(), c.pattern)).collect();
        assert_eq!(
            got,
            vec![
                ("entity:lon-sw-14", Pattern::Burst),
                ("text:Office:fault printer", Pattern::Chronic),
                ("text:VPN:drop every hour vpn", Pattern::Burst),
            ]
        );
        assert_eq!(c[2].window_count, 4);
        // With the burst test off the steady printer stays chronic.
        let off = Params {
            burst_ratio: 0.0,
            ..params()
        };
        let c = candidates(&v, group(&v, &off), &off, JAN_2026);
        assert!(
            c.iter()
                .any(|c| c.key == "text:Office:fault printer" && c.pattern == Pattern::Chronic)
        );
        // Below min-incidents nothing qualifies.
        let p = Params {
            min_incidents: 5,
            ..params()
        };
        let c = candidates(&v, group(&v, &p), &p, JAN_2026);
        assert_eq!(
            c.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            vec!["text:Office:fault printer"]
        );
    }
}
