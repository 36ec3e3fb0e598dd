//! The SLA engine: calendar math checked against hand-computed values (ServiceNow's own
//! example, weekends, holidays, DST in four zones, odd offsets), algebraic properties, the
//! clock rules, config errors, and attainment end to end against the generator's truth.

use chrono::{DateTime, NaiveDate, TimeZone};
use proptest::prelude::*;
use ticketlake::sla::calendar::Calendar;
use ticketlake::sla::engine::{Interval, TicketView, evaluate};
use ticketlake::sla::policy::Policies;

use crate::support::*;

const H: i64 = 3_600;

/// Policies from a config snippet (calendars and SLAs).
pub fn policies(toml: &str) -> Policies {
    let p = Project::new();
    let cfg = p.write("ticketlake.toml", toml);
    ticketlake::settings::resolve(Some(&cfg), None)
        .unwrap()
        .policies
}

fn calendar(toml: &str, name: &str) -> (Calendar, chrono_tz::Tz) {
    let pol = policies(toml);
    let spec = &pol.calendars[name];
    let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    (
        Calendar::build(spec, d("2023-12-01"), d("2027-12-31")),
        spec.tz,
    )
}

/// An instant from RFC 3339.
fn at(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
}

/// An instant from a local time in a zone.
fn local(tz: chrono_tz::Tz, s: &str) -> i64 {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    tz.from_local_datetime(&n)
        .earliest()
        .unwrap()
        .timestamp_micros()
}

const OFFICE: &str = r#"
[calendars.office]
timezone = "UTC"
hours = { mon = ["08:00-17:00"], tue = ["08:00-17:00"], wed = ["08:00-17:00"], thu = ["08:00-17:00"], fri = ["08:00-17:00"] }
"#;

fn all_day(tz: &str) -> String {
    let day = "[\"00:00-24:00\"]";
    format!(
        "[calendars.c]\ntimezone = \"{tz}\"\nhours = {{ mon = {day}, tue = {day}, wed = {day}, thu = {day}, fri = {day}, sat = {day}, sun = {day} }}\n"
    )
}

#[test]
fn servicenow_documented_example_friday_night_to_monday() {
    let (cal, _) = calendar(OFFICE, "office");
    let (a, b) = (at("2026-10-02T21:00:00Z"), at("2026-10-05T09:30:00Z"));
    assert_eq!(cal.business_seconds(a, b), H + 30 * 60);
    assert_eq!((b - a) / 1_000_000, 60 * H + 30 * 60);
}

#[test]
fn table_of_hand_computed_business_times() {
    let (office, _) = calendar(OFFICE, "office");
    let holiday = format!("{OFFICE}holidays = [\"2026-10-07\", \"2026-10-08 13:00-17:00\"]\n");
    let (hol, _) = calendar(&holiday, "office");
    let split = "[calendars.s]\ntimezone = \"Europe/London\"\nhours = { fri = [\"09:00-13:00\", \"14:00-17:30\"] }\n";
    let (split, london) = calendar(split, "s");
    let cases: Vec<(&str, &Calendar, i64, i64, i64)> = vec![
        (
            "whole working week",
            &office,
            at("2026-10-05T08:00:00Z"),
            at("2026-10-09T17:00:00Z"),
            45 * H,
        ),
        (
            "holiday and half day",
            &hol,
            at("2026-10-05T08:00:00Z"),
            at("2026-10-09T17:00:00Z"),
            45 * H - 9 * H - 4 * H,
        ),
        (
            "starts and ends outside hours",
            &office,
            at("2026-10-05T06:00:00Z"),
            at("2026-10-05T20:00:00Z"),
            9 * H,
        ),
        (
            "weekend only",
            &office,
            at("2026-10-03T00:00:00Z"),
            at("2026-10-05T00:00:00Z"),
            0,
        ),
        (
            "zero length",
            &office,
            at("2026-10-05T10:00:00Z"),
            at("2026-10-05T10:00:00Z"),
            0,
        ),
        (
            "reversed is zero",
            &office,
            at("2026-10-05T12:00:00Z"),
            at("2026-10-05T10:00:00Z"),
            0,
        ),
        (
            "lunch break",
            &split,
            local(london, "2026-10-02 12:00"),
            local(london, "2026-10-02 15:00"),
            2 * H,
        ),
    ];
    for (name, cal, a, b, want) in cases {
        assert_eq!(cal.business_seconds(a, b), want, "{name}");
    }
}

#[test]
fn dst_days_have_their_real_length() {
    let cases = [
        ("America/New_York", "2024-03-10", 23 * H),
        ("America/New_York", "2024-11-03", 25 * H),
        ("Europe/Berlin", "2026-03-29", 23 * H),
        ("Europe/Berlin", "2026-10-25", 25 * H),
        ("Australia/Lord_Howe", "2026-04-05", 24 * H + 30 * 60),
        ("Australia/Lord_Howe", "2026-10-04", 23 * H + 30 * 60),
    ];
    for (zone, day, want) in cases {
        let (cal, tz) = calendar(&all_day(zone), "c");
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let a = local(tz, &format!("{day} 00:00"));
        let b = local(tz, &format!("{} 00:00", d.succ_opt().unwrap()));
        assert_eq!(cal.business_seconds(a, b), want, "{zone} {day}");
    }
    // A window across the spring-forward gap only counts real time: 01:00-04:00 is 2 h.
    let ny =
        "[calendars.n]\ntimezone = \"America/New_York\"\nhours = { sun = [\"01:00-04:00\"] }\n";
    let (cal, tz) = calendar(ny, "n");
    assert_eq!(
        cal.business_seconds(local(tz, "2024-03-10 00:00"), local(tz, "2024-03-10 05:00")),
        2 * H
    );
    assert_eq!(
        cal.business_seconds(local(tz, "2024-11-03 00:00"), local(tz, "2024-11-03 05:00")),
        4 * H
    );
}

#[test]
fn kathmandu_quarter_hour_offset() {
    let k = "[calendars.k]\ntimezone = \"Asia/Kathmandu\"\nhours = { fri = [\"09:00-17:00\"] }\n";
    let (cal, _) = calendar(k, "k");
    // 09:00 +05:45 is 03:15 UTC.
    assert!(cal.in_business_hours(at("2026-06-05T03:15:00Z")));
    assert!(!cal.in_business_hours(at("2026-06-05T03:14:59Z")));
    assert_eq!(
        cal.business_seconds(at("2026-06-05T00:00:00Z"), at("2026-06-05T23:00:00Z")),
        8 * H
    );
    assert_eq!(
        cal.business_add(at("2026-06-04T12:00:00Z"), 0),
        Some(at("2026-06-05T03:15:00Z"))
    );
}

fn london() -> (Calendar, chrono_tz::Tz) {
    let t = r#"
[calendars.london]
timezone = "Europe/London"
hours = { mon = ["09:00-17:30"], tue = ["09:00-17:30"], wed = ["09:00-17:30"], thu = ["09:00-17:30"], fri = ["09:00-13:00", "14:00-17:30"] }
holidays = ["2026-12-25", "2026-12-28"]
"#;
    calendar(t, "london")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn business_time_is_additive_bounded_and_invertible(x in 0i64..63_000_000, y in 0i64..63_000_000, z in 0i64..63_000_000) {
        let (cal, _) = london();
        let base = at("2025-01-01T00:00:00Z");
        let mut v = [x, y, z];
        v.sort_unstable();
        let (a, b, c) = (base + v[0] * 1_000_000, base + v[1] * 1_000_000, base + v[2] * 1_000_000);
        let bs = |p, q| cal.business_micros(p, q);
        prop_assert!(bs(a, b) <= b - a);
        prop_assert_eq!(bs(a, c), bs(a, b) + bs(b, c));
        let landed = cal.business_add(a, bs(a, b)).unwrap();
        if cal.in_business_hours(b) {
            prop_assert_eq!(landed, b);
        } else {
            prop_assert_eq!(landed, cal.business_add(b, 0).unwrap());
            prop_assert!(cal.in_business_hours(landed) && landed > b);
        }
    }

    #[test]
    fn results_do_not_depend_on_the_offset_instants_are_written_in(secs in 0i64..63_000_000, hours in -12i32..14) {
        let (cal, _) = london();
        let a = DateTime::from_timestamp(1_735_689_600 + secs, 0).unwrap();
        let b = a + chrono::Duration::hours(30);
        let off = chrono::FixedOffset::east_opt(hours * 3600).unwrap();
        let (a2, b2) = (DateTime::parse_from_rfc3339(&a.with_timezone(&off).to_rfc3339()).unwrap(), DateTime::parse_from_rfc3339(&b.with_timezone(&off).to_rfc3339()).unwrap());
        prop_assert_eq!(
            cal.business_seconds(a.timestamp_micros(), b.timestamp_micros()),
            cal.business_seconds(a2.timestamp_micros(), b2.timestamp_micros())
        );
    }
}

const POLICY: &str = r#"
[calendars.office]
timezone = "UTC"
hours = { mon = ["08:00-17:00"], tue = ["08:00-17:00"], wed = ["08:00-17:00"], thu = ["08:00-17:00"], fri = ["08:00-17:00"] }

[[sla]]
name = "resolve in 4 business hours"
metric = "resolution"
target = "4h"
calendar = "office"
pause-on = ["on_hold"]

[[sla]]
name = "restart on reopen"
metric = "resolution"
target = "4h"
calendar = "office"
on-reopen = "restart"

[[sla]]
name = "two working days"
metric = "resolution"
target = "2 working days"
calendar = "office"
"#;

fn ticket(status: &str, opened: &str, resolved: Option<&str>) -> TicketView<'static> {
    let status: &'static str = Box::leak(status.to_string().into_boxed_str());
    TicketView {
        kind: "incident",
        priority: Some(3),
        service: None,
        status,
        opened: Some(at(opened)),
        first_response: None,
        resolved: resolved.map(at),
        closed: None,
    }
}

fn iv(status: &'static str, from: &str, to: Option<&str>) -> Interval<'static> {
    Interval {
        status,
        from: at(from),
        to: to.map(at),
        derived: false,
    }
}

#[test]
fn pause_over_a_weekend_stops_the_clock() {
    let pol = policies(POLICY);
    let (cal, tz) = calendar(POLICY, "office");
    let t = ticket(
        "resolved",
        "2026-10-02T16:00:00Z",
        Some("2026-10-05T12:00:00Z"),
    );
    let hist = [
        iv(
            "in_progress",
            "2026-10-02T16:00:00Z",
            Some("2026-10-02T16:30:00Z"),
        ),
        iv(
            "on_hold",
            "2026-10-02T16:30:00Z",
            Some("2026-10-05T10:00:00Z"),
        ),
        iv(
            "in_progress",
            "2026-10-05T10:00:00Z",
            Some("2026-10-05T12:00:00Z"),
        ),
        iv("resolved", "2026-10-05T12:00:00Z", None),
    ];
    let o = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &t,
        &hist,
        at("2026-10-06T00:00:00Z"),
    );
    assert_eq!(o.business_elapsed_s, Some(2 * H + 30 * 60));
    assert_eq!(o.paused_s, Some(2 * H + 30 * 60));
    assert_eq!(o.elapsed_s, Some(68 * H));
    assert_eq!((o.state, o.breached), ("met", Some(false)));
}

#[test]
fn breach_instant_and_in_progress_states() {
    let pol = policies(POLICY);
    let (cal, tz) = calendar(POLICY, "office");
    // Opened Friday 15:00: 2 h on Friday, the other 2 h run out Monday 10:00.
    let t = ticket("in_progress", "2026-10-02T15:00:00Z", None);
    let o = evaluate(&pol.slas[0], &cal, &tz, &t, &[], at("2026-10-05T12:00:00Z"));
    assert_eq!(o.state, "in_progress_breached");
    assert_eq!(o.breach_at, Some(at("2026-10-05T10:00:00Z")));
    assert_eq!(o.business_elapsed_s, Some(6 * H));
    let o = evaluate(&pol.slas[0], &cal, &tz, &t, &[], at("2026-10-05T09:00:00Z"));
    assert_eq!((o.state, o.breach_at), ("in_progress", None));
    let done = ticket(
        "resolved",
        "2026-10-02T15:00:00Z",
        Some("2026-10-05T11:00:00Z"),
    );
    let o = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &done,
        &[],
        at("2026-10-09T00:00:00Z"),
    );
    assert_eq!((o.state, o.breached), ("breached", Some(true)));
    // "2 working days" from Friday 15:00 ends Tuesday 17:00.
    let o = evaluate(
        &pol.slas[2],
        &cal,
        &tz,
        &done,
        &[],
        at("2026-10-09T00:00:00Z"),
    );
    assert_eq!(o.target_s, Some(2 * H + 18 * H));
    assert_eq!(o.state, "met");
}

#[test]
fn reopen_resumes_or_restarts() {
    let pol = policies(POLICY);
    let (cal, tz) = calendar(POLICY, "office");
    let t = ticket(
        "resolved",
        "2026-10-05T08:00:00Z",
        Some("2026-10-06T11:00:00Z"),
    );
    let hist = [
        iv(
            "in_progress",
            "2026-10-05T08:00:00Z",
            Some("2026-10-05T10:00:00Z"),
        ),
        iv(
            "resolved",
            "2026-10-05T10:00:00Z",
            Some("2026-10-06T09:00:00Z"),
        ),
        iv(
            "in_progress",
            "2026-10-06T09:00:00Z",
            Some("2026-10-06T11:00:00Z"),
        ),
        iv("resolved", "2026-10-06T11:00:00Z", None),
    ];
    let resume = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &t,
        &hist,
        at("2026-10-07T00:00:00Z"),
    );
    assert_eq!(
        resume.business_elapsed_s,
        Some(4 * H),
        "2 h before, 2 h after; resolved time paused"
    );
    let restart = evaluate(
        &pol.slas[1],
        &cal,
        &tz,
        &t,
        &hist,
        at("2026-10-07T00:00:00Z"),
    );
    assert_eq!(restart.business_elapsed_s, Some(2 * H));
    assert_eq!(restart.start_at, Some(at("2026-10-06T09:00:00Z")));
}

#[test]
fn cancelled_and_invalid_tickets_never_get_negative_durations() {
    let pol = policies(POLICY);
    let (cal, tz) = calendar(POLICY, "office");
    let o = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &ticket("cancelled", "2026-10-05T08:00:00Z", None),
        &[],
        at("2026-10-07T00:00:00Z"),
    );
    assert_eq!(o.state, "cancelled");
    let o = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &ticket(
            "resolved",
            "2026-10-05T08:00:00Z",
            Some("2026-10-04T08:00:00Z"),
        ),
        &[],
        at("2026-10-07T00:00:00Z"),
    );
    assert_eq!(o.state, "invalid");
    assert!(o.reason.unwrap().contains("before it starts"));
    assert_eq!(o.business_elapsed_s, None);
    let mut none = ticket("new", "2026-10-05T08:00:00Z", None);
    none.opened = None;
    assert_eq!(
        evaluate(&pol.slas[0], &cal, &tz, &none, &[], 0).state,
        "invalid"
    );
}

#[test]
fn calendar_and_policy_errors_name_the_key() {
    let cases = [
        (
            "[calendars.x]\ntimezone = \"UTC\"\nhours = { mon = [\"09:00-12:00\", \"11:00-13:00\"] }\n",
            "calendars.x.hours.mon",
        ),
        (
            "[calendars.x]\ntimezone = \"UTC\"\nhours = { mon = [\"17:00-09:00\"] }\n",
            "calendars.x.hours.mon",
        ),
        (
            "[calendars.x]\ntimezone = \"Mars/Base\"\n",
            "calendars.x.timezone",
        ),
        (
            "[[sla]]\nname = \"a\"\nmetric = \"resolution\"\ntarget = \"4h\"\ncalendar = \"nope\"\n",
            "calendar",
        ),
        (
            "[[sla]]\nname = \"a\"\nmetric = \"resolution\"\ntarget = \"4 parsecs\"\n",
            "target",
        ),
        (
            "[[sla]]\nname = \"a\"\nmetric = \"resolution\"\ntarget = \"4h\"\npause-on = [\"waiting\"]\n",
            "pause-on",
        ),
    ];
    for (toml, key) in cases {
        let p = Project::new();
        p.write("ticketlake.toml", toml);
        let o = p.run(&["dataset", "info"]);
        assert_eq!(o.status.code(), Some(2), "{toml}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("ticketlake.toml") && err.contains(key),
            "{key}: {err}"
        );
    }
}

#[test]
fn ics_holidays_close_days_and_hours() {
    let p = Project::new();
    p.write(
        "uk.ics",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nDTSTART;TZID=Europe/London:20261224T130000\r\nDTEND;TZID=Europe/London:20261224T170000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let cfg = p.write("ticketlake.toml", "[calendars.c]\ntimezone = \"Europe/London\"\nholidays-file = \"uk.ics\"\nhours = { thu = [\"09:00-17:00\"], fri = [\"09:00-17:00\"] }\n");
    let pol = ticketlake::settings::resolve(Some(&cfg), None)
        .unwrap()
        .policies;
    let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let cal = Calendar::build(&pol.calendars["c"], d("2026-12-01"), d("2027-01-31"));
    // Thu 24th: open 09-13 only; Fri 25th closed.
    assert_eq!(
        cal.business_seconds(at("2026-12-24T00:00:00Z"), at("2026-12-26T00:00:00Z")),
        4 * H
    );
}

#[test]
fn build_commits_the_sla_table_and_attainment_matches_the_generators_truth() {
    let p = Project::new();
    let out = p.generate("gen", "servicenow-csv", 6000, 41);
    p.write("ticketlake.toml", per_priority_slas());
    let (code, v, err) = p.ingest(&["--source", "servicenow", "gen/incident.csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["build"]["version"], 2);
    let sla = p.table("sla");
    let states = strings(&sla, "state");
    let met = states
        .iter()
        .filter(|s| s.as_deref() == Some("met"))
        .count() as f64;
    let breached = states
        .iter()
        .filter(|s| s.as_deref() == Some("breached"))
        .count() as f64;
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    let want = truth["resolution_breach_rate"].as_f64().unwrap();
    let got = breached / (met + breached);
    assert!(
        (got - want).abs() < 0.005,
        "breach rate {got:.4}, truth {want:.4}"
    );
    // Rebuilding with the same inputs gives the same table.
    let o = p.run(&["build", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(p.table("sla").equals_missing(&sla));
    assert!(p.run(&["build", "--as-of", "yesterday"]).status.code() == Some(2));
}

#[test]
fn sla_check_agrees_with_the_vendor_and_lists_disagreements() {
    let p = Project::new();
    p.generate("gen", "servicenow-eventlog", 3000, 43);
    p.write("ticketlake.toml", per_priority_slas());
    let (code, _, err) = p.ingest(&["--source", "servicenow", "gen/incident_event_log.csv"]);
    assert_eq!(code, 0, "{err}");
    let o = p.run(&["sla-check", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["compared"].as_u64().unwrap() > 1000);
    // The export has minute resolution, so a ticket resolved within a minute of its target
    // may differ; nothing else may.
    assert!(v["agreement_rate"].as_f64().unwrap() > 0.99, "{v}");

    let q = Project::new();
    q.write("ticketlake.toml", per_priority_slas());
    q.write(
        "ev.csv",
        "number,incident_state,sys_mod_count,made_sla,opened_at,sys_updated_at,priority,resolved_at\n\
         INC1,New,0,false,01/10/2026 09:00,01/10/2026 09:00,1 - Critical,?\n\
         INC1,Resolved,1,false,01/10/2026 09:00,01/10/2026 10:00,1 - Critical,01/10/2026 10:00\n",
    );
    assert_eq!(q.ingest(&["--source", "servicenow", "ev.csv"]).0, 0);
    let o = q.run(&["sla-check"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("compared 1 tickets")
            && text.contains("INC1: vendor false | ticketlake P1=met"),
        "{text}"
    );
}

#[test]
fn dataset_info_says_when_the_derived_tables_are_stale() {
    let p = Project::new();
    p.write("ticketlake.toml", per_priority_slas());
    let a = p.write(
        "a.csv",
        list_csv(&["INC1,t,1 - Critical,New,2026-07-01 10:00:00,,2026-07-01 10:00:00"]),
    );
    let b = p.write(
        "b.csv",
        list_csv(&["INC2,t,1 - Critical,New,2026-07-01 10:00:00,,2026-07-01 10:00:00"]),
    );
    assert_eq!(
        p.ingest(&["--source", "servicenow", a.to_str().unwrap()]).0,
        0
    );
    let info: serde_json::Value =
        serde_json::from_slice(&p.run(&["dataset", "info", "--json"]).stdout).unwrap();
    assert_eq!(
        (info["version"].as_u64(), info["build"]["version"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        p.ingest(&["--no-build", "--source", "servicenow", b.to_str().unwrap()])
            .0,
        0
    );
    let text = String::from_utf8(p.run(&["dataset", "info"]).stdout).unwrap();
    assert!(
        text.contains("built at version 2") && text.contains("run `ticketlake build`"),
        "{text}"
    );
}

#[test]
fn response_clock_stops_at_first_response_or_the_first_move_out_of_new() {
    let pol = policies(
        "[[sla]]\nname = \"respond in 1h\"\nmetric = \"response\"\ntarget = \"1h\"\n\
         [[sla]]\nname = \"resolve in 1h\"\nmetric = \"resolution\"\ntarget = \"1h\"\n",
    );
    let cal = Calendar::always("24x7");
    let tz = chrono_tz::UTC;
    let mut t = ticket(
        "resolved",
        "2026-10-05T08:00:00Z",
        Some("2026-10-05T12:00:00Z"),
    );
    let hist = [
        iv("new", "2026-10-05T08:00:00Z", Some("2026-10-05T08:30:00Z")),
        iv(
            "in_progress",
            "2026-10-05T08:30:00Z",
            Some("2026-10-05T12:00:00Z"),
        ),
        iv("resolved", "2026-10-05T12:00:00Z", None),
    ];
    let o = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &t,
        &hist,
        at("2026-10-06T00:00:00Z"),
    );
    assert_eq!(
        (o.stop_at, o.business_elapsed_s, o.state),
        (Some(at("2026-10-05T08:30:00Z")), Some(1800), "met")
    );
    t.first_response = Some(at("2026-10-05T09:15:00Z"));
    let o = evaluate(
        &pol.slas[0],
        &cal,
        &tz,
        &t,
        &hist,
        at("2026-10-06T00:00:00Z"),
    );
    assert_eq!((o.business_elapsed_s, o.state), (Some(4500), "breached"));
    assert_eq!(o.breach_at, Some(at("2026-10-05T09:00:00Z")));
    let o = evaluate(
        &pol.slas[1],
        &cal,
        &tz,
        &t,
        &hist,
        at("2026-10-06T00:00:00Z"),
    );
    assert_eq!((o.elapsed_s, o.state), (Some(4 * H), "breached"));
}
