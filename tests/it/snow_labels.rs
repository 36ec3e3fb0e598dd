//! ServiceNow list exports saved with display labels (issue 17, item 5): label headers in any
//! case, the exporting user's date format decided from every date cell (and declared when
//! two readings fit), and the vendor's own durations kept and compared by `sla-check`.

use serde_json::Value;

use crate::support::{Project, file0, strings};

/// A label-header export as ServiceNow writes it, with `MM-dd-yyyy` dates: the 25th in the
/// second row decides the reading.
const MM_DD: &str = "\
Number,State,Created,Last update,Assignment Group,Assigned to,Urgency,Severity,Priority,Short description,Resolved
INC0010001,Resolved,03-12-2025 15:21:08,03-13-2025 09:00:00,Service Desk,Beth Anglin,2 - Medium,3 - Low,3 - Moderate,Mail is down,03-13-2025 09:00:00
INC0010002,In Progress,03-25-2025 08:00,03-25-2025 08:30,Network,Fred Luddy,1 - High,1 - High,1 - Critical,VPN drops,
";

fn ingest_ok(p: &Project, args: &[&str]) -> Value {
    let (code, v, err) = p.ingest(args);
    assert_eq!(code, 0, "{err}\n{v}");
    v
}

#[test]
fn label_headers_with_month_first_dates_ingest_as_utc_instants() {
    let p = Project::new();
    let f = p.write("incident.csv", MM_DD);
    let v = ingest_ok(
        &p,
        &[
            "--source",
            "servicenow",
            "--tz",
            "America/New_York",
            f.to_str().unwrap(),
        ],
    );
    let f0 = file0(&v);
    assert_eq!(
        (f0["loaded"].as_u64(), f0["rejected"].as_u64()),
        (Some(2), Some(0)),
        "{v}"
    );
    let t = p.table("tickets");
    // New York is on summer time (UTC-4) from 9 March 2025.
    assert_eq!(
        strings(&t, "opened_at"),
        vec![
            Some("2025-03-12 19:21:08 UTC".into()),
            Some("2025-03-25 12:00:00 UTC".into())
        ]
    );
    assert_eq!(
        strings(&t, "updated_at")[0].as_deref(),
        Some("2025-03-13 13:00:00 UTC")
    );
    assert_eq!(
        strings(&t, "resolved_at")[0].as_deref(),
        Some("2025-03-13 13:00:00 UTC")
    );
    for (col, want) in [
        ("ticket_id", ["INC0010001", "INC0010002"]),
        ("status", ["resolved", "in_progress"]),
        ("assignment_group", ["Service Desk", "Network"]),
        ("assignee", ["Beth Anglin", "Fred Luddy"]),
        ("urgency", ["2 - Medium", "1 - High"]),
        ("priority", ["3", "1"]),
        ("title", ["Mail is down", "VPN drops"]),
    ] {
        let got: Vec<Option<String>> = strings(&t, col);
        assert_eq!(got, want.map(|s| Some(s.to_string())).to_vec(), "{col}");
    }
    // No duration columns in this export: the vendor durations are NULL.
    assert_eq!(strings(&t, "vendor_calendar_s"), vec![None, None]);
}

#[test]
fn the_reading_is_decided_from_every_date_cell_not_the_first_piece() {
    // 40 rows whose days are all 12 or less, then one on the 25th; read in pieces of 512
    // bytes, the first pieces alone are ambiguous.
    let mut csv = String::from("Number,State,Opened,Updated\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "INC{i:07},New,03-{:02}-2025 10:00:00,03-12-2025 11:00:00\n",
            i % 12 + 1
        ));
    }
    csv.push_str("INC9999999,New,03-25-2025 10:00:00,03-25-2025 11:00:00\n");
    let p = Project::new();
    let f = p.write("incident.csv", &csv);
    let mut c = p.cmd();
    c.env("TICKETLAKE_CHUNK_BYTES", "512").args([
        "ingest",
        "--json",
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        f.to_str().unwrap(),
    ]);
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (file0(&v)["loaded"].as_u64(), file0(&v)["rejected"].as_u64()),
        (Some(41), Some(0))
    );
    let t = p.table("tickets");
    let opened = strings(&t, "opened_at");
    // Month first: INC0000001 (the second row) opened on 2 March, not 3 February.
    assert!(
        opened.contains(&Some("2025-03-02 10:00:00 UTC".into())),
        "{opened:?}"
    );
    assert!(!opened.contains(&Some("2025-02-03 10:00:00 UTC".into())));
}

#[test]
fn ambiguous_dates_stop_and_ask_for_date_format_which_then_wins() {
    let p = Project::new();
    let f = p.write(
        "ambiguous.csv",
        "Number,State,Created,Updated\n\
         INC1,New,03-12-2025 15:21:08,03-12-2025 15:21:08\n\
         INC2,New,04-11-2025 10:00:00,05-11-2025 10:00:00\n",
    );
    let path = f.to_str().unwrap();
    let (code, v, err) = p.ingest(&["--source", "servicenow", "--tz", "UTC", path]);
    assert_eq!(code, 2, "{v}");
    assert!(
        err.contains("ambiguous.csv:2")
            && err.contains("03-12-2025 15:21:08")
            && err.contains("%d-%m-%Y %H:%M:%S")
            && err.contains("%m-%d-%Y %H:%M:%S")
            && err.contains("--date-format"),
        "{err}"
    );
    assert_eq!(p.version(), 0, "nothing is committed");
    ingest_ok(
        &p,
        &[
            "--source",
            "servicenow",
            "--tz",
            "UTC",
            "--date-format",
            "%m-%d-%Y %H:%M:%S",
            path,
        ],
    );
    assert_eq!(
        strings(&p.table("tickets"), "opened_at"),
        vec![
            Some("2025-03-12 15:21:08 UTC".into()),
            Some("2025-04-11 10:00:00 UTC".into())
        ]
    );
}

#[test]
fn label_headers_match_in_any_case_and_with_spaces() {
    let p = Project::new();
    let f = p.write(
        "incident.csv",
        "NUMBER, state ,CREATED,last update,ASSIGNMENT GROUP,configuration ITEM,CATEGORY,caller,reopen COUNT,Reassignment Count\n\
         INC1,On Hold,25.03.2025 10:00,25.03.2025 11:00,Service Desk,mail-01,Software,Abel Tuter,1,2\n\
         INC2,Closed,01.04.2025 10:00,02.04.2025 10:00,Network,vpn-01,Network,Beth Anglin,0,0\n",
    );
    ingest_ok(
        &p,
        &[
            "--source",
            "servicenow",
            "--tz",
            "Europe/Berlin",
            f.to_str().unwrap(),
        ],
    );
    let t = p.table("tickets");
    for (col, want) in [
        ("ticket_id", ["INC1", "INC2"]),
        ("status", ["on_hold", "closed"]),
        // dd.MM.yyyy HH:mm in Berlin: CET (UTC+1) on 25 March, CEST (UTC+2) on 1 April.
        (
            "opened_at",
            ["2025-03-25 09:00:00 UTC", "2025-04-01 08:00:00 UTC"],
        ),
        ("assignment_group", ["Service Desk", "Network"]),
        ("config_item", ["mail-01", "vpn-01"]),
        ("category", ["Software", "Network"]),
        ("requester", ["Abel Tuter", "Beth Anglin"]),
        ("reopen_count", ["1", "0"]),
        ("reassignment_count", ["2", "0"]),
    ] {
        assert_eq!(
            strings(&t, col),
            want.map(|s| Some(s.to_string())).to_vec(),
            "{col}"
        );
    }
}

#[test]
fn vendor_durations_are_kept_and_an_unparsable_one_is_rejected_naming_the_column() {
    let p = Project::new();
    let f = p.write(
        "incident.csv",
        "Number,State,Created,Resolved,Duration,Business duration\n\
         INC1,Resolved,2025-03-03 09:00:00,2025-03-03 11:00:00,2 Hours,7200\n\
         INC2,Resolved,2025-03-07 16:00:00,2025-03-10 10:00:00,2 Days 18 Hours,1970-01-01 02:00:00\n\
         INC3,Resolved,2025-03-04 09:00:00,2025-03-04 12:00:00,soon,10800\n\
         INC4,New,2025-03-05 09:00:00,,,\n",
    );
    let v = ingest_ok(
        &p,
        &[
            "--source",
            "servicenow",
            "--tz",
            "UTC",
            "--max-reject-pct",
            "100",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(file0(&v)["rejected"].as_u64(), Some(1), "{v}");
    let t = p.table("tickets");
    assert_eq!(
        strings(&t, "vendor_calendar_s"),
        vec![Some("7200".into()), Some("237600".into()), None]
    );
    assert_eq!(
        strings(&t, "vendor_business_s"),
        vec![Some("7200".into()), Some("7200".into()), None]
    );
    let rejects = p.rejects();
    assert_eq!(rejects.len(), 1);
    let r = &rejects[0];
    assert_eq!(
        (
            r["line"].as_u64(),
            r["column"].as_str(),
            r["error_type"].as_str()
        ),
        (Some(4), Some("vendor_calendar_s"), Some("invalid_duration"))
    );
    assert!(r["message"].as_str().unwrap().contains("`soon`"), "{r}");
}

/// A weekday 09:00-17:00 calendar in UTC and one resolution SLA on it.
const OFFICE_SLA: &str = "[calendars.office]\ntimezone = \"UTC\"\n\
    hours = { mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"], wed = [\"09:00-17:00\"], thu = [\"09:00-17:00\"], fri = [\"09:00-17:00\"] }\n\
    [[sla]]\nname = \"Resolution\"\nmetric = \"resolution\"\ntarget = \"16h\"\ncalendar = \"office\"\nwhen = { kind = [\"incident\"] }\n";

#[test]
fn sla_check_reports_the_agreement_of_the_vendor_durations() {
    let p = Project::new();
    p.write("ticketlake.toml", OFFICE_SLA);
    // Wall | business time, ticketlake vs the export:
    // INC1   2 h =    7 200 | 2 h =  7 200   vendor 2 Hours (0)       | 7200 (0)
    // INC2  66 h =  237 600 | 2 h =  7 200   vendor 2 Days 18 Hours (0) | 7230 (30)
    // INC3   3 h =   10 800 | 3 h = 10 800   vendor 10000 (800)       | 3 h 5 min (300)
    // INC4 not resolved: not compared.
    let f = p.write(
        "incident.csv",
        "Number,State,Created,Resolved,Made SLA,Duration,Business duration\n\
         INC1,Resolved,2025-03-03 09:00:00,2025-03-03 11:00:00,true,2 Hours,7200\n\
         INC2,Resolved,2025-03-07 16:00:00,2025-03-10 10:00:00,true,2 Days 18 Hours,7230\n\
         INC3,Resolved,2025-03-04 09:00:00,2025-03-04 12:00:00,true,10000,3 Hours 5 Minutes\n\
         INC4,New,2025-03-05 09:00:00,,,,\n",
    );
    ingest_ok(
        &p,
        &["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()],
    );
    let o = p.run(&["sla-check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    insta::assert_snapshot!(String::from_utf8_lossy(&o.stdout));

    let o = p.run(&["sla-check", "--format", "json"]);
    let c: Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &c["durations"];
    let pick = |i: usize, k: &str| d[i][k].clone();
    assert_eq!(
        (pick(0, "measure"), pick(0, "compared"), pick(0, "agreed")),
        ("wall".into(), 3.into(), 2.into()),
        "{c}"
    );
    assert_eq!(pick(0, "median_abs_diff_s").as_f64(), Some(0.0));
    assert_eq!(
        (pick(1, "measure"), pick(1, "compared"), pick(1, "agreed")),
        ("business".into(), 3.into(), 2.into()),
        "{c}"
    );
    assert_eq!(pick(1, "median_abs_diff_s").as_f64(), Some(30.0));
    assert_eq!(pick(1, "tolerance_s").as_i64(), Some(60));
}

#[test]
fn a_dataset_written_before_the_duration_columns_still_ingests_and_checks() {
    let p = Project::new();
    p.write("ticketlake.toml", OFFICE_SLA);
    let a = p.write(
        "a.csv",
        "number,state,opened_at,resolved_at,sys_updated_on\n\
         INC1,Resolved,2025-03-03 09:00:00,2025-03-03 11:00:00,2025-03-03 11:00:00\n",
    );
    ingest_ok(
        &p,
        &["--source", "servicenow", "--tz", "UTC", a.to_str().unwrap()],
    );
    // Rewrite the tickets files as an earlier ticketlake wrote them: without the columns.
    use polars::prelude::{ParquetReader, ParquetWriter, SerReader};
    let m = ticketlake::dataset::manifest::current(&p.location()).unwrap();
    for f in &m.tables["tickets"].files {
        let path = p.dataset().join(&f.path);
        let mut df = ParquetReader::new(std::fs::File::open(&path).unwrap())
            .finish()
            .unwrap()
            .drop_many(["vendor_calendar_s", "vendor_business_s"]);
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
    }
    let o = p.run(&["sla-check", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let b = p.write(
        "b.csv",
        "Number,State,Created,Resolved,Duration\n\
         INC2,Resolved,2025-03-04 09:00:00,2025-03-04 10:00:00,3600\n",
    );
    ingest_ok(
        &p,
        &["--source", "servicenow", "--tz", "UTC", b.to_str().unwrap()],
    );
    let t = p.table("tickets");
    assert_eq!(
        strings(&t, "vendor_calendar_s"),
        vec![None, Some("3600".into())]
    );
    let o = p.run(&["sla-check", "--format", "json"]);
    let c: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(c["durations"][0]["agreed"].as_u64(), Some(1), "{c}");
}
