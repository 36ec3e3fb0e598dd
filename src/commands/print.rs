//! How ingest and build outcomes read for people; `ingest` and `run` print them alike.

use super::out::Lines;
use crate::derive::BuildReport;
use crate::ingest::IngestReport;

/// A build in one or two lines.
pub(crate) fn build(b: &BuildReport, w: &mut Lines) {
    let states: Vec<String> = b.states.iter().map(|(k, v)| format!("{k} {v}")).collect();
    w.add(format!(
        "built version {}: {} sla rows as of {} ({}); {} recurring-problem candidates",
        b.version,
        b.sla_rows,
        b.as_of,
        states.join(", "),
        b.problem_candidates
    ));
    if let Some(f) = crate::problems::uninformative_finding(
        b.incidents,
        b.uninformative_incidents,
        b.incidents_without_text,
        b.uninformative_example.as_deref(),
    ) {
        w.add(format!("  {f}"));
    }
}

/// An ingest: each file's accounting, the first rejects, and what was committed.
pub(crate) fn ingest(dataset: &crate::dataset::Location, r: &IngestReport, w: &mut Lines) {
    for f in &r.files {
        if f.outcome == "duplicate" {
            w.add(format!(
                "{}: already ingested in {} (same SHA-256 and read options); skipped. \
                 Use --replace to read it again",
                f.path,
                f.duplicate_of.as_deref().unwrap_or("?")
            ));
            continue;
        }
        // Only history files skip rows (their changes of other fields).
        let skipped = match f.skipped {
            0 => String::new(),
            n => format!(", skipped {n}"),
        };
        w.add(format!(
            "{} [{}]: read {}, loaded {}{skipped}, rejected {}, superseded {}, flagged {}",
            f.path, f.shape, f.records_read, f.loaded, f.rejected, f.superseded, f.flagged
        ));
        if let Some(earlier) = &f.replaces {
            w.add(format!(
                "  read again: supersedes its read in {earlier} ({} rows replaced; its rejects \
                 are hidden, `ticketlake rejects --all` shows them)",
                f.replaced
            ));
        }
        if !f.extra_columns.is_empty() {
            w.add(format!("  unused columns: {}", f.extra_columns.join(", ")));
        }
        if !f.missing_columns.is_empty() {
            w.add(format!(
                "  columns not in the file: {}",
                f.missing_columns.join(", ")
            ));
        }
        for warning in &f.warnings {
            w.add(format!("  warning: {warning}"));
        }
    }
    for rej in r.sample_rejects.iter().take(5) {
        let line = rej
            .reject
            .line
            .map(|l| format!(":{l}"))
            .unwrap_or_else(|| format!(" record {}", rej.reject.record));
        w.add(format!(
            "  reject {}{}: {}: {}",
            rej.source_file, line, rej.reject.error_type, rej.reject.message
        ));
    }
    if r.rejected > 5 {
        if r.committed {
            w.add("  ... see all with `ticketlake rejects`");
        } else {
            // Nothing was committed, so the rejects table does not hold these.
            w.add(format!("  ... and {} more", r.rejected - 5));
        }
    }
    let shown = dataset;
    if let Some(over) = &r.limit_exceeded {
        w.add(format!(
            "{}; dataset {shown} stays at version {}",
            over.message(),
            r.version
        ));
    } else if r.committed {
        w.add(format!(
            "committed {} as version {} of {shown}",
            r.ingest_id.as_deref().unwrap_or(""),
            r.version,
        ));
    } else {
        w.add(format!(
            "nothing new; dataset {shown} stays at version {}",
            r.version
        ));
    }
}
