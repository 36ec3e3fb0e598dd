//! The data-quality report of a dataset version: what was ingested from where, every row
//! accounted for (read = loaded + rejected, superseded), why rows were rejected, which kept
//! rows carry flags, and the shape of the tickets by kind, status and month.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use super::html::{escape, page, table};
use crate::dataset::Location;
use crate::dataset::columns::{flag_counts, micros, text_chunks, text_vec};
use crate::dataset::{self, Manifest, manifest};
use crate::error::{Error, Result};
use chrono::Datelike;

/// Machine-readable twin of the HTML report (`data-quality.json`).
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Dataset version reported on.
    pub dataset_version: u64,
    /// Committed at.
    pub committed_at: String,
    /// Tickets in the current version.
    pub tickets: u64,
    /// Records read across all ingests.
    pub records_read: u64,
    /// Records loaded.
    pub loaded: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Loaded records superseded by newer versions.
    pub superseded: u64,
    /// Rows of history files that are not status changes (other fields), skipped.
    #[serde(skip_serializing_if = "crate::dataset::manifest::is_zero")]
    pub skipped: u64,
    /// Tickets per kind and status.
    pub by_kind_status: BTreeMap<String, BTreeMap<String, u64>>,
    /// Tickets opened per month (UTC) and kind.
    pub opened_by_month: BTreeMap<String, BTreeMap<String, u64>>,
    /// Rejects per error type.
    pub rejects_by_type: BTreeMap<String, u64>,
    /// Current tickets per data-quality flag.
    pub flags: BTreeMap<String, u64>,
    /// SLA rows per SLA and state (empty before the first build).
    pub sla_states: BTreeMap<String, BTreeMap<String, u64>>,
    /// Incidents considered by recurring-problem detection at the last build.
    pub incidents: u64,
    /// Of those, incidents whose text carries no signal ("Issue reported, please help").
    pub uninformative_incidents: u64,
    /// Of those, incidents with no title and no description at all.
    pub incidents_without_text: u64,
    /// The commonest uninformative text in the data.
    pub uninformative_example: Option<String>,
}

fn bump<K: Ord>(m: &mut BTreeMap<K, u64>, k: K) {
    *m.entry(k).or_default() += 1;
}

/// Compute the summary of the current version; `mask` masks the texts it quotes (the
/// rejects, the uninformative example) at report time.
pub fn summarize(
    root: &Location,
    m: &Manifest,
    mask: Option<&crate::privacy::Masker>,
) -> Result<(Summary, Option<DataFrame>)> {
    // Only the four columns counted, iterated as borrowed text: a 10 M-ticket dataset
    // summarises in seconds and without a copy of every cell.
    let tickets = dataset::store::read_columns(
        root,
        m,
        dataset::TICKETS,
        Some(&["kind", "status", "opened_at", "dq_flags"]),
    )?
    .unwrap_or_default();
    let (by_kind_status, opened_by_month, flags) = ticket_counts(&tickets)?;
    // Files read again since (a corrected re-read) count once: by their latest read.
    let mut rejects = dataset::store::read_rejects(root, m, false)?;
    if let (Some(r), Some(mask)) = (rejects.as_mut(), mask) {
        super::privacy::columns(r, &["message", "raw"], mask)?;
    }
    let mut rejects_by_type = BTreeMap::new();
    if let Some(r) = &rejects {
        for t in text_vec(r, "error_type")?.into_iter().flatten() {
            bump(&mut rejects_by_type, t);
        }
    }
    let sla_states = sla_state_counts(root, m)?;
    let files = m
        .ingests
        .iter()
        .flat_map(|i| &i.files)
        .filter(|f| f.replaced_by.is_none());
    let s = Summary {
        dataset_version: m.version,
        committed_at: m.committed_at.clone(),
        tickets: tickets.height() as u64,
        records_read: files.clone().map(|f| f.records_read).sum(),
        loaded: files.clone().map(|f| f.loaded).sum(),
        rejected: files.clone().map(|f| f.rejected).sum(),
        superseded: files.clone().map(|f| f.superseded).sum(),
        skipped: files.map(|f| f.skipped).sum(),
        by_kind_status,
        opened_by_month,
        rejects_by_type,
        flags,
        sla_states,
        incidents: m.build.as_ref().map(|b| b.incidents).unwrap_or(0),
        uninformative_incidents: m
            .build
            .as_ref()
            .map(|b| b.uninformative_incidents)
            .unwrap_or(0),
        incidents_without_text: m.build.as_ref().map_or(0, |b| b.incidents_without_text),
        uninformative_example: m
            .build
            .as_ref()
            .and_then(|b| b.uninformative_example.as_deref())
            .map(|t| mask.map_or_else(|| t.to_string(), |k| k.text_seen(t))),
    };
    Ok((s, rejects))
}

/// Counts per two keys (kind and status, month and kind, SLA and state).
type Counts2 = BTreeMap<String, BTreeMap<String, u64>>;

/// The tickets counted per kind and status, per opening month (UTC) and kind, and per flag.
fn ticket_counts(tickets: &DataFrame) -> Result<(Counts2, Counts2, BTreeMap<String, u64>)> {
    let mut by_kind_status: Counts2 = BTreeMap::new();
    let mut opened_by_month: Counts2 = BTreeMap::new();
    if tickets.height() == 0 {
        return Ok((by_kind_status, opened_by_month, BTreeMap::new()));
    }
    let flags = flag_counts(tickets)?;
    let (kind, status) = (
        text_chunks(tickets, "kind")?,
        text_chunks(tickets, "status")?,
    );
    let opened = micros(tickets, "opened_at")?;
    let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut months: BTreeMap<(i64, &str), u64> = BTreeMap::new();
    for ((k, st), o) in kind.iter().zip(status.iter()).zip(opened.iter()) {
        let k = k.unwrap_or_default();
        *counts.entry((k, st.unwrap_or_default())).or_default() += 1;
        if let Some(o) = o {
            // Month index since 1970 from the UTC day; labelled once per month below.
            let d = chrono::DateTime::from_timestamp_micros(o).map(|t| t.date_naive());
            if let Some(d) = d {
                *months
                    .entry((i64::from(d.year()) * 12 + i64::from(d.month0()), k))
                    .or_default() += 1;
            }
        }
    }
    for ((k, st), n) in counts {
        *by_kind_status
            .entry(k.to_string())
            .or_default()
            .entry(st.to_string())
            .or_default() += n;
    }
    for ((mi, k), n) in months {
        let label = format!("{:04}-{:02}", mi.div_euclid(12), mi.rem_euclid(12) + 1);
        *opened_by_month
            .entry(label)
            .or_default()
            .entry(k.to_string())
            .or_default() += n;
    }
    Ok((by_kind_status, opened_by_month, flags))
}

/// SLA clocks per SLA and state; empty before the first build.
fn sla_state_counts(root: &Location, m: &Manifest) -> Result<Counts2> {
    let mut sla_states: Counts2 = BTreeMap::new();
    if let Some(sla) =
        dataset::store::read_columns(root, m, crate::dataset::SLA, Some(&["sla_name", "state"]))?
    {
        // Counted by borrowed text, then owned once per (SLA, state): millions of rows.
        let (names, states) = (text_chunks(&sla, "sla_name")?, text_chunks(&sla, "state")?);
        let mut counts: std::collections::HashMap<(&str, &str), u64> = Default::default();
        for (n, st) in names.iter().zip(states.iter()) {
            *counts
                .entry((n.unwrap_or_default(), st.unwrap_or_default()))
                .or_default() += 1;
        }
        for ((n, st), c) in counts {
            *sla_states
                .entry(n.to_string())
                .or_default()
                .entry(st.to_string())
                .or_default() += c;
        }
    }
    Ok(sla_states)
}

fn tile(label: &str, value: u64) -> String {
    format!("<div class=\"tile\">{}<b>{value}</b></div>", escape(label))
}

/// Render the HTML body.
fn render(s: &Summary, m: &Manifest, rejects: Option<&DataFrame>) -> Result<String> {
    let mut b = headline(s);
    b.push_str(&ticket_text(s));
    b.push_str(&ingests(m));
    b.push_str(&by_kind_status(s));
    b.push_str(&opened_by_month(s));
    b.push_str(&sla_states(s));
    b.push_str(&flags(s));
    b.push_str(&rejected(s, rejects)?);
    Ok(b)
}

/// The title, what the counts mean, and the tiles of the row accounting.
fn headline(s: &Summary) -> String {
    // Only history files skip rows, so the sentence and the tile appear only with them.
    let (skipped, tile_skipped) = match s.skipped {
        0 => ("", String::new()),
        n => (
            ", or skipped (a history file's changes of other fields than the status)",
            tile("Skipped", n),
        ),
    };
    format!(
        "<h1>Data quality — dataset version {}</h1>\n<p class=\"muted\">Committed {}. Every record read is either loaded or rejected{skipped}; \
         superseded rows were replaced by a newer version of the same ticket.</p>\n<div class=\"tiles\">{}{}{}{}{}{tile_skipped}</div>\n",
        s.dataset_version,
        escape(&s.committed_at),
        tile("Tickets", s.tickets),
        tile("Records read", s.records_read),
        tile("Loaded", s.loaded),
        tile("Rejected", s.rejected),
        tile("Superseded", s.superseded),
    )
}

/// The share of incidents whose text carries no signal; empty when none were found.
fn ticket_text(s: &Summary) -> String {
    crate::problems::uninformative_finding(
        s.incidents,
        s.uninformative_incidents,
        s.incidents_without_text,
        s.uninformative_example.as_deref(),
    )
    .map(|f| format!("<h2>Ticket text</h2>\n<p>{}</p>\n", escape(&f)))
    .unwrap_or_default()
}

/// Every file of every ingest with its row accounting.
fn ingests(m: &Manifest) -> String {
    let rows: Vec<Vec<String>> = m
        .ingests
        .iter()
        .flat_map(|i| {
            i.files.iter().map(move |f| {
                vec![
                    i.ingest_id.clone(),
                    f.path.clone(),
                    f.shape.clone(),
                    f.outcome_text(),
                    f.records_read.to_string(),
                    f.loaded.to_string(),
                    f.rejected.to_string(),
                    f.superseded.to_string(),
                    f.flagged.to_string(),
                ]
            })
        })
        .collect();
    let mut b = String::from("<h2>Ingests</h2>\n");
    b.push_str(&table(
        &[
            "Ingest",
            "File",
            "Shape",
            "Outcome",
            "Read",
            "Loaded",
            "Rejected",
            "Superseded",
            "Flagged",
        ],
        &rows,
    ));
    b
}

/// Tickets per kind, a column per status (every status, zeros included).
fn by_kind_status(s: &Summary) -> String {
    let statuses = crate::dataset::schema::STATUSES;
    let rows: Vec<Vec<String>> = s
        .by_kind_status
        .iter()
        .map(|(k, st)| {
            std::iter::once(k.clone())
                .chain(
                    statuses
                        .iter()
                        .map(|x| st.get(*x).copied().unwrap_or(0).to_string()),
                )
                .collect()
        })
        .collect();
    let mut header = vec!["Kind"];
    header.extend(statuses);
    let mut b = String::from("<h2>Tickets by kind and status</h2>\n");
    b.push_str(&table(&header, &rows));
    b
}

/// Tickets opened per month of the last 13 months with tickets, newest first, a column per kind.
fn opened_by_month(s: &Summary) -> String {
    let kinds = crate::dataset::schema::KINDS;
    let rows: Vec<Vec<String>> = s
        .opened_by_month
        .iter()
        .rev()
        .take(13)
        .map(|(mo, k)| {
            std::iter::once(mo.clone())
                .chain(
                    kinds
                        .iter()
                        .map(|x| k.get(*x).copied().unwrap_or(0).to_string()),
                )
                .collect()
        })
        .collect();
    let mut header = vec!["Month"];
    header.extend(kinds);
    let mut b = String::from("<h2>Tickets opened per month (UTC)</h2>\n");
    b.push_str(&table(&header, &rows));
    b
}

/// SLA clocks per SLA, a column per state; a note instead before the first build.
fn sla_states(s: &Summary) -> String {
    let mut b = String::from("<h2>SLA clocks by state</h2>\n");
    if s.sla_states.is_empty() {
        b.push_str("<p>No SLAs are declared, or the derived tables were not built yet.</p>\n");
        return b;
    }
    let states = crate::dataset::schema::SLA_STATES;
    let rows: Vec<Vec<String>> = s
        .sla_states
        .iter()
        .map(|(n, st)| {
            std::iter::once(n.clone())
                .chain(
                    states
                        .iter()
                        .map(|x| st.get(*x).copied().unwrap_or(0).to_string()),
                )
                .collect()
        })
        .collect();
    let mut header = vec!["SLA"];
    header.extend(states);
    b.push_str(&table(&header, &rows));
    b
}

/// Kept tickets per data-quality flag.
fn flags(s: &Summary) -> String {
    let mut b = String::from("<h2>Data-quality flags on kept tickets</h2>\n");
    if s.flags.is_empty() {
        b.push_str("<p>No flags.</p>\n");
        return b;
    }
    let rows: Vec<Vec<String>> = s
        .flags
        .iter()
        .map(|(f, n)| vec![f.clone(), n.to_string(), flag_meaning(f).to_string()])
        .collect();
    b.push_str(&table(&["Flag", "Tickets", "Meaning"], &rows));
    b
}

/// What a flag means for the metrics, in the words of the report's reader.
fn flag_meaning(flag: &str) -> &'static str {
    match flag {
        "closed_without_resolution" => {
            "Resolved or closed without a resolution time: left out of MTTR, FCR and resolution \
             SLAs (set resolved-from-closed on the source to use closed_at instead)"
        }
        "resolved_at_from_closed_at" => {
            "Resolution time copied from closed_at, as the source's resolved-from-closed asks"
        }
        "resolved_before_opened" => "Resolved before it was opened: left out of MTTR",
        "closed_before_opened" => "Closed before it was opened",
        "closed_before_resolved" => "Closed before it was resolved",
        _ => "",
    }
}

/// Rejected records per reason, then the first 50 of them (`ticketlake rejects` lists all).
fn rejected(s: &Summary, rejects: Option<&DataFrame>) -> Result<String> {
    let mut b = String::from("<h2>Rejected records</h2>\n");
    let Some(r) = rejects.filter(|r| r.height() > 0) else {
        b.push_str("<p>No rejected records.</p>\n");
        return Ok(b);
    };
    let rows: Vec<Vec<String>> = s
        .rejects_by_type
        .iter()
        .map(|(t, n)| vec![t.clone(), n.to_string()])
        .collect();
    b.push_str(&table(&["Reason", "Records"], &rows));
    let cols: Vec<Vec<Option<String>>> = ["source_file", "line", "column", "error_type", "message"]
        .iter()
        .map(|c| text_vec(r, c))
        .collect::<Result<_>>()?;
    let rows: Vec<Vec<String>> = (0..r.height().min(50))
        .map(|i| {
            cols.iter()
                .map(|c| c[i].clone().unwrap_or_else(|| "-".into()))
                .collect()
        })
        .collect();
    b.push_str(&format!(
        "<p class=\"muted\">The first {} of {} (all: <code>ticketlake rejects</code>).</p>\n",
        rows.len(),
        r.height()
    ));
    b.push_str(&table(
        &["File", "Line", "Column", "Reason", "Message"],
        &rows,
    ));
    Ok(b)
}

/// Write `data-quality.html` and `data-quality.json` into `out`; returns the HTML path.
pub fn write(root: &Location, out: &Path) -> Result<PathBuf> {
    let m = manifest::current(root)?;
    let (summary, rejects) = summarize(root, &m, None)?;
    write_summary(&m, &summary, rejects.as_ref(), out)
}

/// Write the report of an already computed summary (the monthly reports compute it too).
pub fn write_summary(
    m: &Manifest,
    summary: &Summary,
    rejects: Option<&DataFrame>,
    out: &Path,
) -> Result<PathBuf> {
    std::fs::create_dir_all(out).map_err(Error::io("creating", out))?;
    let html = page(
        &format!("ticketlake data quality — version {}", m.version),
        &render(summary, m, rejects)?,
    );
    let path = out.join("data-quality.html");
    super::write_file(&path, html)?;
    let json = out.join("data-quality.json");
    let text = serde_json::to_string_pretty(summary).expect("summary serialises");
    super::write_file(&json, crate::table::json_escape_bidi(text))?;
    Ok(path)
}
