//! The structural stage's output: a table of untyped cells that still knows, for every row,
//! its physical line and record number in the export, plus the rows that could not even be
//! split into fields (rejects). Nothing here interprets values.

use std::sync::Arc;

/// Longest raw record kept in a reject (4 KiB); the rest is cut with a marker
/// (`… [cut, N more bytes]`) so a 10 MB field cannot blow up the rejects table.
pub const MAX_RAW_BYTES: usize = 4096;

/// One row that did not make it into the dataset, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reject {
    /// Physical line (1-based) where the record starts, when the format has lines.
    pub line: Option<u64>,
    /// Data record number (1-based, header excluded).
    pub record: u64,
    /// The canonical or source column at fault, if one is.
    pub column: Option<String>,
    /// A stable machine-readable reason, e.g. `invalid_timestamp`.
    pub error_type: &'static str,
    /// What is wrong and what to do, for people.
    pub message: String,
    /// The record as it was in the file (cut at [`MAX_RAW_BYTES`]).
    pub raw: String,
}

/// Where the raw text of each row can be found again, for rejects.
#[derive(Debug, Clone)]
pub enum RawText {
    /// Byte spans into the decoded file text.
    Spans(Arc<String>, Vec<(usize, usize)>),
    /// One serialised record per row.
    Records(Vec<String>),
}

impl RawText {
    /// The raw text of row `i`, cut to [`MAX_RAW_BYTES`].
    pub fn get(&self, i: usize) -> String {
        match self {
            RawText::Spans(text, spans) => {
                let (a, b) = spans[i];
                truncate_raw(text[a..b].trim_end_matches(['\r', '\n']))
            }
            RawText::Records(v) => truncate_raw(&v[i]),
        }
    }
}

/// Cut `s` to [`MAX_RAW_BYTES`] on a character boundary, saying how much was cut.
pub fn truncate_raw(s: &str) -> String {
    crate::error::cut(s, MAX_RAW_BYTES).into_owned()
}

/// One column of optional text cells, stored as one buffer plus offsets: one allocation per
/// column instead of one per cell, which keeps a million-row export's memory close to its
/// size on disk.
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    data: String,
    ends: Vec<usize>,
    valid: Vec<bool>,
}

impl TextColumn {
    /// A column of `n` nulls.
    pub fn nulls(n: usize) -> TextColumn {
        TextColumn {
            data: String::new(),
            ends: vec![0; n],
            valid: vec![false; n],
        }
    }

    /// Append a cell.
    pub fn push(&mut self, v: Option<&str>) {
        if let Some(s) = v {
            self.data.push_str(s);
        }
        self.ends.push(self.data.len());
        self.valid.push(v.is_some());
    }

    /// The cell at row `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        if !self.valid[i] {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..self.ends[i]])
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// A new column with every cell passed through `f`.
    pub fn map<'a>(
        &'a self,
        mut f: impl FnMut(usize, Option<&'a str>) -> Option<std::borrow::Cow<'a, str>>,
    ) -> TextColumn {
        let mut out = TextColumn::default();
        for i in 0..self.len() {
            out.push(f(i, self.get(i)).as_deref());
        }
        out
    }
}

/// A parsed export: named columns of optional strings, row-aligned with positions.
#[derive(Debug, Clone)]
pub struct RawTable {
    /// Column names in file order.
    pub headers: Vec<String>,
    /// One column per header, each with one cell per row (`None` = null after null spellings).
    pub columns: Vec<TextColumn>,
    /// Physical line of each row (CSV, NDJSON); `None` for JSON arrays.
    pub lines: Vec<Option<u64>>,
    /// Record number of each row (1-based).
    pub records: Vec<u64>,
    /// Raw text of each row.
    pub raw: RawText,
    /// Rows the structural reader rejected.
    pub rejects: Vec<Reject>,
    /// Records read in total (accepted rows + structural rejects).
    pub records_read: u64,
}

impl RawTable {
    /// A table with these headers and no rows.
    pub fn empty(headers: Vec<String>) -> RawTable {
        RawTable {
            columns: vec![TextColumn::default(); headers.len()],
            headers,
            lines: Vec::new(),
            records: Vec::new(),
            raw: RawText::Records(Vec::new()),
            rejects: Vec::new(),
            records_read: 0,
        }
    }

    /// Number of rows that passed the structural stage.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no row passed the structural stage.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Index of a header, if present: the header spelled exactly so, else the one header
    /// that matches ignoring case and surrounding spaces (exports saved with display labels
    /// write `Assignment Group` for `Assignment group`). Two headers that only differ in case
    /// match neither way round: which one was meant cannot be told.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.exact_index(name) {
            return Some(i);
        }
        let name = name.trim().to_lowercase();
        let mut loose = self
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim().to_lowercase() == name)
            .map(|(i, _)| i);
        match (loose.next(), loose.next()) {
            (Some(i), None) => Some(i),
            _ => None,
        }
    }

    /// Index of the header spelled exactly `name` (the JSON reader's own columns, where
    /// `State` and `state` are two keys).
    pub fn exact_index(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// A column's cells by header name (matched as [`column_index`](Self::column_index) does).
    pub fn column(&self, name: &str) -> Option<&TextColumn> {
        self.column_index(name).map(|i| &self.columns[i])
    }

    /// Headers that occur more than once, with their 1-based positions.
    pub fn duplicate_headers(&self) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, h) in self.headers.iter().enumerate() {
            match out.iter_mut().find(|(n, _)| n == h) {
                Some((_, pos)) => pos.push(i + 1),
                None => out.push((h.clone(), vec![i + 1])),
            }
        }
        out.retain(|(_, p)| p.len() > 1);
        out
    }
}

/// Whether a trimmed cell is one of the null spellings (the empty string always is).
pub fn is_null_spelling(cell: &str, nulls: &[String]) -> bool {
    let t = cell.trim();
    t.is_empty() || nulls.iter().any(|n| n == t)
}
