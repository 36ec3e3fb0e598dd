//! Text normalisation for recurring-problem detection: turn a ticket's title (and
//! description) into a set of content tokens and a set of entity tokens.
//!
//! - Volatile tokens (IPs, e-mail addresses, GUIDs, long numbers, dates, times, ticket
//!   numbers) are dropped: they differ between reports of the same fault.
//! - Entity tokens (letters and digits together: `printer546`, `srv-db-01`, `lon-fw-2`) are
//!   kept whole and unstemmed: a named device or host is the strongest signal there is.
//! - Everything else is lower-cased, split on punctuation, stripped of stop words and
//!   service-desk filler ("please", "properly", "system"), mapped through a few synonyms
//!   ("e-mail" = "email") and lightly stemmed.
//! - Fault symptoms meet: "down", "outage", "malfunctioning", "error", "issue" and a negated
//!   verb ("not working", "not responding", "cannot access", "unable to connect") all become
//!   the one token [`FAULT`]. A negated verb that names a function ("not printing", "not
//!   syncing") keeps its stem beside it. So "Printer not working properly", "Printer is not
//!   functioning properly", "Printer not responding" and "Printer malfunctioning" are all
//!   `fault printer`.
//!
//! A text with no token left, or with nothing but [`FAULT`], carries no signal ("Issue
//! reported, please help", "Not working").

use std::collections::BTreeSet;

use super::lexicon::{CAPABILITIES, FAULT, NEGATORS, STOP, SYMPTOMS, SYNONYMS};

/// The normalised form of one ticket's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
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
    let lower = without_apostrophes(&text.to_lowercase());
    // A negator waiting for the word it negates.
    let mut negated = false;
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
            negated = false;
            continue;
        }
        for part in word.split(|c: char| !c.is_alphanumeric()) {
            if part.is_empty() || volatile(part) || part.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if NEGATORS.contains(&part) {
                negated = true;
                continue;
            }
            if SYMPTOMS.contains(&part) {
                tokens.insert(FAULT.to_string());
                negated = false;
                continue;
            }
            let s = stem(part);
            if negated && CAPABILITIES.contains(&s.as_str()) {
                // "not working", "cannot access": the symptom and nothing else.
                tokens.insert(FAULT.to_string());
                negated = false;
                continue;
            }
            if STOP.contains(&part) {
                // "not able to", "is not being sent": filler keeps the negation waiting.
                continue;
            }
            if negated {
                tokens.insert(FAULT.to_string());
                negated = false;
            }
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
    if tokens.len() == 1 && tokens.contains(FAULT) {
        // "Not working", "Issue reported": a symptom of nothing named.
        tokens.clear();
    }
    Normalized {
        tokens: tokens.into_iter().collect(),
        entities: entities.into_iter().collect(),
    }
}

/// The text with each apostrophe between two letters dropped, so "can't" is "cant" and
/// "isn't" is "isnt" (one word each, as the lexicon lists them); "printer546's" keeps its
/// apostrophe and splits there.
fn without_apostrophes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if matches!(c, '\'' | '\u{2019}') && between_letters {
            continue;
        }
        out.push(c);
    }
    out
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
pub fn stem(w: &str) -> String {
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
    fn symptoms_meet_and_the_object_stays() {
        let printer = toks("Printer not working properly");
        assert_eq!(printer, vec!["fault", "printer"]);
        for t in [
            "Printer is not functioning properly",
            "Printer not responding",
            "Printer malfunctioning",
            "Printer isn't working correctly",
            "The printer is down",
        ] {
            assert_eq!(toks(t), printer, "{t}");
        }
        assert_eq!(toks("Cannot access email"), vec!["email", "fault"]);
        assert_eq!(toks("Email system outage"), vec!["email", "fault"]);
        assert_eq!(toks("Can't connect to the VPN"), vec!["fault", "vpn"]);
        // A negated verb that names a function keeps it.
        assert_eq!(
            toks("Email client not syncing"),
            vec!["client", "email", "fault", "sync"]
        );
        // Without a negation a capability verb is an ordinary word.
        assert_eq!(
            toks("VPN connection failing"),
            vec!["connect", "fault", "vpn"]
        );
        // An apostrophe after digits splits: the entity survives.
        assert_eq!(
            normalize("Printer546's tray is broken").entities,
            vec!["printer546"]
        );
    }

    #[test]
    fn filler_carries_no_signal() {
        for s in [
            "Issue reported, please help",
            "Not working",
            "Problem",
            "Help needed urgently please",
            "Issue reported",
            "It is broken",
            "",
        ] {
            assert!(normalize(s).is_empty(), "{s}: {:?}", normalize(s));
        }
        assert!(!normalize("VPN drops").is_empty());
    }
}
