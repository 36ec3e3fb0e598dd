//! `mapping suggest`: a starting mapping file for a CSV or NDJSON export that no adapter
//! knows. It reads a sample of the export (the first 64 MiB), sniffs the delimiter and the
//! encoding, guesses the canonical columns from the headers and the values ([`columns`]),
//! decides the timestamp formats from every date cell (refusing, as the Jira reader does, when
//! `03/04/2024` could be either day or month first), and lists the priority, status and kind
//! spellings with the canonical value the common vocabulary gives them ([`write`]). What it
//! cannot decide is written as a `# TODO` line for the user; it never guesses a time zone.

mod columns;
mod write;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;

use super::mapping::{Encoding, Format};
use super::raw::RawTable;
use super::{csv_reader, dates, json_reader, plan};
use crate::dataset::schema::TIMESTAMP_COLUMNS;
use crate::error::{Error, Result};

/// Bytes of the export read: enough for every spelling and date format of a real export,
/// bounded whatever its size.
const SAMPLE_BYTES: u64 = 64 << 20;

/// Timestamp formats tried on the date cells, ISO first; of two formats that read the same
/// cells alike the first is taken.
pub const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%y %H:%M",
    "%m/%d/%y %H:%M",
    "%d/%m/%y %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%m-%d-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%m-%d-%Y %H:%M",
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
];

/// Spellings of "no value" that exports write in date columns.
const NULL_SPELLINGS: &[&str] = &[
    "NULL", "null", "Null", "-", "--", "N/A", "n/a", "NA", "None", "none", "(null)", "nil", "?",
    "#N/A",
];

/// What `mapping suggest` is asked for.
#[derive(Debug, Clone, Default)]
pub struct SuggestOptions {
    /// The mapping's `source` (the value of `tickets.source`); default the file's stem.
    pub source: Option<String>,
    /// A declared chrono format for the date cells it reads (the rest are still detected).
    pub date_format: Option<String>,
}

/// A suggested mapping.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The mapping file's text.
    pub toml: String,
    /// What the user must still decide, one sentence per `# TODO` line of the text.
    pub todo: Vec<String>,
    /// Records read from the export.
    pub records: usize,
    /// Whether the whole export was read (else its first 64 MiB).
    pub whole: bool,
}

/// The export as read: its table, and what the reading found out.
pub(super) struct Sample {
    /// The cells.
    pub(super) table: RawTable,
    /// CSV or NDJSON.
    pub(super) format: Format,
    /// The sniffed CSV delimiter.
    pub(super) delimiter: u8,
    /// UTF-8, or Windows-1252 when the bytes are not UTF-8.
    pub(super) encoding: Encoding,
    /// Null spellings found in date columns.
    pub(super) nulls: Vec<String>,
    /// The declared date format, tried before the built-in ones.
    pub(super) declared: Option<String>,
    /// Whether the whole export was read (else its first 64 MiB).
    pub(super) whole: bool,
}

impl Sample {
    /// The cells of column `i` that hold a value: trimmed, neither empty nor a null spelling.
    pub(super) fn cells(&self, i: usize) -> impl Iterator<Item = &str> + '_ {
        self.table.columns[i]
            .iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty() && !self.nulls.iter().any(|n| n == s))
    }

    /// Whether some date format (the declared one first) reads `cell`.
    pub(super) fn is_timestamp(&self, cell: &str) -> bool {
        self.declared
            .iter()
            .map(String::as_str)
            .chain(DATE_FORMATS.iter().copied())
            .any(|f| dates::read(f, cell).is_some())
    }
}

/// Suggest a mapping for the export at `path`.
pub fn suggest(path: &Path, opts: &SuggestOptions) -> Result<Suggestion> {
    if let Some(f) = &opts.date_format {
        let bad =
            chrono::format::StrftimeItems::new(f).any(|i| matches!(i, chrono::format::Item::Error));
        if bad {
            return Err(Error::Usage(format!(
                "--date-format `{f}` is not a chrono strftime format (such as \"%d/%m/%Y %H:%M\")"
            )));
        }
    }
    let mut sample = read_sample(path)?;
    sample.declared = opts.date_format.clone();
    sample.nulls = null_spellings(&sample);
    let guesses = columns::guess(&sample);
    let formats = timestamp_formats(&sample, &guesses, path)?;
    let source = opts.source.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_else(|| "export".into())
    });
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (toml, todo) = write::mapping(&sample, &guesses, &formats, &source, &name);
    Ok(Suggestion {
        toml,
        todo,
        records: sample.table.len(),
        whole: sample.whole,
    })
}

/// The first [`SAMPLE_BYTES`] of the export (a JSON array whole), read with the structural
/// reader of its format.
fn read_sample(path: &Path) -> Result<Sample> {
    let json = plan::is_json(path, &plan::first_line(path)?);
    let file = std::fs::File::open(path).map_err(Error::io("reading export", path))?;
    let mut bytes = Vec::new();
    file.take(SAMPLE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(Error::io("reading export", path))?;
    let len = std::fs::metadata(path)
        .map_err(Error::io("reading export", path))?
        .len();
    let mut whole = len <= bytes.len() as u64;
    if json && !whole && !json_reader::looks_like_ndjson(&bytes) {
        // A JSON array cannot be cut: it is read whole.
        bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        whole = true;
    } else if !whole && let Some(end) = bytes.iter().rposition(|&b| b == b'\n') {
        // A sample ends with a whole line.
        bytes.truncate(end + 1);
    }
    let mut sample = Sample {
        table: RawTable::empty(Vec::new()),
        format: Format::Csv,
        delimiter: b',',
        encoding: Encoding::Utf8,
        nulls: Vec::new(),
        declared: None,
        whole,
    };
    if json {
        sample.format = Format::Ndjson;
        sample.table = json_reader::read_json(path, &bytes, &[])?;
    } else {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if std::str::from_utf8(body).is_err() {
            sample.encoding = Encoding::Windows1252;
        }
        let text = match sample.encoding {
            Encoding::Utf8 => String::from_utf8_lossy(body).into_owned(),
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252.decode(body).0.into_owned(),
        };
        sample.delimiter = sniff_delimiter(&text);
        let opts = csv_reader::CsvOptions {
            delimiter: sample.delimiter,
            encoding: sample.encoding,
            null_values: Vec::new(),
            max_field_bytes: 1 << 20,
        };
        sample.table = csv_reader::read_csv(path, bytes, &opts)?;
    }
    if sample.table.headers.is_empty() {
        return Err(Error::Input {
            path: path.into(),
            line: Some(1),
            message: "no header row or fields found; mapping suggest needs a CSV with a header \
                      row or NDJSON objects"
                .into(),
        });
    }
    Ok(sample)
}

/// The delimiter among `,` `;` tab `|` that splits the first lines into the same number of
/// fields, the most fields winning; `,` when none does.
fn sniff_delimiter(text: &str) -> u8 {
    let head: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let mut best = (b',', 1usize);
    for d in [b',', b';', b'\t', b'|'] {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(head.as_bytes());
        let widths: Vec<usize> = r.records().map_while(|x| x.ok()).map(|x| x.len()).collect();
        let Some(&first) = widths.first() else {
            continue;
        };
        // The last line of a cut sample may be short; the others must agree.
        let body = &widths[..widths.len().saturating_sub(1).max(1)];
        if first > best.1 && body.iter().all(|w| *w == first) {
            best = (d, first);
        }
    }
    best.0
}

/// The null spellings found in columns that otherwise hold timestamps.
fn null_spellings(sample: &Sample) -> Vec<String> {
    let mut found = BTreeSet::new();
    for c in &sample.table.columns {
        let cells: Vec<&str> = c.iter().flatten().map(str::trim).take(10_000).collect();
        if !cells.iter().any(|s| sample.is_timestamp(s)) {
            continue;
        }
        found.extend(cells.iter().filter(|s| NULL_SPELLINGS.contains(s)).copied());
    }
    // In the order of NULL_SPELLINGS, for a stable file.
    NULL_SPELLINGS
        .iter()
        .filter(|n| found.contains(*n))
        .map(|n| n.to_string())
        .collect()
}

/// The decided timestamp formats, from every cell of the guessed date columns (see
/// [`dates::decide_cover`]); an error asking for `--date-format` when a cell reads two ways.
fn timestamp_formats(
    sample: &Sample,
    guesses: &[columns::Guess],
    path: &Path,
) -> Result<Vec<String>> {
    let date_columns = guesses
        .iter()
        .filter(|g| TIMESTAMP_COLUMNS.contains(&g.canonical))
        .map(|g| g.header);
    let cells: BTreeSet<&str> = date_columns.flat_map(|i| sample.cells(i)).collect();
    let cells: Vec<&str> = cells.into_iter().collect();
    let formats =
        dates::decide_cover(&cells, DATE_FORMATS, sample.declared.as_deref()).map_err(|u| {
            Error::Input {
            path: path.into(),
            line: None,
            message: u.message(
                "--date-format FORMAT (a chrono format such as \"%d/%m/%Y %H:%M\"; the cells it \
                 does not read are still detected)",
            ),
        }
        })?;
    Ok(formats.into_iter().map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_that_splits_every_line_alike() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2,5;3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter("a,b\n1,2\n"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter("just one column\nx\n"), b',');
    }
}
