//! How command results are printed for people (aligned text) and for machines (CSV with a
//! formula-injection guard, JSON). Commands decide what to show; this decides how.

use std::io::Write;

use crate::cli::OutputFormat;
use crate::config::Settings;
use crate::ingest::IngestReport;

pub fn print_build(b: &crate::derive::BuildReport) {
    let states: Vec<String> = b.states.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "built version {}: {} sla rows as of {} ({})",
        b.version,
        b.sla_rows,
        b.as_of,
        states.join(", ")
    );
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
                            .zip(r)
                            .map(|(c, v)| (c.clone(), serde_json::json!(v)))
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
                let _ = w.write_record(
                    r.iter()
                        .map(|c| c.as_deref().map(csv_safe).unwrap_or_default()),
                );
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

/// Prefix cells that a spreadsheet would run as a formula (OWASP's CSV-injection guard).
pub fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}
