//! The SLA engine: plain Rust over the `tickets` and `status_intervals` columns. For every
//! ticket and every SLA whose `when` matches, it runs the clock from start to stop (or to
//! `as_of`), pausing in the configured statuses and handling reopens, and writes one row of
//! the `sla` table. A pure function of the dataset and the config, so a changed policy is
//! recomputed for all of history.

use super::calendar::Calendar;
use super::policy::{Metric, OnReopen, Policy, Target};

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
    /// Closed.
    pub closed: Option<i64>,
}

impl TicketView<'_> {
    /// Done (resolved or closed) without a resolution instant in the export.
    fn done_without_resolution(&self) -> bool {
        self.resolved.is_none() && matches!(self.status, "resolved" | "closed")
    }
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

/// Reusable buffers for [`evaluate_in`]: millions of clocks are run in one build, and three
/// small vectors per clock were most of the engine's allocations.
#[derive(Default)]
pub struct Scratch {
    pauses: Vec<(i64, i64)>,
    active: Vec<(i64, i64)>,
    reopened: Vec<(i64, i64)>,
}

/// Merge overlapping [a, b) ranges in place.
fn merge(v: &mut Vec<(i64, i64)>) {
    v.retain(|(a, b)| b > a);
    v.sort_unstable();
    let mut w = 0;
    for r in 0..v.len() {
        let (a, b) = v[r];
        if w > 0 && a <= v[w - 1].1 {
            v[w - 1].1 = v[w - 1].1.max(b);
        } else {
            v[w] = (a, b);
            w += 1;
        }
    }
    v.truncate(w);
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
    evaluate_in(
        &mut Scratch::default(),
        policy,
        cal,
        tz,
        t,
        intervals,
        as_of,
    )
}

/// The recorded history of `intervals`: derived intervals say nothing about responses or
/// reopens.
#[inline]
fn recorded<'s, 'a>(
    intervals: &'s [Interval<'a>],
) -> impl Iterator<Item = &'s Interval<'a>> + Clone {
    intervals.iter().filter(|i| !i.derived)
}

/// Where the clock stops, if it has: resolution, or the first response (from the export, else
/// the first recorded move out of `new` at or after `start`).
#[inline]
fn clock_stop(policy: &Policy, t: &TicketView, intervals: &[Interval], start: i64) -> Option<i64> {
    match policy.config.metric {
        Metric::Resolution if policy.config.stop_at_close && t.done_without_resolution() => {
            t.closed
        }
        Metric::Resolution => t.resolved,
        Metric::Response => t.first_response.or_else(|| {
            recorded(intervals)
                .find(|i| i.status != "new" && i.from >= start)
                .map(|i| i.from)
        }),
    }
}

/// Whether a response clock cannot be measured at all: a resolved ticket with neither a
/// response time nor any recorded history to find one in.
#[inline]
fn response_unmeasurable(
    policy: &Policy,
    t: &TicketView,
    intervals: &[Interval],
    stop: Option<i64>,
) -> bool {
    policy.config.metric == Metric::Response
        && stop.is_none()
        && t.first_response.is_none()
        && recorded(intervals).next().is_none()
        && t.resolved.is_some()
}

/// The clock start after reopens (a resolved interval followed by work again): `Restart`
/// moves the start to the latest reopen, `Resume` keeps it and fills `reopened` with the
/// resolved spans to pause over instead.
#[inline]
fn apply_reopens(
    on_reopen: OnReopen,
    intervals: &[Interval],
    mut start: i64,
    reopened: &mut Vec<(i64, i64)>,
) -> i64 {
    reopened.clear();
    let mut history = recorded(intervals);
    if let Some(mut prev) = history.next() {
        for next in history {
            if prev.status == "resolved"
                && !matches!(next.status, "resolved" | "closed" | "cancelled")
            {
                match on_reopen {
                    OnReopen::Restart => start = start.max(next.from),
                    OnReopen::Resume => reopened.push((prev.from, next.from)),
                }
            }
            prev = next;
        }
    }
    start
}

/// Fill `pauses` with the merged pauses within [start, end): intervals in a pausing status and
/// the `reopened` spans.
#[inline]
fn fill_pauses(
    pauses: &mut Vec<(i64, i64)>,
    pause_on: &[String],
    intervals: &[Interval],
    reopened: &[(i64, i64)],
    start: i64,
    end: i64,
) {
    pauses.clear();
    pauses.extend(
        intervals
            .iter()
            .filter(|i| pause_on.iter().any(|p| p == i.status))
            .map(|i| (i.from.max(start), i.to.unwrap_or(end).min(end))),
    );
    pauses.extend(reopened.iter().map(|&(a, b)| (a.max(start), b.min(end))));
    merge(pauses);
}

/// Fill `active` with the segments the clock runs: [start, end) minus the merged `pauses`.
#[inline]
fn fill_active(active: &mut Vec<(i64, i64)>, pauses: &[(i64, i64)], start: i64, end: i64) {
    active.clear();
    let mut cursor = start;
    for &(a, b) in pauses {
        if a > cursor {
            active.push((cursor, a));
        }
        cursor = cursor.max(b);
    }
    if end > cursor {
        active.push((cursor, end));
    }
}

/// Business microseconds in `ranges`.
#[inline]
fn business_sum(cal: &Calendar, ranges: &[(i64, i64)]) -> i64 {
    ranges.iter().map(|&(a, b)| cal.business_micros(a, b)).sum()
}

/// The target in business microseconds from `start`; `None` when a working-day deadline
/// falls outside the calendar's span.
#[inline]
fn target_micros(policy: &Policy, cal: &Calendar, tz: &chrono_tz::Tz, start: i64) -> Option<i64> {
    match policy.target {
        Target::Seconds(s) => Some(s * US),
        Target::WorkingDays(n) => cal
            .working_days_deadline(start, n, tz)
            .map(|d| cal.business_micros(start, d)),
    }
}

/// The instant the `active` segments use up `target` business microseconds, if they do.
#[inline]
fn breach_instant(cal: &Calendar, active: &[(i64, i64)], target: i64) -> Option<i64> {
    let mut acc = 0;
    for &(a, b) in active {
        let seg = cal.business_micros(a, b);
        if acc + seg > target {
            return cal.business_add(a, target - acc);
        }
        acc += seg;
    }
    None
}

/// The row's state from whether the clock stopped and whether it breached.
#[inline]
fn clock_state(stopped: bool, breached: bool) -> &'static str {
    match (stopped, breached) {
        (true, false) => "met",
        (true, true) => "breached",
        (false, false) => "in_progress",
        (false, true) => "in_progress_breached",
    }
}

/// [`evaluate`] with caller-owned buffers (`intervals` sorted by `from`).
pub fn evaluate_in(
    scratch: &mut Scratch,
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
    let Some(opened) = t.opened else {
        return Outcome::only("invalid", Some("no opened_at".into()));
    };
    let stop = clock_stop(policy, t, intervals, opened);
    if policy.config.metric == Metric::Resolution && stop.is_none() && t.done_without_resolution() {
        // Running it to as-of would breach a ticket that is done; stopping it at an
        // automatic close would be a guess. Left out, and counted as invalid.
        return Outcome::only(
            "invalid",
            Some(
                "resolved or closed without a resolution time; set stop-at-close = true on \
                 the SLA to stop its clock at closed_at"
                    .into(),
            ),
        );
    }
    if response_unmeasurable(policy, t, intervals, stop) {
        return Outcome::only(
            "invalid",
            Some("the export has no response time and no status history".into()),
        );
    }
    let Scratch {
        pauses,
        active,
        reopened,
    } = scratch;
    let start = apply_reopens(policy.config.on_reopen, intervals, opened, reopened);
    let end = stop.unwrap_or(as_of);
    if end < start {
        return Outcome::only(
            "invalid",
            Some(format!(
                "the clock stops ({end}) before it starts ({start})"
            )),
        );
    }
    fill_pauses(
        pauses,
        &policy.config.pause_on,
        intervals,
        reopened,
        start,
        end,
    );
    fill_active(active, pauses, start, end);
    let business = business_sum(cal, active);
    let paused = business_sum(cal, pauses);
    let Some(target) = target_micros(policy, cal, tz, start) else {
        return Outcome::only(
            "invalid",
            Some("the working-day deadline falls outside the calendar's span".into()),
        );
    };
    let breached = business > target;
    let breach_at = breached.then(|| breach_instant(cal, active, target));
    Outcome {
        target_s: Some(target / US),
        start_at: Some(start),
        stop_at: stop,
        elapsed_s: Some((end - start) / US),
        business_elapsed_s: Some(business / US),
        paused_s: Some(paused / US),
        breached: Some(breached),
        breach_at: breach_at.flatten(),
        state: clock_state(stop.is_some(), breached),
        reason: None,
    }
}
