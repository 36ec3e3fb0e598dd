//! Tests of the change-to-incident correlation on hand-checked tickets.

use super::*;

const H: i64 = 3_600_000_000;

/// One ticket: (kind, id, config_item, opened, end, caused_by_change).
type Spec<'a> = (&'a str, &'a str, &'a str, i64, Option<i64>, Option<&'a str>);

fn tickets(rows: &[Spec]) -> DataFrame {
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let ts = |name: &str, v: Vec<Option<i64>>| Column::new(name.into(), v).cast(&utc).unwrap();
    let text = |name: &str, v: Vec<Option<&str>>| Column::new(name.into(), v);
    DataFrame::new(
        rows.len(),
        vec![
            text("kind", rows.iter().map(|r| Some(r.0)).collect()),
            text("ticket_id", rows.iter().map(|r| Some(r.1)).collect()),
            text("source", rows.iter().map(|_| Some("t")).collect()),
            text("config_item", rows.iter().map(|r| Some(r.2)).collect()),
            ts("opened_at", rows.iter().map(|r| Some(r.3)).collect()),
            ts("actual_end", rows.iter().map(|r| r.4).collect()),
            ts("planned_end", rows.iter().map(|_| None).collect()),
            text("caused_by_change", rows.iter().map(|r| r.5).collect()),
        ],
    )
    .unwrap()
}

#[test]
fn incidents_go_to_the_latest_change_and_each_change_expects_its_own_exposure() {
    // app runs on host. C1 changes host at T, C2 changes app 10 h later.
    let items = df!("ci_id" => ["app", "host"], "name" => ["app", "host"]).unwrap();
    let rels = df!("parent" => ["app"], "child" => ["host"], "type" => ["Runs on::Runs"]).unwrap();
    let deps = super::super::graph::dependencies(&items, &rels).unwrap();
    let t = 1_000 * H;
    let mut rows = vec![
        ("change", "C1", "host", t - H, Some(t), None),
        ("change", "C2", "app", t, Some(t + 10 * H), None),
    ];
    // Eight incidents on app in the 4 baseline weeks (the first exactly 28 days before).
    let base: Vec<String> = (0..8).map(|i| format!("B{i}")).collect();
    for (i, id) in base.iter().enumerate() {
        rows.push((
            "incident",
            id,
            "app",
            t - 672 * H + i as i64 * 80 * H,
            None,
            None,
        ));
    }
    // After: two before C2 (C1's), one after it (C2's, linked to C1 by the export), one
    // after both windows.
    rows.push(("incident", "I1", "app", t + H, None, None));
    rows.push(("incident", "I2", "app", t + 2 * H, None, None));
    rows.push(("incident", "I3", "app", t + 11 * H, None, Some("C1")));
    rows.push(("incident", "I4", "app", t + 100 * H, None, None));
    let df = tickets(&rows);
    let p = ChangeConfig::default().params().unwrap();
    let out = table(&Chunks::Frame(&df), &items, &deps, &p, t + 1000 * H).unwrap();
    let after = out
        .column("incidents_after")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    let expected = out.column("expected").unwrap().f64().unwrap().clone();
    let linked = out
        .column("linked_incidents")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    // Rows in change order: C1, C2.
    assert_eq!((after.get(0), after.get(1)), (Some(2), Some(1)));
    // C1: app is exposed 10 h (until C2), host 72 h (no incidents). The same 10 h one to
    // four weeks earlier on app hold one incident (the one exactly 4 weeks before):
    // (1 + 0.5) / 4.
    assert!((expected.get(0).unwrap() - 1.5 / 4.0).abs() < 1e-12);
    // C2: app exposed the whole 72 h; the same 72 h one to four weeks earlier hold one
    // baseline incident each (at -112 h, -272 h, -432 h, -592 h): (4 + 0.5) / 4.
    assert!((expected.get(1).unwrap() - 4.5 / 4.0).abs() < 1e-12);
    assert_eq!((linked.get(0), linked.get(1)), (Some(1), Some(0)));
    let p1 = out
        .column("p_value")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!((p1 - poisson_sf(2, 1.5 / 4.0)).abs() < 1e-15);
    // Both are far below the FDR but C2's ratio (1 / 1.125) is no effect: not suspect.
    let suspect = out.column("suspect").unwrap().bool().unwrap().clone();
    assert_eq!(suspect.get(1), Some(false));
}

#[test]
fn a_change_without_a_baseline_or_time_after_it_is_listed_untested() {
    let items = df!("ci_id" => ["app"], "name" => ["app"]).unwrap();
    let rels = df!("parent" => [""; 0], "child" => [""; 0], "type" => [""; 0]).unwrap();
    let deps = super::super::graph::dependencies(&items, &rels).unwrap();
    let t = 1_000 * H;
    let df = tickets(&[
        ("incident", "I0", "app", t - 24 * H, None, None),
        ("change", "C1", "app", t - H, Some(t), None),
        ("change", "C2", "nowhere", t - H, Some(t), None),
    ]);
    let p = ChangeConfig::default().params().unwrap();
    let out = table(&Chunks::Frame(&df), &items, &deps, &p, t + 100 * H).unwrap();
    assert_eq!(out.height(), 2);
    assert_eq!(out.column("p_value").unwrap().null_count(), 2);
    // C1 resolves but has no 4-week baseline; C2 names no CI.
    assert_eq!(out.column("ci_id").unwrap().null_count(), 1);
    assert_eq!(out.column("incidents_after").unwrap().null_count(), 1);
}

#[test]
fn the_settings_are_checked() {
    let bad = |c: ChangeConfig| c.params().unwrap_err();
    assert!(
        bad(ChangeConfig {
            window: "soon".into(),
            ..Default::default()
        })
        .starts_with("window")
    );
    assert!(
        bad(ChangeConfig {
            baseline_weeks: 0,
            ..Default::default()
        })
        .starts_with("baseline-weeks")
    );
    assert!(
        bad(ChangeConfig {
            q: 0.0,
            ..Default::default()
        })
        .starts_with("q")
    );
    assert!(
        bad(ChangeConfig {
            min_ratio: 0.5,
            ..Default::default()
        })
        .starts_with("min-ratio")
    );
    assert_eq!(ChangeConfig::default().params().unwrap().window, 72 * H);
}
