//! Text normalisation for recurring-problem detection: turn a ticket's title (and
//! description) into a set of content tokens and a set of entity tokens.
//!
//! - Volatile tokens (IPs, e-mail addresses, GUIDs, long numbers, dates, times, ticket
//!   numbers) are dropped: they differ between reports of the same fault.
//! - Entity tokens (letters and digits together: `printer546`, `srv-db-01`, `lon-fw-2`) are
//!   kept whole and unstemmed: a named device or host is the strongest signal there is.
//! - Everything else is lower-cased, split on punctuation, stripped of stop words (including
//!   service-desk filler such as "issue", "please", "not working", "unable"), mapped through a
//!   few synonyms ("outage" = "down") and lightly stemmed.
//!
//! A text with no token left carries no signal ("Issue reported, please help").

use std::collections::BTreeSet;

/// English stop words plus service-desk filler that says nothing about the fault.
const STOP: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "being",
    "but",
    "by",
    "can",
    "cannot",
    "cant",
    "can't",
    "could",
    "did",
    "do",
    "does",
    "doesnt",
    "doesn't",
    "dont",
    "don't",
    "each",
    "for",
    "from",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isnt",
    "isn't",
    "it",
    "its",
    "it's",
    "just",
    "me",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "our",
    "out",
    "over",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    // Service-desk filler.
    "issue",
    "issues",
    "problem",
    "problems",
    "working",
    "work",
    "works",
    "please",
    "pls",
    "help",
    "helps",
    "unable",
    "urgent",
    "urgently",
    "asap",
    "need",
    "needed",
    "needs",
    "reported",
    "report",
    "reports",
    "reporting",
    "user",
    "users",
    "hi",
    "hello",
    "thanks",
    "thank",
    "regards",
    "team",
    "kindly",
    "assist",
    "assistance",
    "query",
    "request",
    "properly",
    "still",
    "anymore",
    "error",
    "errors",
    "fault",
    "faulty",
    "broken",
    "ticket",
    "incident",
    "someone",
    "something",
    "anything",
    "everything",
    "getting",
    "get",
    "got",
    "keeps",
    "keep",
    "also",
    "re",
    "fw",
    "fwd",
];

/// Words with the same meaning in a fault report, mapped to one form (after stemming).
const SYNONYMS: &[(&str, &str)] = &[
    ("outag", "down"),
    ("offlin", "down"),
    ("unavail", "down"),
    ("unreach", "down"),
    ("disconnect", "drop"),
    ("dropp", "drop"),
    ("slowli", "slow"),
    ("sluggish", "slow"),
    ("e-mail", "email"),
    ("mail", "email"),
    ("mailbox", "email"),
    ("wifi", "wi-fi"),
    ("logon", "login"),
    ("signin", "login"),
];

/// The normalised form of one ticket's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// Content tokens, entities included, sorted and unique.
    pub tokens: Vec<String>,
    /// Entity tokens only, sorted and unique.
    pub entities: Vec<String>,
}

impl Normalized {
    /// No signal left after normalisation.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Normalise one text.
pub fn normalize(text: &str) -> Normalized {
    let mut tokens = BTreeSet::new();
    let mut entities = BTreeSet::new();
    let lower = text.to_lowercase();
    // Split on whitespace and on punctuation other than the joiners of host and CI names.
    for raw in lower.split(|c: char| {
        c.is_whitespace()
            || !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '/'))
    }) {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() || volatile(word) {
            continue;
        }
        if is_entity(word) {
            let e = word.trim_end_matches('.').to_string();
            entities.insert(e.clone());
            tokens.insert(e);
            continue;
        }
        for part in word.split(|c: char| !c.is_alphanumeric()) {
            if part.is_empty() || STOP.contains(&part) || volatile(part) {
                continue;
            }
            if part.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let s = stem(part);
            let s = SYNONYMS
                .iter()
                .find(|(from, _)| *from == s)
                .map(|(_, to)| to.to_string())
                .unwrap_or(s);
            if s.chars().count() >= 2 && !STOP.contains(&s.as_str()) {
                tokens.insert(s);
            }
        }
    }
    Normalized {
        tokens: tokens.into_iter().collect(),
        entities: entities.into_iter().collect(),
    }
}

/// Letters and digits together, at least three characters, and not a volatile token:
/// `printer546`, `srv-db-01`, `lon-fw-2`, `win10`.
fn is_entity(w: &str) -> bool {
    let letters = w.chars().any(|c| c.is_alphabetic());
    let digits = w.chars().any(|c| c.is_ascii_digit());
    letters && digits && w.chars().count() >= 3 && !ordinal_or_unit(w)
}

/// `1st`, `3rd`, `10am`, `5pm`, `2h`, `30min`, `4gb`: numbers with a unit, not names.
fn ordinal_or_unit(w: &str) -> bool {
    let digits_end = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
    if digits_end == 0 {
        return false;
    }
    matches!(
        &w[digits_end..],
        "st" | "nd"
            | "rd"
            | "th"
            | "am"
            | "pm"
            | "h"
            | "hr"
            | "hrs"
            | "min"
            | "mins"
            | "s"
            | "sec"
            | "secs"
            | "d"
            | "days"
            | "kb"
            | "mb"
            | "gb"
            | "tb"
            | "x"
            | "k"
    )
}

/// Tokens that differ between reports of the same fault.
fn volatile(w: &str) -> bool {
    // Ticket numbers: INC0012345, RITM001, CHG12, PRB7, REQ..., TASK..., SCTASK...
    for p in [
        "inc", "ritm", "chg", "prb", "req", "task", "sctask", "ctask",
    ] {
        if let Some(rest) = w.strip_prefix(p)
            && rest.len() >= 3
            && rest.chars().all(|c| c.is_ascii_digit())
        {
            return true;
        }
    }
    if w.contains('@') {
        return true; // e-mail address
    }
    let digits = w.chars().filter(|c| c.is_ascii_digit()).count();
    let hex = w.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    // GUIDs and long hex ids.
    if hex && w.len() >= 16 && digits > 0 {
        return true;
    }
    // IPv4 / IPv6-ish, dates and times: digits with separators only.
    if w.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '/' | '-'))
        && digits > 0
    {
        return true;
    }
    if w.contains(':')
        && w.chars()
            .filter(|c| c.is_ascii_hexdigit() || *c == ':')
            .count()
            == w.len()
    {
        return true; // IPv6
    }
    // Long numbers (order numbers, phone numbers).
    w.chars().all(|c| c.is_ascii_digit()) && w.len() >= 4
}

/// Light stemming: strip common English suffixes, keeping at least three letters.
fn stem(w: &str) -> String {
    let rules: &[(&str, &str)] = &[
        ("ies", "y"),
        ("sses", "ss"),
        ("ations", "ate"),
        ("ation", "ate"),
        ("ions", ""),
        ("ion", ""),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ers", "er"),
        ("es", ""),
        ("ly", ""),
        ("s", ""),
    ];
    let mut s = w.to_string();
    for (suffix, repl) in rules {
        if let Some(base) = s.strip_suffix(suffix)
            && base.chars().count() >= 3
            && !(*suffix == "s" && base.ends_with('s'))
        {
            s = format!("{base}{repl}");
            break;
        }
    }
    // "outage" and "outages", "close" and "closed" meet: drop a final silent e.
    if s.chars().count() > 3 && s.ends_with('e') {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        normalize(s).tokens
    }

    #[test]
    fn paraphrases_meet() {
        assert_eq!(
            toks("Unable to connect to VPN"),
            toks("Cannot connect to VPN")
        );
        let a = normalize("Email system down for multiple users");
        let b = normalize("Email system outage reported by multiple users");
        let inter = a.tokens.iter().filter(|t| b.tokens.contains(t)).count();
        let union = a.tokens.len() + b.tokens.len() - inter;
        assert!(inter * 2 >= union, "{a:?} {b:?}");
    }

    #[test]
    fn entities_survive_and_volatile_tokens_go() {
        let n = normalize(
            "Printer546 down again (INC0012345) at 10.1.2.3 since 2026-10-01 10:30, ask bob@example.com; srv-db-01 and LON-FW-2 too, ref 123456, id 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        );
        assert_eq!(n.entities, vec!["lon-fw-2", "printer546", "srv-db-01"]);
        for gone in [
            "inc0012345",
            "10.1.2.3",
            "2026-10-01",
            "10:30",
            "bob@example.com",
            "123456",
        ] {
            assert!(
                !n.tokens.iter().any(|t| t == gone),
                "{gone} in {:?}",
                n.tokens
            );
        }
        assert!(!n.tokens.iter().any(|t| t.starts_with("3f2504e0")));
        assert!(
            normalize("Meeting at 10am on the 3rd floor")
                .entities
                .is_empty()
        );
    }

    #[test]
    fn filler_carries_no_signal() {
        for s in [
            "Issue reported, please help",
            "Not working",
            "Problem",
            "Help needed urgently please",
            "",
        ] {
            assert!(normalize(s).is_empty(), "{s}: {:?}", normalize(s));
        }
        assert!(!normalize("VPN drops").is_empty());
    }
}
