//! The `sla` table: every ticket is matched against the policies, its status intervals are
//! found by walking both tables in key order (the dataset writes `tickets` and
//! `status_intervals` sorted by `source, ticket_id`; unsorted input is sorted first), and the
//! clocks run on every core over contiguous ranges of tickets. Columns are built with Arrow
//! builders and gathers, never a heap string per row: a 10 M-ticket dataset has millions of
//! clocks.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::calendar::Calendar;
use super::engine::{Interval, Outcome, Scratch, TicketView, evaluate_in};
use super::policy::{Policies, Policy};
use crate::dataset::columns::{Key, ascending, flags, int32, micros_chunks, text_chunks};
use crate::error::{Error, Result};

/// Below this many tickets one thread is quicker than starting more.
const PARALLEL_MIN: usize = 50_000;

/// `df` in key order with its `text` and `ints` columns: sorted only when it is not already
/// (the dataset writes it so), the keys read once for the check and the walk both.
fn in_key_order(
    df: &DataFrame,
    extra: &[&str],
    text: &[&str],
    ints: &[&str],
) -> Result<(DataFrame, Held)> {
    let held = Held::read(df, text, ints)?;
    if ascending(held.source.iter().zip(held.id.iter())) {
        return Ok((df.clone(), held));
    }
    let mut by = vec!["source", "ticket_id"];
    by.extend_from_slice(extra);
    let df = df
        .sort(by, SortMultipleOptions::default().with_maintain_order(true))
        .map_err(Error::polars("sorting by ticket"))?;
    let held = Held::read(&df, text, ints)?;
    Ok((df, held))
}

/// The columns [`TicketCols`] and [`IntervalCols`] borrow, in their chunks as read: only
/// iterated once, so never concatenated into a copy.
struct Held {
    source: StringChunked,
    id: StringChunked,
    text: Vec<StringChunked>,
    ints: Vec<Int64Chunked>,
}

impl Held {
    fn read(df: &DataFrame, text: &[&str], ints: &[&str]) -> Result<Held> {
        Ok(Held {
            source: text_chunks(df, "source")?,
            id: text_chunks(df, "ticket_id")?,
            text: text
                .iter()
                .map(|c| text_chunks(df, c))
                .collect::<Result<_>>()?,
            ints: ints
                .iter()
                .map(|c| micros_chunks(df, c))
                .collect::<Result<_>>()?,
        })
    }

    fn keys(&self) -> Vec<Key<'_>> {
        self.source.iter().zip(self.id.iter()).collect()
    }
}

/// A column's values as a plain vector: the walk reads every row once or more, and a slice
/// index is a load where `ChunkedArray::get` is a chunk lookup, a validity test and (for
/// text) a view decode; that was a tenth of the SLA stage's profile.
fn values<'a, T>(ca: &'a ChunkedArray<T>) -> Vec<Option<T::Physical<'a>>>
where
    T: PolarsDataType,
{
    ca.iter().collect()
}

/// The ticket columns the clocks read.
struct TicketCols<'a> {
    keys: Vec<Key<'a>>,
    kind: Vec<Option<&'a str>>,
    status: Vec<Option<&'a str>>,
    service: Vec<Option<&'a str>>,
    priority: Vec<Option<i32>>,
    opened: Vec<Option<i64>>,
    first: Vec<Option<i64>>,
    resolved: Vec<Option<i64>>,
    closed: Vec<Option<i64>>,
}

/// The interval columns the clocks read.
struct IntervalCols<'a> {
    keys: Vec<Key<'a>>,
    status: Vec<Option<&'a str>>,
    from: Vec<Option<i64>>,
    to: Vec<Option<i64>>,
    derived: Vec<Option<bool>>,
}

/// Everything a worker shares.
struct Job<'a> {
    t: &'a TicketCols<'a>,
    iv: &'a IntervalCols<'a>,
    policies: &'a Policies,
    cals: &'a HashMap<&'a str, (Calendar, chrono_tz::Tz)>,
    as_of: i64,
}

fn matches(p: &Policy, t: &TicketView) -> bool {
    let w = &p.config.when;
    (w.kind.is_empty() || w.kind.iter().any(|k| k == t.kind))
        && (w.priority.is_empty() || t.priority.is_some_and(|x| w.priority.contains(&x)))
        && (w.service.is_empty() || t.service.is_some_and(|s| w.service.iter().any(|x| x == s)))
}

/// Run the clocks of tickets `lo..hi`; their intervals start at or after row `j`.
fn run_range(job: &Job, lo: usize, hi: usize, mut j: usize) -> Part {
    let (t, iv) = (job.t, job.iv);
    let mut part = Part::with_capacity(hi - lo);
    let mut scratch = Scratch::default();
    let mut mine: Vec<Interval> = Vec::new();
    let mut last: Option<Key> = None;
    for i in lo..hi {
        let key = t.keys[i];
        let (Some(_), Some(_), Some(kind)) = (key.0, key.1, t.kind[i]) else {
            continue;
        };
        if last != Some(key) {
            mine.clear();
            while j < iv.keys.len() && iv.keys[j] < key {
                j += 1;
            }
            while j < iv.keys.len() && iv.keys[j] == key {
                if let (Some(status), Some(from)) = (iv.status[j], iv.from[j]) {
                    mine.push(Interval {
                        status,
                        from,
                        to: iv.to[j],
                        derived: iv.derived[j].unwrap_or(true),
                    });
                }
                j += 1;
            }
            mine.sort_by_key(|x| x.from);
            last = Some(key);
        }
        let view = TicketView {
            kind,
            priority: t.priority[i],
            service: t.service[i],
            status: t.status[i].unwrap_or(""),
            opened: t.opened[i],
            first_response: t.first[i],
            resolved: t.resolved[i],
            closed: t.closed[i],
        };
        for (pi, p) in job.policies.slas.iter().enumerate() {
            if !matches(p, &view) {
                continue;
            }
            let (cal, tz) = &job.cals[p.config.calendar.as_str()];
            let o = evaluate_in(&mut scratch, p, cal, tz, &view, &mine, job.as_of);
            part.push(i, pi, &o);
        }
    }
    part
}

/// Compute the `sla` table: one row per ticket and matching SLA, in ticket key order.
pub fn compute(
    tickets: &DataFrame,
    intervals: &DataFrame,
    policies: &Policies,
    as_of: i64,
) -> Result<DataFrame> {
    compute_on(tickets, intervals, policies, as_of, None)
}

/// [`compute`] on `threads` threads (`None`: one per core for a large table). The derive
/// stage runs one key range per core and each range on one thread.
pub fn compute_on(
    tickets: &DataFrame,
    intervals: &DataFrame,
    policies: &Policies,
    as_of: i64,
    threads: Option<usize>,
) -> Result<DataFrame> {
    let (tickets, held) = in_key_order(
        tickets,
        &[],
        &["kind", "status", "service"],
        &["opened_at", "first_response_at", "resolved_at", "closed_at"],
    )?;
    let (intervals, iheld) =
        in_key_order(intervals, &["from_ts"], &["status"], &["from_ts", "to_ts"])?;
    let priority = int32(&tickets, "priority")?;
    let t = TicketCols {
        keys: held.keys(),
        kind: values(&held.text[0]),
        status: values(&held.text[1]),
        service: values(&held.text[2]),
        priority: values(&priority),
        opened: values(&held.ints[0]),
        first: values(&held.ints[1]),
        resolved: values(&held.ints[2]),
        closed: values(&held.ints[3]),
    };
    let derived = flags(&intervals, "derived")?;
    let iv = IntervalCols {
        keys: iheld.keys(),
        status: values(&iheld.text[0]),
        from: values(&iheld.ints[0]),
        to: values(&iheld.ints[1]),
        derived: values(&derived),
    };
    let cals = calendars(policies, &t, as_of);
    let job = Job {
        t: &t,
        iv: &iv,
        policies,
        cals: &cals,
        as_of,
    };
    let n = tickets.height();
    let threads = match threads {
        Some(t) => t.max(1),
        None if n < PARALLEL_MIN => 1,
        None => std::thread::available_parallelism().map_or(1, |c| c.get().min(16)),
    };
    // Contiguous ranges of tickets; each worker finds its first interval by binary search.
    let bounds: Vec<usize> = (0..=threads).map(|k| n * k / threads).collect();
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (lo, hi, job) = (w[0], w[1], &job);
                s.spawn(move || {
                    let j = if lo < hi {
                        job.iv.keys.partition_point(|k| *k < job.t.keys[lo])
                    } else {
                        0
                    };
                    run_range(job, lo, hi, j)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an SLA worker panicked"))
            .collect()
    });
    assemble(&tickets, policies, parts)
}

/// Lay out each calendar over the data's span, with room for deadlines after as-of.
fn calendars<'a>(
    policies: &'a Policies,
    t: &TicketCols,
    as_of: i64,
) -> HashMap<&'a str, (Calendar, chrono_tz::Tz)> {
    let lo = t.opened.iter().flatten().fold(as_of, |a, &v| a.min(v));
    let hi = t.resolved.iter().flatten().fold(as_of, |a, &v| a.max(v));
    let day = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .map(|d| d.date_naive())
            .unwrap_or(NaiveDate::MIN)
    };
    let (from, to) = (
        day(lo) - chrono::Duration::days(2),
        day(hi) + chrono::Duration::days(400),
    );
    policies
        .slas
        .iter()
        .map(|p| p.config.calendar.as_str())
        .map(|name| match policies.calendars.get(name) {
            Some(spec) => (name, (Calendar::build(spec, from, to), spec.tz)),
            None => (name, (Calendar::always(name), chrono_tz::UTC)),
        })
        .collect()
}

/// One worker's rows: the ticket and policy of each, and the outcome's columns.
struct Part {
    row: Vec<IdxSize>,
    policy: Vec<IdxSize>,
    ints: [PrimitiveChunkedBuilder<Int64Type>; 7],
    breached: BooleanChunkedBuilder,
    state: StringChunkedBuilder,
    pct: PrimitiveChunkedBuilder<Float64Type>,
    reason: StringChunkedBuilder,
}

/// The integer columns of [`Part::ints`], in order; the `_at` ones become timestamps.
const INTS: [&str; 7] = [
    "target_s",
    "start_at",
    "stop_at",
    "elapsed_s",
    "business_elapsed_s",
    "paused_s",
    "breach_at",
];

impl Part {
    fn with_capacity(n: usize) -> Part {
        Part {
            row: Vec::with_capacity(n),
            policy: Vec::with_capacity(n),
            ints: INTS.map(|c| PrimitiveChunkedBuilder::new(c.into(), n)),
            breached: BooleanChunkedBuilder::new("breached".into(), n),
            state: StringChunkedBuilder::new("state".into(), n),
            pct: PrimitiveChunkedBuilder::new("pct_used".into(), n),
            reason: StringChunkedBuilder::new("reason".into(), n),
        }
    }

    fn push(&mut self, row: usize, policy: usize, o: &Outcome) {
        self.row.push(row as IdxSize);
        self.policy.push(policy as IdxSize);
        let values = [
            o.target_s,
            o.start_at,
            o.stop_at,
            o.elapsed_s,
            o.business_elapsed_s,
            o.paused_s,
            o.breach_at,
        ];
        for (b, v) in self.ints.iter_mut().zip(values) {
            b.append_option(v);
        }
        self.breached.append_option(o.breached);
        self.state.append_value(o.state);
        self.pct
            .append_option(match (o.business_elapsed_s, o.target_s) {
                (Some(b), Some(t)) if t > 0 => Some((b as f64) * 100.0 / (t as f64)),
                _ => None,
            });
        self.reason.append_option(o.reason.as_deref());
    }

    /// The part as `sla` rows: ticket identity gathered from `tickets`, policy identity from
    /// a one-row-per-policy frame.
    fn finish(self, tickets: &DataFrame, per_policy: &DataFrame) -> Result<DataFrame> {
        let pe = |what: &'static str| Error::polars(what);
        let who = tickets
            .select(["ticket_id", "source"])
            .and_then(|d| d.take(&IdxCa::from_vec("row".into(), self.row)))
            .map_err(pe("gathering sla ticket ids"))?;
        let what = per_policy
            .take(&IdxCa::from_vec("policy".into(), self.policy))
            .map_err(pe("gathering sla names"))?;
        let ts = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        let mut ints: Vec<Column> = Vec::new();
        for (name, b) in INTS.iter().zip(self.ints) {
            let c = b.finish().into_column();
            ints.push(if name.ends_with("_at") {
                c.cast(&ts).map_err(pe("sla timestamps"))?
            } else {
                c
            });
        }
        let mut cols: Vec<Column> = who.columns().to_vec();
        cols.extend(what.columns().iter().cloned());
        let [target, start, stop, elapsed, business, paused, breach_at] =
            <[Column; 7]>::try_from(ints).expect("seven integer columns");
        cols.extend([target, start, stop, elapsed, business, paused]);
        cols.push(self.breached.finish().into_column());
        cols.push(breach_at);
        cols.push(self.state.finish().into_column());
        cols.push(self.pct.finish().into_column());
        cols.push(self.reason.finish().into_column());
        DataFrame::new_infer_height(cols).map_err(pe("building the sla table"))
    }
}

/// Stack the workers' parts in ticket order.
fn assemble(tickets: &DataFrame, policies: &Policies, parts: Vec<Part>) -> Result<DataFrame> {
    let column = |name: &str, f: fn(&Policy) -> &str| {
        Column::new(name.into(), policies.slas.iter().map(f).collect::<Vec<_>>())
    };
    let per_policy = DataFrame::new_infer_height(vec![
        column("sla_name", |p| p.config.name.as_str()),
        column("metric", |p| p.config.metric.as_str()),
        column("calendar", |p| p.config.calendar.as_str()),
    ])
    .map_err(Error::polars("sla policies"))?;
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_else(|| Part::with_capacity(0));
    let mut out = first.finish(tickets, &per_policy)?;
    for part in parts {
        out.vstack_mut_owned(part.finish(tickets, &per_policy)?)
            .map_err(Error::polars("stacking sla rows"))?;
    }
    Ok(out)
}
