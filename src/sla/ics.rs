//! Closures from an iCalendar file (RFC 5545 VEVENTs): all-day events close whole dates,
//! timed events close hours on their date. Only what holiday calendars use is read:
//! DTSTART/DTEND as DATE, floating or UTC DATE-TIME, or DATE-TIME with a TZID.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// One closure: a date, and the closed range (`None` = all day; end `None` = midnight).
pub type Closure = (NaiveDate, Option<(NaiveTime, Option<NaiveTime>)>);

#[derive(Clone, Copy)]
enum Value {
    Date(NaiveDate),
    Local(NaiveDateTime),
}

fn parse_value(params: &str, value: &str, tz: &Tz) -> Option<Value> {
    if params.contains("VALUE=DATE") && !params.contains("DATE-TIME") {
        return NaiveDate::parse_from_str(value, "%Y%m%d")
            .ok()
            .map(Value::Date);
    }
    if let Some(v) = value.strip_suffix('Z') {
        let utc = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()?;
        return Some(Value::Local(tz.from_utc_datetime(&utc).naive_local()));
    }
    let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()?;
    if let Some(zone) = params.split(';').find_map(|p| p.strip_prefix("TZID=")) {
        let src: Tz = zone.trim_matches('"').parse().ok()?;
        let instant = src.from_local_datetime(&local).earliest()?;
        return Some(Value::Local(instant.with_timezone(tz).naive_local()));
    }
    Some(Value::Local(local))
}

/// Read the closures; errors carry the 1-based line.
pub fn closures(text: &str, tz: &Tz) -> Result<Vec<Closure>, (u64, String)> {
    // Unfold continuation lines (RFC 5545 3.1), remembering where each logical line began.
    let mut lines: Vec<(u64, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        match (
            raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')),
            lines.last_mut(),
        ) {
            (Some(cont), Some(last)) => last.1.push_str(cont),
            _ => lines.push((i as u64 + 1, raw.to_string())),
        }
    }
    let mut out = Vec::new();
    let (mut start, mut end, mut begin_line) = (None, None, 0u64);
    for (line, l) in &lines {
        let (head, value) = l.split_once(':').unwrap_or((l.as_str(), ""));
        let (name, params) = head.split_once(';').unwrap_or((head, ""));
        match name.to_ascii_uppercase().as_str() {
            "BEGIN" if value == "VEVENT" => {
                (start, end, begin_line) = (None, None, *line);
            }
            "DTSTART" => {
                start = Some(
                    parse_value(params, value.trim(), tz)
                        .ok_or((*line, format!("unreadable DTSTART `{value}`")))?,
                )
            }
            "DTEND" => {
                end = Some(
                    parse_value(params, value.trim(), tz)
                        .ok_or((*line, format!("unreadable DTEND `{value}`")))?,
                )
            }
            "END" if value == "VEVENT" => match (start, end) {
                (Some(Value::Date(s)), e) => {
                    let e = match e {
                        Some(Value::Date(e)) => e,
                        _ => s + Duration::days(1),
                    };
                    let mut d = s;
                    while d < e {
                        out.push((d, None));
                        d += Duration::days(1);
                    }
                }
                (Some(Value::Local(s)), Some(Value::Local(e))) if e > s => {
                    let mut day = s.date();
                    while day <= e.date() {
                        let from = if day == s.date() {
                            s.time()
                        } else {
                            NaiveTime::MIN
                        };
                        let to = if day == e.date() {
                            Some(e.time())
                        } else {
                            None
                        };
                        if to.is_none_or(|t| t > from) {
                            out.push((day, Some((from, to))));
                        }
                        day += Duration::days(1);
                    }
                }
                _ => {
                    return Err((
                        begin_line,
                        "VEVENT needs DTSTART and, for timed events, a later DTEND".into(),
                    ));
                }
            },
            _ => {}
        }
    }
    Ok(out)
}
