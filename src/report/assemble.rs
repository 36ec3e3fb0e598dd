//! Assembles every unit's [`Unit`] from the query results: the 13-month series, the KPIs of
//! this and last month against targets, the weekly flow, aging, breaches, problems, changes
//! and data-quality counts. All grouping is by the unit's composite keys (see `data`).

use std::collections::BTreeMap;

use super::data::{Fetch, Grid, Part, UnitKind, sum_by};
use super::model::*;
use crate::error::Result;
use crate::targets::{Rag, TargetSet};

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| (10000.0 * num / den).round() / 100.0)
}

const MONTH_ATT: Part = Part::Month("COALESCE(stop_at, breach_at, start_at)");
const MONTH_RES: Part = Part::Month("resolved_at");
const MONTH_OPEN: Part = Part::Month("opened_at");

fn inc_req(g: &Grid, r: &[Option<String>]) -> bool {
    matches!(g.text(r, "kind"), Some("incident" | "request"))
}

/// Gather every unit's report.
pub fn assemble(f: &Fetch, targets: &TargetSet, top: usize) -> Result<Vec<Unit>> {
    let (p, prev) = (&f.period, &f.previous);
    let (lo, hi) = (f.series_start, p.end);
    let unit = f.unit_expr();
    let u = Part::Text(&unit);
    let n = f.months.len();
    let cur_m = n - 1;
    let att = f.query("sla_attainment", &[u, MONTH_ATT], lo, hi)?;
    let mttr = f.mttr(&[u, MONTH_RES], lo, hi)?;
    let vol = f.query("volume", &[u, MONTH_OPEN], lo, hi)?;
    let vol_cur = f.query("volume", &[u], p.start, p.end)?;
    let vol_prev = f.query("volume", &[u], prev.start, prev.end)?;
    let reopen = f.query("reopen_rate", &[u, MONTH_RES], lo, hi)?;
    let aging = f.query("backlog_aging", &[u], p.start, p.end)?;
    let breaches = f.query("sla_breaches", &[], p.start, p.end)?;
    let changes = f.query("change_success", &[u], p.start, p.end)?;
    let weeks = f.weeks();
    let weekly = f.sql(&super::data::weekly_sql(&weeks), p.start, p.end)?;
    let flags = f.sql(super::data::FLAGS_SQL, p.start, p.end)?;
    let problems = f.sql(super::data::PROBLEMS_SQL, p.start, p.end)?;

    let um = |k: &[String]| -> Option<(String, usize)> {
        Some((k.first()?.clone(), f.month_index(k.get(1)?)?))
    };
    let unit_only = |k: &[String]| k.first().cloned();
    let all = |_: &[Option<String>]| true;
    let met = sum_by(&att, "met", um, all);
    let breached = sum_by(&att, "breached", um, all);
    let ipb = sum_by(&att, "in_progress_breached", um, all);
    let opened = sum_by(&vol, "opened", um, |r| inc_req(&vol, r));
    let backlog_cur = sum_by(&vol_cur, "backlog_at_end", unit_only, |r| {
        inc_req(&vol_cur, r)
    });
    let backlog_prev = sum_by(&vol_prev, "backlog_at_end", unit_only, |r| {
        inc_req(&vol_prev, r)
    });
    let resolved = sum_by(&mttr, "resolved", um, all);
    let median = sum_by(&mttr, "median_s", um, all);
    let p90 = sum_by(&mttr, "p90_s", um, all);
    let has_median: std::collections::BTreeSet<(String, usize)> = mttr
        .rows
        .iter()
        .filter(|(_, r)| mttr.num(r, "median_s").is_some())
        .filter_map(|(k, _)| um(k))
        .collect();
    let reopened = sum_by(&reopen, "reopened", um, all);
    let with_data = sum_by(&reopen, "with_data", um, all);

    let mut names: std::collections::BTreeSet<String> =
        opened.keys().map(|k| k.0.clone()).collect();
    names.extend(met.keys().map(|k| k.0.clone()));
    names.extend(breached.keys().map(|k| k.0.clone()));
    names.extend(resolved.keys().map(|k| k.0.clone()));
    names.extend(
        backlog_cur
            .iter()
            .filter(|(_, v)| **v > 0.0)
            .map(|(k, _)| k.clone()),
    );
    let names: Vec<String> = names.into_iter().collect();
    let slugs = unique_slugs(&names);

    // Per-unit sums and breach lists, computed once rather than once per unit.
    let aging_sums: Vec<(&str, BTreeMap<String, f64>)> = [
        ("0-2 days", "age_0_2d"),
        ("3-7 days", "age_3_7d"),
        ("8-30 days", "age_8_30d"),
        ("over 30 days", "age_over_30d"),
    ]
    .iter()
    .map(|(label, col)| {
        (
            *label,
            sum_by(&aging, col, unit_only, |r| inc_req(&aging, r)),
        )
    })
    .collect();
    let mut breaches_by_unit: BTreeMap<&str, Vec<&[Option<String>]>> = BTreeMap::new();
    for (_, r) in &breaches.rows {
        let unit = breaches.text(r, f.unit.column()).unwrap_or("(none)");
        breaches_by_unit.entry(unit).or_default().push(r);
    }
    let mut units = Vec::new();
    for (name, slug) in names.iter().zip(slugs) {
        let t = targets.for_unit(if f.unit == UnitKind::Service {
            name
        } else {
            ""
        });
        let get = |m: &BTreeMap<(String, usize), f64>, i: usize| m.get(&(name.clone(), i)).copied();
        let att_at = |i: usize| {
            let m = get(&met, i).unwrap_or(0.0);
            ratio(
                m,
                m + get(&breached, i).unwrap_or(0.0) + get(&ipb, i).unwrap_or(0.0),
            )
        };
        let counted_at = |i: usize| {
            get(&met, i).unwrap_or(0.0)
                + get(&breached, i).unwrap_or(0.0)
                + get(&ipb, i).unwrap_or(0.0)
        };
        let med_at = |i: usize| {
            has_median
                .contains(&(name.clone(), i))
                .then(|| get(&median, i))
                .flatten()
        };
        let p90_at = |i: usize| {
            has_median
                .contains(&(name.clone(), i))
                .then(|| get(&p90, i))
                .flatten()
        };
        let reopen_at = |i: usize| {
            ratio(
                get(&reopened, i).unwrap_or(0.0),
                get(&with_data, i).unwrap_or(0.0),
            )
        };
        let months: Vec<MonthPoint> = (0..n)
            .map(|i| MonthPoint {
                month: f.months[i].clone(),
                opened: get(&opened, i).unwrap_or(0.0) as u64,
                resolved: get(&resolved, i).unwrap_or(0.0) as u64,
                mttr_median_s: med_at(i),
                mttr_p90_s: p90_at(i),
                attainment_pct: att_at(i),
            })
            .collect();
        let series =
            |pick: &dyn Fn(&MonthPoint) -> Option<f64>| months.iter().map(pick).collect::<Vec<_>>();
        let mut trends = BTreeMap::new();
        trends.insert(
            "attainment_pct",
            Trend::of(&series(&|m| m.attainment_pct), true),
        );
        trends.insert(
            "mttr_median_s",
            Trend::of(&series(&|m| m.mttr_median_s), false),
        );
        trends.insert("mttr_p90_s", Trend::of(&series(&|m| m.mttr_p90_s), false));
        trends.insert(
            "volume",
            Trend::of(&series(&|m| Some(m.opened as f64)), false),
        );

        let mut slas: BTreeMap<String, [(f64, f64); 2]> = BTreeMap::new();
        for (k, r) in &att.rows {
            let Some((unit, i)) = um(k).filter(|x| &x.0 == name) else {
                continue;
            };
            if i + 1 < cur_m {
                continue;
            }
            let sla = att.text(r, "sla_name").unwrap_or_default().to_string();
            let m = att.num(r, "met").unwrap_or(0.0);
            let d = m
                + att.num(r, "breached").unwrap_or(0.0)
                + att.num(r, "in_progress_breached").unwrap_or(0.0);
            let e = &mut slas.entry(sla).or_default()[i + 1 - cur_m];
            *e = (e.0 + m, e.1 + d);
            let _ = unit;
        }
        let slas: Vec<SlaKpi> = slas
            .into_iter()
            .filter(|(_, v)| v[1].1 > 0.0)
            .map(|(sla_name, v)| SlaKpi {
                sla_name,
                counted: v[1].1 as u64,
                met: v[1].0 as u64,
                kpi: Kpi {
                    value: ratio(v[1].0, v[1].1),
                    previous: ratio(v[0].0, v[0].1),
                    target: t.attainment_pct,
                    status: t.attainment(ratio(v[1].0, v[1].1), v[1].1 as u64),
                },
            })
            .collect();

        let weeks_out: Vec<WeekPoint> = weeks
            .iter()
            .enumerate()
            .map(|(i, (s, _))| {
                let row = weekly
                    .rows
                    .iter()
                    .find(|(k, r)| k.first() == Some(name) && weekly.num(r, "i") == Some(i as f64));
                let v = |c: &str| row.and_then(|(_, r)| weekly.num(r, c)).unwrap_or(0.0) as u64;
                WeekPoint {
                    week_start: super::fmt::day(*s),
                    opened: v("opened"),
                    resolved: v("resolved"),
                    backlog: v("backlog"),
                }
            })
            .collect();
        let aging_out = aging_sums
            .iter()
            .map(|(label, v)| {
                (
                    label.to_string(),
                    v.get(name).copied().unwrap_or(0.0) as u64,
                )
            })
            .collect();

        let mut by_prio: BTreeMap<String, u64> = BTreeMap::new();
        let mut top_breaches = Vec::new();
        for r in breaches_by_unit.get(name.as_str()).into_iter().flatten() {
            let prio = breaches
                .text(r, "priority")
                .map_or("(none)".to_string(), |p| format!("P{p}"));
            *by_prio.entry(prio.clone()).or_default() += 1;
            if top_breaches.len() < top {
                let s = |c: &str| breaches.text(r, c).unwrap_or_default().to_string();
                top_breaches.push(Breach {
                    sla_name: s("sla_name"),
                    ticket_id: s("ticket_id"),
                    priority: prio,
                    group: s("assignment_group"),
                    title: s("title"),
                    breach_at: s("breach_at"),
                    overrun_s: breaches.num(r, "overrun_s").unwrap_or(0.0),
                });
            }
        }

        let problems_out: Vec<ProblemRow> = problems
            .rows
            .iter()
            .filter(|(k, _)| k.first() == Some(name))
            .take(top)
            .map(|(_, r)| {
                let s = |c: &str| problems.text(r, c).unwrap_or_default().to_string();
                ProblemRow {
                    candidate_id: s("candidate_id"),
                    rank: problems.num(r, "rank").unwrap_or(0.0) as u64,
                    label: s("label"),
                    incidents: problems.num(r, "incidents").unwrap_or(0.0) as u64,
                    first_seen: s("first_seen"),
                    last_seen: s("last_seen"),
                    unlinked: problems.text(r, "unlinked") == Some("true"),
                    problem_ids: s("problem_ids"),
                    breach_pct: problems.num(r, "breach_pct"),
                }
            })
            .collect();

        let ch = changes.rows.iter().find(|(k, r)| {
            k.first() == Some(name) && changes.text(r, "change_type") == Some("(all)")
        });
        let chv = |c: &str| ch.and_then(|(_, r)| changes.num(r, c));
        let changes_out = ChangeKpi {
            changes: chv("changes").unwrap_or(0.0) as u64,
            successful: chv("successful").unwrap_or(0.0) as u64,
            failed: chv("failed").unwrap_or(0.0) as u64,
            success_pct: chv("success_pct"),
            incidents_caused: chv("incidents_caused").unwrap_or(0.0) as u64,
        };
        let fl = flags.rows.iter().find(|(k, _)| k.first() == Some(name));
        let flv = |c: &str| fl.and_then(|(_, r)| flags.num(r, c)).unwrap_or(0.0) as u64;

        let cur = &months[cur_m];
        let prior = &months[cur_m - 1];
        let mut unit = Unit {
            name: name.clone(),
            slug,
            attainment_pct: Kpi {
                value: cur.attainment_pct,
                previous: prior.attainment_pct,
                target: t.attainment_pct,
                status: t.attainment(cur.attainment_pct, counted_at(cur_m) as u64),
            },
            slas,
            mttr_median_s: Kpi::new(
                cur.mttr_median_s,
                prior.mttr_median_s,
                t.mttr_median_s,
                false,
                false,
            ),
            mttr_p90_s: Kpi::new(cur.mttr_p90_s, prior.mttr_p90_s, t.mttr_p90_s, false, false),
            volume: Kpi::new(
                Some(cur.opened as f64),
                Some(prior.opened as f64),
                None,
                false,
                false,
            ),
            backlog: Kpi::new(
                Some(backlog_cur.get(name).copied().unwrap_or(0.0)),
                Some(backlog_prev.get(name).copied().unwrap_or(0.0)),
                t.backlog,
                false,
                false,
            ),
            reopen_pct: Kpi::new(
                reopen_at(cur_m),
                reopen_at(cur_m - 1),
                t.reopen_pct,
                false,
                true,
            ),
            trends,
            months,
            weeks: weeks_out,
            aging: aging_out,
            breaches_by_priority: by_prio.into_iter().collect(),
            top_breaches,
            problems: problems_out,
            changes: changes_out,
            opened_flagged: (flv("tickets"), flv("flagged")),
            what_changed: Vec::new(),
            missed: Vec::new(),
        };
        unit.missed = missed(&unit);
        units.push(unit);
    }
    super::changes::describe(f, &mut units)?;
    Ok(units)
}

/// The KPIs that missed their target, named for people and scheduled jobs.
fn missed(u: &Unit) -> Vec<String> {
    let mut out: Vec<String> = u
        .slas
        .iter()
        .filter(|s| s.kpi.status == Rag::Missed)
        .map(|s| format!("{} attainment", s.sla_name))
        .collect();
    for (label, k) in [
        ("SLA attainment (all SLAs)", u.attainment_pct),
        ("MTTR median", u.mttr_median_s),
        ("MTTR p90", u.mttr_p90_s),
        ("backlog", u.backlog),
        ("reopen rate", u.reopen_pct),
    ] {
        if k.status == Rag::Missed {
            out.push(label.to_string());
        }
    }
    out
}
