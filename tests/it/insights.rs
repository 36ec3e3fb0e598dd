//! `ticketlake insights` scored against published ground truth: insight-bench's flags 1 to 8
//! (injected patterns) and the null flags 47 to 50, restated in `expectations.toml` (see its
//! header and `check_expectations.py`, which checks every expectation against the CSV).
//! Recall over the `must` expectations must be at least 0.8, with no `must-not` violated.

use serde_json::Value;

use crate::support::*;

const FLAGS: [u32; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 47, 48, 49, 50];

/// A flag's export in a fresh project; its closed tickets' resolution time is closed_at −
/// opened_at, as insight-bench computes it (the export has no resolved_at).
fn flag_project(flag: u32) -> Project {
    let p = Project::new();
    let f = fixture(&format!("insight-bench/flag-{flag}.csv"));
    let (code, _, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--resolved-from-closed",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "flag {flag}: {err}");
    p
}

fn insights(p: &Project, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["insights", "--format", "json", "--limit", "1000"];
    args.extend_from_slice(extra);
    let o = p.run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn field<'a>(v: &'a toml::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

/// Whether `finding` matches every field `e` gives (the rules in expectations.toml).
fn matches(e: &toml::Value, finding: &Value) -> bool {
    let f = |k: &str| finding[k].as_str().unwrap_or_default().to_lowercase();
    for k in ["kind", "metric", "dimension", "direction"] {
        if field(e, k).is_some_and(|want| f(k) != want.to_lowercase()) {
            return false;
        }
    }
    if let Some(want) = field(e, "value") {
        let want = want.to_lowercase();
        let ok = if f("kind") == "recurring" {
            f("value").contains(&want)
        } else {
            f("value") == want
        };
        if !ok {
            return false;
        }
    }
    if let Some(w) = e.get("window").and_then(|w| w.as_array()) {
        let (a, b) = (w[0].as_str().unwrap(), w[1].as_str().unwrap());
        let (s, t) = (f("window_start"), f("window_end"));
        if s.is_empty() || s.as_str() > b || t.as_str() < a {
            return false;
        }
    }
    true
}

#[test]
fn insight_bench_recall_is_at_least_0_8_with_no_must_not_violated() {
    let text = std::fs::read_to_string(fixture("insight-bench/expectations.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let flags = doc["flag"].as_array().unwrap();
    let (mut musts, mut found, mut violations) = (0, 0, Vec::new());
    let mut missed = Vec::new();
    for flag in FLAGS {
        let spec = flags
            .iter()
            .find(|f| f["id"].as_integer() == Some(flag as i64))
            .unwrap_or_else(|| panic!("flag {flag} has no expectations"));
        let p = flag_project(flag);
        let got = insights(&p, &[]);
        for e in spec["expect"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let hit = got.iter().find(|g| matches(e, g));
            match field(e, "rule") {
                Some("must") => {
                    musts += 1;
                    if hit.is_some() {
                        found += 1;
                    } else {
                        missed.push(format!("flag {flag}: {e}"));
                    }
                }
                Some("must-not") => {
                    if let Some(h) = hit {
                        violations.push(format!("flag {flag}: {e} violated by {h}"));
                    }
                }
                other => panic!("flag {flag}: rule {other:?}"),
            }
        }
    }
    let recall = found as f64 / musts.max(1) as f64;
    eprintln!(
        "insight-bench: recall {recall:.2} ({found} of {musts} must), {} must-not violations",
        violations.len()
    );
    for m in &missed {
        eprintln!("  missed {m}");
    }
    assert!(musts >= 12, "too few expectations: {musts}");
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(recall >= 0.8, "recall {recall}: missed {missed:#?}");
}

#[test]
fn the_same_data_gives_the_same_findings_and_build_commits_them() {
    let p = flag_project(1);
    let a = insights(&p, &[]);
    assert!(!a.is_empty());
    assert_eq!(insights(&p, &[]), a);
    // Ranked, each with evidence and a sentence.
    for (i, f) in a.iter().enumerate() {
        assert_eq!(f["rank"].as_i64(), Some(i as i64 + 1), "{f}");
        assert!(!f["sentence"].as_str().unwrap().is_empty(), "{f}");
        if f["kind"] != "recurring" {
            let q = f["q_value"].as_f64().unwrap();
            assert!(q <= 0.05 && f["p_value"].as_f64().unwrap() <= q, "{f}");
        }
    }
    // The top findings of flag 1: Hardware's share, and the printer546 problem.
    assert!(
        a.iter().any(|f| f["kind"] == "concentration"
            && f["dimension"] == "category"
            && f["value"] == "Hardware"),
        "{a:#?}"
    );
    // build writes the same findings in the `insights` table (no service here: one scope).
    assert!(p.run(&["build"]).status.success());
    let t = p.table("insights");
    assert_eq!(t.height(), a.len());
    let kinds = ticketlake::dataset::columns::text(&t, "kind").unwrap();
    let want: Vec<&str> = a.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().flatten().collect::<Vec<_>>(), want);
    let o = p.run(&[
        "sql",
        "SELECT count(*) AS n FROM insights",
        "--format",
        "csv",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("n\n{}\n", a.len())
    );
}

#[test]
fn a_table_without_a_pattern_gives_an_empty_list_said_as_such() {
    let p = flag_project(49);
    let o = p.run(&["insights"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    // Flag 49 is even by construction: whatever is listed must not be about the assignees.
    let got = insights(&p, &[]);
    assert!(got.iter().all(|f| f["dimension"] != "assignee"), "{got:#?}");
    if got.is_empty() {
        assert!(err.contains("no findings"), "{err}");
    }
    // Too little data: one month of a handful of incidents gives nothing, never a guess.
    let few = insights(&p, &["--period", "2023-03-01..2023-03-08"]);
    assert!(few.is_empty(), "{few:#?}");
}

#[test]
fn settings_are_validated_and_shown() {
    let p = flag_project(2);
    p.write("ticketlake.toml", "[insights]\nq = 2\n");
    let o = p.run(&["insights"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("insights q"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    p.write("ticketlake.toml", "[insights]\nmonths = 6\n");
    let o = p.run(&["--show-settings", "insights"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("months = 6"), "{s}");
    // A stricter false-discovery rate never adds findings.
    let loose = insights(&p, &[]);
    p.write("ticketlake.toml", "[insights]\nmonths = 6\nq = 0.001\n");
    assert!(insights(&p, &[]).len() <= loose.len());
}
