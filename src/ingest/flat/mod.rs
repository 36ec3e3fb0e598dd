//! Flat history exports: one row per change of a ticket (a flattened Jira changelog `key,
//! created, field, from, to`; an ITIL activity log `incident_id, datestamp, activity`), read
//! through a mapping with `kind = "history"`. Given in the same ingest as their tickets, the
//! status changes become those tickets' `status_intervals` (recorded, not derived: built by
//! [`intervals::from_history`] like every other history) and their `reopen_count` where the
//! ticket export has none. Rows of other fields are skipped and counted; changes of tickets
//! that are not in the ingest are rejected (`orphan_history`), so a history file's records
//! read = used + skipped + rejected.

use std::collections::BTreeMap;
use std::path::PathBuf;

use polars::prelude::*;

use super::audit::Trail;
use super::mapping::Mapping;
use super::{IngestOptions, intervals, read};
use crate::dataset::columns::{micros, text};
use crate::dataset::schema::{DONE_STATUSES, STATUSES};
use crate::error::{Error, Result};

mod parse;

/// One status change, normalised: UTC instant, canonical statuses with their spellings.
#[derive(Debug, Clone)]
pub struct Step {
    /// When (UTC microseconds).
    pub at: i64,
    /// Its record in the history file (orders the changes of one instant).
    pub record: u64,
    /// The canonical status after the change, and its spelling in the export.
    pub to: (String, String),
    /// The status before it, when the export has a `from` column.
    pub from: Option<(String, String)>,
}

/// The flat history of one ingest: its files, their changes per ticket (in time order) and
/// each ticket's reopen count.
#[derive(Default)]
pub struct History {
    /// The changes, the files' accounting, and the tickets the changes were used for.
    pub trail: Trail<Step>,
    /// The shape of each file (`generic/history-csv`), in the order given.
    pub shapes: Vec<(PathBuf, String)>,
    /// Ticket ids and their reopen counts, for the tickets' `reopen_count`.
    reopens: Option<(Series, Series)>,
}

/// What a ticket export says of a ticket with history: its identity, opening, and current
/// state (the last observation of its status).
#[derive(Debug, Clone)]
pub struct Anchor {
    source: String,
    ingest: String,
    opened: Option<i64>,
    updated: Option<i64>,
    status: String,
    /// The exported status spelling (`None` when the status was derived from timestamps).
    raw: Option<String>,
    record: i64,
}

/// The anchors of the tickets with history, by ticket id.
pub type Anchors = BTreeMap<String, Anchor>;

/// Add `more` to `into`; of two rows of one ticket the later (`updated_at`, then record)
/// stands for it, as in the merge.
pub fn merge_anchors(into: &mut Anchors, more: Anchors) {
    for (k, a) in more {
        keep_later(into, k, a);
    }
}

fn keep_later(into: &mut Anchors, k: String, a: Anchor) {
    match into.get(&k) {
        Some(b) if (b.updated, b.record) > (a.updated, a.record) => {}
        _ => {
            into.insert(k, a);
        }
    }
}

/// The reopens of one ticket's changes: moves from a finished status back to an open one.
fn reopens(steps: &[Step]) -> i32 {
    let first = steps.first().and_then(|s| s.from.as_ref()).map(|f| &f.0);
    let seq = first.into_iter().chain(steps.iter().map(|s| &s.to.0));
    let mut n = 0;
    let mut prev: Option<&String> = None;
    for s in seq {
        if let Some(p) = prev
            && DONE_STATUSES.contains(&p.as_str())
            && !DONE_STATUSES.contains(&s.as_str())
            && s != "cancelled"
        {
            n += 1;
        }
        prev = Some(s);
    }
    n
}

impl History {
    /// Read the history `files` (each with whether it is JSON) with the history mapping of
    /// `opts`; none when the ingest has no history files.
    pub fn read(files: &[(PathBuf, bool)], opts: &IngestOptions) -> Result<History> {
        let mut h = History::default();
        if files.is_empty() {
            return Ok(h);
        }
        let Some(mpath) = opts.history_mapping.as_deref() else {
            return Err(Error::Usage(
                "history files need their mapping: add --history-mapping FILE (kind = \"history\")"
                    .into(),
            ));
        };
        let m = Mapping::load(mpath)?;
        if !m.is_history() {
            return Err(Error::Config {
                path: mpath.into(),
                key: "kind".into(),
                message: "a history file is read with a history mapping: set kind = \"history\" \
                          (see \"History exports\" in the mapping reference in README.md)"
                    .into(),
            });
        }
        let mut m = read::with_overrides(m, opts);
        // The canonical statuses are accepted as spelled, besides the mapping's own spellings.
        for s in STATUSES {
            if !m
                .values
                .status
                .keys()
                .any(|k| k.trim().eq_ignore_ascii_case(s))
            {
                m.values.status.insert(s.to_string(), s.to_string());
            }
        }
        for (path, json) in files {
            let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
            let table = read::read_table(path, bytes, &m, opts, *json)?;
            let zone = read::zone_of(None, &m, opts);
            let file = parse::read_file(table, &m, zone, path, &mut h.trail)?;
            h.trail.files.insert(path.clone(), file);
            let format = if *json { "ndjson" } else { "csv" };
            h.shapes
                .push((path.clone(), format!("generic/history-{format}")));
        }
        let mut ids = Vec::new();
        let mut counts = Vec::new();
        for (k, steps) in &mut h.trail.changes {
            steps.sort_by_key(|s| (s.at, s.record));
            ids.push(k.clone());
            counts.push(reopens(steps));
        }
        if !ids.is_empty() {
            h.reopens = Some((
                Series::new("id".into(), ids),
                Series::new("n".into(), counts),
            ));
        }
        Ok(h)
    }

    /// Give `tickets` (normalised rows of a ticket export) their reopen count from history
    /// where the export has none, and return the anchors of those with history.
    pub fn attach(&self, tickets: &mut DataFrame) -> Result<Anchors> {
        let Some((ids, counts)) = &self.reopens else {
            return Ok(Anchors::new());
        };
        let pe = Error::polars("attaching history to tickets");
        let from_history = col("ticket_id").replace_strict(
            lit(ids.clone()),
            lit(counts.clone()),
            Some(lit(NULL).cast(DataType::Int32)),
            Some(DataType::Int32),
        );
        *tickets = tickets
            .clone()
            .lazy()
            .with_column(coalesce(&[col("reopen_count"), from_history]).alias("reopen_count"))
            .collect()
            .map_err(pe)?;
        let with = tickets
            .clone()
            .lazy()
            .filter(col("ticket_id").is_in(lit(ids.clone()).implode(false), false))
            .collect()
            .map_err(Error::polars("selecting tickets with history"))?;
        let (id, src, st, raw, ing) = (
            text(&with, "ticket_id")?,
            text(&with, "source")?,
            text(&with, "status")?,
            text(&with, "source_status")?,
            text(&with, "ingest_id")?,
        );
        let (opened, updated, record) = (
            micros(&with, "opened_at")?,
            micros(&with, "updated_at")?,
            micros(&with, "source_record")?,
        );
        let mut out = Anchors::new();
        for i in 0..with.height() {
            let Some(k) = id.get(i) else { continue };
            let a = Anchor {
                source: src.get(i).unwrap_or_default().to_string(),
                ingest: ing.get(i).unwrap_or_default().to_string(),
                opened: opened.get(i),
                updated: updated.get(i),
                status: st.get(i).unwrap_or("new").to_string(),
                raw: raw.get(i).map(String::from),
                record: record.get(i).unwrap_or(0),
            };
            keep_later(&mut out, k.to_string(), a);
        }
        Ok(out)
    }

    /// The status intervals of the tickets of this ingest that have history (`anchors`),
    /// which also decides which changes were used. Each ticket's updates are: its state at
    /// opening (the first change's `from`), every change, then its exported state when that
    /// is as new as the last change; [`intervals::from_history`] turns them into intervals.
    pub fn intervals(&mut self, anchors: &Anchors) -> Result<Option<DataFrame>> {
        self.trail.used = anchors
            .keys()
            .filter(|k| self.trail.changes.contains_key(*k))
            .cloned()
            .collect();
        if self.trail.used.is_empty() {
            return Ok(None);
        }
        let mut u = Updates::default();
        for (k, a) in anchors {
            let Some(steps) = self.trail.changes.get(k) else {
                continue;
            };
            if let (Some(first), Some(open)) = (steps.first(), a.opened)
                && let Some((status, raw)) = &first.from
                && open <= first.at
            {
                u.push(k, a, (status.as_str(), raw.as_str()), open, -1);
            }
            for s in steps {
                u.push(
                    k,
                    a,
                    (s.to.0.as_str(), s.to.1.as_str()),
                    s.at,
                    s.record as i64,
                );
            }
            if let (Some(raw), Some(at), Some(last)) = (&a.raw, a.updated, steps.last())
                && at >= last.at
            {
                u.push(k, a, (a.status.as_str(), raw.as_str()), at, i64::MAX);
            }
        }
        intervals::from_history(&u.finish()?).map(Some)
    }
}

/// The update rows [`intervals::from_history`] reads, in the `tickets` column names.
#[derive(Default)]
struct Updates {
    id: Vec<String>,
    source: Vec<String>,
    status: Vec<String>,
    raw: Vec<String>,
    ingest: Vec<String>,
    at: Vec<i64>,
    record: Vec<i64>,
}

impl Updates {
    fn push(&mut self, id: &str, a: &Anchor, status: (&str, &str), at: i64, record: i64) {
        self.id.push(id.to_string());
        self.source.push(a.source.clone());
        self.status.push(status.0.to_string());
        self.raw.push(status.1.to_string());
        self.ingest.push(a.ingest.clone());
        self.at.push(at);
        self.record.push(record);
    }

    fn finish(self) -> Result<DataFrame> {
        let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        let pe = Error::polars("history updates");
        let updated = Column::new("updated_at".into(), self.at)
            .cast(&utc)
            .map_err(pe)?;
        DataFrame::new_infer_height(vec![
            Column::new("ticket_id".into(), self.id),
            Column::new("source".into(), self.source),
            Column::new("status".into(), self.status),
            Column::new("source_status".into(), self.raw),
            Column::new("ingest_id".into(), self.ingest),
            updated,
            Column::new("source_record".into(), self.record),
        ])
        .map_err(Error::polars("history updates"))
    }
}

/// Replace the history the ticket exports carried (`history`) with the flat history's
/// intervals (`flat`) for the tickets it covers: the history given explicitly wins.
pub fn replace(history: Vec<DataFrame>, flat: DataFrame) -> Result<Vec<DataFrame>> {
    let keys = || [col("source"), col("ticket_id")];
    let covered = flat
        .clone()
        .lazy()
        .select(keys())
        .unique(None, UniqueKeepStrategy::First);
    let mut out = history
        .into_iter()
        .map(|h| {
            h.lazy()
                .join(
                    covered.clone(),
                    keys(),
                    keys(),
                    JoinArgs::new(JoinType::Anti),
                )
                .collect()
                .map_err(Error::polars("replacing history"))
        })
        .collect::<Result<Vec<_>>>()?;
    out.push(flat);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(to: &str, from: Option<&str>) -> Step {
        Step {
            at: 0,
            record: 0,
            to: (to.into(), to.into()),
            from: from.map(|f| (f.to_string(), f.to_string())),
        }
    }

    #[test]
    fn reopens_count_moves_from_finished_back_to_open() {
        let s = |v: &[&str]| v.iter().map(|t| step(t, None)).collect::<Vec<_>>();
        assert_eq!(reopens(&s(&["in_progress", "resolved", "closed"])), 0);
        assert_eq!(
            reopens(&s(&[
                "resolved",
                "in_progress",
                "resolved",
                "closed",
                "on_hold"
            ])),
            2
        );
        // A repeated status is no move; cancelling a resolved ticket is no reopen.
        assert_eq!(reopens(&s(&["resolved", "resolved", "cancelled"])), 0);
        // The first change's `from` is the state before it.
        assert_eq!(reopens(&[step("in_progress", Some("closed"))]), 1);
    }
}
