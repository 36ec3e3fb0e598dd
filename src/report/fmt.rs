//! How numbers read in reports: durations in minutes, hours or days, percentages with one
//! decimal, dates as ISO days. One place, so tiles, tables, sentences and charts agree.

/// `YYYY-MM-DD` of an instant (µs, UTC).
pub fn day(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `YYYY-MM` of an instant (µs, UTC).
pub fn month(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|d| d.format("%Y-%m").to_string())
        .unwrap_or_default()
}

/// A duration for people: "45 min", "6.1 h", "3.2 d".
pub fn duration(s: f64) -> String {
    if s < 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 48.0 * 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} d", s / 86400.0)
    }
}

/// A percentage: "95.2 %".
pub fn pct(v: f64) -> String {
    format!("{v:.1} %")
}

/// Optional value with a formatter, or an em dash.
pub fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

/// A count.
pub fn count(v: f64) -> String {
    format!("{v:.0}")
}

/// Signed relative change: "+54 %".
pub fn rel(from: f64, to: f64) -> String {
    if from == 0.0 {
        return "new".into();
    }
    format!("{:+.0} %", 100.0 * (to - from) / from)
}

/// Characters that have no business in a report and break XML: C0/C1 controls (except tab
/// and newline) and the Unicode line/paragraph separators.
pub fn unwanted(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n') || c == '\u{2028}' || c == '\u{2029}'
}

/// `s` with every [`unwanted`] character replaced by a space, and every bidirectional
/// control shown as its code (`\u202E`) rather than obeyed, so ticket text cannot reorder
/// what the page shows.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_clean(&mut out, c);
    }
    out
}

/// Push `c` as [`clean`] shows it.
pub fn push_clean(out: &mut String, c: char) {
    if unwanted(c) {
        out.push(' ');
    } else if crate::table::is_bidi_control(c) {
        out.push_str(&format!("\\u{:04X}", c as u32));
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_cleaning() {
        assert_eq!(duration(2700.0), "45 min");
        assert_eq!(duration(6.1 * 3600.0), "6.1 h");
        assert_eq!(duration(3.0 * 86400.0), "3.0 d");
        assert_eq!(rel(6.1, 9.4), "+54 %");
        assert_eq!(clean("a\u{0}b\u{1b}c\u{2028}d\te"), "a b c d\te");
        assert_eq!(clean("abc\u{202E}txt.exe"), "abc\\u202Etxt.exe");
    }
}
