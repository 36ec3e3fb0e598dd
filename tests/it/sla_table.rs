//! The `sla` table as a whole: the key-ordered walk over tickets and their intervals, the
//! split over worker threads and the sort for unsorted input must give exactly the rows that
//! running [`evaluate`] on each ticket with its own intervals gives.

use std::collections::HashMap;

use polars::prelude::*;
use ticketlake::sla::calendar::Calendar;
use ticketlake::sla::engine::{Interval, TicketView, evaluate};
use ticketlake::sla::policy::Policies;
use ticketlake::sla::table::compute;

use crate::support::*;

const CONFIG: &str = r#"
[calendars.office]
timezone = "Europe/London"
hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[sla]]
name = "P1-2 resolution"
metric = "resolution"
target = "8h"
calendar = "office"
when = { kind = ["incident"], priority = [1, 2] }
pause-on = ["on_hold"]

[[sla]]
name = "incident response"
metric = "response"
target = "30m"
calendar = "24x7"
when = { kind = ["incident"] }
"#;

const H: i64 = 3_600_000_000;
const BASE: i64 = 1_790_000_000_000_000; // 2026-09-21, a Monday

/// A deterministic stream of numbers (no dependency on an RNG's algorithm).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n) as i64
    }
}

/// `n` tickets over two sources, with history (an on-hold pause, sometimes a reopen) for
/// two thirds of them and none for the rest; ids are zero-padded so rows are in key order,
/// and each ticket's intervals start at distinct instants so any sort gives one order.
fn frames(n: usize) -> (DataFrame, DataFrame) {
    let mut r = Lcg(7);
    let (mut id, mut src, mut kind, mut prio, mut status) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut opened, mut first, mut resolved) = (vec![], vec![], vec![]);
    let (mut iid, mut isrc, mut ist, mut ifrom, mut ito, mut ider) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for s in ["jira", "servicenow"] {
        for i in 0..n / 2 {
            let t = format!("T{i:07}");
            let o = BASE + r.next(40 * 24) * H / 2;
            let res = (r.next(4) > 0).then(|| o + (1 + r.next(120)) * H / 4);
            id.push(t.clone());
            src.push(s);
            kind.push(if r.next(5) == 0 {
                "request"
            } else {
                "incident"
            });
            prio.push(Some(1 + r.next(4) as i32));
            status.push(match (res, r.next(20)) {
                (_, 0) => "cancelled",
                (Some(_), _) => "resolved",
                (None, _) => "in_progress",
            });
            opened.push(Some(o));
            first.push((r.next(2) == 0).then(|| o + r.next(60) * 60_000_000));
            resolved.push(res);
            if r.next(3) == 0 {
                continue; // no history at all
            }
            let end = res.unwrap_or(o + 200 * H);
            let hold = o + (end - o) / 3;
            let back = hold + (end - hold) / 2;
            let mut push = |st: &'static str, a: i64, b: Option<i64>, derived: bool| {
                iid.push(t.clone());
                isrc.push(s);
                ist.push(st);
                ifrom.push(a);
                ito.push(b);
                ider.push(derived);
            };
            let derived = r.next(4) == 0;
            push("new", o, Some(o + 1), derived);
            push("in_progress", o + 1, Some(hold), derived);
            push("on_hold", hold, Some(back), derived);
            if r.next(6) == 0 && end - back > 2 * H {
                push("resolved", back, Some(back + H), derived);
                push("in_progress", back + H, res, derived);
            } else {
                push("in_progress", back, res, derived);
            }
            if let Some(x) = res {
                push("resolved", x, None, derived);
            }
        }
    }
    let ts = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let time = |name: &str, v: Vec<Option<i64>>| Column::new(name.into(), v).cast(&ts).unwrap();
    let rows = opened.len();
    let tickets = DataFrame::new_infer_height(vec![
        Column::new("ticket_id".into(), id),
        Column::new("source".into(), src),
        Column::new("kind".into(), kind),
        Column::new("priority".into(), prio),
        Column::new("status".into(), status),
        Column::new("service".into(), vec![Some("Email"); n / 2 * 2]),
        time("opened_at", opened.clone()),
        time("first_response_at", first),
        time("resolved_at", resolved),
        time("closed_at", vec![None; rows]),
        time("updated_at", opened),
    ])
    .unwrap();
    let intervals = DataFrame::new_infer_height(vec![
        Column::new("ticket_id".into(), iid),
        Column::new("source".into(), isrc),
        Column::new("status".into(), ist),
        time("from_ts", ifrom.into_iter().map(Some).collect()),
        time("to_ts", ito),
        Column::new("derived".into(), ider),
    ])
    .unwrap();
    (tickets, intervals)
}

fn policies() -> Policies {
    crate::sla::policies(CONFIG)
}

/// A timestamp or integer column as microseconds.
fn micros(df: &DataFrame, c: &str) -> Vec<Option<i64>> {
    df.column(c)
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .map(|ca| (0..ca.len()).map(|i| ca.get(i)).collect())
        .unwrap()
}

/// Every row of a computed table as comparable text.
fn rows(df: &DataFrame) -> Vec<String> {
    let cols: Vec<Vec<Option<String>>> = df
        .get_column_names()
        .iter()
        .map(|c| strings(df, c.as_str()))
        .collect();
    (0..df.height())
        .map(|i| format!("{:?}", cols.iter().map(|c| &c[i]).collect::<Vec<_>>()))
        .collect()
}

/// The same rows from the per-clock function, one ticket at a time.
fn reference(
    tickets: &DataFrame,
    intervals: &DataFrame,
    pol: &Policies,
    as_of: i64,
) -> Vec<String> {
    let s = |c: &str| strings(tickets, c);
    let (ids, srcs, kinds, stats) = (s("ticket_id"), s("source"), s("kind"), s("status"));
    let prio: Vec<Option<i32>> = tickets
        .column("priority")
        .unwrap()
        .i32()
        .map(|ca| (0..ca.len()).map(|i| ca.get(i)).collect())
        .unwrap();
    let (op, fr, rs) = (
        micros(tickets, "opened_at"),
        micros(tickets, "first_response_at"),
        micros(tickets, "resolved_at"),
    );
    let (iid, isrc, ist) = (
        strings(intervals, "ticket_id"),
        strings(intervals, "source"),
        strings(intervals, "status"),
    );
    let (ifr, ito) = (micros(intervals, "from_ts"), micros(intervals, "to_ts"));
    let ider: Vec<Option<bool>> = intervals
        .column("derived")
        .unwrap()
        .bool()
        .map(|ca| (0..ca.len()).map(|i| ca.get(i)).collect())
        .unwrap();
    let mut by: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for j in 0..intervals.height() {
        by.entry((isrc[j].clone().unwrap(), iid[j].clone().unwrap()))
            .or_default()
            .push(j);
    }
    let spec = &pol.calendars["office"];
    let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let office = Calendar::build(spec, d(2026, 1, 1), d(2028, 1, 1));
    let always = Calendar::always("24x7");
    let mut out_tickets = Vec::new();
    for i in 0..tickets.height() {
        let key = (srcs[i].clone().unwrap(), ids[i].clone().unwrap());
        let mut mine: Vec<Interval> = by
            .get(&key)
            .into_iter()
            .flatten()
            .map(|&j| Interval {
                status: ist[j].as_deref().unwrap(),
                from: ifr[j].unwrap(),
                to: ito[j],
                derived: ider[j].unwrap(),
            })
            .collect();
        mine.sort_by_key(|x| x.from);
        let view = TicketView {
            kind: kinds[i].as_deref().unwrap(),
            priority: prio[i],
            service: Some("Email"),
            status: stats[i].as_deref().unwrap(),
            opened: op[i],
            first_response: fr[i],
            resolved: rs[i],
            closed: None,
        };
        for p in &pol.slas {
            let w = &p.config.when;
            if !w.kind.iter().any(|k| k == view.kind)
                || !(w.priority.is_empty()
                    || view.priority.is_some_and(|x| w.priority.contains(&x)))
            {
                continue;
            }
            let (cal, tz) = if p.config.calendar == "office" {
                (&office, spec.tz)
            } else {
                (&always, chrono_tz::UTC)
            };
            let o = evaluate(p, cal, &tz, &view, &mine, as_of);
            out_tickets.push((key.clone(), p.config.name.clone(), o));
        }
    }
    out_tickets
        .into_iter()
        .map(|((src, id), name, o)| {
            format!(
                "{id} {src} {name} {:?} {:?} {:?} {:?} {:?} {:?} {}",
                o.start_at,
                o.stop_at,
                o.business_elapsed_s,
                o.paused_s,
                o.breached,
                o.breach_at,
                o.state
            )
        })
        .collect()
}

/// The columns the reference can rebuild, in its format.
fn comparable(df: &DataFrame) -> Vec<String> {
    let s = |c: &str| strings(df, c);
    let (id, src, name, state) = (s("ticket_id"), s("source"), s("sla_name"), s("state"));
    let (start, stop, bus, paused, at) = (
        micros(df, "start_at"),
        micros(df, "stop_at"),
        micros(df, "business_elapsed_s"),
        micros(df, "paused_s"),
        micros(df, "breach_at"),
    );
    let breached: Vec<Option<bool>> = df
        .column("breached")
        .unwrap()
        .bool()
        .map(|ca| (0..ca.len()).map(|i| ca.get(i)).collect())
        .unwrap();
    (0..df.height())
        .map(|i| {
            format!(
                "{} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {}",
                id[i].as_deref().unwrap(),
                src[i].as_deref().unwrap(),
                name[i].as_deref().unwrap(),
                start[i],
                stop[i],
                bus[i],
                paused[i],
                breached[i],
                at[i],
                state[i].as_deref().unwrap()
            )
        })
        .collect()
}

#[test]
fn parallel_walk_matches_per_ticket_evaluation() {
    // Enough tickets for several workers (the engine stays on one thread below 50 000).
    let (tickets, intervals) = frames(120_000);
    let pol = policies();
    let as_of = BASE + 60 * 24 * H;
    let table = compute(&tickets, &intervals, &pol, as_of).unwrap();
    let want = reference(&tickets, &intervals, &pol, as_of);
    assert!(want.len() > 100_000, "{} clocks", want.len());
    let got = comparable(&table);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // Pauses and breaches really happened, so the comparison covers them.
    let states = strings(&table, "state");
    for s in ["met", "breached", "in_progress_breached", "cancelled"] {
        assert!(states.iter().any(|x| x.as_deref() == Some(s)), "no {s} row");
    }
    assert!(
        strings(&table, "paused_s")
            .iter()
            .any(|p| p.as_deref().is_some_and(|p| p != "0"))
    );
}

#[test]
fn unsorted_input_gives_the_sorted_result() {
    let (tickets, intervals) = frames(60_000);
    let pol = policies();
    let as_of = BASE + 60 * 24 * H;
    let sorted = compute(&tickets, &intervals, &pol, as_of).unwrap();
    // Reverse both tables: the walk must notice and sort rather than miss intervals.
    let rev = |df: &DataFrame| {
        let n = df.height() as IdxSize;
        df.take(&IdxCa::from_vec("i".into(), (0..n).rev().collect()))
            .unwrap()
    };
    let shuffled = compute(&rev(&tickets), &rev(&intervals), &pol, as_of).unwrap();
    assert_eq!(rows(&shuffled), rows(&sorted));
    // And small inputs (one worker) agree with the reference too.
    let (small_t, small_i) = frames(2_000);
    assert_eq!(
        comparable(&compute(&rev(&small_t), &rev(&small_i), &pol, as_of).unwrap()),
        reference(&small_t, &small_i, &pol, as_of)
    );
}
