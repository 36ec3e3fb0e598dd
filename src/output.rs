//! How command results are printed for people (aligned text) and for machines (CSV with a
//! formula-injection guard, JSON). Commands decide what to show; this decides how.

use std::io::Write;

use crate::cli::OutputFormat;
use crate::config::Settings;
use crate::ingest::IngestReport;

pub fn print_build(b: &crate::derive::BuildReport) {
    let states: Vec<String> = b.states.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "built version {}: {} sla rows as of {} ({}); {} recurring-problem candidates",
        b.version,
        b.sla_rows,
        b.as_of,
        states.join(", "),
        b.problem_candidates
    );
    if b.incidents > 0 && b.uninformative_incidents > 0 {
        println!(
            "  {} of {} incidents ({:.1} %) have titles with no signal (\"Issue reported, please help\")",
            b.uninformative_incidents,
            b.incidents,
            100.0 * b.uninformative_incidents as f64 / b.incidents as f64
        );
    }
}

pub fn print_ingest(s: &Settings, r: &IngestReport) {
    let mut out = std::io::stdout().lock();
    for f in &r.files {
        if f.outcome == "duplicate" {
            let _ = writeln!(
                out,
                "{}: already ingested in {} (same SHA-256); skipped",
                f.path,
                f.duplicate_of.as_deref().unwrap_or("?")
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{} [{}]: read {}, loaded {}, rejected {}, superseded {}, flagged {}",
            f.path, f.shape, f.records_read, f.loaded, f.rejected, f.superseded, f.flagged
        );
        if !f.extra_columns.is_empty() {
            let _ = writeln!(out, "  unused columns: {}", f.extra_columns.join(", "));
        }
        if !f.missing_columns.is_empty() {
            let _ = writeln!(
                out,
                "  columns not in the file: {}",
                f.missing_columns.join(", ")
            );
        }
        for w in &f.warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
    }
    for rej in r.sample_rejects.iter().take(5) {
        let line = rej
            .reject
            .line
            .map(|l| format!(":{l}"))
            .unwrap_or_else(|| format!(" record {}", rej.reject.record));
        let _ = writeln!(
            out,
            "  reject {}{}: {}: {}",
            rej.source_file, line, rej.reject.error_type, rej.reject.message
        );
    }
    if r.rejected > 5 {
        let _ = writeln!(out, "  ... see all with `ticketlake rejects`");
    }
    if r.committed {
        let _ = writeln!(
            out,
            "committed {} as version {} of {}",
            r.ingest_id.as_deref().unwrap_or(""),
            r.version,
            s.dataset.display()
        );
    } else {
        let _ = writeln!(
            out,
            "nothing new; dataset {} stays at version {}",
            s.dataset.display(),
            r.version
        );
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

/// An instant (µs, UTC) as RFC 3339.
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// A polars frame as a printable table (timestamps in RFC 3339), cut at `max_rows`.
pub fn frame_table(
    df: &polars::prelude::DataFrame,
    max_rows: usize,
) -> crate::Result<crate::query::adhoc::Table> {
    use polars::prelude::*;
    let mut columns = Vec::new();
    let mut numeric = Vec::new();
    let mut cells: Vec<Vec<Option<String>>> = Vec::new();
    for c in df.columns() {
        columns.push(c.name().to_string());
        numeric.push(c.dtype().is_primitive_numeric() || c.dtype().is_bool());
        let values: Vec<Option<String>> = match c.dtype() {
            DataType::Datetime(_, _) => crate::dataset::columns::micros(df, c.name())?
                .iter()
                .map(|v| v.map(rfc3339))
                .collect(),
            _ => {
                let s = c
                    .cast(&DataType::String)
                    .map_err(crate::Error::polars("formatting"))?;
                let s = s.str().map_err(crate::Error::polars("formatting"))?;
                s.iter().map(|v| v.map(String::from)).collect()
            }
        };
        cells.push(values);
    }
    let n = df.height();
    let rows = (0..n.min(max_rows))
        .map(|r| cells.iter().map(|c| c[r].clone()).collect())
        .collect();
    Ok(crate::query::adhoc::Table {
        columns,
        numeric,
        rows,
        truncated: n > max_rows,
    })
}

/// Print the query catalog: name, summary, dimensions and origin.
pub fn print_catalog(catalog: &[crate::query::catalog::Query], format: OutputFormat) {
    let t = crate::query::adhoc::Table {
        columns: ["name", "summary", "by", "origin"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false; 4],
        rows: catalog
            .iter()
            .map(|q| {
                let by: Vec<&str> = q.dimensions.iter().map(|d| d.0.as_str()).collect();
                vec![
                    Some(q.name.clone()),
                    Some(q.summary.clone()),
                    Some(by.join(", ")),
                    Some(q.origin.clone()),
                ]
            })
            .collect(),
        truncated: false,
    };
    print_table(&t, format);
}

/// Print a query result.
pub fn print_table(t: &crate::query::adhoc::Table, format: OutputFormat) {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = t
                .rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        t.columns
                            .iter()
                            .zip(&t.numeric)
                            .zip(r)
                            .map(|((c, num), v)| (c.clone(), json_cell(v.as_deref(), *num)))
                            .collect(),
                    )
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(rows));
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let _ = w.write_record(&t.columns);
            for r in &t.rows {
                // Numbers are written as numbers: a negative delta is data, not a formula.
                let _ =
                    w.write_record(r.iter().zip(&t.numeric).map(
                        |(c, numeric)| match c.as_deref() {
                            Some(v) if *numeric => v.to_string(),
                            Some(v) => csv_safe(v),
                            None => String::new(),
                        },
                    ));
            }
            let _ = w.flush();
        }
        OutputFormat::Table => {
            let widths: Vec<usize> = (0..t.columns.len())
                .map(|i| {
                    t.rows
                        .iter()
                        .map(|r| r[i].as_deref().unwrap_or("NULL").chars().count())
                        .chain([t.columns[i].chars().count()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            let _ = writeln!(
                out,
                "{}",
                line(t.columns.iter().map(String::as_str).collect())
            );
            let _ = writeln!(
                out,
                "{}",
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("-+-")
            );
            for r in &t.rows {
                let _ = writeln!(
                    out,
                    "{}",
                    line(r.iter().map(|c| c.as_deref().unwrap_or("NULL")).collect())
                );
            }
            let _ = writeln!(out, "({} rows)", t.rows.len());
        }
    }
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

/// Prefix cells that a spreadsheet would run as a formula (OWASP's CSV-injection guard).
pub fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// Print a result set, and say on stderr when the row cap cut it.
pub fn print_result(t: &crate::query::adhoc::Table, format: OutputFormat, max_rows: usize) {
    print_cut(t, format, max_rows, "--max-rows");
}

/// Print a result set; when it was cut at `max_rows`, name the flag that raises the cap.
pub fn print_cut(
    t: &crate::query::adhoc::Table,
    format: OutputFormat,
    max_rows: usize,
    flag: &str,
) {
    print_table(t, format);
    if t.truncated {
        eprintln!("ticketlake: output cut at {max_rows} rows; raise {flag} to see more");
    }
}
