//! CMDB ingest (issue 22): ServiceNow's `cmdb_ci` and `cmdb_rel_ci` exports and any tool's
//! through a `kind = "ci"` mapping become `config_items` (latest wins, every row accounted
//! for, rejects with their line) and `ci_relations`, as a version of their own; `build`
//! derives the dependency closure, cycles included.

use serde_json::Value;

use crate::support::*;
use crate::vendors::row;

fn cmdb(name: &str) -> String {
    fixture(&format!("cmdb/{name}")).display().to_string()
}

#[test]
fn cmdb_items_are_accounted_for_the_latest_row_wins_and_rejects_keep_their_line() {
    let p = Project::new();
    let (code, v, err) = p.ingest_any(&["--source", "servicenow", &cmdb("cmdb_ci.csv")]);
    assert_eq!(code, 0, "{err}");
    let f = file0(&v);
    assert_eq!(f["shape"], "servicenow/cmdb-ci", "{v}");
    // Six records: two rejected, four loaded, of which one (line 6, older) lost to line 3.
    let n = |k: &str| f[k].as_u64().unwrap();
    assert_eq!(
        (n("records_read"), n("loaded"), n("rejected")),
        (6, 4, 2),
        "{v}"
    );
    assert_eq!(n("superseded"), 1, "{v}");
    assert_eq!(n("records_read"), n("loaded") + n("rejected"));
    let mut r: Vec<(String, u64, String)> = p
        .rejects()
        .iter()
        .map(|x| {
            (
                x["error_type"].as_str().unwrap().to_string(),
                x["line"].as_u64().unwrap(),
                x["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    r.sort();
    assert_eq!(
        r,
        [
            ("invalid_timestamp".to_string(), 5, "updated_at".to_string()),
            ("missing_value".to_string(), 4, "name".to_string()),
        ]
    );
    assert_eq!(
        row(
            &p,
            "SELECT name, class, operational_status, CAST(updated_at AS VARCHAR) AS u, source_line, \
             attributes FROM config_items ORDER BY name"
        ),
        [
            "Mail|Business Service|Operational|2026-09-01T08:00:00Z|7|{\"u_owner\":\"Ann Lee\"}",
            "mail-app-01|Application|Operational|2026-09-02T08:00:00Z|3|null",
            "mail-db-01|MSSQL Instance|Operational|2026-09-01T08:00:00Z|2|{\"u_owner\":\"Ann Lee\",\"u_cost_center\":\"CC-10\"}",
        ]
    );
}

#[test]
fn a_later_export_replaces_older_rows_and_the_same_file_again_is_a_duplicate() {
    let p = Project::new();
    assert_eq!(
        p.ingest_any(&["--source", "servicenow", &cmdb("cmdb_ci.csv")])
            .0,
        0
    );
    let before = p.version();
    let (code, v, err) = p.ingest(&["--source", "servicenow", &cmdb("cmdb_ci_update.csv")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(p.version(), before + 1);
    // mail-app-01 is newer here and displaces the live row; mail-db-01 is older and loses.
    assert_eq!(file0(&v)["superseded"], 1, "{v}");
    let m = ticketlake::dataset::manifest::current(&p.location()).unwrap();
    assert_eq!(m.ingests.last().unwrap().displaced, 1);
    assert_eq!(
        row(
            &p,
            "SELECT name, operational_status FROM config_items ORDER BY name"
        ),
        [
            "Mail|Operational",
            "mail-app-01|Repair in Progress",
            "mail-db-01|Operational"
        ]
    );
    let (code, v, _) = p.ingest(&["--source", "servicenow", &cmdb("cmdb_ci_update.csv")]);
    assert_eq!(code, 0);
    assert_eq!(file0(&v)["outcome"], "duplicate", "{v}");
    assert_eq!(v["committed"], false);
    assert_eq!(p.version(), before + 1);
}

#[test]
fn relationships_from_the_table_api_give_the_dependency_closure_through_a_cycle() {
    let p = Project::new();
    let (code, v, err) = p.ingest_any(&[
        "--source",
        "servicenow",
        &cmdb("cmdb_ci.csv"),
        &cmdb("cmdb_rel_ci.json"),
    ]);
    assert_eq!(code, 0, "{err}");
    let rel = &v["files"][1];
    assert_eq!(rel["shape"], "servicenow/cmdb-rel-ci", "{v}");
    assert_eq!(
        (rel["loaded"].as_u64(), rel["rejected"].as_u64()),
        (Some(3), Some(1))
    );
    let o = p.run(&["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Mail -> mail-app-01 -> mail-db-01 (named by its sys_id) -> Mail (r3, "Used by::Depends
    // on": the child depends on the parent). Each CI reaches the others once.
    assert_eq!(
        row(
            &p,
            "SELECT a.name AS ci, b.name AS on_ci, d.depth FROM ci_dependencies d \
             JOIN config_items a ON a.ci_id = d.ci_id JOIN config_items b ON b.ci_id = d.depends_on \
             WHERE d.depth > 0 ORDER BY 1, 2"
        ),
        [
            "Mail|mail-app-01|1",
            "Mail|mail-db-01|2",
            "mail-app-01|Mail|2",
            "mail-app-01|mail-db-01|1",
            "mail-db-01|Mail|1",
            "mail-db-01|mail-app-01|2",
        ]
    );
}

#[test]
fn any_tool_maps_its_cmdb_with_kind_ci() {
    let p = Project::new();
    let (code, v, err) = p.ingest(&[
        "--source",
        "generic",
        "--mapping",
        &cmdb("assets.toml"),
        &cmdb("assets.csv"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(file0(&v)["shape"], "jsm-assets/cmdb-ci", "{v}");
    assert_eq!(file0(&v)["superseded"], 0, "{v}");
    // Local Berlin times (CEST, +2) made UTC; the unmapped Serial kept as an attribute.
    assert_eq!(
        row(
            &p,
            "SELECT ci_id, name, class, source, CAST(updated_at AS VARCHAR) AS u, attributes \
             FROM config_items ORDER BY ci_id"
        ),
        [
            "CMDB-1|hr-portal|Application|jsm-assets|2026-09-03T12:05:00Z|null",
            "CMDB-2|hr-db|Database|jsm-assets|2026-09-03T12:06:00Z|{\"Serial\":\"SN-99\"}",
            "CMDB-3|hr-db|Database|jsm-assets|2026-09-04T07:00:00Z|{\"Serial\":\"SN-99\"}",
        ]
    );
}

#[test]
fn tickets_and_a_cmdb_in_one_call_are_refused_with_what_to_do() {
    let p = Project::new();
    let tickets = p.write(
        "incident.csv",
        list_csv(&["INC1,Mail down,3 - Moderate,New,2026-10-05 10:00:00,,2026-10-05 10:00:00"]),
    );
    let (code, _, err) = p.ingest(&[
        "--source",
        "servicenow",
        tickets.to_str().unwrap(),
        &cmdb("cmdb_ci.csv"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("incident.csv") && err.contains("of their own"),
        "{err}"
    );
    assert_eq!(p.version(), 0);
}

#[test]
fn the_ci_queries_answer_on_a_dataset_without_a_cmdb_and_list_every_name_unresolved() {
    let p = Project::new();
    let csv = "number,short_description,priority,state,opened_at,cmdb_ci\n\
               INC1,Mail down,3 - Moderate,New,2026-10-05 10:00:00,mail-01\n\
               INC2,Mail slow,3 - Moderate,New,2026-10-06 10:00:00,MAIL-01\n\
               INC3,VPN down,3 - Moderate,New,2026-10-07 10:00:00,\n";
    let f = p.write("incident.csv", csv);
    assert_eq!(
        p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()])
            .0,
        0
    );
    let q = |name: &str| {
        let o = p.run(&["query", name, "--period", "2026-10", "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<Vec<Value>>(&o.stdout).unwrap()
    };
    let r = q("ci_resolution");
    assert_eq!(
        (r[0]["with_ci"].as_i64(), r[0]["resolved"].as_i64()),
        (Some(2), Some(0)),
        "{r:?}"
    );
    let u = q("ci_unresolved");
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(
        (u[0]["config_item"].as_str(), u[0]["tickets"].as_i64()),
        (Some("MAIL-01"), Some(2))
    );
    let h = q("ci_hotspots");
    let classes: Vec<&str> = h.iter().map(|r| r["ci_class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["(not in CMDB)", "(none)"], "{h:?}");
}

#[test]
fn the_portfolio_shows_the_ci_classes_or_says_there_is_no_cmdb() {
    let index = |with_cmdb: bool| {
        let p = Project::new();
        p.copy_files(&fixture("../slt/fixture"));
        if !with_cmdb {
            let cfg = std::fs::read_to_string(p.path("ticketlake.toml")).unwrap();
            let cut = cfg
                .find("\n# The CMDB behind")
                .expect("the fixture's CMDB source");
            p.write("ticketlake.toml", &cfg[..cut]);
        }
        let o = p.run(&["run", "--period", "2026-10", "--out", "out"]);
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::read_to_string(p.path("out/2026-10/index.html")).unwrap()
    };
    let with = index(true);
    let classes = with
        .split("<h2>Configuration item classes</h2>")
        .nth(1)
        .unwrap();
    // cmdb_ci_appl: exch-app-01 and radius-01, INC1, INC2 and INC9 (as in cmdb.slt).
    assert!(
        classes.contains("<tr><td>cmdb_ci_appl</td><td class=\"n\">2</td><td class=\"n\">3</td>"),
        "{classes}"
    );
    let without = index(false);
    assert!(without.contains("No CMDB in the dataset"), "{without}");
}
