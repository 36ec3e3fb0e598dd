//! Change-to-incident correlation (issue 22, item 3) on generated data: the changes that
//! `generate --inject bad-changes` breaks are found (`suspect` in `change_impact`) with
//! precision and recall of at least 0.8, and a desk without bad changes has no suspect beyond
//! the false-discovery rate. The changes the export links through `caused_by_change` are
//! `confirmed`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::*;
use crate::vendors::sql;

/// A null desk of 6000 tickets over 6 months with `inject`, ingested with its CMDB and
/// built; returns the project and its truth.
fn desk(seed: u32, inject: &str) -> (Project, Value) {
    let p = Project::new();
    let out = p.generate_with("gen", 6000, seed, &["--months", "6", "--inject", inject]);
    let file = |f: &str| out.join(f).display().to_string();
    let tickets = [
        "incident.csv",
        "change_request.csv",
        "sc_req_item.csv",
        "problem.csv",
    ]
    .map(file);
    let mut args = vec!["--source", "servicenow", "--tz", "Europe/London"];
    args.extend(tickets.iter().map(String::as_str));
    let (code, _, err) = p.ingest(&args);
    assert_eq!(code, 0, "{err}");
    let cmdb = ["cmdb/cmdb_ci.csv", "cmdb/cmdb_rel_ci.csv"].map(file);
    let (code, _, err) = p.ingest(&["--source", "servicenow", &cmdb[0], &cmdb[1]]);
    assert_eq!(code, 0, "{err}");
    let o = p.run(&["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let truth = serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    (p, truth)
}

fn suspects(p: &Project) -> BTreeSet<String> {
    sql(p, "SELECT change_id FROM change_impact WHERE suspect")
        .iter()
        .map(|r| r["change_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn injected_bad_changes_are_found_with_precision_and_recall_of_at_least_0_8() {
    for seed in [1, 3] {
        let (p, truth) = desk(seed, "bad-changes");
        let bad: BTreeSet<String> = truth["bad_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["change"].as_str().unwrap().to_string())
            .collect();
        assert!(bad.len() >= 3, "{truth}");
        // Half of them changed the infrastructure, with incidents on a CI running on it.
        let on_host = truth["bad_changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["ci"] != b["incidents_on"])
            .count();
        assert!(on_host >= 1, "{truth}");
        let found = suspects(&p);
        let hit = bad.intersection(&found).count() as f64;
        let (precision, recall) = (hit / found.len().max(1) as f64, hit / bad.len() as f64);
        assert!(
            precision >= 0.8 && recall >= 0.8,
            "seed {seed}: precision {precision:.2}, recall {recall:.2}; injected {bad:?}, suspect {found:?}"
        );
        if seed == 1 {
            the_service_page_lists_the_suspect_change(&p);
        }
    }
}

/// The month's report of the first suspect change lists it under "Changes followed by
/// incidents" on its service's page.
fn the_service_page_lists_the_suspect_change(p: &Project) {
    let first = sql(
        p,
        "SELECT change_id, to_char(change_end, '%Y-%m') AS month FROM change_impact \
         WHERE suspect ORDER BY change_end LIMIT 1",
    );
    let (id, month) = (
        first[0]["change_id"].as_str().unwrap(),
        first[0]["month"].as_str().unwrap(),
    );
    let o = p.run(&["report", "--period", month, "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pages: Vec<String> = std::fs::read_dir(p.path("out").join(month))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("service-")
        })
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let listed = pages.iter().filter(|html| {
        html.split("<h3>Changes followed by incidents</h3>")
            .nth(1)
            .and_then(|rest| rest.split("<h2>").next())
            .is_some_and(|section| section.contains(&format!("<td>{id}</td>")))
    });
    assert_eq!(listed.count(), 1, "{id} in {month}");
}

#[test]
fn a_desk_without_bad_changes_has_no_suspect_and_linked_changes_are_confirmed() {
    let (p, truth) = desk(1, "none");
    assert_eq!(truth["bad_changes"], serde_json::json!([]));
    // Under the null the Benjamini-Hochberg correction bounds the chance of any suspect by q.
    let found = suspects(&p);
    assert!(found.len() <= 1, "{found:?}");
    let tested = sql(
        &p,
        "SELECT count(*) AS n FROM change_impact WHERE p_value IS NOT NULL",
    );
    assert!(tested[0]["n"].as_i64().unwrap() > 100, "{tested:?}");
    // Every change appears once; those the incidents name are confirmed with their count.
    let r = sql(
        &p,
        "SELECT (SELECT count(*) FROM changes) AS changes, count(*) AS rows, \
         SUM(linked_incidents) AS linked, SUM(CASE WHEN confirmed THEN 1 ELSE 0 END) AS confirmed \
         FROM change_impact",
    );
    assert_eq!(r[0]["changes"], r[0]["rows"], "{r:?}");
    assert_eq!(r[0]["linked"], truth["incidents_caused_by_change"], "{r:?}");
    assert!(r[0]["confirmed"].as_i64().unwrap() > 0, "{r:?}");
}
