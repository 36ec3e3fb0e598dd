//! SLA policies and calendars as the config declares them (`[calendars.NAME]`, `[[sla]]`),
//! validated once into [`Policies`]: every error names its key and says what to do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use super::calendar::{CalendarSpec, Closure};
use crate::dataset::schema::{KINDS, STATUSES};
use crate::error::{Error, Result};
use crate::time::parse_tz;

/// `[calendars.NAME]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CalendarConfig {
    /// IANA time zone.
    pub timezone: String,
    /// Opening ranges per weekday key (`mon`..`sun`), e.g. `["09:00-17:30"]`.
    #[serde(default)]
    pub hours: BTreeMap<String, Vec<String>>,
    /// `"YYYY-MM-DD"` (closed all day) or `"YYYY-MM-DD HH:MM-HH:MM"` (closed for those hours).
    #[serde(default)]
    pub holidays: Vec<String>,
    /// An iCalendar file of closures (all-day or timed VEVENTs), relative to the config.
    pub holidays_file: Option<PathBuf>,
}

/// `when = { ... }` of an SLA.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Kinds the SLA applies to (all if empty).
    #[serde(default)]
    pub kind: Vec<String>,
    /// Priorities (all if empty).
    #[serde(default)]
    pub priority: Vec<i32>,
    /// Services (all if empty).
    #[serde(default)]
    pub service: Vec<String>,
}

/// `[[sla]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SlaConfig {
    /// Name shown in reports.
    pub name: String,
    /// `response` or `resolution`.
    pub metric: Metric,
    /// `"4h"`, `"30m"`, `"2h30m"` of business time, or `"3 working days"`.
    pub target: String,
    /// A `[calendars.NAME]` or the built-in `24x7`.
    #[serde(default = "default_calendar")]
    pub calendar: String,
    /// Which tickets it applies to.
    #[serde(default)]
    pub when: When,
    /// Canonical statuses that stop the clock.
    #[serde(default)]
    pub pause_on: Vec<String>,
    /// What a reopen does to the clock.
    #[serde(default)]
    pub on_reopen: OnReopen,
    /// A resolution clock of a ticket resolved or closed without a `resolved_at` stops at
    /// its `closed_at`. Off by default: such a clock is `invalid` (left out of attainment
    /// and counted), because `closed_at` is usually an automatic close days later.
    #[serde(default)]
    pub stop_at_close: bool,
}

fn default_calendar() -> String {
    "24x7".into()
}

/// Which clock an SLA measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Opened to first response.
    Response,
    /// Opened to resolved.
    Resolution,
}

impl Metric {
    /// The name stored in the `sla` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Response => "response",
            Metric::Resolution => "resolution",
        }
    }
}

/// What a reopen does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnReopen {
    /// Keep counting from where the clock stopped (the time spent resolved is paused).
    #[default]
    Resume,
    /// Start again at the reopen.
    Restart,
}

/// A target: business time, or the end of the Nth working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Business seconds.
    Seconds(i64),
    /// End of the Nth working day after the start.
    WorkingDays(u32),
}

/// A validated SLA.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The config as written.
    pub config: SlaConfig,
    /// Parsed target.
    pub target: Target,
}

/// Everything the SLA engine needs from the config.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// Calendars by name (without the built-in `24x7`).
    pub calendars: BTreeMap<String, CalendarSpec>,
    /// SLAs in config order.
    pub slas: Vec<Policy>,
}

/// Parse `"4h"`, `"30m"`, `"2h30m"`, `"90s"`, `"1d"` (24 h) or `"3 working days"`.
pub fn parse_target(s: &str) -> std::result::Result<Target, String> {
    let t = s.trim().to_ascii_lowercase();
    if let Some(n) = t
        .strip_suffix("working days")
        .or_else(|| t.strip_suffix("working day"))
    {
        return n
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| n > 0)
            .map(Target::WorkingDays)
            .ok_or_else(|| format!("`{s}`: expected e.g. \"3 working days\""));
    }
    let (mut total, mut num) = (0i64, String::new());
    for c in t.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => {
                return Err(format!(
                    "`{s}`: unknown unit `{c}`; use d, h, m, s or \"N working days\""
                ));
            }
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{s}`: a number must come before `{c}`"))?;
        total += n * unit;
        num.clear();
    }
    if !num.is_empty() || total <= 0 {
        return Err(format!(
            "`{s}`: expected a duration such as \"4h\", \"30m\" or \"2h30m\""
        ));
    }
    Ok(Target::Seconds(total))
}

fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// Parse `"09:00-17:30"`; an end of `24:00` means midnight.
fn parse_range(s: &str) -> std::result::Result<(NaiveTime, Option<NaiveTime>), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}`: expected \"HH:MM-HH:MM\""))?;
    let start = parse_hhmm(a).ok_or_else(|| format!("`{s}`: bad start time"))?;
    let end = if b.trim() == "24:00" {
        None
    } else {
        Some(parse_hhmm(b).ok_or_else(|| format!("`{s}`: bad end time"))?)
    };
    if end.is_some_and(|e| e <= start) {
        return Err(format!("`{s}`: the range ends before it starts"));
    }
    Ok((start, end))
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn err(path: &Path, key: String, message: String) -> Error {
    Error::Config {
        path: path.into(),
        key,
        message,
    }
}

/// Build a calendar spec from its config; `base` resolves `holidays-file`.
pub fn calendar_spec(
    name: &str,
    c: &CalendarConfig,
    path: &Path,
    base: &Path,
) -> Result<CalendarSpec> {
    let key = |k: &str| format!("calendars.{name}.{k}");
    let tz = parse_tz(&c.timezone).map_err(|m| err(path, key("timezone"), m))?;
    let mut week: [Vec<(NaiveTime, Option<NaiveTime>)>; 7] = Default::default();
    for (day, ranges) in &c.hours {
        let i = DAYS.iter().position(|d| d == day).ok_or_else(|| {
            err(
                path,
                key(&format!("hours.{day}")),
                format!("unknown day; use {}", DAYS.join(", ")),
            )
        })?;
        let mut parsed = ranges
            .iter()
            .map(|r| parse_range(r))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|m| err(path, key(&format!("hours.{day}")), m))?;
        parsed.sort();
        for w in parsed.windows(2) {
            if w[0].1.is_none_or(|e| e > w[1].0) {
                return Err(err(path, key(&format!("hours.{day}")), "ranges overlap; list disjoint ranges such as [\"09:00-13:00\", \"14:00-17:30\"]".into()));
            }
        }
        week[i] = parsed;
    }
    let mut holidays: BTreeMap<NaiveDate, Closure> = BTreeMap::new();
    for h in &c.holidays {
        let (date, hours) = h
            .trim()
            .split_once(' ')
            .map(|(d, r)| (d, Some(r)))
            .unwrap_or((h.trim(), None));
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            err(
                path,
                key("holidays"),
                format!("`{h}`: expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM-HH:MM\""),
            )
        })?;
        add_closure(
            &mut holidays,
            d,
            hours
                .map(parse_range)
                .transpose()
                .map_err(|m| err(path, key("holidays"), m))?,
        );
    }
    if let Some(file) = &c.holidays_file {
        let file = base.join(file);
        let text =
            std::fs::read_to_string(&file).map_err(Error::io("reading holidays file", &file))?;
        for (d, range) in super::ics::closures(&text, &tz).map_err(|(line, m)| Error::Input {
            path: file.clone(),
            line: Some(line),
            message: m,
        })? {
            add_closure(&mut holidays, d, range);
        }
    }
    Ok(CalendarSpec {
        name: name.into(),
        tz,
        week,
        holidays,
    })
}

fn add_closure(
    h: &mut BTreeMap<NaiveDate, Closure>,
    d: NaiveDate,
    range: Option<(NaiveTime, Option<NaiveTime>)>,
) {
    match range {
        None => {
            h.insert(d, None);
        }
        Some((s, None)) if s == NaiveTime::MIN => {
            h.insert(d, None);
        }
        Some((s, e)) => {
            // A closure to midnight ends at the day's last representable instant.
            let e =
                e.unwrap_or(NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).expect("valid"));
            if let Some(v) = h.entry(d).or_insert_with(|| Some(Vec::new())) {
                v.push((s, e));
            }
        }
    }
}

/// Validate the `[[sla]]` entries against the calendars.
pub fn policies(
    slas: &[SlaConfig],
    calendars: BTreeMap<String, CalendarSpec>,
    path: &Path,
) -> Result<Policies> {
    let mut out = Vec::new();
    for (i, s) in slas.iter().enumerate() {
        let key = |k: &str| format!("sla[{i}] ({}).{k}", s.name);
        let target = parse_target(&s.target).map_err(|m| err(path, key("target"), m))?;
        if s.calendar != "24x7" && !calendars.contains_key(&s.calendar) {
            let known: Vec<&str> = std::iter::once("24x7")
                .chain(calendars.keys().map(String::as_str))
                .collect();
            return Err(err(
                path,
                key("calendar"),
                format!(
                    "no calendar `{}`; defined: {}",
                    s.calendar,
                    known.join(", ")
                ),
            ));
        }
        for st in &s.pause_on {
            if !STATUSES.contains(&st.as_str()) {
                return Err(err(
                    path,
                    key("pause-on"),
                    format!("`{st}` is not a canonical status ({})", STATUSES.join(", ")),
                ));
            }
        }
        for k in &s.when.kind {
            if !KINDS.contains(&k.as_str()) {
                return Err(err(
                    path,
                    key("when.kind"),
                    format!("`{k}` is not one of {}", KINDS.join(", ")),
                ));
            }
        }
        if out.iter().any(|p: &Policy| p.config.name == s.name) {
            return Err(err(
                path,
                key("name"),
                "two SLAs have this name; names must be unique".into(),
            ));
        }
        out.push(Policy {
            config: s.clone(),
            target,
        });
    }
    Ok(Policies {
        calendars,
        slas: out,
    })
}
