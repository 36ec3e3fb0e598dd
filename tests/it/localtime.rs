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

/// Ingest one local time in each of `zone`'s gaps (`cells`, by ticket id) under
/// `dst-nonexistent = "shift-forward"`; returns each ticket's stored `opened_at`.
fn shifted(zone: &str, cells: &[&str]) -> Vec<Option<String>> {
    let p = crate::support::Project::new();
    p.write(
        "m.toml",
        format!(
            "source = \"x\"\nkind = \"incident\"\ntimezone = \"{zone}\"\n\
             timestamp-formats = [\"%Y-%m-%d %H:%M:%S\"]\ndst-nonexistent = \"shift-forward\"\n\
             [columns]\nticket_id = \"id\"\nopened_at = \"at\"\n"
        ),
    );
    let mut csv = String::from("id,at\n");
    for (i, c) in cells.iter().enumerate() {
        csv.push_str(&format!("{i},{c}\n"));
    }
    p.write("a.csv", csv);
    let (code, v, err) = p.ingest(&["--source", "generic", "--mapping", "m.toml", "a.csv"]);
    assert_eq!(code, 0, "{zone}: {err}");
    assert_eq!(crate::support::file0(&v)["rejected"], 0, "{zone}: {v}");
    let t = p.table("tickets");
    (0..cells.len())
        .map(|i| crate::support::cell(&t, &i.to_string(), "opened_at"))
        .collect()
}

#[test]
fn shift_forward_moves_a_time_by_its_gaps_own_length() {
    let utc = |s: &str| Some(format!("{s} UTC"));
    // Lord Howe: 02:00 +10:30 becomes 02:30 +11:00, a 30-minute gap: 02:15 is read at
    // +10:30 (02:45 on the clock), not an hour late.
    assert_eq!(
        shifted(
            "Australia/Lord_Howe",
            &[
                "2024-10-06 02:00:00",
                "2024-10-06 02:15:00",
                "2024-10-06 02:29:59"
            ]
        ),
        vec![
            utc("2024-10-05 15:30:00"),
            utc("2024-10-05 15:45:00"),
            utc("2024-10-05 15:59:59"),
        ]
    );
    // One hour: New York's 02:00 EST becomes 03:00 EDT; London's 01:00 GMT 02:00 BST.
    assert_eq!(
        shifted("America/New_York", &["2024-03-10 02:30:00"]),
        vec![utc("2024-03-10 07:30:00")]
    );
    assert_eq!(
        shifted(
            "Europe/London",
            &["2024-03-31 01:00:00", "2024-03-31 01:59:00"]
        ),
        vec![utc("2024-03-31 01:00:00"), utc("2024-03-31 01:59:00")]
    );
    // Troll: 01:00 +00 becomes 03:00 +02, a 2-hour gap that used to be rejected with the
    // policy set: every time in it is read at +00.
    assert_eq!(
        shifted(
            "Antarctica/Troll",
            &[
                "2024-03-31 01:30:00",
                "2024-03-31 02:30:00",
                "2024-03-31 02:59:59"
            ]
        ),
        vec![
            utc("2024-03-31 01:30:00"),
            utc("2024-03-31 02:30:00"),
            utc("2024-03-31 02:59:59"),
        ]
    );
}

#[test]
fn shift_forward_moves_by_the_gap_for_any_gap() {
    // For every gap of the zones between 2010 and 2030 and times across it: the time is read
    // with the offset before the gap, so its wall clock moves by the gap's length.
    let rules = Rules {
        fold: None,
        gap_shift_forward: true,
    };
    for name in ZONES {
        let tz: Tz = name.parse().unwrap();
        let layout = Zone::new(tz, LO, HI + HOUR);
        let offset = |utc: i64| {
            let t = tz.timestamp_micros(utc).single().unwrap();
            t.naive_local().and_utc().timestamp_micros() - utc
        };
        let mut gaps = 0;
        let mut t = LO;
        while t < HI {
            t += HOUR;
            if offset(t) == offset(t - HOUR) {
                continue;
            }
            // The exact instant of the change, to the second, within the hour.
            let (mut lo, mut hi) = (t - HOUR, t);
            while hi - lo > 1_000_000 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == offset(t) {
                    hi = mid
                } else {
                    lo = mid
                }
            }
            let (before, after) = (offset(hi - 1), offset(hi));
            if after <= before {
                continue;
            }
            gaps += 1;
            for step in 0..8 {
                let local = hi + before + step * (after - before) / 8;
                assert_eq!(
                    layout.resolve(local, rules),
                    Resolved::Utc(local - before),
                    "{name} at {local}"
                );
            }
        }
        assert!(
            matches!(name, "UTC" | "Asia/Kathmandu") || gaps > 0,
            "{name} has gaps"
        );
    }
}
