//! Time: reporting periods, the as-of instant, time-zone names and the one RFC 3339
//! formatter. Every instant is µs since the epoch in UTC (the dataset's
//! `Timestamp(Microsecond, "UTC")`); zones matter only where local time is read or laid out.
//!
//! Periods are half-open, `[start, end)`, in UTC, so consecutive months neither overlap nor
//! leave a gap, and a ticket resolved at exactly midnight belongs to the month that starts
//! then.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

/// An instant (µs, UTC) as RFC 3339: whole seconds when the instant has no fraction, else
/// as many fractional digits as it needs. Every printed instant goes through here.
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// Now, to the second, as RFC 3339 (commit and generation stamps).
pub fn now_rfc3339() -> String {
    let now = chrono::Utc::now().timestamp();
    rfc3339(now * 1_000_000)
}

/// Parse an as-of instant: RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` taken as UTC. The error
/// says what was expected, for the caller to prefix with the flag or key it came from.
pub fn parse_instant(s: &str) -> std::result::Result<i64, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(micros(d));
    }
    Err(format!(
        "`{s}`: expected RFC 3339 (2026-10-31T23:59:59Z) or YYYY-MM-DD [HH:MM[:SS]] in UTC"
    ))
}

/// Parse `--as-of` (see [`parse_instant`]).
pub fn parse_as_of(s: &str) -> Result<i64> {
    parse_instant(s).map_err(|m| Error::Usage(format!("--as-of {m}")))
}

/// Parse an IANA time-zone name, with a message that says what is accepted.
pub fn parse_tz(name: &str) -> std::result::Result<chrono_tz::Tz, String> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        format!("`{name}` is not an IANA time zone; use a name such as Europe/London or UTC")
    })
}

/// A reporting period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    /// What the user typed, or the month chosen by default.
    pub label: String,
    /// Inclusive start, µs since the epoch (UTC).
    pub start: i64,
    /// Exclusive end, µs since the epoch (UTC).
    pub end: i64,
}

/// Midnight UTC of `d`, µs since the epoch.
pub fn micros(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_micros()
}

fn month_start(y: i32, m: u32) -> Option<NaiveDate> {
    let (y, m) = if m > 12 { (y + 1, m - 12) } else { (y, m) };
    NaiveDate::from_ymd_opt(y, m, 1)
}

impl Period {
    /// Parse `--period`: [`Period::parse_str`] with the flag named in the error.
    pub fn parse(s: &str) -> Result<Period> {
        Period::parse_str(s).map_err(|m| Error::Usage(format!("--period {m}")))
    }

    /// Parse `YYYY-MM`, `YYYY-Qn`, `YYYY` or `FROM..TO` (dates, `TO` exclusive); the error
    /// says what was expected, for the caller to prefix with the flag or key it came from.
    pub fn parse_str(s: &str) -> std::result::Result<Period, String> {
        let bad = || {
            format!(
                "`{s}`: expected YYYY-MM (2026-10), YYYY-Qn (2026-Q4), YYYY (2026) \
                 or FROM..TO dates with TO exclusive (2026-10-01..2026-11-01)"
            )
        };
        let t = s.trim();
        let (a, b) = if let Some((from, to)) = t.split_once("..") {
            let p = |x: &str| NaiveDate::parse_from_str(x.trim(), "%Y-%m-%d").map_err(|_| bad());
            (p(from)?, p(to)?)
        } else if let Some((y, q)) = t.split_once("-Q").or_else(|| t.split_once("-q")) {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let q: u32 = q
                .parse()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or_else(bad)?;
            (
                month_start(y, 3 * q - 2).ok_or_else(bad)?,
                month_start(y, 3 * q + 1).ok_or_else(bad)?,
            )
        } else if let Some((y, m)) = t.split_once('-') {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let m: u32 = m
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            (
                month_start(y, m).ok_or_else(bad)?,
                month_start(y, m + 1).ok_or_else(bad)?,
            )
        } else {
            let y: i32 = t.parse().map_err(|_| bad())?;
            (
                month_start(y, 1).ok_or_else(bad)?,
                month_start(y + 1, 1).ok_or_else(bad)?,
            )
        };
        if b <= a {
            return Err(format!("`{s}`: the end must be after the start"));
        }
        Ok(Period {
            label: t.to_string(),
            start: micros(a),
            end: micros(b),
        })
    }

    /// The last month that ended at or before `as_of` (µs, UTC).
    pub fn last_complete_month(as_of: i64) -> Period {
        let d = chrono::DateTime::from_timestamp_micros(as_of)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let (y, m) = if d.month() == 1 {
            (d.year() - 1, 12)
        } else {
            (d.year(), d.month() - 1)
        };
        Period::parse(&format!("{y:04}-{m:02}")).expect("a valid month")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_whole_seconds_unless_fractional() {
        let t = parse_instant("2026-10-31T23:59:59Z").unwrap();
        assert_eq!(rfc3339(t), "2026-10-31T23:59:59Z");
        assert_eq!(rfc3339(t + 1), "2026-10-31T23:59:59.000001Z");
        assert_eq!(
            parse_instant("2026-10-31").unwrap(),
            parse_instant("2026-10-31T00:00:00Z").unwrap()
        );
        assert!(
            parse_instant("31/10/2026")
                .unwrap_err()
                .contains("RFC 3339")
        );
    }

    #[test]
    fn periods_are_half_open_in_utc() {
        let p = Period::parse("2026-12").unwrap();
        assert_eq!(
            p.start,
            micros(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        assert_eq!(p.end, micros(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(
            (q.start, q.end),
            (micros(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()), p.end)
        );
        assert_eq!(Period::parse("2026").unwrap().end, p.end);
        let r = Period::parse("2026-10-01..2026-10-08").unwrap();
        assert_eq!(r.end - r.start, 7 * 86_400_000_000);
        for bad in ["2026-13", "2026-Q5", "oct", "2026-10-08..2026-10-01", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        let jan = micros(NaiveDate::from_ymd_opt(2027, 1, 15).unwrap());
        assert_eq!(Period::last_complete_month(jan).label, "2026-12");
    }
}
