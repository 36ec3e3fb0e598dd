//! Business-hours calendars: a time zone, weekly opening hours (several ranges a day) and
//! holidays (whole days or closed hours). Each day's windows are laid out in local time and
//! converted to UTC, so 23- and 25-hour DST days come out right; the windows of the whole
//! span are kept in one sorted list with cumulative business seconds, so
//! [`Calendar::business_seconds`] and [`Calendar::business_add`] are two binary searches.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Closed ranges on one date: `None` closes the whole day.
pub type Closure = Option<Vec<(NaiveTime, NaiveTime)>>;

/// What a calendar is made of, before it is laid out.
#[derive(Debug, Clone)]
pub struct CalendarSpec {
    /// Name used in policies and SQL.
    pub name: String,
    /// Local time zone of the hours.
    pub tz: Tz,
    /// Opening ranges per weekday, Monday first; ranges are [start, end) in local time and an
    /// end of 24:00 is written as `None`.
    pub week: [Vec<(NaiveTime, Option<NaiveTime>)>; 7],
    /// Closures by date.
    pub holidays: BTreeMap<NaiveDate, Closure>,
}

/// A laid-out calendar over a span of dates. Instants are microseconds since the epoch, UTC.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The calendar's name.
    pub name: String,
    /// Open all the time: every formula is plain subtraction.
    always: bool,
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// Business microseconds before each window.
    cum: Vec<i64>,
    /// For working-day targets: the last window end of each working day, by local date.
    day_ends: Vec<(NaiveDate, i64)>,
}

const US: i64 = 1_000_000;

/// Resolve a local time to UTC microseconds. A time in a DST gap moves forward by the gap
/// (as a wall clock would); an ambiguous one takes the earlier instant.
fn to_utc(tz: &Tz, local: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp_micros(),
        LocalResult::Ambiguous(a, _) => a.timestamp_micros(),
        LocalResult::None => {
            let mut probe = local;
            for _ in 0..12 {
                probe += Duration::minutes(15);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.timestamp_micros();
                }
            }
            tz.from_utc_datetime(&local).timestamp_micros()
        }
    }
}

/// Subtract closed ranges from open ranges (all local times of one day, end `None` = 24:00).
fn subtract(
    open: &[(NaiveTime, Option<NaiveTime>)],
    closed: &[(NaiveTime, NaiveTime)],
) -> Vec<(NaiveTime, Option<NaiveTime>)> {
    let mut out: Vec<(NaiveTime, Option<NaiveTime>)> = open.to_vec();
    for &(cs, ce) in closed {
        let mut next = Vec::new();
        for &(s, e) in &out {
            let before_end = |t: NaiveTime| e.is_none_or(|e| t < e);
            if !before_end(cs) || ce <= s {
                next.push((s, e));
                continue;
            }
            if cs > s {
                next.push((s, Some(cs)));
            }
            if before_end(ce) {
                next.push((ce.max(s), e));
            }
        }
        out = next;
    }
    out
}

impl Calendar {
    /// The built-in calendar that is always open.
    pub fn always(name: &str) -> Calendar {
        Calendar {
            name: name.into(),
            always: true,
            starts: vec![],
            ends: vec![],
            cum: vec![],
            day_ends: vec![],
        }
    }

    /// Lay out `spec` for the local dates `from..=to`.
    pub fn build(spec: &CalendarSpec, from: NaiveDate, to: NaiveDate) -> Calendar {
        let (mut starts, mut ends, mut cum, mut day_ends) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut total = 0i64;
        let mut day = from;
        while day <= to {
            let open = &spec.week[day.weekday().num_days_from_monday() as usize];
            let ranges = match spec.holidays.get(&day) {
                Some(None) => Vec::new(),
                Some(Some(closed)) => subtract(open, closed),
                None => open.clone(),
            };
            let mut last_end = None;
            for (s, e) in ranges {
                let s_utc = to_utc(&spec.tz, day.and_time(s));
                let e_utc = match e {
                    Some(e) => to_utc(&spec.tz, day.and_time(e)),
                    None => to_utc(&spec.tz, (day + Duration::days(1)).and_time(NaiveTime::MIN)),
                };
                if e_utc <= s_utc {
                    continue;
                }
                // Ranges of one day are sorted and disjoint (validated), and consecutive days
                // cannot overlap, but a midnight-to-midnight day may touch the next: merge.
                if ends.last() == Some(&s_utc) {
                    *ends.last_mut().expect("non-empty") = e_utc;
                } else {
                    starts.push(s_utc);
                    ends.push(e_utc);
                    cum.push(total);
                }
                total += e_utc - s_utc;
                last_end = Some(e_utc);
            }
            if let Some(e) = last_end {
                day_ends.push((day, e));
            }
            day = day.succ_opt().expect("date in range");
        }
        Calendar {
            name: spec.name.clone(),
            always: false,
            starts,
            ends,
            cum,
            day_ends,
        }
    }

    /// Business microseconds from the start of the span up to `t`.
    fn position(&self, t: i64) -> i64 {
        // The last window starting at or before t.
        let i = self.starts.partition_point(|&s| s <= t);
        if i == 0 {
            return 0;
        }
        let w = i - 1;
        self.cum[w] + (t.min(self.ends[w]) - self.starts[w])
    }

    /// Business microseconds in [a, b); zero when b <= a.
    pub fn business_micros(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        if self.always {
            return b - a;
        }
        self.position(b) - self.position(a)
    }

    /// Business seconds in [a, b) (microsecond instants), rounded down.
    pub fn business_seconds(&self, a: i64, b: i64) -> i64 {
        self.business_micros(a, b) / US
    }

    /// The first instant at or after `a` when `micros` of business time have passed; with
    /// `micros == 0` that is the next business instant. `None` past the laid-out span.
    pub fn business_add(&self, a: i64, micros: i64) -> Option<i64> {
        if self.always {
            return Some(a + micros.max(0));
        }
        let target = self.position(a) + micros.max(0);
        // The first window whose business time reaches past `target` (half-open windows: an
        // instant exactly at a window's end is not a business instant).
        let w = self.cum.partition_point(|&c| c <= target);
        let w = w.checked_sub(1)?;
        let within = target - self.cum[w];
        let len = self.ends[w] - self.starts[w];
        if within < len {
            Some(self.starts[w] + within)
        } else {
            self.starts.get(w + 1).copied()
        }
    }

    /// Whether `t` is inside business hours.
    pub fn in_business_hours(&self, t: i64) -> bool {
        if self.always {
            return true;
        }
        let i = self.starts.partition_point(|&s| s <= t);
        i > 0 && t < self.ends[i - 1]
    }

    /// The end of the `n`th working day after the local date of `start` (GLPI's "N working
    /// days"): the last closing time of that day. `None` past the span.
    pub fn working_days_deadline(&self, start: i64, n: u32, tz: &Tz) -> Option<i64> {
        let date = tz.timestamp_micros(start).single()?.date_naive();
        if self.always {
            let d = date + Duration::days(i64::from(n) + 1);
            return Some(to_utc(tz, d.and_time(NaiveTime::MIN)));
        }
        let i = self.day_ends.partition_point(|(d, _)| *d <= date);
        self.day_ends
            .get(i + n.max(1) as usize - 1)
            .map(|(_, e)| *e)
    }
}
