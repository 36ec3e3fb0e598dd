//! The text of a suggested mapping: the file's settings, the guessed columns, and the
//! export's priority, status and kind spellings with their canonical values. Whatever was not
//! decided is a `# TODO` comment (and a sentence for the user), never a silent default; the
//! text is a valid mapping once those are edited (and as it is when there are none).

use std::collections::BTreeMap;

use super::Sample;
use super::columns::{Guess, unplaced_timestamps};
use crate::dataset::schema::{KINDS, STATUSES, TIMESTAMP_COLUMNS};
use crate::ingest::mapping::{Encoding, Format};
use crate::ingest::{dates, vocabulary};

/// Spellings listed per value column; the rest are summed up in a comment.
const TOP: usize = 30;

/// Ticket-id prefixes that say the kind (`INC0012` is an incident).
const KIND_PREFIXES: &[(&str, &str)] = &[
    ("INC", "incident"),
    ("PRB", "problem"),
    ("CHG", "change"),
    ("RFC", "change"),
    ("CR", "change"),
    ("REQ", "request"),
    ("RITM", "request"),
    ("SCTASK", "request"),
    ("SR", "request"),
];

/// The text being written and its TODO sentences.
#[derive(Default)]
struct Out {
    text: String,
    todo: Vec<String>,
}

impl Out {
    fn line(&mut self, s: impl AsRef<str>) {
        self.text.push_str(s.as_ref());
        self.text.push('\n');
    }

    /// A `# TODO` comment line, and the sentence saying the same to the user.
    fn todo(&mut self, comment: impl AsRef<str>, sentence: String) {
        self.line(format!("# TODO: {}", comment.as_ref()));
        self.todo.push(sentence);
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\t' => q.push_str("\\t"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            c if c.is_control() => q.push_str(&format!("\\u{:04X}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", q.join(", "))
}

/// `1 row`, `2 rows`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn rows(n: usize) -> String {
    count(n, "row")
}

/// The mapping's text for `sample`, and what the user must still decide.
pub(super) fn mapping(
    sample: &Sample,
    guesses: &[Guess],
    formats: &[String],
    source: &str,
    file: &str,
) -> (String, Vec<String>) {
    let mut o = Out::default();
    let records = sample.table.len();
    o.line(format!(
        "# A starting mapping for {file}, suggested by `ticketlake mapping suggest` from {}{}.",
        count(records, "record"),
        if sample.whole {
            ""
        } else {
            " (its first 64 MiB)"
        }
    ));
    o.line("# Check every line and edit the TODO ones, then:");
    o.line(format!(
        "#   ticketlake ingest --source generic --mapping <this file> {file}"
    ));
    o.line(format!("source = {}", quote(source)));
    settings(&mut o, sample, guesses, formats);
    let kind_of = guesses.iter().find(|g| g.canonical == "kind");
    let id = guesses.iter().find(|g| g.canonical == "ticket_id");
    let prefixes = match (kind_of, id) {
        (None, Some(id)) => id_prefixes(sample, id.header),
        _ => None,
    };
    kind_default(&mut o, sample, kind_of, prefixes.as_deref());
    o.line("");
    columns(&mut o, sample, guesses);
    for column in ["priority", "status", "kind"] {
        if let Some(g) = guesses.iter().find(|g| g.canonical == column) {
            o.line("");
            values(&mut o, sample, g);
        }
    }
    if let Some(p) = prefixes {
        o.line("");
        kind_prefixes(&mut o, &p);
    }
    (o.text, o.todo)
}

/// `format`, `delimiter`, `encoding`, `timezone`, `timestamp-formats`, `null-values`.
fn settings(o: &mut Out, sample: &Sample, guesses: &[Guess], formats: &[String]) {
    match sample.format {
        Format::Ndjson => o.line("format = \"ndjson\""),
        Format::Csv => {
            o.line("format = \"csv\"");
            o.line(format!(
                "delimiter = {}",
                quote(&(sample.delimiter as char).to_string())
            ));
        }
    }
    if sample.encoding == Encoding::Windows1252 {
        o.line("encoding = \"windows-1252\"   # the file is not UTF-8");
    }
    let has_dates = guesses
        .iter()
        .any(|g| TIMESTAMP_COLUMNS.contains(&g.canonical));
    if !formats.is_empty() && formats.iter().all(|f| f.ends_with('Z')) {
        o.line("timezone = \"UTC\"   # the timestamps end in Z");
    } else if has_dates {
        o.todo(
            "the IANA zone of these naive local times (ticketlake never guesses it), or pass --tz at ingest",
            "timezone: declare the zone of the naive timestamps (`timezone` in the mapping, or --tz at ingest)".into(),
        );
        o.line("# timezone = \"Europe/London\"");
    }
    if formats.is_empty() && has_dates {
        o.todo(
            "the date columns hold no values to decide their format from",
            "timestamp-formats: no date values to decide the format from; check the format".into(),
        );
        o.line("timestamp-formats = [\"%Y-%m-%d %H:%M:%S\"]");
    } else if !formats.is_empty() {
        o.line(format!("timestamp-formats = {}", list(formats)));
    }
    unread_dates(o, sample, guesses, formats);
    if !sample.nulls.is_empty() {
        o.line(format!("null-values = {}", list(&sample.nulls)));
    }
}

/// A TODO line per date column with values that none of `formats` reads.
fn unread_dates(o: &mut Out, sample: &Sample, guesses: &[Guess], formats: &[String]) {
    for g in guesses
        .iter()
        .filter(|g| TIMESTAMP_COLUMNS.contains(&g.canonical))
    {
        let unread: Vec<&str> = sample
            .cells(g.header)
            .filter(|s| !formats.iter().any(|f| dates::read(f, s).is_some()))
            .collect();
        if let Some(first) = unread.first() {
            let header = &sample.table.headers[g.header];
            o.todo(
                format!(
                    "{} of {} match no format above (such as {}): add their format, or they are rejected",
                    count(unread.len(), "value"),
                    quote(header),
                    quote(first)
                ),
                format!(
                    "timestamp-formats: {} of `{header}` match no format (such as `{first}`)",
                    unread.len()
                ),
            );
        }
    }
}

/// `kind = ...` when some rows would have no kind otherwise: no kind column and no id prefix
/// that says it, or empty cells in the kind column.
fn kind_default(
    o: &mut Out,
    sample: &Sample,
    kind_of: Option<&Guess>,
    prefixes: Option<&[(String, usize)]>,
) {
    let known = |p: &str| KIND_PREFIXES.iter().any(|(k, _)| k.eq_ignore_ascii_case(p));
    let (needed, why) = match (kind_of, prefixes) {
        (Some(g), _) => (
            sample.cells(g.header).count() < sample.table.len(),
            format!(
                "the kind of the rows whose {} is empty",
                quote(&sample.table.headers[g.header])
            ),
        ),
        (None, Some(p)) => (
            p.iter().any(|(p, _)| !known(p)),
            "the kind of the rows whose id prefix is not listed under [values.kind-prefix]".into(),
        ),
        (None, None) => (
            true,
            "the kind of every row (there is no kind column)".into(),
        ),
    };
    if needed {
        o.todo(
            format!("{why}: one of {}", KINDS.join(", ")),
            format!("kind: {why}"),
        );
        o.line("kind = \"incident\"");
    }
}

/// `[columns]`: the guesses, then the columns left out and the timestamps not placed.
fn columns(o: &mut Out, sample: &Sample, guesses: &[Guess]) {
    o.line("[columns]");
    for g in guesses {
        let header = quote(&sample.table.headers[g.header]);
        if g.by_values {
            o.line(format!(
                "{} = {header}   # guessed from its values",
                g.canonical
            ));
        } else {
            o.line(format!("{} = {header}", g.canonical));
        }
    }
    for required in ["ticket_id", "opened_at"] {
        if !guesses.iter().any(|g| g.canonical == required) {
            o.todo(
                format!("{required} = \"the column of the {required}\" (no column was recognised; it is required)"),
                format!("columns: no column for `{required}` was recognised; name it under [columns]"),
            );
        }
    }
    if !guesses.iter().any(|g| g.canonical == "status") {
        o.line("# No status column: the status comes from the timestamps (closed, resolved, else in_progress).");
    }
    for i in unplaced_timestamps(sample, guesses) {
        let header = quote(&sample.table.headers[i]);
        o.todo(
            format!(
                "{header} holds timestamps: name it as one of resolved_at, closed_at, updated_at, first_response_at, or leave it out"
            ),
            format!("columns: {header} holds timestamps and is not mapped"),
        );
    }
    let headers = &sample.table.headers;
    let mut left: Vec<String> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if guesses.iter().any(|g| g.header == i) || headers[..i].contains(h) {
            continue;
        }
        if headers.iter().filter(|x| *x == h).count() > 1 {
            left.push(format!("{} (repeated)", quote(h)));
        } else {
            left.push(quote(h));
        }
    }
    if !left.is_empty() {
        o.line(format!(
            "# Not mapped (name them above to keep them): {}",
            left.join(", ")
        ));
    }
}

/// The distinct spellings of a column, case-insensitively, most rows first: the spelling
/// written most often, and the rows of all.
fn spellings(sample: &Sample, i: usize) -> Vec<(String, usize)> {
    let mut by_key: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    for s in sample.cells(i) {
        *by_key
            .entry(s.to_lowercase())
            .or_default()
            .entry(s)
            .or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = by_key
        .into_values()
        .map(|forms| {
            let total = forms.values().sum();
            // The most frequent form; of equally frequent ones the first in order.
            let best = forms
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(s, _)| s.to_string())
                .unwrap_or_default();
            (best, total)
        })
        .collect();
    out.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase()))
    });
    out
}

/// The canonical value of `spelling` in the common vocabulary, as a TOML value.
fn canonical(column: &str, spelling: &str) -> Option<String> {
    match column {
        "priority" => vocabulary::priority(spelling).map(|n| n.to_string()),
        "status" => vocabulary::status(spelling).map(quote),
        _ => vocabulary::kind(spelling).map(quote),
    }
}

/// `[values.<column>]`: each spelling with the canonical value the vocabulary gives it, or a
/// TODO line when it gives none.
fn values(o: &mut Out, sample: &Sample, g: &Guess) {
    let column = g.canonical;
    let read = |s: &str| canonical(column, s);
    let choices = match column {
        "priority" => "1 (highest) to 5 (lowest)".to_string(),
        "status" => format!("one of {}", STATUSES.join(", ")),
        _ => format!("one of {}", KINDS.join(", ")),
    };
    let all = spellings(sample, g.header);
    o.line(format!("[values.{column}]"));
    o.line(format!(
        "# The {} of {}, with their rows and the common vocabulary's canonical value.",
        count(all.len(), "spelling"),
        quote(&sample.table.headers[g.header])
    ));
    o.line("# The vocabulary reads them without this section: it is here to check and edit.");
    let mut unmapped = Vec::new();
    for (s, n) in all.iter().take(TOP) {
        match read(s) {
            Some(v) => o.line(format!(
                "{:<32} # {}",
                format!("{} = {v}", quote(s)),
                rows(*n)
            )),
            None => {
                o.line(format!(
                    "# TODO: {:<26} # {}: {choices}",
                    format!("{} = ?", quote(s)),
                    rows(*n)
                ));
                unmapped.push(format!("`{s}`"));
            }
        }
    }
    if all.len() > TOP {
        let rest = &all[TOP..];
        let unread: Vec<&(String, usize)> =
            rest.iter().filter(|(s, _)| read(s).is_none()).collect();
        o.line(format!(
            "# … and {} more spellings ({}); the common vocabulary reads all but {} of them.",
            rest.len(),
            rows(rest.iter().map(|(_, n)| n).sum()),
            unread.len()
        ));
        unmapped.extend(unread.iter().map(|(s, _)| format!("`{s}`")));
    }
    if !unmapped.is_empty() {
        o.todo.push(format!(
            "values.{column}: {} spelling(s) need a canonical value ({choices}): {}",
            unmapped.len(),
            unmapped.join(", ")
        ));
    }
}

/// The letters that start every ticket id (`INC` of `INC0012`), with their rows; `None` when
/// some id does not start with letters then a digit or `-`.
fn id_prefixes(sample: &Sample, i: usize) -> Option<Vec<(String, usize)>> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for id in sample.cells(i) {
        let letters: String = id.chars().take_while(char::is_ascii_alphabetic).collect();
        let next = id[letters.len()..].chars().next();
        if letters.is_empty()
            || letters.len() > 8
            || !next.is_some_and(|c| c.is_ascii_digit() || c == '-')
        {
            return None;
        }
        *counts.entry(letters).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (!v.is_empty()).then_some(v)
}

/// `[values.kind-prefix]` for the id prefixes, a TODO line for each one not known.
fn kind_prefixes(o: &mut Out, prefixes: &[(String, usize)]) {
    o.line("[values.kind-prefix]");
    o.line("# The ticket-id prefixes (rows); the kind is taken from the prefix.");
    for (p, n) in prefixes.iter().take(TOP) {
        match KIND_PREFIXES
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(p))
        {
            Some((_, kind)) => o.line(format!(
                "{:<32} # {}",
                format!("{} = {}", quote(p), quote(kind)),
                rows(*n)
            )),
            None => o.todo(
                format!(
                    "{:<26} # {}: one of {}",
                    format!("{} = ?", quote(p)),
                    rows(*n),
                    KINDS.join(", ")
                ),
                format!("values.kind-prefix: the kind of ids starting `{p}`"),
            ),
        }
    }
}
