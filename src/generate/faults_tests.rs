//! The vocabulary's promises, checked with a tokenizer that errs on the side of merging:
//! few stop words (only ones every detector drops; `won't` leaves `won`), light stemming and
//! the e-mail synonyms of a typical detector, so a detector that drops more filler words
//! finds titles further apart, not closer.

use std::collections::BTreeSet;

use super::*;
use crate::generate::desk::SERVICES;
use crate::generate::inject::{BURSTS, CHRONIC};

const STOP: &[&str] = &[
    "a", "an", "the", "to", "on", "in", "at", "of", "for", "from", "with", "by", "is", "are",
    "was", "be", "been", "it", "its", "my", "our", "me", "and", "or", "not", "no", "can", "cannot",
    "will", "does", "do", "when", "after", "again", "any", "all", "very", "too", "up", "out",
    "off", "this", "that",
];
/// Words a detector may drop as service-desk filler: a component must not rely on them.
const FILLER: &[&str] = &[
    "issue", "problem", "work", "need", "report", "user", "team", "request", "error", "fault",
    "broken", "ticket", "incident", "keep", "get", "properly", "help", "please",
];

/// The detector's own stemming, plus the e-mail synonyms a typical detector has.
fn stem(w: &str) -> String {
    let s = crate::problems::text::stem(w);
    match s.as_str() {
        "mail" | "mailbox" => "email".into(),
        _ => s,
    }
}

fn words(text: &str) -> BTreeSet<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 2 && !STOP.contains(w))
        .map(stem)
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    a.intersection(b).count() as f64 / a.union(b).count().max(1) as f64
}

/// A token of letters and digits together: what detectors take for a named CI (host names
/// keep their joiners: `vpn-gw-01`).
fn has_entity(text: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .any(|w| w.chars().any(|c| c.is_alphabetic()) && w.chars().any(|c| c.is_ascii_digit()))
}

/// The injected titles of service `s`.
fn injected(s: usize) -> Vec<&'static str> {
    let mut out: Vec<&str> = CHRONIC
        .iter()
        .filter(|c| c.service == s)
        .flat_map(|c| c.titles.iter().copied())
        .collect();
    for b in BURSTS.iter().filter(|b| b.service == s) {
        out.push(b.title);
        out.extend_from_slice(b.paraphrases);
    }
    out
}

#[test]
fn every_service_has_many_components_with_words_of_their_own() {
    for (s, svc) in SERVICES.iter().enumerate() {
        let objects = VOCABULARY.objects(s);
        assert!(objects.len() >= 62, "{}: {}", svc.name, objects.len());
        let reserved: BTreeSet<String> = injected(s).iter().flat_map(|t| words(t)).collect();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for o in objects {
            let w = words(o.name);
            assert!(!w.is_empty(), "{}", o.name);
            assert!(!has_entity(o.name), "{}", o.name);
            for x in &w {
                assert!(!FILLER.contains(&x.as_str()), "{}: filler {x}", o.name);
                assert!(
                    !reserved.contains(x),
                    "{}: {x} is an injected fault's",
                    o.name
                );
                assert!(seen.insert(x.clone()), "{}: {x} used twice", o.name);
            }
        }
    }
}

#[test]
fn titles_of_different_components_never_look_alike() {
    for (s, svc) in SERVICES.iter().enumerate() {
        let titles: Vec<(usize, String, BTreeSet<String>)> = VOCABULARY
            .objects(s)
            .iter()
            .enumerate()
            .flat_map(|(i, o)| {
                (0..phrasings(o).len() as u32).map(move |d| {
                    let t = incident_title(o, d);
                    (i, t.clone(), words(&t))
                })
            })
            .collect();
        for (k, (i, a, wa)) in titles.iter().enumerate() {
            assert!(!has_entity(a), "{a}");
            for (j, b, wb) in &titles[k + 1..] {
                if i != j {
                    assert!(jaccard(wa, wb) < 0.5, "{}: {a} / {b}", svc.name);
                }
            }
            for t in injected(s) {
                assert!(jaccard(&words(t), wa) < 0.5, "{}: {t} / {a}", svc.name);
            }
        }
    }
}

#[test]
fn other_kinds_and_injected_paraphrases_name_no_entity() {
    for s in 0..SERVICES.len() {
        for kind in ["request", "change", "problem"] {
            for d in 0..500 {
                let t = other_title(kind, s, d);
                assert!(!has_entity(&t) && !t.contains("{}"), "{t}");
            }
        }
    }
    for c in &CHRONIC {
        assert!(c.titles.len() >= 4);
        for t in c.titles {
            assert!(!has_entity(t), "{t}");
            assert!(t.to_lowercase().contains(c.keyword), "{t}");
        }
    }
    for b in &BURSTS {
        assert!(has_entity(b.title) && b.title.to_lowercase().contains(b.ci));
        assert!(b.paraphrases.len() >= 4);
        for t in b.paraphrases {
            assert!(!has_entity(t), "{t}");
            assert!(t.to_lowercase().contains(b.keyword), "{t}");
        }
    }
}

#[test]
fn titles_read_as_sentences() {
    let o = Object {
        family: Family::App,
        name: "iPhone client",
        words: 2,
    };
    assert_eq!(incident_title(&o, 0), "Cannot open iPhone client");
    let o = Object {
        family: Family::Feature,
        name: "spam filter",
        words: 2,
    };
    assert_eq!(incident_title(&o, 1), "Spam filter fails");
    assert_eq!(incident_title(&o, 4), "Cannot use spam filter");
    // One-word components take only the short phrasings.
    let one = Object {
        family: Family::App,
        name: "Outlook",
        words: 1,
    };
    assert_eq!(phrasings(&one).len(), symptoms(Family::App).short.len());
}
