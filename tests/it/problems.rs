//! Recurring-problem detection end to end: the insight-bench export's Printer546 cluster,
//! precision and recall against the generator's injected truth, stable ids, and the
//! `problems` command.

use std::collections::BTreeSet;

use crate::support::*;

fn candidates(p: &Project, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["problems", "--format", "json", "--limit", "1000"];
    args.extend_from_slice(extra);
    let o = p.run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn insight_bench_flag_1_top_candidate_is_printer546_in_australia() {
    let p = Project::new();
    let f = fixture("insight-bench/flag-1.csv");
    let (code, _, err) = p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let c = candidates(&p, &[]);
    let top = &c[0];
    // flag-1.json: "Printer with id 'Printer546' is causing the most issues", y_val 158.
    let flag: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("insight-bench/flag-1.json")).unwrap())
            .unwrap();
    let want = flag["insight_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["insight_value"]["x_val"] == "Printer546")
        .unwrap()["insight_value"]["y_val"]
        .as_f64()
        .unwrap();
    assert_eq!(top["entity"], "printer546", "{top}");
    assert_eq!(top["location"], "Australia", "{top}");
    assert_eq!(top["rank"], 1);
    let n = top["incidents"].as_f64().unwrap();
    assert!(
        (n - want).abs() / want <= 0.10,
        "{n} members, flag says {want}"
    );
    assert!(
        top["label"].as_str().unwrap().starts_with("printer546: "),
        "{top}"
    );
    assert_eq!(top["unlinked"], true);
    // Its members are listed by `problems show`.
    let id = top["candidate_id"].as_str().unwrap();
    let o = p.run(&["problems", "show", id, "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m.as_array().unwrap().len() as f64, n);
    assert!(m.as_array().unwrap().iter().all(|r| {
        r["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("printer546")
    }));
    assert_eq!(
        p.run(&["problems", "show", "PC-nope"]).status.code(),
        Some(2)
    );
}

#[test]
fn steady_clusters_surface_when_the_burst_test_is_off() {
    // flag-4: "Printer not working properly" and its paraphrases are a steady stream, not a
    // burst. With the burst test off (burst-ratio = 0) the printer cluster is the top one.
    let p = Project::new();
    p.write("ticketlake.toml", "[problems]\nburst-ratio = 0\n");
    let f = fixture("insight-bench/flag-4.csv");
    let (code, _, err) = p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let c = candidates(&p, &[]);
    let top = &c[0];
    assert!(top["label"].as_str().unwrap().contains("printer"), "{top}");
    let o = p.run(&[
        "problems",
        "show",
        top["candidate_id"].as_str().unwrap(),
        "--format",
        "json",
    ]);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let titles: BTreeSet<&str> = m
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    for t in [
        "Printer not working properly",
        "Printer not functioning properly",
        "Printer not responding",
    ] {
        assert!(titles.contains(t), "{t} not in {titles:?}");
    }
}

#[test]
fn generated_truth_is_found_with_high_precision_and_recall() {
    let p = Project::new();
    let out = p.generate("gen", "servicenow-csv", 6000, 23);
    let f = out.join("incident.csv");
    let (code, _, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "Europe/London",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    let truth: Vec<BTreeSet<String>> = truth["recurring"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let c = candidates(&p, &[]);
    let mut matched = BTreeSet::new();
    let mut true_positives = 0;
    for cand in c.as_array().unwrap() {
        let o = p.run(&[
            "problems",
            "show",
            cand["candidate_id"].as_str().unwrap(),
            "--format",
            "json",
        ]);
        let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let members: BTreeSet<String> = m
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ticket_id"].as_str().unwrap().to_string())
            .collect();
        // A candidate is right when most of its members belong to one injected issue.
        if let Some((k, _)) = truth
            .iter()
            .enumerate()
            .map(|(k, t)| (k, t.intersection(&members).count()))
            .find(|(_, n)| *n * 2 > members.len())
        {
            true_positives += 1;
            matched.insert(k);
        }
    }
    let precision = true_positives as f64 / c.as_array().unwrap().len().max(1) as f64;
    let recall = matched.len() as f64 / truth.len() as f64;
    eprintln!("recurring problems: precision {precision:.2}, recall {recall:.2}");
    assert!(
        precision >= 0.9 && recall >= 0.9,
        "precision {precision}, recall {recall}: {c}"
    );
    // Rerunning gives the same ids in the same order, and build commits the same table.
    assert_eq!(candidates(&p, &[]), c);
    assert!(p.run(&["build"]).status.success());
    let table = p.table("problem_candidates");
    let ids = ticketlake::dataset::columns::text(&table, "candidate_id").unwrap();
    let ids: Vec<&str> = ids.iter().flatten().collect();
    let cli: Vec<&str> = c
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["candidate_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, cli);
    let o = p.run(&["build", "--json"]);
    assert!(o.status.success());
    assert!(p.table("problem_candidates").equals_missing(&table));
}

#[test]
fn uninformative_text_is_a_finding_not_a_candidate() {
    let p = Project::new();
    let rows: Vec<String> = (1..=8)
        .map(|i| format!("INC{i},Issue reported please help,3 - Moderate,Closed,2026-10-0{} 09:00:00,2026-10-0{} 10:00:00,2026-10-0{} 10:00:00", i.min(9), i.min(9), i.min(9)))
        .chain((1..=4).map(|i| format!("INC{},srv-db-01 disk full,3 - Moderate,Closed,2026-10-0{i} 12:00:00,2026-10-0{i} 13:00:00,2026-10-0{i} 13:00:00", 100 + i)))
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let f = p.write("a.csv", list_csv(&rows));
    let (code, _, err) = p.ingest(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let o = p.run(&["problems"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("8 (66.7 %) have text with no signal"), "{err}");
    let c = candidates(&p, &[]);
    assert_eq!(c.as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c[0]["entity"], "srv-db-01");
    assert_eq!(c[0]["incidents"], 4);
    // Settings: a higher minimum removes it; a bad window is a usage error.
    assert_eq!(
        candidates(&p, &["--min-incidents", "5"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        p.run(&["problems", "--window", "soon"]).status.code(),
        Some(2)
    );
    assert!(p.run(&["build"]).status.success());
    let m = ticketlake::dataset::manifest::current(&p.dataset()).unwrap();
    assert_eq!(m.build.unwrap().uninformative_incidents, 8);
}

#[test]
fn detection_can_be_switched_off_and_build_still_writes_the_tables() {
    let p = Project::new();
    let out = p.generate("gen", "servicenow-csv", 3000, 23);
    let f = out.join("incident.csv");
    let build = |p: &Project| -> serde_json::Value {
        let o = p.run(&["build", "--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"Europe/London\"\n",
    );
    let (code, _, err) = p.ingest(&["--source", "servicenow", "--no-build", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(build(&p)["problem_candidates"].as_u64().unwrap() > 0);
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"Europe/London\"\n[problems]\nenabled = false\n",
    );
    assert_eq!(build(&p)["problem_candidates"], 0);
    let o = p.run(&[
        "sql",
        "--format",
        "csv",
        "SELECT count(*) FROM problem_candidates",
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().last(), Some("0"));
}
