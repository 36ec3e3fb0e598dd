//! Result tables and their formats: aligned text for people, CSV with the formula guard and
//! JSON (numbers and booleans as literals) for machines. Every listing ticketlake prints —
//! SQL results, metric queries, candidates, rejects, the query catalog — is a [`Table`]
//! written by [`write`], so the three formats say the same thing everywhere. Table output
//! cuts a cell or column name past [`MAX_CELL_CHARS`] characters; CSV and JSON never cut.

use std::io::Write;

/// Output formats of listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// CSV with formula-injection guard.
    Csv,
    /// JSON array.
    Json,
}

/// A result set as text cells, with its column names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Whether each column is numeric or boolean (JSON output writes numbers and booleans,
    /// not strings).
    pub numeric: Vec<bool>,
    /// Rows of cells (`None` = NULL).
    pub rows: Vec<Vec<Option<String>>>,
    /// Whether the row cap cut the result.
    pub truncated: bool,
}

impl Table {
    /// A table of text columns.
    pub fn text(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            numeric: vec![false; columns.len()],
            rows,
            truncated: false,
        }
    }

    /// A polars frame as a printable table (timestamps in RFC 3339), cut at `max_rows`.
    pub fn from_frame(df: &polars::prelude::DataFrame, max_rows: usize) -> crate::Result<Table> {
        use polars::prelude::*;
        let fail = crate::Error::polars;
        let mut columns = Vec::new();
        let mut numeric = Vec::new();
        let mut cells: Vec<Vec<Option<String>>> = Vec::new();
        for c in df.columns() {
            columns.push(c.name().to_string());
            numeric.push(c.dtype().is_primitive_numeric() || c.dtype().is_bool());
            let values: Vec<Option<String>> = match c.dtype() {
                DataType::Datetime(_, _) => {
                    let us = c.cast(&DataType::Int64).map_err(fail("formatting"))?;
                    let us = us.i64().map_err(fail("formatting"))?;
                    us.iter().map(|v| v.map(crate::time::rfc3339)).collect()
                }
                _ => {
                    let s = c.cast(&DataType::String).map_err(fail("formatting"))?;
                    let s = s.str().map_err(fail("formatting"))?;
                    s.iter().map(|v| v.map(String::from)).collect()
                }
            };
            cells.push(values);
        }
        let n = df.height();
        let rows = (0..n.min(max_rows))
            .map(|r| cells.iter().map(|c| c[r].clone()).collect())
            .collect();
        Ok(Table {
            columns,
            numeric,
            rows,
            truncated: n > max_rows,
        })
    }

    /// The table as JSON objects, one per row.
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self.rows.iter().map(|r| {
            serde_json::Value::Object(
                self.columns
                    .iter()
                    .zip(&self.numeric)
                    .zip(r)
                    .map(|((c, num), v)| (c.clone(), json_cell(v.as_deref(), *num)))
                    .collect(),
            )
        });
        serde_json::Value::Array(rows.collect())
    }
}

/// A result cell as JSON: numeric and boolean columns as literals (numbers exactly as
/// printed), the rest as text.
fn json_cell(v: Option<&str>, literal: bool) -> serde_json::Value {
    match v {
        None => serde_json::Value::Null,
        Some(s) if literal => serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean())
            .unwrap_or_else(|| serde_json::Value::String(s.to_string())),
        Some(s) => serde_json::Value::String(s.to_string()),
    }
}

/// Write `t` in `format`. Write errors are returned (a closed pipe ends the command quietly
/// in `main`; a full disk is an error), never ignored.
pub fn write(t: &Table, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Json => writeln!(out, "{}", json_escape_bidi(t.to_json().to_string())),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&t.columns)?;
            for r in &t.rows {
                w.write_record(r.iter().zip(&t.numeric).map(|(c, numeric)| match c {
                    Some(v) => csv_cell(v, *numeric),
                    None => String::new(),
                }))?;
            }
            w.flush()
        }
        Format::Table => write_aligned(t, out),
    }
}

/// The widest cell or column name table output shows in full, in characters; wider ones
/// are cut with [`cut_marker`]. CSV and JSON always carry the whole value.
pub const MAX_CELL_CHARS: usize = 500;

/// What ends a cut cell: how many characters were left out.
pub fn cut_marker(left_out: usize) -> String {
    format!("… [+{left_out} chars]")
}

/// `cell` as table output shows it: whole up to [`MAX_CELL_CHARS`], else its start and
/// [`cut_marker`].
fn shown(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.char_indices().nth(MAX_CELL_CHARS) {
        None => cell.into(),
        Some((end, _)) => {
            let left_out = cell[end..].chars().count();
            format!("{}{}", &cell[..end], cut_marker(left_out)).into()
        }
    }
}

fn write_aligned(t: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let header: Vec<_> = t.columns.iter().map(|c| shown(c)).collect();
    let rows: Vec<Vec<_>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| shown(c.as_deref().unwrap_or("NULL")))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Padded by hand: a `{:<w$}` width over 65 535 panics.
    let line = |cells: &[std::borrow::Cow<'_, str>]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    writeln!(out, "{}", line(&header))?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    writeln!(out, "{}", rule.join("-+-"))?;
    for r in &rows {
        writeln!(out, "{}", line(r))?;
    }
    writeln!(out, "({} rows)", t.rows.len())
}

/// A CSV cell: numbers as they are (a negative delta is data, not a formula), text guarded
/// by [`csv_safe`].
pub fn csv_cell(cell: &str, numeric: bool) -> String {
    if numeric {
        cell.to_string()
    } else {
        csv_safe(cell)
    }
}

/// The bidirectional-text controls (embeddings, overrides, isolates and the marks): ticket
/// text holding them can make a page or a terminal show text in an order other than its own
/// ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// JSON text with every bidirectional control written as a `\uXXXX` escape. They can only
/// occur inside JSON strings, where the escape means the same character, so a reader gets
/// the same data and a viewer shows no reordered text.
pub fn json_escape_bidi(json: String) -> String {
    if !json.chars().any(is_bidi_control) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_bidi_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prefix cells that a spreadsheet would run as a formula (OWASP's CSV-injection guard).
pub fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_agree_and_csv_is_guarded() {
        let mut t = Table::text(
            &["name", "n"],
            vec![vec![Some("=HYPERLINK()".into()), Some("-3".into())]],
        );
        t.numeric[1] = true;
        let render = |f| {
            let mut v = Vec::new();
            write(&t, f, &mut v).unwrap();
            String::from_utf8(v).unwrap()
        };
        assert_eq!(render(Format::Csv), "name,n\n'=HYPERLINK(),-3\n");
        assert_eq!(
            render(Format::Json),
            "[{\"name\":\"=HYPERLINK()\",\"n\":-3}]\n"
        );
        assert!(render(Format::Table).ends_with("(1 rows)\n"));
    }

    #[test]
    fn wide_cells_are_cut_by_characters_in_table_output_only() {
        let wide = "é".repeat(MAX_CELL_CHARS + 7);
        assert_eq!(
            shown(&wide[..MAX_CELL_CHARS * 2]),
            wide[..MAX_CELL_CHARS * 2]
        );
        assert_eq!(
            shown(&wide),
            format!("{}… [+7 chars]", "é".repeat(MAX_CELL_CHARS))
        );
        let t = Table::text(&["c"], vec![vec![Some("x".repeat(70_000))]]);
        let mut csv = Vec::new();
        write(&t, Format::Csv, &mut csv).unwrap();
        assert_eq!(csv.len(), "c\n".len() + 70_001);
        let mut table = Vec::new();
        write(&t, Format::Table, &mut table).unwrap();
        assert!(
            String::from_utf8(table)
                .unwrap()
                .contains("x… [+69500 chars]\n")
        );
    }
}
