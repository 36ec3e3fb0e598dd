//! Local wall-clock times to UTC for a whole column at once, with DST gaps and folds found
//! exactly as chrono-tz finds them. Exports carry millions of naive timestamps in one zone;
//! asking chrono-tz for each costs a search of the zone's transitions and several calendar
//! conversions per cell, so the zone's answer is laid out once per local hour of the data's
//! span and each cell is resolved by indexing. Hours with a transition inside them, and spans
//! too long to lay out, ask chrono-tz cell by cell: the result is the same either way.
//!
//! A time in a gap, under `shift-forward`, is read with the offset in force before the gap, so
//! the wall clock moves forward by the gap's own length (30 minutes at Lord Howe, 2 hours at
//! Troll), as a clock that was not changed would show it.

use chrono::{LocalResult, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;
use polars::prelude::*;

use crate::dataset::columns::micros;
use crate::error::{Error, Result};

const HOUR: i64 = 3_600_000_000;
/// Farther than any two offsets are apart (they lie within -12:00..+14:00, and LMT within
/// ±16 hours): the transition that makes a gap is within this of the gap's local times.
const REACH: i64 = 30 * HOUR;
/// Longest span laid out (about 228 years of hours); beyond it every cell asks chrono-tz.
const MAX_HOURS: i64 = 2_000_000;

/// How a local time maps to UTC: offsets (local − UTC) in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// One instant.
    Single(i64),
    /// A fold: the earlier and the later instant's offsets.
    Ambiguous(i64, i64),
    /// A gap: the wall clock skipped this time.
    Gap,
}

/// What to do with a time in a fold or a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// In a fold: `None` rejects, `Some(false)` takes the earlier instant, `Some(true)` the later.
    pub fold: Option<bool>,
    /// In a gap: read the time with the offset in force before the gap, which moves the wall
    /// clock forward by the gap's length (else reject).
    pub gap_shift_forward: bool,
}

/// The outcome for one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The UTC instant (microseconds).
    Utc(i64),
    /// Rejected: the time is in a fold and the rules say to reject.
    Ambiguous,
    /// Rejected: the time is in a gap (and the rules do not shift it, or it is too close to
    /// the end of chrono's range to be shifted).
    Nonexistent,
}

fn as_micros(t: &NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// chrono-tz's answer for one local time (microseconds since the epoch, read as local).
fn ask(tz: &Tz, local_us: i64) -> Local {
    let Some(ndt) = chrono::DateTime::from_timestamp_micros(local_us).map(|d| d.naive_utc()) else {
        return Local::Gap;
    };
    let off = |dt: chrono::DateTime<Tz>| as_micros(&dt.naive_local()) - dt.timestamp_micros();
    match tz.from_local_datetime(&ndt) {
        LocalResult::Single(dt) => Local::Single(off(dt)),
        LocalResult::Ambiguous(a, b) => Local::Ambiguous(off(a), off(b)),
        LocalResult::None => Local::Gap,
    }
}

/// The offset (local − UTC, microseconds) of `tz` at the UTC instant `utc_us`.
fn offset_at(tz: &Tz, utc_us: i64) -> Option<i64> {
    let dt = chrono::DateTime::from_timestamp_micros(utc_us)?.with_timezone(tz);
    Some(as_micros(&dt.naive_local()) - utc_us)
}

/// The UTC instant of the local time `local_us`, which is in a gap of `tz`, read with the
/// offset in force just before the gap.
///
/// The wall clock `w(u) = u + offset(u)` of UTC instants `u` rises steadily and jumps at
/// transitions; a local time no instant shows is jumped over exactly once within [`REACH`]
/// (a second jump over it would need a fall back across it, and then some instant would show
/// it). So "`w(u)` is past `local_us`" is false and then true from the transition on, and a
/// binary search over `u` finds the transition; the instant just before it has the offset
/// before the gap.
fn across_gap(tz: &Tz, local_us: i64) -> Option<i64> {
    let past = |u: i64| offset_at(tz, u).map(|o| u + o > local_us);
    let (mut before, mut after) = (local_us.checked_sub(REACH)?, local_us.checked_add(REACH)?);
    if past(before)? || !past(after)? {
        return None;
    }
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if past(mid)? {
            after = mid;
        } else {
            before = mid;
        }
    }
    Some(local_us - offset_at(tz, before)?)
}

/// A zone laid out over a span of local hours.
pub struct Zone {
    tz: Tz,
    first_hour: i64,
    /// Per hour: the answer for every time in it, or `None` when it changes inside the hour.
    hours: Vec<Option<Local>>,
}

impl Zone {
    /// Lay out `tz` over the local times `lo..=hi` (microseconds, read as local).
    pub fn new(tz: Tz, lo: i64, hi: i64) -> Zone {
        let (first, last) = (lo.div_euclid(HOUR), hi.div_euclid(HOUR));
        if last < first || last - first > MAX_HOURS {
            return Zone {
                tz,
                first_hour: 0,
                hours: Vec::new(),
            };
        }
        let hours = (first..=last)
            .map(|h| {
                let a = ask(&tz, h * HOUR);
                // The same answer at both ends of the hour means no transition inside it:
                // zones change offset at most twice a year, never twice within an hour.
                (a == ask(&tz, h * HOUR + HOUR - 1)).then_some(a)
            })
            .collect();
        Zone {
            tz,
            first_hour: first,
            hours,
        }
    }

    /// How the local time `local_us` maps to UTC.
    pub fn lookup(&self, local_us: i64) -> Local {
        let h = local_us.div_euclid(HOUR) - self.first_hour;
        match usize::try_from(h).ok().and_then(|h| self.hours.get(h)) {
            Some(Some(l)) => *l,
            _ => ask(&self.tz, local_us),
        }
    }

    /// Resolve one local time under `rules`.
    pub fn resolve(&self, local_us: i64, rules: Rules) -> Resolved {
        let pick = |l: Local, at: i64| match l {
            Local::Single(o) => Some(at - o),
            Local::Ambiguous(early, late) => match rules.fold {
                None => None,
                Some(false) => Some(at - early),
                Some(true) => Some(at - late),
            },
            Local::Gap => None,
        };
        let here = self.lookup(local_us);
        if let Some(t) = pick(here, local_us) {
            return Resolved::Utc(t);
        }
        if here == Local::Gap
            && rules.gap_shift_forward
            && let Some(t) = across_gap(&self.tz, local_us)
        {
            return Resolved::Utc(t);
        }
        match here {
            Local::Gap => Resolved::Nonexistent,
            _ => Resolved::Ambiguous,
        }
    }
}

/// The UTC instant (`__u_{c}`) and DST error code (`__dst_{c}`, 0 when fine) of every parsed
/// timestamp column of the ingest's parsed frame, one thread per column: the instant a value
/// carried with its offset (`__o_{c}`, UTC microseconds), else its naive local time
/// (`__n_{c}`) resolved in `tz`. `codes` are the (ambiguous, nonexistent) error codes the
/// caller's reject builder reads.
pub fn localize(
    parsed: &DataFrame,
    cols: &[&str],
    tz: Tz,
    rules: Rules,
    codes: (i32, i32),
) -> Result<Vec<(Column, Column)>> {
    let read = |prefix: &str| -> Result<Vec<Int64Chunked>> {
        cols.iter()
            .map(|c| micros(parsed, &format!("{prefix}{c}")))
            .collect()
    };
    let (naive, offset) = (read("__n_")?, read("__o_")?);
    let (lo, hi) = naive.iter().fold((i64::MAX, i64::MIN), |(lo, hi), ca| {
        (
            lo.min(ca.min().unwrap_or(lo)),
            hi.max(ca.max().unwrap_or(hi)),
        )
    });
    // One layout for every column.
    let zone = Zone::new(tz, lo, hi);
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    std::thread::scope(|s| {
        let handles: Vec<_> = cols
            .iter()
            .zip(naive.iter().zip(&offset))
            .map(|(c, (ca, oa))| {
                let zone = &zone;
                s.spawn(move || {
                    let mut found: Vec<i32> = Vec::with_capacity(ca.len());
                    let instants: Int64Chunked = ca
                        .iter()
                        .zip(oa.iter())
                        .map(|(v, o)| {
                            let r = match o {
                                Some(o) => Some(Resolved::Utc(o)),
                                None => v.map(|v| zone.resolve(v, rules)),
                            };
                            found.push(match r {
                                Some(Resolved::Ambiguous) => codes.0,
                                Some(Resolved::Nonexistent) => codes.1,
                                _ => 0,
                            });
                            match r {
                                Some(Resolved::Utc(t)) => Some(t),
                                _ => None,
                            }
                        })
                        .collect();
                    (c, instants, found)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let (c, instants, found) = h.join().expect("a timestamp worker panicked");
                let u = instants
                    .with_name(format!("__u_{c}").into())
                    .into_column()
                    .cast(&utc)
                    .map_err(Error::polars("UTC timestamps"))?;
                Ok((u, Column::new(format!("__dst_{c}").into(), found)))
            })
            .collect()
    })
}
