//! Pattern scrubbing of free text: e-mail addresses, phone numbers, and the words of known
//! names. Phone numbers are found by shape (an international `+` number, a national number
//! with a trunk `0`, a North American `555-123-4567`), then checked: 9 to 15 digits, not a
//! date, not followed by a time's `:`, not a dotted IP address or version number. Ticket ids
//! such as `INC0012345` never match, because a number glued to letters is no phone.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// An e-mail address.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+",
    )
    .expect("e-mail pattern")
});

/// The shapes of a phone number; [`is_phone`] decides.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        // International: +44 20 7946 0958, +33 (0)6 12 34 56 78, +4930123456.
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}",
        // National with a trunk prefix: 020 7946 0958, 06 12 34 56 78, (030) 1234567.
        r"|(?:\(0\d{1,4}\)|\b0\d{1,4})(?:[ .-]?\d{2,5}){1,4}\b",
        // North American: 555-123-4567, (555) 123-4567.
        r"|(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b",
    ))
    .expect("phone pattern")
});

/// A date at the start of a candidate, alone or before a time: `2026-01-05`, `05.01.2026`,
/// `5/1/26 10` (not `06.12.34.56.78`, which has more parts than a date).
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})(?:$|[ T])")
        .expect("date")
});

/// Whether `m`, found at `end` in `text`, is a phone number rather than a date, a time, an
/// address or a version.
fn is_phone(m: &str, text: &str, end: usize) -> bool {
    let digits = m.chars().filter(char::is_ascii_digit).count();
    if !(9..=15).contains(&digits) || DATE.is_match(m) {
        return false;
    }
    if text[end..].starts_with(':') {
        return false;
    }
    // Dots only, with a group of one digit: 10.0.0.1, 10.0.19045.2965.
    let dotted = !m.contains([' ', '-', '(', '+']);
    !(dotted && m.split('.').any(|g| g.len() == 1))
}

/// `text` with every e-mail address replaced by `email(address)` and every phone number by
/// `phone`.
pub fn patterns(text: &str, email: &dyn Fn(&str) -> String, phone: &str) -> String {
    let text = EMAIL.replace_all(text, |c: &regex::Captures| email(&c[0]));
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in PHONE.find_iter(&text) {
        if is_phone(m.as_str(), &text, m.end()) {
            out.push_str(&text[last..m.start()]);
            out.push_str(phone);
            last = m.end();
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Known names by word: the lower-case word of a name → what replaces it.
#[derive(Debug, Clone, Default)]
pub struct Names {
    words: HashMap<String, String>,
}

/// The words of a name worth matching: runs of letters and digits of two characters or more
/// that hold a letter. The local part only, for an e-mail address.
fn name_words(value: &str) -> impl Iterator<Item = String> + '_ {
    let value = value.split('@').next().unwrap_or(value);
    value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
}

impl Names {
    /// Learn `value`'s words, each to be replaced by `by` (a word already known keeps its
    /// first replacement).
    pub fn add(&mut self, value: &str, by: &str) {
        for w in name_words(value) {
            self.words.entry(w).or_insert_with(|| by.to_string());
        }
    }

    /// Learn every name of `other`.
    pub fn extend(&mut self, other: &Names) {
        for (w, by) in &other.words {
            self.words.entry(w.clone()).or_insert_with(|| by.clone());
        }
    }

    /// `text` with each known word replaced (whole words, any case); the words of one name
    /// in a row (`Alice Martin`, `Martin, Alice`) become one replacement.
    pub fn replace(&self, text: &str) -> String {
        if self.words.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        // The replacement just written and the separators seen since it.
        let mut open: Option<&str> = None;
        let mut gap = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            let word_len = rest
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(rest.len());
            if word_len == 0 {
                let c = rest.chars().next().unwrap_or(' ');
                if open.is_some() && matches!(c, ' ' | ',' | '.' | '\'' | '-') {
                    gap.push(c);
                } else {
                    out.push_str(&std::mem::take(&mut gap));
                    out.push(c);
                    open = None;
                }
                rest = &rest[c.len_utf8()..];
                continue;
            }
            let word = &rest[..word_len];
            match self.words.get(&word.to_lowercase()) {
                Some(by) if open == Some(by.as_str()) => gap.clear(),
                Some(by) => {
                    out.push_str(&std::mem::take(&mut gap));
                    out.push_str(by);
                    open = Some(by.as_str());
                }
                None => {
                    out.push_str(&std::mem::take(&mut gap));
                    out.push_str(word);
                    open = None;
                }
            }
            rest = &rest[word_len..];
        }
        out.push_str(&gap);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(t: &str) -> String {
        patterns(t, &|_| "[email]".into(), "[phone]")
    }

    #[test]
    fn emails_and_phones_go() {
        for (text, want) in [
            ("mail alice.martin@example.co.uk now", "mail [email] now"),
            ("call +44 20 7946 0958 today", "call [phone] today"),
            ("call +33 (0)6 12 34 56 78.", "call [phone]."),
            ("call 06 12 34 56 78", "call [phone]"),
            ("call 0612345678", "call [phone]"),
            ("call 020 7946 0958", "call [phone]"),
            (
                "call (555) 123-4567 or 555.123.4567",
                "call [phone] or [phone]",
            ),
            ("fax 06.12.34.56.78", "fax [phone]"),
        ] {
            assert_eq!(scrub(text), want, "{text}");
        }
    }

    #[test]
    fn ids_dates_times_and_addresses_stay() {
        for text in [
            "INC0012345 since 2026-01-05 10:00",
            "host 10.0.0.1 and 192.168.100.200",
            "build 10.0.19045.2965",
            "on 05.01.2026 10:00 and 05/01/2026",
            "CHG0030001 caused by PRB0040001",
            "ticket 1234567890 took 3600 s",
        ] {
            assert_eq!(scrub(text), text);
        }
    }

    #[test]
    fn names_whole_words_any_case_one_replacement_per_run() {
        let mut n = Names::default();
        n.add("Alice Martin", "P1");
        n.add("bob.stone@example.com", "P2");
        assert_eq!(
            n.replace("ALICE MARTIN asked; Martin, Alice too. Bob Stone? Alicexyz stays"),
            "P1 asked; P1 too. P2? Alicexyz stays"
        );
        assert_eq!(n.replace("alice and bob"), "P1 and P2");
    }
}
