//! Ad hoc SQL: tables and views from the manifest, the calendar functions agreeing with the
//! SLA engine, and the read-only, bounded runner (promise 7).

use crate::support::*;

fn project() -> Project {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"UTC\"\n[calendars.office]\ntimezone = \"UTC\"\n\
         hours = { mon = [\"08:00-17:00\"], tue = [\"08:00-17:00\"], wed = [\"08:00-17:00\"], thu = [\"08:00-17:00\"], fri = [\"08:00-17:00\"] }\n\
         [[sla]]\nname = \"4h\"\nmetric = \"resolution\"\ntarget = \"4h\"\ncalendar = \"office\"\n",
    );
    let f = p.write(
        "a.csv",
        list_csv(&[
            "INC1,=cmd|' /C calc'!A0,3 - Moderate,Resolved,2026-10-02 21:00:00,2026-10-05 09:30:00,2026-10-05 09:30:00",
            "CHG1,change,3 - Moderate,Closed,2026-10-05 08:00:00,2026-10-05 10:00:00,2026-10-05 10:00:00",
        ]),
    );
    assert_eq!(
        p.ingest(&["--source", "servicenow", f.to_str().unwrap()]).0,
        0
    );
    p
}

fn sql_json(p: &Project, q: &str) -> serde_json::Value {
    let o = p.run(&["sql", "--format", "json", q]);
    assert!(
        o.status.success(),
        "{q}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn calendar_functions_match_the_sla_table() {
    let p = project();
    let v = sql_json(
        &p,
        "SELECT t.ticket_id, business_seconds(t.opened_at, t.resolved_at, 'office') AS bs, s.business_elapsed_s AS engine, \
         in_business_hours(t.opened_at, 'office') AS open_in_hours, business_add(t.opened_at, 3600, 'office') AS plus_1h \
         FROM incidents t JOIN sla s ON s.ticket_id = t.ticket_id",
    );
    // ServiceNow's example: Friday 21:00 to Monday 09:30 on 08:00-17:00 is 1 h 30 m.
    // JSON keeps types: numbers and booleans are not strings.
    assert_eq!(v[0]["bs"], 5400);
    assert_eq!(v[0]["engine"], 5400);
    assert_eq!(v[0]["open_in_hours"], false);
    assert_eq!(v[0]["plus_1h"], "2026-10-05T09:00:00Z");
    let v = sql_json(&p, "SELECT count(*) AS n FROM changes");
    assert_eq!(v[0]["n"], 1);
    let o = p.run(&[
        "sql",
        "SELECT business_seconds(opened_at, resolved_at, 'mars') FROM tickets",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("unknown calendar 'mars'; defined: 24x7, office")
    );
}

#[test]
fn ad_hoc_sql_cannot_write_create_or_read_outside_the_dataset() {
    let p = project();
    let refused = [
        "CREATE TABLE t AS SELECT 1",
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
        "INSERT INTO tickets SELECT * FROM tickets",
        "COPY tickets TO '/tmp/out.csv'",
        "SET datafusion.execution.batch_size = 1",
        "DROP VIEW incidents",
        "SELECT 1; SELECT 2",
        "SELECT * FROM '/etc/passwd'",
    ];
    for q in refused {
        let o = p.run(&["sql", q]);
        assert_eq!(o.status.code(), Some(2), "{q} was not refused");
        assert!(
            String::from_utf8_lossy(&o.stderr).starts_with("ticketlake: error: sql:"),
            "{q}"
        );
    }
    assert!(!std::path::Path::new("/tmp/out.csv").exists());
    // The data is unchanged and the views are still there.
    assert_eq!(
        sql_json(&p, "SELECT count(*) AS n FROM incidents")[0]["n"],
        1
    );
}

#[test]
fn row_cap_memory_limit_and_formula_guard() {
    let p = project();
    let o = p.run(&[
        "sql",
        "--max-rows",
        "1",
        "SELECT ticket_id FROM tickets ORDER BY ticket_id",
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("(1 rows)"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cut at 1 rows"));
    let o = p.run(&["sql", "--memory-mb", "1", "SELECT count(DISTINCT a) FROM (SELECT v || repeat('x', 100) AS a FROM generate_series(1, 200000) AS g(v)) q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .to_lowercase()
            .contains("resources exhausted"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = p.run(&["sql", "--format", "csv", "SELECT title FROM incidents"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "title\n'=cmd|' /C calc'!A0\n"
    );
}

#[test]
fn metric_queries_run_before_and_after_a_build() {
    // No SLAs configured: ingest does not build, and the derived tables read as empty.
    let p = Project::new();
    let f = p.write(
        "a.csv",
        list_csv(&["INC1,Mail down,2 - High,Resolved,2026-10-02 09:00:00,2026-10-02 10:00:00,2026-10-02 10:00:00"]),
    );
    assert_eq!(
        p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()])
            .0,
        0
    );
    let mttr = |p: &Project| {
        let o = p.run(&["query", "mttr", "--period", "2026-10", "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v[0]["view"], "period");
        assert_eq!(v[0]["median_s"], 3600);
        v
    };
    assert!(mttr(&p)[0]["business_median_s"].is_null());
    assert!(p.run(&["build"]).status.success());
    mttr(&p);
    // Unknown names and dimensions are usage errors that list what there is.
    let o = p.run(&["query", "mtbf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("volume"));
    let o = p.run(&["query", "--list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 16);
}

#[test]
fn a_project_query_overrides_and_extends_the_built_ins() {
    let p = project();
    p.write(
        "queries/volume.sql",
        "-- Overridden volume: every ticket.\nSELECT count(*) AS n FROM tickets\n",
    );
    p.write(
        "queries/p1_count.sql",
        "-- P1 incidents opened in the period.\n-- by: service\nSELECT {{by}} AS \"{{by_name}}\", count(*) AS n FROM incidents WHERE priority = 1 AND opened_at >= $period_start AND opened_at < $period_end GROUP BY 1\n",
    );
    let o = p.run(&["query", "--list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"p1_count") && names.len() == 17,
        "{names:?}"
    );
    let volume = v
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "volume")
        .unwrap();
    assert!(
        volume["origin"].as_str().unwrap().ends_with("volume.sql"),
        "{volume}"
    );
    let o = p.run(&["query", "volume", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["n"], 2);
    // A header without a comment is refused with the file named.
    p.write("queries/bad.sql", "SELECT 1\n");
    let o = p.run(&["query", "--list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.sql"));
}

#[test]
fn timeout_stops_a_long_statement() {
    let p = project();
    // Two billion rows cannot be counted in a second on any machine this runs on.
    let o = p.run(&[
        "sql",
        "--timeout",
        "1",
        "SELECT count(DISTINCT v % 1000003) FROM generate_series(1, 2000000000) AS g(v)",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("longer than the 1 s timeout"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn csv_output_guards_text_formulas_but_not_negative_numbers() {
    let p = project();
    let o = p.run(&[
        "sql",
        "--format",
        "csv",
        "SELECT -5 AS delta, '-1+1' AS t, '=cmd' AS u",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "delta,t,u\n-5,'-1+1,'=cmd\n"
    );
}

#[test]
fn explain_analyze_shows_the_plan_it_ran() {
    let p = project();
    // The row cap is applied above the statement; EXPLAIN must stay the plan's root, so an
    // analyst can see where a slow query spends its time.
    let o = p.run(&[
        "sql",
        "--format",
        "csv",
        "EXPLAIN ANALYZE SELECT kind, count(*) FROM tickets GROUP BY kind",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("AggregateExec"), "{out}");
    assert!(out.contains("elapsed_compute"), "{out}");
    let o = p.run(&["sql", "EXPLAIN SELECT ticket_id FROM incidents"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("logical_plan"));
}
