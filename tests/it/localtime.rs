//! The column-wise local-time resolver against chrono-tz itself: for any local time near the
//! transitions of zones with ordinary, half-hour, 45-minute, 2-hour and whole-day changes, and
//! under every fold and gap rule, it gives chrono-tz's answer; a time in a gap, shifted
//! forward, is read with the offset of the last local time before the gap, so it moves by
//! the gap's own length.

use chrono::{LocalResult, TimeZone};
use chrono_tz::Tz;
use proptest::prelude::*;
use ticketlake::ingest::localtime::{Resolved, Rules, Zone};

const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;
const ZONES: [&str; 8] = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Antarctica/Troll",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "UTC",
];

/// The rules applied with chrono-tz directly, one cell at a time.
fn reference(tz: Tz, local_us: i64, rules: Rules) -> Resolved {
    let local = |us: i64| {
        let ndt = chrono::DateTime::from_timestamp_micros(us)
            .unwrap()
            .naive_utc();
        tz.from_local_datetime(&ndt)
    };
    let at = |us: i64| match local(us) {
        LocalResult::Single(t) => (Some(t.timestamp_micros()), false),
        LocalResult::Ambiguous(a, b) => (
            rules
                .fold
                .map(|late| if late { b } else { a }.timestamp_micros()),
            false,
        ),
        LocalResult::None => (None, true),
    };
    match at(local_us) {
        (Some(t), _) => Resolved::Utc(t),
        (None, true) if rules.gap_shift_forward => {
            // The offset in force before the gap: that of the last local time before it, found
            // a minute at a time (the zones' transitions are on whole minutes).
            let mut before = local_us - local_us.rem_euclid(MINUTE);
            loop {
                before -= MINUTE;
                let offset = |t: chrono::DateTime<Tz>| before - t.timestamp_micros();
                match local(before) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(_, t) => {
                        break Resolved::Utc(local_us - offset(t));
                    }
                    LocalResult::None => {}
                }
            }
        }
        (None, true) => Resolved::Nonexistent,
        (None, false) => Resolved::Ambiguous,
    }
}

/// 2010-01-01 .. 2030-01-01 in local microseconds.
const LO: i64 = 1_262_304_000_000_000;
const HI: i64 = 1_893_456_000_000_000;

fn rules() -> impl Strategy<Value = Rules> {
    (
        prop_oneof![Just(None), Just(Some(false)), Just(Some(true))],
        any::<bool>(),
    )
        .prop_map(|(fold, gap_shift_forward)| Rules {
            fold,
            gap_shift_forward,
        })
}

proptest! {
    #[test]
    fn resolves_like_chrono_tz(
        zone in 0..ZONES.len(),
        at in LO..HI,
        // Most cases land within a few hours of a transition: pick a transition by index and
        // an offset around it, so folds and gaps are tested, not only ordinary hours.
        near in any::<bool>(),
        nth in 0usize..40,
        delta in -3 * HOUR..3 * HOUR,
        r in rules(),
    ) {
        let tz: Tz = ZONES[zone].parse().unwrap();
        let layout = Zone::new(tz, LO, HI + HOUR);
        let local = if near {
            transitions(tz).get(nth).map_or(at, |t| t + delta)
        } else {
            at
        };
        prop_assert_eq!(layout.resolve(local, r), reference(tz, local, r), "{} at {}", ZONES[zone], local);
    }
}

/// Local instants where `tz` changes offset between 2010 and 2030 (found by hourly probing).
fn transitions(tz: Tz) -> Vec<i64> {
    let off = |utc: i64| {
        let t = tz.timestamp_micros(utc).single().unwrap();
        t.naive_local().and_utc().timestamp_micros() - utc
    };
    let mut out = Vec::new();
    let mut prev = off(LO);
    let mut t = LO;
    while t < HI {
        t += HOUR;
        let o = off(t);
        if o != prev {
            out.push(t + prev);
            prev = o;
        }
    }
    out
}

#[test]
fn every_transition_of_a_zone_resolves_like_chrono_tz() {
    // Exhaustive at 15-minute steps around every transition of every zone and rule.
    for name in ZONES {
        let tz: Tz = name.parse().unwrap();
        let layout = Zone::new(tz, LO, HI + HOUR);
        let ts = transitions(tz);
        // Kathmandu has kept +05:45 since 1986 and UTC never changes; the others must have some.
        let fixed = matches!(name, "UTC" | "Asia/Kathmandu");
        assert!(fixed || !ts.is_empty(), "{name} has transitions");
        for t in ts {
            for step in -12..12 {
                let local = t + step * HOUR / 4;
                for fold in [None, Some(false), Some(true)] {
                    for gap_shift_forward in [false, true] {
                        let r = Rules {
                            fold,
                            gap_shift_forward,
                        };
                        assert_eq!(
                            layout.resolve(local, r),
                            reference(tz, local, r),
                            "{name} at {local}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn shifting_gaps_forward_still_rejects_folds() {
    // dst-nonexistent = shift-forward moves times in a gap; it says nothing about folds, so
    // with dst-ambiguous = reject a time in the fold is a reject, not shifted an hour.
    let p = crate::support::Project::new();
    let (code, v, _) = crate::support::ingest_with_dst_rules(
        &p,
        "reject",
        "shift-forward",
        "id,date\n1,2024-03-10 02:30:00\n2,2024-11-03 01:30:00\n3,2024-11-03 03:30:00\n",
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(crate::support::file0(&v)["loaded"], 2, "{v}");
    let r = p.rejects();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["error_type"], "dst_ambiguous");
    assert_eq!(r[0]["line"], 3);
    let t = p.table("tickets");
    assert_eq!(
        crate::support::cell(&t, "1", "opened_at").as_deref(),
        Some("2024-03-10 07:30:00 UTC")
    );
}
