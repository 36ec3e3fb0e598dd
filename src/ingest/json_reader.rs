//! The structural JSON reader: ServiceNow Table API documents (`{"result": [...]}`), plain
//! arrays of objects, and NDJSON. Each object becomes one row; nested reference fields
//! (`{"value", "display_value", "link"}`) are flattened to their display value, and numbers
//! keep their exact digits (ids above 2^53 survive).

use std::path::Path;

use serde_json::{Map, Value};

use super::csv_lines::lines;
use super::raw::{RawTable, RawText, Reject, TextColumn, is_null_spelling, truncate_raw};
use crate::error::{Error, Result};

/// Is this file NDJSON rather than one JSON document? Decided from the first non-blank line.
pub fn looks_like_ndjson(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]);
    let mut rows = lines(&text)
        .map(|(_, l)| l.trim())
        .filter(|l| !l.is_empty());
    match (rows.next(), rows.next()) {
        (Some(first), Some(_)) => {
            first.starts_with('{') && serde_json::from_str::<Value>(first).is_ok()
        }
        _ => false,
    }
}

/// Turn one JSON value into a cell.
pub fn cell(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) if o.contains_key("display_value") || o.contains_key("value") => {
            let pick = |k: &str| o.get(k).and_then(cell).filter(|s| !s.is_empty());
            pick("display_value").or_else(|| pick("value"))
        }
        other => Some(other.to_string()),
    }
}

/// Accumulates objects into a [`RawTable`], widening the header as new keys appear.
struct Builder {
    table: RawTable,
    raws: Vec<String>,
    nulls: Vec<String>,
}

impl Builder {
    fn new(nulls: &[String]) -> Self {
        Builder {
            table: RawTable {
                headers: Vec::new(),
                columns: Vec::new(),
                lines: Vec::new(),
                records: Vec::new(),
                raw: RawText::Records(Vec::new()),
                rejects: Vec::new(),
                records_read: 0,
            },
            raws: Vec::new(),
            nulls: nulls.to_vec(),
        }
    }

    fn push(&mut self, obj: &Map<String, Value>, line: Option<u64>, record: u64) {
        let rows = self.table.records.len();
        for (k, v) in obj {
            let idx = match self.table.exact_index(k) {
                Some(i) => i,
                None => {
                    self.table.headers.push(k.clone());
                    self.table.columns.push(TextColumn::nulls(rows));
                    self.table.headers.len() - 1
                }
            };
            let c = cell(v).filter(|s| !is_null_spelling(s, &self.nulls));
            self.table.columns[idx].push(c.as_deref());
        }
        for col in &mut self.table.columns {
            if col.len() == rows {
                col.push(None);
            }
        }
        self.table.lines.push(line);
        self.table.records.push(record);
        self.raws.push(Value::Object(obj.clone()).to_string());
    }

    fn reject(&mut self, line: Option<u64>, record: u64, message: String, raw: &str) {
        self.table.rejects.push(Reject {
            line,
            record,
            column: None,
            error_type: "invalid_json",
            message,
            raw: truncate_raw(raw),
        });
    }

    fn finish(mut self, read: u64) -> RawTable {
        self.table.records_read = read;
        self.table.raw = RawText::Records(self.raws);
        self.table
    }
}

/// Read a JSON document or NDJSON file into a [`RawTable`].
pub fn read_json(path: &Path, bytes: &[u8], nulls: &[String]) -> Result<RawTable> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Input {
            path: path.into(),
            line: None,
            message: "the file is empty; re-export it or leave it out of the ingest".into(),
        });
    }
    let mut b = Builder::new(nulls);
    if looks_like_ndjson(bytes) {
        let text = String::from_utf8_lossy(bytes);
        let mut record = 0u64;
        // Physical lines, ended by `\n`, `\r\n` or a lone `\r` alike.
        for (i, (_, line)) in lines(&text).enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            record += 1;
            let line_no = Some(i as u64 + 1);
            match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(o)) => b.push(&o, line_no, record),
                Ok(_) => b.reject(
                    line_no,
                    record,
                    "the line is not a JSON object".into(),
                    line,
                ),
                Err(e) => b.reject(line_no, record, format!("invalid JSON: {e}"), line),
            }
        }
        return Ok(b.finish(record));
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| Error::Input {
        path: path.into(),
        line: Some(e.line() as u64),
        message: format!(
            "invalid JSON ({e}); export the table as JSON ({{\"result\": [...]}}) or NDJSON, one object per line"
        ),
    })?;
    let items = match doc {
        Value::Object(mut o) => match o.remove("result").or_else(|| o.remove("records")) {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(Error::Input {
                    path: path.into(),
                    line: None,
                    message: "a JSON object export must hold its rows in a `result` array (ServiceNow Table API)".into(),
                });
            }
        },
        Value::Array(a) => a,
        _ => {
            return Err(Error::Input {
                path: path.into(),
                line: None,
                message: "expected a JSON array of objects or {\"result\": [...]}".into(),
            });
        }
    };
    let n = items.len() as u64;
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(o) => b.push(&o, None, i as u64 + 1),
            other => b.reject(
                None,
                i as u64 + 1,
                format!("element {} of the array is not an object", i + 1),
                &other.to_string(),
            ),
        }
    }
    Ok(b.finish(n))
}
