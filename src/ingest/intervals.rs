//! `status_intervals`: how long each ticket spent in each canonical status. Built from the
//! update history where the export has one (ServiceNow event log), otherwise derived from the
//! ticket's timestamps and marked `derived = true`, so SLA pauses know how far to trust it.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::dataset::columns::{micros, text};
use crate::error::{Error, Result};

/// Columns of the `status_intervals` table, built without a heap string per cell (millions of
/// intervals are common).
struct Builder {
    ticket_id: StringChunkedBuilder,
    source: StringChunkedBuilder,
    status: StringChunkedBuilder,
    source_status: StringChunkedBuilder,
    from_ts: Vec<i64>,
    to_ts: Vec<Option<i64>>,
    derived: Vec<bool>,
    ingest_id: StringChunkedBuilder,
}

impl Default for Builder {
    fn default() -> Self {
        let s = |n: &str| StringChunkedBuilder::new(n.into(), 0);
        Builder {
            ticket_id: s("ticket_id"),
            source: s("source"),
            status: s("status"),
            source_status: s("source_status"),
            from_ts: Vec::new(),
            to_ts: Vec::new(),
            derived: Vec::new(),
            ingest_id: s("ingest_id"),
        }
    }
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &str,
        source: &str,
        status: &str,
        raw: Option<&str>,
        from: i64,
        to: Option<i64>,
        derived: bool,
        ingest: &str,
    ) {
        if to.is_some_and(|t| t < from) {
            return; // out-of-order timestamps are a flagged data-quality issue, not a negative interval
        }
        self.ticket_id.append_value(id);
        self.source.append_value(source);
        self.status.append_value(status);
        self.source_status.append_option(raw);
        self.from_ts.push(from);
        self.to_ts.push(to);
        self.derived.push(derived);
        self.ingest_id.append_value(ingest);
    }

    fn finish(self) -> Result<DataFrame> {
        let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        let cols = vec![
            self.ticket_id.finish().into_column(),
            self.source.finish().into_column(),
            self.status.finish().into_column(),
            self.source_status.finish().into_column(),
            Column::new("from_ts".into(), self.from_ts)
                .cast(&utc)
                .map_err(Error::polars("from_ts"))?,
            Column::new("to_ts".into(), self.to_ts)
                .cast(&utc)
                .map_err(Error::polars("to_ts"))?,
            Column::new("derived".into(), self.derived),
            self.ingest_id.finish().into_column(),
        ];
        DataFrame::new_infer_height(cols).map_err(Error::polars("building status_intervals"))
    }
}

/// An empty `status_intervals` frame with the right schema.
pub fn empty() -> Result<DataFrame> {
    Builder::default().finish()
}

/// Derive intervals from each ticket's timestamps (one ticket per row).
pub fn derive(tickets: &DataFrame) -> Result<DataFrame> {
    let (id, src, st, ing) = (
        text(tickets, "ticket_id")?,
        text(tickets, "source")?,
        text(tickets, "status")?,
        text(tickets, "ingest_id")?,
    );
    let (opened, resolved, closed, updated) = (
        micros(tickets, "opened_at")?,
        micros(tickets, "resolved_at")?,
        micros(tickets, "closed_at")?,
        micros(tickets, "updated_at")?,
    );
    let mut b = Builder::default();
    for i in 0..tickets.height() {
        let (Some(tid), Some(source), Some(status), Some(ingest), Some(open)) =
            (id.get(i), src.get(i), st.get(i), ing.get(i), opened.get(i))
        else {
            continue;
        };
        let (res, clo, upd) = (resolved.get(i), closed.get(i), updated.get(i));
        let end_work = res.or(clo);
        // Every derived interval of this ticket shares its identity and has no source status.
        let mut push = |status: &str, from: i64, to: Option<i64>| {
            b.push(tid, source, status, None, from, to, true, ingest)
        };
        match status {
            "new" if end_work.is_none() => push("new", open, None),
            "on_hold" if end_work.is_none() => {
                let since = upd.filter(|&u| u > open).unwrap_or(open);
                if since > open {
                    push("in_progress", open, Some(since));
                }
                push("on_hold", since, None);
            }
            "cancelled" => {
                let at = clo.or(upd).unwrap_or(open).max(open);
                push("in_progress", open, Some(at));
                push("cancelled", at, None);
            }
            _ => {
                push("in_progress", open, end_work);
                if let Some(r) = res {
                    push("resolved", r, clo);
                }
                if let Some(c) = clo {
                    push("closed", c, None);
                }
            }
        }
    }
    b.finish()
}

/// Build intervals from update history: every row is one update of a ticket, with the
/// status it had after the update. Consecutive updates with the same status merge.
pub fn from_history(updates: &DataFrame) -> Result<DataFrame> {
    let (id, src, st, raw, ing) = (
        text(updates, "ticket_id")?,
        text(updates, "source")?,
        text(updates, "status")?,
        text(updates, "source_status")?,
        text(updates, "ingest_id")?,
    );
    let upd = micros(updates, "updated_at")?;
    let rec = micros(updates, "source_record")?;
    let mut per: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for i in 0..updates.height() {
        if let (Some(t), Some(s), Some(_)) = (id.get(i), src.get(i), upd.get(i)) {
            per.entry((s, t)).or_default().push(i);
        }
    }
    let mut b = Builder::default();
    for ((source, tid), mut rows) in per {
        rows.sort_by_key(|&i| (upd.get(i), rec.get(i)));
        let mut k = 0;
        while k < rows.len() {
            let i = rows[k];
            let mut j = k + 1;
            while j < rows.len() && st.get(rows[j]) == st.get(i) {
                j += 1;
            }
            let to = rows.get(j).and_then(|&n| upd.get(n));
            b.push(
                tid,
                source,
                st.get(i).unwrap_or("new"),
                raw.get(i),
                upd.get(i).unwrap_or(0),
                to,
                false,
                ing.get(i).unwrap_or(""),
            );
            k = j;
        }
    }
    b.finish()
}
