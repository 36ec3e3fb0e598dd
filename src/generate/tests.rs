//! The generator's noise model and injections, on the tickets themselves.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::desk::SERVICES;
use super::faults::{VOCABULARY, incident_title, phrasings};
use super::model::{Mode, tickets};

const DAY: i64 = 86_400;

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
}

/// (service, title) → component, for every background incident title.
fn components() -> HashMap<(usize, String), usize> {
    let mut m = HashMap::new();
    for s in 0..SERVICES.len() {
        for (i, o) in VOCABULARY.objects(s).iter().enumerate() {
            for d in 0..phrasings(o).len() as u32 {
                m.insert((s, incident_title(o, d)), i);
            }
        }
    }
    m
}

#[test]
fn no_background_component_recurs_at_the_test_size() {
    // The noise model of `background`: at 6000 tickets over 13 months no component of the
    // background has 3 incidents within 30 days, let alone 4 in a month.
    let comp = components();
    for seed in [23, 1, 7, 41] {
        for mode in [
            Mode::Desk { paraphrases: false },
            Mode::Null {
                trend: true,
                spike: true,
                bad_changes: true,
            },
        ] {
            let (t, _) = tickets(6000, 13, end(), seed, mode);
            let mut times: BTreeMap<(usize, usize), Vec<i64>> = BTreeMap::new();
            let mut background = 0;
            for t in t.iter().filter(|t| t.kind == "incident") {
                if let Some(&c) = comp.get(&(t.service, t.title.clone())) {
                    times
                        .entry((t.service, c))
                        .or_default()
                        .push(t.opened.timestamp());
                    background += 1;
                }
            }
            assert!(background > 3500, "{background}");
            assert!(times.len() > 450, "{} components used", times.len());
            for ((s, c), mut v) in times {
                v.sort_unstable();
                for w in v.windows(3) {
                    assert!(
                        w[2] - w[0] >= 30 * DAY,
                        "seed {seed}: {} component {c} three times in 30 days",
                        SERVICES[s].name
                    );
                }
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_desk_and_modes_share_their_draws() {
    let a = tickets(800, 13, end(), 5, Mode::Desk { paraphrases: false }).0;
    let b = tickets(800, 13, end(), 5, Mode::Desk { paraphrases: false }).0;
    let key = |t: &super::desk::Ticket| (t.number.clone(), t.title.clone(), t.opened, t.resolved);
    assert_eq!(
        a.iter().map(key).collect::<Vec<_>>(),
        b.iter().map(key).collect::<Vec<_>>()
    );
    // Paraphrasing changes the bursts' titles and nothing else.
    let (p, truth) = tickets(800, 13, end(), 5, Mode::Desk { paraphrases: true });
    let bursts: Vec<&String> = truth
        .recurring
        .iter()
        .filter(|r| r.pattern == "burst")
        .flat_map(|r| &r.incidents)
        .collect();
    assert!(!bursts.is_empty());
    for (x, y) in a.iter().zip(&p) {
        assert_eq!(
            (x.number.as_str(), x.opened, x.ci),
            (y.number.as_str(), y.opened, y.ci)
        );
        if !bursts.contains(&&x.number) {
            assert_eq!(x.title, y.title);
        }
    }
}

#[test]
fn chronic_streams_need_a_busy_enough_service() {
    let (_, small) = tickets(1500, 13, end(), 3, Mode::Desk { paraphrases: false });
    assert!(small.recurring.iter().all(|r| r.pattern == "burst"));
    let (_, big) = tickets(6000, 13, end(), 3, Mode::Desk { paraphrases: false });
    let chronic: Vec<_> = big
        .recurring
        .iter()
        .filter(|r| r.pattern == "chronic")
        .collect();
    assert_eq!(chronic.len(), 2);
    for r in chronic {
        assert!((13 * 6..=13 * 10).contains(&r.incidents.len()), "{r:?}");
        assert!(r.titles.len() >= 4, "{r:?}");
    }
}
