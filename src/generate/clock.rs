//! Fast UTC → local-time text for the generator, which writes tens of millions of
//! timestamps: the zone's offset transitions over the span are found once, after which each
//! conversion is a binary search and the text is written digit by digit.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A zone's offsets over a span of time.
pub struct LocalClock {
    /// (first UTC second, offset seconds), sorted.
    spans: Vec<(i64, i64)>,
    /// Backward transitions: (UTC second, seconds repeated).
    folds: Vec<(i64, i64)>,
}

/// The two text layouts the exports use.
#[derive(Clone, Copy)]
pub enum Layout {
    /// `2026-10-31 23:59:59` (list exports, Table API).
    Iso,
    /// `31/10/2026 23:59` (the event log).
    DayFirst,
}

fn offset_at(tz: &Tz, utc: i64) -> i64 {
    let t = DateTime::from_timestamp(utc, 0).expect("in range");
    i64::from(
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

impl LocalClock {
    /// Scan `tz` hour by hour between two UTC instants.
    pub fn new(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> LocalClock {
        let (mut spans, mut folds) = (Vec::new(), Vec::new());
        let mut t = from.timestamp() - 86_400;
        let end = to.timestamp() + 86_400 * 400;
        let mut prev = offset_at(&tz, t);
        spans.push((i64::MIN, prev));
        while t < end {
            let next = offset_at(&tz, t + 900);
            if next != prev {
                let at = t + 900;
                spans.push((at, next));
                if next < prev {
                    folds.push((at, prev - next));
                }
                prev = next;
            }
            t += 900;
        }
        LocalClock { spans, folds }
    }

    /// Local seconds since the epoch for a UTC second, nudged out of DST folds so every
    /// local time written is unambiguous.
    pub fn local(&self, utc: i64) -> i64 {
        let i = self.spans.partition_point(|(s, _)| *s <= utc) - 1;
        let mut local = utc + self.spans[i].1;
        for &(at, d) in &self.folds {
            if utc >= at - d && utc < at + d {
                local += d;
            }
        }
        local
    }

    /// Append the local text of a UTC instant.
    pub fn write(&self, out: &mut String, t: DateTime<Utc>, layout: Layout) {
        let secs = self.local(t.timestamp());
        let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (sod / 3600, sod / 60 % 60, sod % 60);
        let two = |out: &mut String, v: i64| {
            out.push((b'0' + (v / 10) as u8) as char);
            out.push((b'0' + (v % 10) as u8) as char);
        };
        let year = |out: &mut String, v: i64| {
            two(out, v / 100);
            two(out, v % 100);
        };
        match layout {
            Layout::Iso => {
                year(out, y);
                out.push('-');
                two(out, m);
                out.push('-');
                two(out, d);
                out.push(' ');
                two(out, hh);
                out.push(':');
                two(out, mm);
                out.push(':');
                two(out, ss);
            }
            Layout::DayFirst => {
                two(out, d);
                out.push('/');
                two(out, m);
                out.push('/');
                year(out, y);
                out.push(' ');
                two(out, hh);
                out.push(':');
                two(out, mm);
            }
        }
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_chrono_tz_across_dst_changes() {
        let tz = chrono_tz::Europe::London;
        let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let clock = LocalClock::new(
            tz,
            from,
            Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap(),
        );
        let mut t = from;
        while t < Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap() {
            let mut s = String::new();
            clock.write(&mut s, t, Layout::Iso);
            let want = crate::generate::model::local(t, tz, "%Y-%m-%d %H:%M:%S");
            assert_eq!(s, want, "{t}");
            t += chrono::Duration::seconds(7919);
        }
    }
}
