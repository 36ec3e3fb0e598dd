//! The SLA engine: plain Rust over the `tickets` and `status_intervals` columns. For every
//! ticket and every SLA whose `when` matches, it runs the clock from start to stop (or to
//! `as_of`), pausing in the configured statuses and handling reopens, and writes one row of
//! the `sla` table. A pure function of the dataset and the config, so a changed policy is
//! recomputed for all of history.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::calendar::Calendar;
use super::policy::{Metric, OnReopen, Policies, Policy, Target};
use crate::dataset::columns::{micros, text};
use crate::error::{Error, Result};

const US: i64 = 1_000_000;

/// What [`evaluate`] reads of a ticket (instants in microseconds, UTC).
pub struct TicketView<'a> {
    /// Canonical kind.
    pub kind: &'a str,
    /// Priority 1..5.
    pub priority: Option<i32>,
    /// Service.
    pub service: Option<&'a str>,
    /// Canonical status.
    pub status: &'a str,
    /// Opened.
    pub opened: Option<i64>,
    /// First response, when the export has it.
    pub first_response: Option<i64>,
    /// Resolved.
    pub resolved: Option<i64>,
}

/// One status interval (microseconds, `to = None` while current).
#[derive(Debug, Clone, Copy)]
pub struct Interval<'a> {
    /// Canonical status.
    pub status: &'a str,
    /// Start.
    pub from: i64,
    /// End.
    pub to: Option<i64>,
    /// Derived from timestamps rather than history.
    pub derived: bool,
}

/// One computed SLA row.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Target in business seconds.
    pub target_s: Option<i64>,
    /// Clock start.
    pub start_at: Option<i64>,
    /// Clock stop, if stopped.
    pub stop_at: Option<i64>,
    /// Wall seconds from start to stop (or as-of).
    pub elapsed_s: Option<i64>,
    /// Business seconds on the clock, pauses excluded.
    pub business_elapsed_s: Option<i64>,
    /// Business seconds paused.
    pub paused_s: Option<i64>,
    /// Whether the target was exceeded.
    pub breached: Option<bool>,
    /// When the target was exceeded.
    pub breach_at: Option<i64>,
    /// met | breached | in_progress | in_progress_breached | cancelled | invalid
    pub state: &'static str,
    /// Why a row is invalid.
    pub reason: Option<String>,
}

impl Outcome {
    fn only(state: &'static str, reason: Option<String>) -> Outcome {
        Outcome {
            target_s: None,
            start_at: None,
            stop_at: None,
            elapsed_s: None,
            business_elapsed_s: None,
            paused_s: None,
            breached: None,
            breach_at: None,
            state,
            reason,
        }
    }
}

/// Merge overlapping [a, b) ranges.
fn merge(mut v: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    v.retain(|(a, b)| b > a);
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Run one SLA clock. `tz_of_calendar` is needed for working-day targets.
pub fn evaluate(
    policy: &Policy,
    cal: &Calendar,
    tz: &chrono_tz::Tz,
    t: &TicketView,
    intervals: &[Interval],
    as_of: i64,
) -> Outcome {
    if t.status == "cancelled" {
        return Outcome::only("cancelled", None);
    }
    let Some(mut start) = t.opened else {
        return Outcome::only("invalid", Some("no opened_at".into()));
    };
    let history: Vec<&Interval> = intervals.iter().filter(|i| !i.derived).collect();
    let stop = match policy.config.metric {
        Metric::Resolution => t.resolved,
        Metric::Response => t.first_response.or_else(|| {
            history
                .iter()
                .find(|i| i.status != "new" && i.from >= start)
                .map(|i| i.from)
        }),
    };
    if policy.config.metric == Metric::Response
        && stop.is_none()
        && t.first_response.is_none()
        && history.is_empty()
        && t.resolved.is_some()
    {
        return Outcome::only(
            "invalid",
            Some("the export has no response time and no status history".into()),
        );
    }
    // Reopens: a resolved interval followed by work again.
    let mut reopened_pauses = Vec::new();
    for w in history.windows(2) {
        if w[0].status == "resolved" && !matches!(w[1].status, "resolved" | "closed" | "cancelled")
        {
            match policy.config.on_reopen {
                OnReopen::Restart => start = start.max(w[1].from),
                OnReopen::Resume => reopened_pauses.push((w[0].from, w[1].from)),
            }
        }
    }
    let end = stop.unwrap_or(as_of);
    if end < start {
        return Outcome::only(
            "invalid",
            Some(format!(
                "the clock stops ({end}) before it starts ({start})"
            )),
        );
    }
    let mut pauses: Vec<(i64, i64)> = intervals
        .iter()
        .filter(|i| policy.config.pause_on.iter().any(|p| p == i.status))
        .map(|i| (i.from.max(start), i.to.unwrap_or(end).min(end)))
        .collect();
    pauses.extend(
        reopened_pauses
            .into_iter()
            .map(|(a, b)| (a.max(start), b.min(end))),
    );
    let pauses = merge(pauses);
    // Active segments: [start, end) minus pauses.
    let mut active = Vec::with_capacity(pauses.len() + 1);
    let mut cursor = start;
    for &(a, b) in &pauses {
        if a > cursor {
            active.push((cursor, a));
        }
        cursor = cursor.max(b);
    }
    if end > cursor {
        active.push((cursor, end));
    }
    let business: i64 = active.iter().map(|&(a, b)| cal.business_micros(a, b)).sum();
    let paused: i64 = pauses.iter().map(|&(a, b)| cal.business_micros(a, b)).sum();
    let target = match policy.target {
        Target::Seconds(s) => Some(s * US),
        Target::WorkingDays(n) => cal
            .working_days_deadline(start, n, tz)
            .map(|d| cal.business_micros(start, d)),
    };
    let Some(target) = target else {
        return Outcome::only(
            "invalid",
            Some("the working-day deadline falls outside the calendar's span".into()),
        );
    };
    let breached = business > target;
    let breach_at = breached.then(|| {
        let mut acc = 0;
        for &(a, b) in &active {
            let seg = cal.business_micros(a, b);
            if acc + seg > target {
                return cal.business_add(a, target - acc);
            }
            acc += seg;
        }
        None
    });
    let state = match (stop.is_some(), breached) {
        (true, false) => "met",
        (true, true) => "breached",
        (false, false) => "in_progress",
        (false, true) => "in_progress_breached",
    };
    Outcome {
        target_s: Some(target / US),
        start_at: Some(start),
        stop_at: stop,
        elapsed_s: Some((end - start) / US),
        business_elapsed_s: Some(business / US),
        paused_s: Some(paused / US),
        breached: Some(breached),
        breach_at: breach_at.flatten(),
        state,
        reason: None,
    }
}

/// The default as-of instant: the newest `updated_at` (reproducible, unlike "now").
pub fn default_as_of(tickets: &DataFrame) -> Result<Option<i64>> {
    Ok(micros(tickets, "updated_at")?.max())
}

/// Compute the `sla` table.
pub fn compute(
    tickets: &DataFrame,
    intervals: &DataFrame,
    policies: &Policies,
    as_of: i64,
) -> Result<DataFrame> {
    let (ids, srcs, kinds, stat, svc) = (
        text(tickets, "ticket_id")?,
        text(tickets, "source")?,
        text(tickets, "kind")?,
        text(tickets, "status")?,
        text(tickets, "service")?,
    );
    let prio = tickets
        .column("priority")
        .and_then(|c| c.i32().cloned())
        .map_err(Error::polars("priority"))?;
    let (opened, first, resolved) = (
        micros(tickets, "opened_at")?,
        micros(tickets, "first_response_at")?,
        micros(tickets, "resolved_at")?,
    );
    let (iid, isrc, ist, ider) = (
        text(intervals, "ticket_id")?,
        text(intervals, "source")?,
        text(intervals, "status")?,
        intervals
            .column("derived")
            .and_then(|c| c.bool().cloned())
            .map_err(Error::polars("derived"))?,
    );
    let (ifrom, ito) = (micros(intervals, "from_ts")?, micros(intervals, "to_ts")?);
    let mut by_ticket: HashMap<(&str, &str), Vec<Interval>> = HashMap::new();
    for i in 0..intervals.height() {
        if let (Some(id), Some(src), Some(status), Some(from)) =
            (iid.get(i), isrc.get(i), ist.get(i), ifrom.get(i))
        {
            by_ticket.entry((src, id)).or_default().push(Interval {
                status,
                from,
                to: ito.get(i),
                derived: ider.get(i).unwrap_or(true),
            });
        }
    }
    for v in by_ticket.values_mut() {
        v.sort_by_key(|i| i.from);
    }
    // Lay out each calendar over the data's span, with room for deadlines after as-of.
    let lo = opened.min().unwrap_or(as_of).min(as_of);
    let hi = resolved.max().unwrap_or(as_of).max(as_of);
    let day = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .map(|d| d.date_naive())
            .unwrap_or(NaiveDate::MIN)
    };
    let (from, to) = (
        day(lo) - chrono::Duration::days(2),
        day(hi) + chrono::Duration::days(400),
    );
    let utc = chrono_tz::UTC;
    let cals: HashMap<&str, (Calendar, chrono_tz::Tz)> = policies
        .slas
        .iter()
        .map(|p| p.config.calendar.as_str())
        .map(|name| match policies.calendars.get(name) {
            Some(spec) => (name, (Calendar::build(spec, from, to), spec.tz)),
            None => (name, (Calendar::always(name), utc)),
        })
        .collect();

    let mut rows = Rows::default();
    for i in 0..tickets.height() {
        let (Some(id), Some(src), Some(kind)) = (ids.get(i), srcs.get(i), kinds.get(i)) else {
            continue;
        };
        let t = TicketView {
            kind,
            priority: prio.get(i),
            service: svc.get(i),
            status: stat.get(i).unwrap_or(""),
            opened: opened.get(i),
            first_response: first.get(i),
            resolved: resolved.get(i),
        };
        let empty = Vec::new();
        let iv = by_ticket.get(&(src, id)).unwrap_or(&empty);
        for p in &policies.slas {
            let w = &p.config.when;
            let matches = (w.kind.is_empty() || w.kind.iter().any(|k| k == t.kind))
                && (w.priority.is_empty() || t.priority.is_some_and(|x| w.priority.contains(&x)))
                && (w.service.is_empty()
                    || t.service.is_some_and(|s| w.service.iter().any(|x| x == s)));
            if !matches {
                continue;
            }
            let (cal, tz) = &cals[p.config.calendar.as_str()];
            let o = evaluate(p, cal, tz, &t, iv, as_of);
            rows.push(id, src, p, o);
        }
    }
    rows.finish()
}

#[derive(Default)]
struct Rows {
    id: Vec<String>,
    src: Vec<String>,
    name: Vec<String>,
    metric: Vec<&'static str>,
    calendar: Vec<String>,
    out: Vec<Outcome>,
}

impl Rows {
    fn push(&mut self, id: &str, src: &str, p: &Policy, o: Outcome) {
        self.id.push(id.into());
        self.src.push(src.into());
        self.name.push(p.config.name.clone());
        self.metric.push(p.config.metric.as_str());
        self.calendar.push(p.config.calendar.clone());
        self.out.push(o);
    }

    fn finish(self) -> Result<DataFrame> {
        let ts = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        let o = &self.out;
        let int = |f: fn(&Outcome) -> Option<i64>| o.iter().map(f).collect::<Vec<_>>();
        let time =
            |name: &str, f: fn(&Outcome) -> Option<i64>| Column::new(name.into(), int(f)).cast(&ts);
        let pct: Vec<Option<f64>> = o
            .iter()
            .map(|x| match (x.business_elapsed_s, x.target_s) {
                (Some(b), Some(t)) if t > 0 => Some((b as f64) * 100.0 / (t as f64)),
                _ => None,
            })
            .collect();
        let pe = Error::polars("building the sla table");
        let cols = vec![
            Column::new("ticket_id".into(), self.id),
            Column::new("source".into(), self.src),
            Column::new("sla_name".into(), self.name),
            Column::new("metric".into(), self.metric),
            Column::new("calendar".into(), self.calendar),
            Column::new("target_s".into(), int(|x| x.target_s)),
            time("start_at", |x| x.start_at).map_err(Error::polars("start_at"))?,
            time("stop_at", |x| x.stop_at).map_err(Error::polars("stop_at"))?,
            Column::new("elapsed_s".into(), int(|x| x.elapsed_s)),
            Column::new("business_elapsed_s".into(), int(|x| x.business_elapsed_s)),
            Column::new("paused_s".into(), int(|x| x.paused_s)),
            Column::new(
                "breached".into(),
                o.iter().map(|x| x.breached).collect::<Vec<_>>(),
            ),
            time("breach_at", |x| x.breach_at).map_err(Error::polars("breach_at"))?,
            Column::new(
                "state".into(),
                o.iter().map(|x| x.state).collect::<Vec<_>>(),
            ),
            Column::new("pct_used".into(), pct),
            Column::new(
                "reason".into(),
                o.iter().map(|x| x.reason.clone()).collect::<Vec<_>>(),
            ),
        ];
        DataFrame::new_infer_height(cols).map_err(pe)
    }
}
