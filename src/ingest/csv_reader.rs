//! The structural CSV reader. It runs before polars because polars' `ignore_errors` would
//! turn malformed rows into silent NULLs; here every record keeps its physical line, and rows
//! that cannot be split into the header's fields become rejects with the reason.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::csv_lines::{breaks, stray_quote_rejects};
use super::mapping::Encoding;
use super::raw::{RawTable, RawText, Reject, is_null_spelling, truncate_raw};
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
    if encoding == Encoding::Utf8 && bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match encoding {
        Encoding::Windows1252 => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            (text.into_owned(), false)
        }
        Encoding::Utf8 => {
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
    let mut at = Cursor::default();
    let (table, _) = parse(
        path,
        Arc::new(text),
        None,
        &mut at,
        true,
        had_invalid_utf8,
        opts,
    )?;
    Ok(table)
}

/// Where a piece of text starts in its file: the line breaks and records before it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
    breaks: u64,
    records: u64,
}

/// Split `text` into records. `headers` is `None` for the piece that starts the file (its
/// first record is the header row). When `last` is false the text ends somewhere inside the
/// file: its final record may be cut off, so it is left out and the byte offset where it
/// starts is returned, for the next piece to begin there. `at` is advanced past the records
/// that were kept.
fn parse(
    path: &Path,
    text: Arc<String>,
    headers: Option<&[String]>,
    at: &mut Cursor,
    last: bool,
    had_invalid_utf8: bool,
    opts: &CsvOptions,
) -> Result<(RawTable, usize)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(opts.delimiter)
        .from_reader(text.as_bytes());

    let mut rec = csv::ByteRecord::new();
    let headers: Vec<String> = match headers {
        Some(h) => h.to_vec(),
        None => match read_header(path, &text, &mut rdr, &mut rec, last)? {
            Some(h) => h,
            // The header row may run past the end of this piece: read a larger one.
            None => return Ok((RawTable::empty(Vec::new()), 0)),
        },
    };
    let mut table = RawTable::empty(headers);
    let mut spans = Vec::new();
    let mut record_no = at.records;
    // Physical lines are counted here from byte offsets: the csv crate leaves the `\n` of a
    // CRLF terminator to the next read, so its own line numbers lag by one on CRLF files, and
    // it counts no lines at all in a file that ends them with `\r` alone.
    let (mut counted_to, mut newlines) = (0usize, at.breaks);
    let mut cut = text.len();
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
        if !last && end == text.len() {
            // Possibly cut off by the end of the piece: the next piece reads it whole.
            cut = start.byte() as usize;
            newlines += breaks(text.as_bytes(), counted_to, cut);
            break;
        }
        let mut begin = start.byte() as usize;
        while begin < end && matches!(text.as_bytes()[begin], b'\r' | b'\n') {
            begin += 1;
        }
        newlines += breaks(text.as_bytes(), counted_to, begin);
        let span = (begin, end);
        let raw_str = &text[span.0..span.1];
        let line = newlines + 1;
        let record = raw_str.trim_end_matches(['\r', '\n']);
        // The record's own lines; its terminator goes with the gap before the next record.
        counted_to = begin + record.len();
        let inner = breaks(text.as_bytes(), begin, counted_to);
        newlines += inner;
        // Every line break inside a record is inside a quoted field: look there for records
        // that a stray quote swallowed, and count each of them (row conservation).
        if inner > 0 {
            let headers = &table.headers;
            let found = stray_quote_rejects(record, line, record_no + 1, headers, opts.delimiter);
            if let Some(rejects) = found {
                record_no += rejects.len() as u64;
                table.rejects.extend(rejects);
                continue;
            }
        }
        record_no += 1;
        if let Some(problem) = structural_problem(
            &table.headers,
            &rec,
            raw_str,
            end == text.len(),
            opts,
            had_invalid_utf8,
        ) {
            table
                .rejects
                .push(record_reject(problem, line, record_no, raw_str));
            continue;
        }
        store_fields(&mut table, &rec, &opts.null_values);
        table.lines.push(Some(line));
        table.records.push(record_no);
        spans.push(span);
    }
    if cut == text.len() {
        // The next piece counts from the end of this one.
        newlines += breaks(text.as_bytes(), counted_to, text.len());
    }
    table.records_read = record_no - at.records;
    *at = Cursor {
        breaks: newlines,
        records: record_no,
    };
    table.raw = RawText::Spans(text, spans);
    Ok((table, cut))
}

/// The header row of the piece that starts the file, trimmed; `None` when it may run past
/// the end of the piece (not `last`). An empty file or an unreadable header is an error.
fn read_header(
    path: &Path,
    text: &str,
    rdr: &mut csv::Reader<&[u8]>,
    rec: &mut csv::ByteRecord,
    last: bool,
) -> Result<Option<Vec<String>>> {
    if text.trim().is_empty() {
        return Err(Error::Input {
            path: path.into(),
            line: None,
            message: "the file is empty: there is no header row. Re-export it, or leave it out of the ingest".into(),
        });
    }
    let header_ok = rdr.read_byte_record(rec).map_err(|e| Error::Input {
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
    if !last && rdr.position().byte() as usize == text.len() {
        return Ok(None);
    }
    Ok(Some(
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
    ))
}

/// The reject for a record with a structural `problem` (error type, column, message) at
/// physical `line`; `raw` is the record's text.
fn record_reject(
    (error_type, column, message): (&'static str, Option<String>, String),
    line: u64,
    record: u64,
    raw: &str,
) -> Reject {
    Reject {
        line: Some(line),
        record,
        column,
        error_type,
        message,
        raw: truncate_raw(raw.trim_end_matches(['\r', '\n'])),
    }
}

/// Appends a structurally sound record's fields to `table`'s columns, null spellings as NULL.
fn store_fields(table: &mut RawTable, rec: &csv::ByteRecord, null_values: &[String]) {
    for (i, field) in rec.iter().enumerate() {
        // Safe: structural_problem checked UTF-8 for every field.
        let s = std::str::from_utf8(field).unwrap_or_default();
        table.columns[i].push(Some(s).filter(|s| !is_null_spelling(s, null_values)));
    }
}

/// Reads a CSV export piece by piece, so that an export of any size is held in memory one
/// piece at a time (about `block` bytes of text, more only when one record is longer). Each
/// piece is a [`RawTable`] whose lines and record numbers count from the start of the file,
/// so rejects point into the file exactly as a whole-file read would.
pub struct CsvChunks {
    path: PathBuf,
    file: File,
    opts: CsvOptions,
    /// Bytes read from the file and not yet parsed.
    carry: Vec<u8>,
    eof: bool,
    block: usize,
    headers: Option<Vec<String>>,
    at: Cursor,
    done: bool,
}

impl CsvChunks {
    /// Open `path` to be read in pieces of about `block` bytes.
    pub fn open(path: &Path, opts: CsvOptions, block: usize) -> Result<CsvChunks> {
        Ok(CsvChunks {
            path: path.into(),
            file: File::open(path).map_err(Error::io("reading export", path))?,
            opts,
            carry: Vec::new(),
            eof: false,
            block: block.max(1),
            headers: None,
            at: Cursor::default(),
            done: false,
        })
    }

    /// The next piece, or `None` after the last one.
    pub fn next_table(&mut self) -> Result<Option<RawTable>> {
        if self.done {
            return Ok(None);
        }
        loop {
            while self.carry.len() < self.block && !self.eof {
                let old = self.carry.len();
                let want = (self.block - old) as u64;
                let n = (&mut self.file)
                    .take(want)
                    .read_to_end(&mut self.carry)
                    .map_err(Error::io("reading export", &self.path))?;
                self.eof = n == 0;
            }
            let last = self.eof;
            // A piece ends after a line break, so it never splits a UTF-8 character: after
            // a `\n`, or after a `\r` whose next byte is read and is not `\n`.
            let take = if last {
                self.carry.len()
            } else if let Some(i) = last_break(&self.carry) {
                i + 1
            } else {
                self.block = self.block.saturating_mul(2);
                continue;
            };
            let rest = self.carry.split_off(take);
            let mut bytes = std::mem::replace(&mut self.carry, rest);
            let first = self.headers.is_none();
            if first && self.opts.encoding == Encoding::Utf8 && bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes.drain(..3);
            }
            let (text, invalid, original) = match self.opts.encoding {
                Encoding::Utf8 => match String::from_utf8(bytes) {
                    Ok(s) => (s, false, None),
                    Err(e) if !last => {
                        // Offsets in lossily decoded text do not map back to the file's
                        // bytes; read the rest of the file as one piece instead.
                        self.unread(e.into_bytes());
                        self.block = usize::MAX / 2;
                        continue;
                    }
                    Err(e) => (
                        String::from_utf8_lossy(e.as_bytes()).into_owned(),
                        true,
                        None,
                    ),
                },
                Encoding::Windows1252 => {
                    let (t, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
                    (t.into_owned(), false, Some(bytes))
                }
            };
            let before = self.at;
            let text = Arc::new(text);
            let (table, cut) = parse(
                &self.path,
                Arc::clone(&text),
                self.headers.as_deref(),
                &mut self.at,
                last,
                invalid,
                &self.opts,
            )?;
            // Bytes of the file from the cut on: the same offset in UTF-8, one byte per
            // character in Windows-1252.
            let unparsed = match &original {
                None => text.as_bytes()[cut..].to_vec(),
                Some(raw) => raw[text[..cut].chars().count()..].to_vec(),
            };
            if !last && table.records_read == 0 {
                // Not one whole record in the piece: read a larger one.
                self.at = before;
                let whole = match original {
                    Some(raw) => raw,
                    None => {
                        drop(table);
                        Arc::try_unwrap(text)
                            .map_or_else(|t| t.as_bytes().to_vec(), String::into_bytes)
                    }
                };
                self.unread(whole);
                self.block = self.block.saturating_mul(2);
                continue;
            }
            self.unread(unparsed);
            if first {
                self.headers = Some(table.headers.clone());
            }
            self.done = last;
            return Ok(Some(table));
        }
    }

    /// Put bytes back in front of the unread ones.
    fn unread(&mut self, mut bytes: Vec<u8>) {
        bytes.append(&mut self.carry);
        self.carry = bytes;
    }
}

/// The offset of the last byte of `bytes` that surely ends a line: a `\n`, or a `\r` followed
/// by another byte than `\n` (a `\r` at the very end may be the first half of a CRLF).
fn last_break(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).rev().find(|&i| match bytes[i] {
        b'\n' => true,
        b'\r' => bytes.get(i + 1).is_some_and(|&b| b != b'\n'),
        _ => false,
    })
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
        let record = raw.trim_end_matches(['\r', '\n']);
        let lines = breaks(record.as_bytes(), 0, record.len()) + 1;
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
