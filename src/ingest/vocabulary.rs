//! The common vocabulary of ticket exports: the priority, status and kind spellings that
//! nearly every tool writes (`1`…`5`, `P1`, `2 - High`, `Critical`; `Open`, `Work in
//! Progress`, `Waiting for customer`, `Canceled`; `Service request`), read without a
//! `[values.*]` section. A mapping file's own entries come first: they add spellings or
//! override these ([`extend`]). Vendor mappings built in code do not use it; they carry their
//! vendor's own lists. `mapping suggest` reads values with the same functions.

use std::borrow::Cow;
use std::collections::BTreeMap;

use polars::prelude::*;

use super::mapping::Mapping;
use crate::error::{Error, Result};

/// Lower-cased, trimmed, accents folded (`Très haute` → `tres haute`), `_` read as a space,
/// and runs of whitespace collapsed, so that one entry serves every way of writing a word.
pub(super) fn fold(s: &str) -> String {
    let folded: String = s
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            '_' | '\u{a0}' => ' ',
            '’' => '\'',
            c => c,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Priority words, 1 (highest) to 5. "Major" is left out on purpose: Jira ranks it second,
/// GLPI first, so a mapping must say which it means.
const PRIORITY_WORDS: &[(i32, &[&str])] = &[
    (
        1,
        &[
            "critical",
            "crit",
            "urgent",
            "highest",
            "very high",
            "blocker",
            "emergency",
            "tres haute",
            "critique",
        ],
    ),
    (2, &["high", "haute", "elevee"]),
    (3, &["medium", "moderate", "normal", "moyenne"]),
    (4, &["low", "minor", "basse", "faible"]),
    (
        5,
        &["planning", "lowest", "very low", "trivial", "tres basse"],
    ),
];

/// The canonical priority of a spelling: `N`, `PN`, `Priority N`, `N - Label` (the number
/// wins over the label), or a priority word; `None` when it is none of these.
pub fn priority(spelling: &str) -> Option<i32> {
    let f = fold(spelling);
    let f = f.strip_suffix(" priority").unwrap_or(&f);
    if let Some(n) = PRIORITY_WORDS
        .iter()
        .find(|(_, words)| words.contains(&f))
        .map(|(n, _)| *n)
    {
        return Some(n);
    }
    let number = ["priority ", "prio ", "p ", "p"]
        .iter()
        .find_map(|p| f.strip_prefix(p))
        .unwrap_or(f);
    let mut chars = number.chars();
    let n = chars.next()?.to_digit(10)? as i32;
    let rest = chars.as_str();
    // `2`, `2 - High`, `2-high`, `2: High`, `P2 (High)`, `2.`; never `20` or `2.5`.
    let separated = rest.is_empty()
        || rest == "."
        || rest.starts_with([' ', '-', '–', ':', ')', '('])
        || rest.starts_with(". ");
    ((1..=5).contains(&n) && separated).then_some(n)
}

/// Status spellings to canonical statuses, matched whole (after [`fold`] and with `-` read
/// as a space, a trailing qualifier in brackets dropped).
const STATUS_WORDS: &[(&str, &[&str])] = &[
    (
        "new",
        &[
            "new",
            "open",
            "opened",
            "logged",
            "registered",
            "submitted",
            "to do",
            "todo",
            "backlog",
            "unassigned",
            "draft",
            "triage",
            "pending approval",
            "awaiting approval",
            "nouveau",
            "ouvert",
        ],
    ),
    (
        "in_progress",
        &[
            "in progress",
            "work in progress",
            "wip",
            "assigned",
            "active",
            "working",
            "in work",
            "ongoing",
            "investigating",
            "under investigation",
            "acknowledged",
            "accepted",
            "started",
            "reopened",
            "escalated",
            "processing",
            "en cours",
            "attribue",
        ],
    ),
    (
        "on_hold",
        &[
            "on hold",
            "hold",
            "pending",
            "waiting",
            "suspended",
            "deferred",
            "paused",
            "en attente",
        ],
    ),
    ("resolved", &["resolved", "solved", "fixed", "resolu"]),
    (
        "closed",
        &[
            "closed",
            "done",
            "complete",
            "completed",
            "closed complete",
            "closed resolved",
            "clos",
            "ferme",
        ],
    ),
    (
        "cancelled",
        &[
            "cancelled",
            "canceled",
            "cancel",
            "closed cancelled",
            "closed canceled",
            "withdrawn",
            "rejected",
            "declined",
            "abandoned",
            "won't do",
            "wont do",
            "won't fix",
            "annule",
        ],
    ),
];

/// Beginnings that decide a status when no whole spelling matched (`Awaiting parts`,
/// `Waiting for customer`, `Pending vendor`, `Closed - no response`).
const STATUS_PREFIXES: &[(&str, &str)] = &[
    ("awaiting ", "on_hold"),
    ("waiting ", "on_hold"),
    ("pending ", "on_hold"),
    ("on hold ", "on_hold"),
    ("en attente ", "on_hold"),
    ("in progress ", "in_progress"),
    ("en cours ", "in_progress"),
    ("closed ", "closed"),
];

/// The canonical status of a spelling (the canonical names themselves included), or `None`.
pub fn status(spelling: &str) -> Option<&'static str> {
    let f = fold(spelling).replace(['-', '–'], " ");
    let mut f = f.split_whitespace().collect::<Vec<_>>().join(" ");
    // `En cours (attribué)`, `Processing (planned)`: the qualifier does not change the state.
    if let Some(open) = f.find(" (")
        && f.ends_with(')')
        && STATUS_WORDS.iter().any(|(_, w)| w.contains(&&f[..open]))
    {
        f.truncate(open);
    }
    STATUS_WORDS
        .iter()
        .find(|(_, words)| words.contains(&f.as_str()))
        .map(|(s, _)| *s)
        .or_else(|| {
            STATUS_PREFIXES
                .iter()
                .find(|(p, _)| f.starts_with(p))
                .map(|(_, s)| *s)
        })
}

/// Kind spellings to canonical kinds (the canonical names themselves included).
const KIND_WORDS: &[(&str, &[&str])] = &[
    ("incident", &["incident", "incidents", "incident ticket"]),
    (
        "request",
        &[
            "request",
            "service request",
            "requests",
            "sr",
            "demande",
            "ritm",
            "requested item",
        ],
    ),
    ("problem", &["problem", "problems", "probleme"]),
    (
        "change",
        &[
            "change",
            "change request",
            "rfc",
            "changement",
            "normal change",
            "standard change",
            "emergency change",
        ],
    ),
];

/// The canonical kind of a spelling, or `None`.
pub fn kind(spelling: &str) -> Option<&'static str> {
    let f = fold(spelling).replace('-', " ");
    // Jira Service Management's stock types: `[System] Service request`.
    let f = f.strip_prefix("[system] ").unwrap_or(&f);
    KIND_WORDS
        .iter()
        .find(|(_, words)| words.contains(&f))
        .map(|(k, _)| *k)
}

/// The built-in spellings of a value column, as a reject message lists them.
pub fn described(column: &str) -> &'static str {
    match column {
        "priority" => {
            "1 to 5, P1 to P5, `N - label` (the number counts), critical, high, medium, \
             moderate, low, planning (and urgent, highest, very high, normal, minor, lowest, \
             very low, trivial)"
        }
        "status" => {
            "new, in_progress, on_hold, resolved, closed, cancelled and the common spellings \
             (open, assigned, in progress, work in progress, pending, on hold, waiting…, \
             awaiting…, solved, done, canceled, rejected, …)"
        }
        _ => "incident, request, problem, change (and service request, change request, rfc)",
    }
}

/// `m` with the vocabulary's reading of every spelling in `df`'s raw `priority`, `status`
/// and `kind` columns that `m`'s own value maps lack, so the normaliser's one lookup serves
/// both (the mapping's entries win). Borrowed as is when `m` does not use the vocabulary.
pub(super) fn extend<'m>(m: &'m Mapping, df: &DataFrame) -> Result<Cow<'m, Mapping>> {
    if !m.common_vocabulary {
        return Ok(Cow::Borrowed(m));
    }
    let mut out = m.clone();
    for column in ["priority", "status", "kind"] {
        let Ok(c) = df.column(column) else { continue };
        let distinct = c
            .unique()
            .and_then(|u| u.str().cloned())
            .map_err(Error::polars(format!("distinct {column} values")))?;
        // Trimmed and lower-cased, as the normaliser's lookup matches them.
        let spellings: Vec<String> = distinct
            .iter()
            .flatten()
            .map(|s| s.trim().to_lowercase())
            .collect();
        let spellings = spellings.into_iter();
        match column {
            "priority" => add(&mut out.values.priority, spellings, priority),
            "status" => add(&mut out.values.status, spellings, |s| {
                status(s).map(String::from)
            }),
            _ => add(&mut out.values.kind, spellings, |s| {
                kind(s).map(String::from)
            }),
        }
    }
    Ok(Cow::Owned(out))
}

/// Insert `read(s)` for each spelling `s` the map does not already have (its keys compared
/// lower-cased, as the lookups compare them).
fn add<T>(
    map: &mut BTreeMap<String, T>,
    spellings: impl Iterator<Item = String>,
    read: impl Fn(&str) -> Option<T>,
) {
    let known: std::collections::BTreeSet<String> =
        map.keys().map(|k| k.trim().to_lowercase()).collect();
    for s in spellings {
        if s.is_empty() || known.contains(&s) {
            continue;
        }
        if let Some(v) = read(&s) {
            map.insert(s, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_in_every_common_form() {
        for (s, n) in [
            ("1", 1),
            ("5", 5),
            ("P1", 1),
            ("p 3", 3),
            ("Priority 2", 2),
            ("1 - Critical", 1),
            ("2-high", 2),
            ("4 - Anything", 4),
            ("P2 (High)", 2),
            ("Critical", 1),
            ("HIGH", 2),
            ("moderate", 3),
            ("Medium", 3),
            ("low", 4),
            ("Planning", 5),
            ("Très haute", 1),
            ("High priority", 2),
        ] {
            assert_eq!(priority(s), Some(n), "{s}");
        }
        for s in ["0", "6", "10", "2.5", "P0", "major", "Sev A", ""] {
            assert_eq!(priority(s), None, "{s}");
        }
    }

    #[test]
    fn statuses_in_every_common_form() {
        for (s, st) in [
            ("New", "new"),
            ("Open", "new"),
            ("Assigned", "in_progress"),
            ("In Progress", "in_progress"),
            ("in_progress", "in_progress"),
            ("Work in Progress", "in_progress"),
            ("Pending", "on_hold"),
            ("On Hold", "on_hold"),
            ("on-hold", "on_hold"),
            ("Waiting", "on_hold"),
            ("Waiting for customer", "on_hold"),
            ("Awaiting User Info", "on_hold"),
            ("Resolved", "resolved"),
            ("Closed", "closed"),
            ("Closed - Complete", "closed"),
            ("Closed Cancelled", "cancelled"),
            ("Cancelled", "cancelled"),
            ("Canceled", "cancelled"),
            ("En cours (attribué)", "in_progress"),
            ("Résolu", "resolved"),
        ] {
            assert_eq!(status(s), Some(st), "{s}");
        }
        for s in ["Bogus", "Sent to vendor", ""] {
            assert_eq!(status(s), None, "{s}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("Service Request"), Some("request"));
        assert_eq!(kind("Demande"), Some("request"));
        assert_eq!(kind("Incident"), Some("incident"));
        assert_eq!(kind("RFC"), Some("change"));
        assert_eq!(kind("[System] Service request"), Some("request"));
        assert_eq!(kind("Hardware"), None);
    }

    #[test]
    fn the_mapping_wins_over_the_vocabulary() {
        let df = df!(
            "status" => ["Pending", "Open", "Bogus"],
            "priority" => ["P1", "1 - Critical", "x"],
        )
        .unwrap();
        let mut m = Mapping::vendor("t", BTreeMap::new(), vec![], vec![], Default::default());
        m.common_vocabulary = true;
        m.values
            .status
            .insert("PENDING".into(), "in_progress".into());
        let e = extend(&m, &df).unwrap();
        assert_eq!(
            e.values.status.get("PENDING").map(String::as_str),
            Some("in_progress")
        );
        assert!(!e.values.status.contains_key("pending"));
        assert_eq!(e.values.status.get("open").map(String::as_str), Some("new"));
        assert!(!e.values.status.contains_key("bogus"));
        assert_eq!(e.values.priority.get("p1"), Some(&1));
        assert_eq!(e.values.priority.get("1 - critical"), Some(&1));
        m.common_vocabulary = false;
        assert!(matches!(extend(&m, &df).unwrap(), Cow::Borrowed(_)));
    }
}
