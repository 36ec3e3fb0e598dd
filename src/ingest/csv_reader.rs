//! The structural CSV reader. It runs before polars because polars' `ignore_errors` would
//! turn malformed rows into silent NULLs; here every record keeps its physical line, and rows
//! that cannot be split into the header's fields become rejects with the reason.

use std::path::Path;
use std::sync::Arc;

use super::mapping::Encoding;
use super::raw::{RawTable, RawText, Reject, TextColumn, is_null_spelling, truncate_raw};
use crate::error::{Error, Result};

/// How to read one CSV file.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Field delimiter.
    pub delimiter: u8,
    /// Declared encoding.
    pub encoding: Encoding,
    /// Null spellings besides the empty string.
    pub null_values: Vec<String>,
    /// Largest accepted field.
    pub max_field_bytes: usize,
}

/// Decode the file's bytes to text per the declared encoding. UTF-8 input keeps invalid
/// sequences visible (they are rejected per row later), a BOM is dropped.
fn decode(mut bytes: Vec<u8>, encoding: Encoding) -> (String, bool) {
    match encoding {
        Encoding::Windows1252 => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            (text.into_owned(), false)
        }
        Encoding::Utf8 => {
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes.drain(..3);
            }
            // Valid UTF-8 (the common case) is taken over without a copy.
            match String::from_utf8(bytes) {
                Ok(s) => (s, false),
                // Keep going with replacement characters so structure can still be read;
                // the rows that contained invalid bytes are found and rejected below.
                Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
            }
        }
    }
}

/// Read a CSV export into a [`RawTable`].
pub fn read_csv(path: &Path, bytes: Vec<u8>, opts: &CsvOptions) -> Result<RawTable> {
    let (text, had_invalid_utf8) = decode(bytes, opts.encoding);
    if text.trim().is_empty() {
        return Err(Error::Input {
            path: path.into(),
            line: None,
            message: "the file is empty: there is no header row. Re-export it, or leave it out of the ingest".into(),
        });
    }
    let text = Arc::new(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(opts.delimiter)
        .from_reader(text.as_bytes());

    let mut rec = csv::ByteRecord::new();
    let header_ok = rdr.read_byte_record(&mut rec).map_err(|e| Error::Input {
        path: path.into(),
        line: Some(1),
        message: format!("cannot read the header row: {e}"),
    })?;
    if !header_ok {
        return Err(Error::Input {
            path: path.into(),
            line: Some(1),
            message: "no header row".into(),
        });
    }
    let headers: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let width = headers.len();
    let mut table = RawTable {
        headers,
        columns: vec![TextColumn::default(); width],
        lines: Vec::new(),
        records: Vec::new(),
        raw: RawText::Records(Vec::new()),
        rejects: Vec::new(),
        records_read: 0,
    };
    let mut spans = Vec::new();
    let mut record_no = 0u64;
    // Physical lines are counted here from byte offsets: the csv crate leaves the `\n` of a
    // CRLF terminator to the next read, so its own line numbers lag by one on CRLF files.
    let (mut counted_to, mut newlines) = (0usize, 0u64);
    loop {
        let start = rdr.position().clone();
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // The csv crate only errors on I/O or UTF-8 in string mode; report and stop.
                return Err(Error::Input {
                    path: path.into(),
                    line: Some(newlines + 1),
                    message: format!("{e}"),
                });
            }
        }
        let end = rdr.position().byte() as usize;
        let mut begin = start.byte() as usize;
        while begin < end && matches!(text.as_bytes()[begin], b'\r' | b'\n') {
            begin += 1;
        }
        newlines += text.as_bytes()[counted_to..begin]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = begin;
        let span = (begin, end);
        let raw_str = &text[span.0..span.1];
        record_no += 1;
        let line = newlines + 1;
        let reject = |error_type: &'static str, column: Option<String>, message: String| Reject {
            line: Some(line),
            record: record_no,
            column,
            error_type,
            message,
            raw: truncate_raw(raw_str.trim_end_matches(['\r', '\n'])),
        };
        if let Some(r) = structural_problem(
            &table.headers,
            &rec,
            raw_str,
            end == text.len(),
            opts,
            had_invalid_utf8,
        ) {
            let (t, c, m) = r;
            table.rejects.push(reject(t, c, m));
            continue;
        }
        for (i, field) in rec.iter().enumerate() {
            // Safe: structural_problem checked UTF-8 for every field.
            let s = std::str::from_utf8(field).unwrap_or_default();
            table.columns[i].push(Some(s).filter(|s| !is_null_spelling(s, &opts.null_values)));
        }
        table.lines.push(Some(line));
        table.records.push(record_no);
        spans.push(span);
    }
    table.records_read = record_no;
    table.raw = RawText::Spans(text, spans);
    Ok(table)
}

/// The first structural reason a record cannot be used, if any: (error type, column, message).
fn structural_problem(
    headers: &[String],
    rec: &csv::ByteRecord,
    raw: &str,
    at_eof: bool,
    opts: &CsvOptions,
    check_utf8: bool,
) -> Option<(&'static str, Option<String>, String)> {
    // A well-formed record always has an even number of quote characters; an odd count in
    // the record that runs to the end of the file means a quote was opened and never closed,
    // and everything after it was swallowed into one field.
    if at_eof && raw.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
        let lines = raw.matches('\n').count() + 1;
        return Some((
            "unterminated_quote",
            None,
            format!(
                "a quoted field is never closed; the remaining {lines} line(s) of the file were read as one record. \
                 Fix the quoting in the export and ingest it again"
            ),
        ));
    }
    if rec.len() != headers.len() {
        let kind = if rec.len() < headers.len() {
            "short_row"
        } else {
            "long_row"
        };
        return Some((
            kind,
            None,
            format!(
                "{} fields, but the header has {}; check for an unquoted delimiter or a truncated line",
                rec.len(),
                headers.len()
            ),
        ));
    }
    for (i, field) in rec.iter().enumerate() {
        if field.len() > opts.max_field_bytes {
            return Some((
                "field_too_large",
                Some(headers[i].clone()),
                format!(
                    "field is {} bytes, over the limit of {}; raise max-field-bytes in the mapping if this is expected",
                    field.len(),
                    opts.max_field_bytes
                ),
            ));
        }
        if check_utf8
            && field.contains(&0xEF)
            && String::from_utf8_lossy(field).contains('\u{FFFD}')
        {
            return Some((
                "invalid_utf8",
                Some(headers[i].clone()),
                "the field is not valid UTF-8; if the export is Windows-1252 (Excel), pass --encoding windows-1252 \
                 or set encoding = \"windows-1252\" in the mapping"
                    .into(),
            ));
        }
    }
    None
}
