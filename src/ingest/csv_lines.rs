//! Physical lines of CSV text, for the structural reader.
//!
//! - A line ends at `\r\n`, `\n` or a lone `\r` (old Mac and some Excel exports), so line
//!   numbers are the same whatever the terminator.
//! - A stray quote: an opening quote that is never closed on its line makes the CSV grammar
//!   read on into the next lines as one record, often with the header's field count, so
//!   nothing looks wrong. The records it swallowed are found again here: a quoted field that
//!   holds a line break followed by what looks like the start of a record (the shape of the
//!   record's first value, or a whole row's fields) is suspect, and each physical record in
//!   it becomes an `unterminated_quote` reject. Multi-line text whose continuation lines do
//!   not look like a record start is left alone.

use super::raw::{Reject, truncate_raw};
use crate::error::quote;

/// The number of line breaks in `text[from..to]`: `\r\n`, `\n` and a lone `\r` each end one
/// line. A `\r` just before `to` whose `\n` is at `to` is left to the range that holds the
/// `\n`, so consecutive ranges add up.
pub(super) fn breaks(text: &[u8], from: usize, to: usize) -> u64 {
    let mut n = 0;
    for i in from..to {
        match text[i] {
            b'\n' => n += 1,
            b'\r' if text.get(i + 1) != Some(&b'\n') => n += 1,
            _ => {}
        }
    }
    n
}

/// The byte just after the line break that starts at `i`, if one does.
fn after_break(text: &[u8], i: usize) -> Option<usize> {
    match text[i] {
        b'\r' if text.get(i + 1) == Some(&b'\n') => Some(i + 2),
        b'\r' | b'\n' => Some(i + 1),
        _ => None,
    }
}

/// The physical lines of `text`: (byte offset where each starts, the line's text without
/// its terminator). Blank lines are kept, so the n-th item is the n-th line.
pub(super) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> + '_ {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if let Some(next) = after_break(bytes, i) {
                let line = (start, &text[start..i]);
                (start, i) = (next, next);
                return Some(line);
            }
            i += 1;
        }
        (start < bytes.len()).then(|| {
            let line = (start, &text[start..]);
            start = bytes.len();
            line
        })
    })
}

/// A value's shape for telling record starts apart: digit runs become `9`, every other
/// character stays as it is (`INC0001` → `INC9`, `2024-01-05 10:00` → `9-9-9 9:9`), with
/// the number of digits; hex keys (a ServiceNow `sys_id`, a UUID) have one shape of their
/// length. `None` for values without digits or too long to be a key.
fn shape(value: &str) -> Option<(String, usize)> {
    if value.len() > 64 {
        return None;
    }
    let hex = |c: char| c.is_ascii_hexdigit() || c == '-';
    if value.len() >= 16 && value.chars().all(hex) && value.contains(|c: char| c.is_ascii_digit()) {
        let pattern = value.chars().map(|c| if c == '-' { '-' } else { 'x' });
        return Some((pattern.collect(), value.len()));
    }
    let (mut pattern, mut digits) = (String::new(), 0);
    for c in value.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if !pattern.ends_with('9') {
                pattern.push('9');
            }
        } else {
            pattern.push(c);
        }
    }
    (digits > 0).then_some((pattern, digits))
}

/// Whether `head` has the shape of `reference` (the first value of the record's first
/// line). Bare numbers are a weak sign (text often starts with one), so they must also have
/// as many digits, and at least three.
fn same_shape(reference: &str, head: &str) -> bool {
    match (shape(reference), shape(head)) {
        (Some((a, n)), Some((b, m))) if a == b => a != "9" || (n == m && n >= 3),
        _ => false,
    }
}

/// The first value of a physical line (up to the first delimiter, trimmed, quotes dropped);
/// `None` when the line has no delimiter though a row has several fields.
fn first_value(line: &str, delimiter: u8, fields: usize) -> Option<&str> {
    let head = match line.bytes().position(|b| b == delimiter) {
        Some(i) => &line[..i],
        None if fields <= 1 => line,
        None => return None,
    };
    Some(head.trim().trim_matches('"'))
}

/// The fields of one physical line read on its own (delimiters outside quotes, plus one);
/// `None` when its quotes do not pair up, so it cannot be a whole row by itself.
fn fields_of_line(line: &str, delimiter: u8) -> Option<usize> {
    let (mut quoted, mut fields) = (false, 1);
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            fields += 1;
        }
    }
    (!quoted).then_some(fields)
}

/// Whether a continuation line (the text after a line break inside a quoted field) looks
/// like the start of a record of its own.
fn looks_like_record_start(line: &str, reference: &str, delimiter: u8, fields: usize) -> bool {
    let Some(head) = first_value(line, delimiter, fields) else {
        return false;
    };
    if !head.is_empty() && same_shape(reference, head) {
        return true;
    }
    // A whole row on one line: only with a few fields, since a line of prose with one or two
    // commas is no sign of anything.
    fields >= 4 && fields_of_line(line, delimiter) == Some(fields)
}

/// Where a stray quote swallowed records: the header position of the field whose quote
/// stays open past its line, and the records swallowed after the first (byte offset into
/// the record's text, lines after its first line, first value).
struct Swallowed<'a> {
    field: usize,
    starts: Vec<(usize, u64, &'a str)>,
}

/// The records swallowed into `raw` (one parsed record, without its terminator), if any.
fn swallowed(raw: &str, delimiter: u8, fields: usize) -> Option<Swallowed<'_>> {
    let bytes = raw.as_bytes();
    let reference = first_value(lines(raw).next()?.1, delimiter, fields).unwrap_or("");
    let (mut quoted, mut field, mut opened) = (false, 0, None);
    let mut starts = Vec::new();
    let (mut i, mut line_no) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b if b == delimiter && !quoted => field += 1,
            _ => {}
        }
        let Some(next) = after_break(bytes, i) else {
            i += 1;
            continue;
        };
        opened.get_or_insert(field);
        line_no += 1;
        let line = lines(&raw[next..]).next().map_or("", |(_, l)| l);
        if looks_like_record_start(line, reference, delimiter, fields) {
            let head = first_value(line, delimiter, fields).unwrap_or("");
            starts.push((next, line_no, head));
        }
        i = next;
    }
    (!starts.is_empty()).then(|| Swallowed {
        field: opened.unwrap_or(0),
        starts,
    })
}

/// The rejects of a record that a stray quote made out of several: one per physical record
/// in `raw` (its text without the terminator), at its own line, numbered from `record`
/// on, each message naming the lines involved. `None` when `raw` is one record.
pub(super) fn stray_quote_rejects(
    raw: &str,
    line: u64,
    record: u64,
    headers: &[String],
    delimiter: u8,
) -> Option<Vec<Reject>> {
    let found = swallowed(raw, delimiter, headers.len())?;
    let last = line + breaks(raw.as_bytes(), 0, raw.len());
    let column = headers.get(found.field).cloned();
    let (_, first_line, first_head) = found.starts[0];
    let what = match found.starts.len() {
        1 => format!(
            "into line {}, which starts like a record of its own (`{}`): lines {line} and {} are rejected",
            line + first_line,
            quote(first_head),
            line + first_line,
        ),
        n => format!(
            "through line {last}, where {n} lines start like records of their own (the first, line {}: `{}`): \
             lines {line}-{last} are rejected as {} records",
            line + first_line,
            quote(first_head),
            n + 1,
        ),
    };
    let message = format!(
        "line {line} opens a quoted field{} that is not closed on that line, so the CSV grammar read on {what} \
         rather than merged into one. Fix the stray quote on line {line} in the export and ingest it again",
        column
            .as_deref()
            .map(|c| format!(" (`{}`)", quote(c)))
            .unwrap_or_default(),
    );
    let mut bounds: Vec<(usize, u64)> = vec![(0, 0)];
    bounds.extend(found.starts.iter().map(|&(at, lines, _)| (at, lines)));
    let ends = bounds.iter().skip(1).map(|&(at, _)| at).chain([raw.len()]);
    let rejects = bounds
        .iter()
        .zip(ends)
        .enumerate()
        .map(|(i, (&(from, lines), to))| Reject {
            line: Some(line + lines),
            record: record + i as u64,
            column: column.clone(),
            error_type: "unterminated_quote",
            message: message.clone(),
            raw: truncate_raw(raw[from..to].trim_end_matches(['\r', '\n'])),
        })
        .collect();
    Some(rejects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_terminator_ends_one_line() {
        let t = b"a\nb\r\nc\rd\r";
        assert_eq!(breaks(t, 0, t.len()), 4);
        // Split between `\r` and `\n`, the break is counted once, on the `\n` side.
        assert_eq!(breaks(t, 0, 4) + breaks(t, 4, t.len()), 4);
        let l: Vec<&str> = lines("a\nb\r\nc\rd\r\re").map(|(_, l)| l).collect();
        assert_eq!(l, ["a", "b", "c", "d", "", "e"]);
    }

    #[test]
    fn shapes() {
        assert!(same_shape("INC0002", "INC0003"));
        assert!(same_shape("PROJ-9", "PROJ-1234"));
        assert!(!same_shape("INC0002", "RITM0003"));
        assert!(!same_shape("INC0002", "INC0003 was related"));
        assert!(same_shape("12345", "12399"));
        assert!(!same_shape("12345", "2024"));
        assert!(!same_shape("7", "8"));
        assert!(!same_shape("Mail down", "Mail up"));
        let sys_id = "9d385017c611228701d22104cc95c371";
        assert!(same_shape(sys_id, "46d44a5dc0a8010e0177a4b0c5e8a9e2"));
        assert!(!same_shape(sys_id, "46d44a5dc0a8010e"));
    }

    fn headers(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn a_swallowed_record_is_split_out() {
        let raw = "INC0002,\"Printer never closed,3,New\nINC0003,\"Title\",3,New";
        let r = stray_quote_rejects(raw, 3, 2, &headers(4), b',').unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].line, r[0].record), (Some(3), 2));
        assert_eq!((r[1].line, r[1].record), (Some(4), 3));
        assert_eq!(r[0].raw, "INC0002,\"Printer never closed,3,New");
        assert_eq!(r[1].raw, "INC0003,\"Title\",3,New");
        assert_eq!(r[0].column.as_deref(), Some("c1"));
        assert!(r[0].message.contains("lines 3 and 4"), "{}", r[0].message);
    }

    #[test]
    fn multi_line_text_is_one_record() {
        let raw = "INC0002,\"first line\r\nsecond, with a comma\nINC is fine\",3,New";
        assert!(stray_quote_rejects(raw, 2, 1, &headers(4), b',').is_none());
        // A whole row's fields on a continuation line, though the key has no shape.
        let raw = "a,\"x\nb,c,d,e\nf\",g,h,i";
        let r = stray_quote_rejects(raw, 2, 1, &headers(4), b',').unwrap();
        assert_eq!(r[1].line, Some(3));
    }
}
