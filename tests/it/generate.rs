//! `generate`'s modes and truth, checked on the exports themselves: determinism, the
//! recurring problems' patterns (chronic streams are steady month by month), paraphrased
//! bursts without an entity, and the null desk of `--inject` (balanced, independent
//! dimensions, with the injected trend and spike in the CSV).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::support::*;

fn generate(p: &Project, dir: &str, tickets: u32, seed: u32, extra: &[&str]) -> PathBuf {
    p.generate_with(dir, tickets, seed, extra)
}

fn truth(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

/// The incident list export as rows keyed by column.
fn incidents(dir: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("incident.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A token of letters and digits together (what detection takes for a named CI; host names
/// keep their joiners: `vpn-gw-01`).
fn has_entity(title: &str) -> bool {
    title
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .any(|w| w.chars().any(|c| c.is_alphabetic()) && w.chars().any(|c| c.is_ascii_digit()))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_bytes_in_every_mode() {
    let p = Project::new();
    for (k, extra) in [
        &[][..],
        &["--paraphrases"][..],
        &["--inject", "trend,spike"][..],
    ]
    .iter()
    .enumerate()
    {
        let a = generate(&p, &format!("a{k}"), 1500, 9, extra);
        let b = generate(&p, &format!("b{k}"), 1500, 9, extra);
        let c = generate(&p, &format!("c{k}"), 1500, 10, extra);
        for f in ["incident.csv", "sc_req_item.csv", "truth.json"] {
            let bytes = std::fs::read(a.join(f)).unwrap();
            assert_eq!(bytes, std::fs::read(b.join(f)).unwrap(), "{extra:?} {f}");
            assert_ne!(bytes, std::fs::read(c.join(f)).unwrap(), "{extra:?} {f}");
        }
    }
}

#[test]
fn truth_has_bursts_and_chronic_streams_that_are_steady_month_by_month() {
    let p = Project::new();
    let dir = generate(&p, "gen", 6000, 23, &[]);
    let t = truth(&dir);
    assert_eq!(t["paraphrases"], false);
    assert_eq!(t["inject"], serde_json::json!([]));
    assert!(t["insights"].is_null());
    let rows = incidents(&dir);
    let by_number: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["number"].as_str(), r)).collect();
    let recurring = t["recurring"].as_array().unwrap();
    let patterns: Vec<&str> = recurring
        .iter()
        .map(|r| r["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(patterns, ["burst", "burst", "burst", "chronic", "chronic"]);
    let mut injected: BTreeSet<String> = BTreeSet::new();
    for r in recurring {
        let members = strings(&r["incidents"]);
        let keyword = r["keyword"].as_str().unwrap();
        let titles: BTreeSet<String> = strings(&r["titles"]).into_iter().collect();
        let mut months: BTreeMap<String, usize> = BTreeMap::new();
        for m in &members {
            let row = by_number[m.as_str()];
            assert_eq!(row["business_service"], r["service"].as_str().unwrap());
            assert_eq!(row["cmdb_ci"], r["config_item"].as_str().unwrap());
            assert!(row["short_description"].to_lowercase().contains(keyword));
            assert!(titles.contains(&row["short_description"]), "{r}");
            *months.entry(row["opened_at"][..7].to_string()).or_default() += 1;
            injected.insert(m.clone());
        }
        if r["pattern"] == "chronic" {
            // Every one of the 13 months has 6 to 10, in paraphrases without an entity.
            assert_eq!(months.len(), 13, "{months:?}");
            assert!(months.values().all(|n| (6..=10).contains(n)), "{months:?}");
            assert!(
                titles.len() >= 4 && titles.iter().all(|t| !has_entity(t)),
                "{r}"
            );
            // Nothing else in the export is worded like the stream.
            let worded = rows
                .iter()
                .filter(|row| titles.contains(&row["short_description"]))
                .count();
            assert_eq!(worded, members.len());
        } else {
            let opened: Vec<NaiveDateTime> = members
                .iter()
                .map(|m| time(&by_number[m.as_str()]["opened_at"]))
                .collect();
            let span = *opened.iter().max().unwrap() - *opened.iter().min().unwrap();
            assert!(span.num_days() <= 22, "{r}");
            assert!(has_entity(r["title_pattern"].as_str().unwrap()));
        }
    }
    // The background names no entity: only the entity bursts do.
    for row in &rows {
        if has_entity(&row["short_description"]) {
            assert!(
                injected.contains(&row["number"]),
                "{:?}",
                row["short_description"]
            );
        }
    }
    // And it is diverse: hundreds of distinct titles, none in more than 1 % of incidents.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for row in rows.iter().filter(|r| !injected.contains(&r["number"])) {
        *counts.entry(row["short_description"].as_str()).or_default() += 1;
    }
    assert!(counts.len() > 1500, "{} distinct titles", counts.len());
    let vague = [
        "Issue reported, please help",
        "Not working",
        "Problem",
        "Help needed urgently please",
    ];
    let top = counts
        .iter()
        .filter(|(t, _)| !vague.contains(t))
        .map(|(_, n)| *n)
        .max()
        .unwrap();
    assert!(top * 100 <= rows.len(), "a title is on {top} incidents");
}

#[test]
fn paraphrased_bursts_are_the_same_incidents_without_an_entity() {
    let p = Project::new();
    let plain = truth(&generate(&p, "plain", 3000, 23, &[]));
    let dir = generate(&p, "para", 3000, 23, &["--paraphrases"]);
    let t = truth(&dir);
    assert_eq!(t["paraphrases"], true);
    let rows = incidents(&dir);
    assert!(rows.iter().all(|r| !has_entity(&r["short_description"])));
    let by_number: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r["number"].as_str(), r["short_description"].as_str()))
        .collect();
    for (a, b) in plain["recurring"]
        .as_array()
        .unwrap()
        .iter()
        .zip(t["recurring"].as_array().unwrap())
    {
        assert_eq!(a["incidents"], b["incidents"]);
        assert_eq!(a["pattern"], b["pattern"]);
        if b["pattern"] == "burst" {
            let titles: BTreeSet<&str> = b["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| by_number[m.as_str().unwrap()])
                .collect();
            assert!(titles.len() >= 4, "{titles:?}");
            let keyword = b["keyword"].as_str().unwrap();
            assert!(titles.iter().all(|t| t.to_lowercase().contains(keyword)));
        }
    }
}

/// The 0.999 quantile of chi-square with `df` degrees of freedom (Wilson-Hilferty).
fn chi2_999(df: f64) -> f64 {
    let k = 2.0 / (9.0 * df);
    df * (1.0 - k + 3.09 * k.sqrt()).powi(3)
}

/// Chi-square of the counts of `col` against equal shares; returns (statistic, levels).
fn uniformity(rows: &[HashMap<String, String>], col: &str) -> (f64, usize) {
    let mut n: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rows {
        *n.entry(r[col].as_str()).or_default() += 1.0;
    }
    let e = rows.len() as f64 / n.len() as f64;
    (n.values().map(|o| (o - e).powi(2) / e).sum(), n.len())
}

/// Chi-square of independence of `a` and `b`; returns (statistic, degrees of freedom).
fn independence(rows: &[HashMap<String, String>], a: &str, b: &str) -> (f64, f64) {
    let mut cell: HashMap<(&str, &str), f64> = HashMap::new();
    let (mut ra, mut rb): (BTreeMap<&str, f64>, BTreeMap<&str, f64>) = Default::default();
    for r in rows {
        *cell.entry((r[a].as_str(), r[b].as_str())).or_default() += 1.0;
        *ra.entry(r[a].as_str()).or_default() += 1.0;
        *rb.entry(r[b].as_str()).or_default() += 1.0;
    }
    let n = rows.len() as f64;
    let mut x = 0.0;
    for (va, na) in &ra {
        for (vb, nb) in &rb {
            let e = na * nb / n;
            x += (cell.get(&(*va, *vb)).copied().unwrap_or(0.0) - e).powi(2) / e;
        }
    }
    (x, ((ra.len() - 1) * (rb.len() - 1)) as f64)
}

/// Kendall's tau of a series against time: +1 always rising, -1 always falling.
fn kendall(v: &[f64]) -> f64 {
    let mut s = 0i64;
    for i in 0..v.len() {
        for j in i + 1..v.len() {
            s += (v[j] > v[i]) as i64 - (v[j] < v[i]) as i64;
        }
    }
    s as f64 / (v.len() * (v.len() - 1) / 2) as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Resolution hours of the resolved rows.
fn ttr_hours<'a>(rows: impl Iterator<Item = &'a HashMap<String, String>>) -> Vec<f64> {
    rows.filter(|r| !r["resolved_at"].is_empty())
        .map(|r| (time(&r["resolved_at"]) - time(&r["opened_at"])).num_seconds() as f64 / 3600.0)
        .collect()
}

#[test]
fn the_null_desk_is_balanced_and_carries_exactly_the_injected_trend_and_spike() {
    let p = Project::new();
    let dir = generate(&p, "null", 6000, 5, &["--inject", "trend,spike"]);
    let t = truth(&dir);
    assert_eq!(t["inject"], serde_json::json!(["trend", "spike"]));
    assert_eq!(t["recurring"], serde_json::json!([]));
    let ins = t["insights"].as_array().unwrap();
    assert_eq!(ins.len(), 2, "{ins:?}");
    let (trend, spike) = (&ins[0], &ins[1]);
    for (f, v) in [
        ("kind", "trend"),
        ("metric", "ttr"),
        ("dimension", "category"),
        ("direction", "up"),
    ] {
        assert_eq!(trend[f], v, "{trend}");
    }
    assert!(trend["window_start"].is_null() && trend["window_end"].is_null());
    for (f, v) in [
        ("kind", "spike"),
        ("metric", "volume"),
        ("dimension", "location"),
        ("direction", "up"),
    ] {
        assert_eq!(spike[f], v, "{spike}");
    }
    let day = |k: &str| NaiveDate::parse_from_str(spike[k].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let (from, to) = (day("window_start"), day("window_end"));
    assert_eq!((to - from).num_days(), 41);
    assert_eq!(from.weekday(), chrono::Weekday::Mon);
    let rows = incidents(&dir);
    // Every dimension is uniform, and the pairs that routing used to tie are independent.
    for (col, levels) in [
        ("category", 5),
        ("location", 5),
        ("assignment_group", 6),
        ("assigned_to", 8),
        ("caller_id", 8),
        ("business_service", 8),
        ("cmdb_ci", 15),
    ] {
        let (x, k) = uniformity(&rows, col);
        assert_eq!(k, levels, "{col}");
        assert!(x < chi2_999(k as f64 - 1.0), "{col}: chi-square {x:.1}");
    }
    for (a, b) in [
        ("business_service", "assignment_group"),
        ("business_service", "category"),
        ("business_service", "cmdb_ci"),
        ("category", "location"),
        ("assigned_to", "assignment_group"),
        ("priority", "category"),
        ("priority", "location"),
    ] {
        let (x, df) = independence(&rows, a, b);
        assert!(x < chi2_999(df), "{a} x {b}: chi-square {x:.1} on {df}");
    }
    // Resolution time does not depend on priority.
    let all = median(ttr_hours(rows.iter()));
    for p in ["2 - High", "3 - Moderate", "4 - Low"] {
        let m = median(ttr_hours(rows.iter().filter(|r| r["priority"] == p)));
        assert!(
            (0.8..1.25).contains(&(m / all)),
            "{p}: {m:.1} h against {all:.1} h"
        );
    }
    // The trend: the category's monthly median rises about ×3; the others' stay flat.
    let monthly = |cat: &str| -> Vec<f64> {
        let mut by: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for r in rows
            .iter()
            .filter(|r| r["category"] == cat && !r["resolved_at"].is_empty())
        {
            by.entry(r["opened_at"][..7].to_string())
                .or_default()
                .extend(ttr_hours(std::iter::once(r)));
        }
        by.into_values().map(median).collect()
    };
    let cat = trend["value"].as_str().unwrap();
    let m = monthly(cat);
    assert_eq!(m.len(), 13);
    let ratio = m[12] / m[0];
    assert!((2.2..4.0).contains(&ratio), "{cat}: ×{ratio:.2} ({m:?})");
    assert!(kendall(&m) >= 0.6, "{cat}: {m:?}");
    for other in [
        "Database",
        "Hardware",
        "Inquiry / Help",
        "Network",
        "Software",
    ] {
        if other != cat {
            let m = monthly(other);
            let ratio = m[12] / m[0];
            assert!((0.6..1.6).contains(&ratio), "{other}: ×{ratio:.2} ({m:?})");
            assert!(kendall(&m).abs() < 0.6, "{other}: {m:?}");
        }
    }
    // The spike: the location's weekly volume in the window is ×3 its level elsewhere, while
    // the desk's weekly volume stays level.
    let loc = spike["value"].as_str().unwrap();
    let week = |r: &HashMap<String, String>| {
        let d = time(&r["opened_at"]).date();
        d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64)
    };
    let first = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 10, 19).unwrap();
    let rate = |pred: &dyn Fn(&HashMap<String, String>) -> bool, inside: bool| -> f64 {
        let weeks: BTreeSet<NaiveDate> = (0..)
            .map(|w| first + chrono::Duration::weeks(w))
            .take_while(|w| *w <= last)
            .filter(|w| (*w >= from && *w <= to) == inside)
            .collect();
        let n = rows
            .iter()
            .filter(|r| weeks.contains(&week(r)) && pred(r))
            .count();
        n as f64 / weeks.len() as f64
    };
    let here = |r: &HashMap<String, String>| r["location"] == loc;
    let ratio = rate(&here, true) / rate(&here, false);
    assert!((2.4..3.6).contains(&ratio), "{loc}: ×{ratio:.2}");
    let any = |_: &HashMap<String, String>| true;
    let level = rate(&any, true) / rate(&any, false);
    assert!((0.85..1.15).contains(&level), "desk: ×{level:.2}");
}

#[test]
fn inject_and_paraphrases_are_checked() {
    let p = Project::new();
    let out = p.path("x");
    let run = |extra: &[&str]| {
        let mut a = vec![
            "generate",
            "--tickets",
            "200",
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        p.run(&a).status.code()
    };
    assert_eq!(run(&["--inject", "trend", "--paraphrases"]), Some(2));
    assert_eq!(run(&["--inject", "none,trend"]), Some(2));
    assert_eq!(run(&["--inject", "spike", "--months", "3"]), Some(2));
    assert_eq!(run(&["--inject", "seasonality"]), Some(2));
    assert_eq!(
        run(&["--inject", "none", "--end-month", "2026-10"]),
        Some(0)
    );
    let t = truth(&out);
    assert_eq!(t["insights"], serde_json::json!([]));
    assert_eq!(t["inject"], serde_json::json!(["none"]));
}
