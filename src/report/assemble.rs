//! Assembles every unit's [`Unit`] from the query results: the 13-month series, the KPIs of
//! this and last month against targets, the weekly flow, aging, breaches, problems, changes
//! and data-quality counts. All grouping is by the unit's composite keys (see `data`).

use std::collections::{BTreeMap, BTreeSet};

use super::data::{Fetch, Grid, Part, UnitKind, sum_by};
use super::model::*;
use crate::error::Result;
use crate::targets::{Rag, TargetSet, Targets};

// The unit's period sections (weekly flow, aging, breaches, problems, changes, flags): a
// child of this module, kept in a sibling file.
#[path = "sections.rs"]
mod sections;
use sections::{aging_counts, breach_lists, change_kpi, opened_flagged, problem_rows, week_points};

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| (10000.0 * num / den).round() / 100.0)
}

const MONTH_ATT: Part = Part::Month("COALESCE(stop_at, breach_at, start_at)");
const MONTH_RES: Part = Part::Month("resolved_at");
const MONTH_OPEN: Part = Part::Month("opened_at");

fn inc_req(g: &Grid, r: &[Option<String>]) -> bool {
    matches!(g.text(r, "kind"), Some("incident" | "request"))
}

/// The (unit, month index) of a key grouped by unit and month; `None` outside the 13 months.
fn unit_month(f: &Fetch, k: &[String]) -> Option<(String, usize)> {
    Some((k.first()?.clone(), f.month_index(k.get(1)?)?))
}

/// Gather every unit's report.
pub fn assemble(f: &Fetch, targets: &TargetSet, top: usize) -> Result<Vec<Unit>> {
    let g = grids(f)?;
    let s = sums(f, &g);
    let names = unit_names(&s);
    let slugs = unique_slugs(&names);
    let c = Ctx {
        f,
        g: &g,
        s: &s,
        breaches: breaches_by_unit(f, &g.breaches),
        top,
    };
    let mut units = Vec::new();
    for (name, slug) in names.iter().zip(slugs) {
        // Targets are configured per service; group reports use the defaults.
        let t = targets.for_unit(if f.unit == UnitKind::Service {
            name
        } else {
            ""
        });
        let mut unit = unit(&c, name, slug, t);
        unit.missed = missed(&unit);
        units.push(unit);
    }
    super::changes::describe(f, &mut units)?;
    Ok(units)
}

/// The query results every unit's report is cut from, run once for all units.
struct Grids {
    /// SLA clocks per unit, month and SLA over the 13 months.
    att: Grid,
    /// Resolved count, MTTR median and p90 per unit and month.
    mttr: Grid,
    /// Volume per unit and month over the 13 months.
    vol: Grid,
    /// Volume (for the backlog) of this month and the one before.
    vol_cur: Grid,
    vol_prev: Grid,
    /// Reopened tickets per unit and month.
    reopen: Grid,
    /// Open tickets by age per unit at the end of the period.
    aging: Grid,
    /// The period's breached clocks, largest overrun first.
    breaches: Grid,
    /// Change success per unit and change type.
    changes: Grid,
    /// The period's weeks and the flow per unit and week.
    weeks: Vec<(i64, i64)>,
    weekly: Grid,
    /// Opened and flagged tickets per unit.
    flags: Grid,
    /// Recurring-problem candidates per unit, by rank.
    problems: Grid,
    /// The configuration-item section's grids.
    cis: super::cis::CiGrids,
}

/// Run every query of the report: the 13-month series, the period and the month before.
fn grids(f: &Fetch) -> Result<Grids> {
    let (p, prev) = (&f.period, &f.previous);
    let (lo, hi) = (f.series_start, p.end);
    let unit = f.unit_expr();
    let u = Part::Text(&unit);
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
    let cis = super::cis::grids(f)?;
    Ok(Grids {
        att,
        mttr,
        vol,
        vol_cur,
        vol_prev,
        reopen,
        aging,
        breaches,
        changes,
        weeks,
        weekly,
        flags,
        problems,
        cis,
    })
}

/// A sum per (unit, month index).
type ByMonth = BTreeMap<(String, usize), f64>;

/// The grids summed per (unit, month) and per unit, computed once rather than once per unit.
struct Sums {
    met: ByMonth,
    breached: ByMonth,
    ipb: ByMonth,
    opened: ByMonth,
    resolved: ByMonth,
    median: ByMonth,
    p90: ByMonth,
    /// Unit-months whose MTTR is known: a month without resolved tickets has no median,
    /// which a sum would show as 0.
    has_median: BTreeSet<(String, usize)>,
    reopened: ByMonth,
    with_data: ByMonth,
    backlog_cur: BTreeMap<String, f64>,
    backlog_prev: BTreeMap<String, f64>,
    /// Open incidents and requests per age band (label) and unit.
    aging: Vec<(&'static str, BTreeMap<String, f64>)>,
}

/// Sum the grids per unit and month (the series) or per unit (backlog, aging).
fn sums(f: &Fetch, g: &Grids) -> Sums {
    let um = |k: &[String]| unit_month(f, k);
    let unit_only = |k: &[String]| k.first().cloned();
    let all = |_: &[Option<String>]| true;
    let (att, mttr, reopen) = (&g.att, &g.mttr, &g.reopen);
    let (vol, vol_cur, vol_prev) = (&g.vol, &g.vol_cur, &g.vol_prev);
    Sums {
        met: sum_by(att, "met", um, all),
        breached: sum_by(att, "breached", um, all),
        ipb: sum_by(att, "in_progress_breached", um, all),
        opened: sum_by(vol, "opened", um, |r| inc_req(vol, r)),
        resolved: sum_by(mttr, "resolved", um, all),
        median: sum_by(mttr, "median_s", um, all),
        p90: sum_by(mttr, "p90_s", um, all),
        has_median: mttr
            .rows
            .iter()
            .filter(|(_, r)| mttr.num(r, "median_s").is_some())
            .filter_map(|(k, _)| um(k))
            .collect(),
        reopened: sum_by(reopen, "reopened", um, all),
        with_data: sum_by(reopen, "with_data", um, all),
        backlog_cur: sum_by(vol_cur, "backlog_at_end", unit_only, |r| {
            inc_req(vol_cur, r)
        }),
        backlog_prev: sum_by(vol_prev, "backlog_at_end", unit_only, |r| {
            inc_req(vol_prev, r)
        }),
        aging: [
            ("0-2 days", "age_0_2d"),
            ("3-7 days", "age_3_7d"),
            ("8-30 days", "age_8_30d"),
            ("over 30 days", "age_over_30d"),
        ]
        .iter()
        .map(|(label, col)| {
            (
                *label,
                sum_by(&g.aging, col, unit_only, |r| inc_req(&g.aging, r)),
            )
        })
        .collect(),
    }
}

impl Sums {
    /// The unit's sum of `m` in month `i`, if it had rows.
    fn at(m: &ByMonth, name: &str, i: usize) -> Option<f64> {
        m.get(&(name.to_string(), i)).copied()
    }

    /// Clocks counted for attainment in month `i`: met, breached and running past breach.
    fn counted(&self, name: &str, i: usize) -> f64 {
        Self::at(&self.met, name, i).unwrap_or(0.0)
            + Self::at(&self.breached, name, i).unwrap_or(0.0)
            + Self::at(&self.ipb, name, i).unwrap_or(0.0)
    }

    /// SLA attainment (all SLAs), percent, in month `i`.
    fn attainment(&self, name: &str, i: usize) -> Option<f64> {
        ratio(
            Self::at(&self.met, name, i).unwrap_or(0.0),
            self.counted(name, i),
        )
    }

    /// MTTR median in month `i`, seconds; `None` where no ticket was resolved.
    fn median(&self, name: &str, i: usize) -> Option<f64> {
        let known = self.has_median.contains(&(name.to_string(), i));
        known.then(|| Self::at(&self.median, name, i)).flatten()
    }

    /// MTTR p90 in month `i`, seconds; `None` where the median is unknown.
    fn p90(&self, name: &str, i: usize) -> Option<f64> {
        let known = self.has_median.contains(&(name.to_string(), i));
        known.then(|| Self::at(&self.p90, name, i)).flatten()
    }

    /// Reopen rate in month `i`, percent of the tickets with reopen data.
    fn reopen(&self, name: &str, i: usize) -> Option<f64> {
        ratio(
            Self::at(&self.reopened, name, i).unwrap_or(0.0),
            Self::at(&self.with_data, name, i).unwrap_or(0.0),
        )
    }
}

/// The units reported on, sorted: those with any volume, clocks or resolutions in the 13
/// months, or a backlog now.
fn unit_names(s: &Sums) -> Vec<String> {
    let mut names: BTreeSet<String> = s.opened.keys().map(|k| k.0.clone()).collect();
    names.extend(s.met.keys().map(|k| k.0.clone()));
    names.extend(s.breached.keys().map(|k| k.0.clone()));
    names.extend(s.resolved.keys().map(|k| k.0.clone()));
    names.extend(
        s.backlog_cur
            .iter()
            .filter(|(_, v)| **v > 0.0)
            .map(|(k, _)| k.clone()),
    );
    names.into_iter().collect()
}

/// The period's breached clocks per unit, keeping the query's order (largest overrun first).
fn breaches_by_unit<'g>(
    f: &Fetch,
    breaches: &'g Grid,
) -> BTreeMap<&'g str, Vec<&'g [Option<String>]>> {
    let mut by_unit: BTreeMap<&str, Vec<&[Option<String>]>> = BTreeMap::new();
    for (_, r) in &breaches.rows {
        let unit = breaches.text(r, f.unit.column()).unwrap_or("(none)");
        by_unit.entry(unit).or_default().push(r);
    }
    by_unit
}

/// What every unit's report is cut from.
struct Ctx<'a> {
    f: &'a Fetch<'a>,
    g: &'a Grids,
    s: &'a Sums,
    breaches: BTreeMap<&'a str, Vec<&'a [Option<String>]>>,
    top: usize,
}

/// One unit's report: the headline KPIs of this month against last month and the targets,
/// and every section. `missed` and `what_changed` are left empty for the caller.
fn unit(c: &Ctx, name: &str, slug: String, t: Targets) -> Unit {
    let (g, s) = (c.g, c.s);
    let cur_m = c.f.months.len() - 1;
    let months = month_points(c.f, s, name);
    let (breaches_by_priority, top_breaches) =
        breach_lists(&g.breaches, c.breaches.get(name), c.top);
    let cur = &months[cur_m];
    let prior = &months[cur_m - 1];
    Unit {
        name: name.to_string(),
        slug,
        attainment_pct: Kpi {
            value: cur.attainment_pct,
            previous: prior.attainment_pct,
            target: t.attainment_pct,
            status: t.attainment(cur.attainment_pct, s.counted(name, cur_m) as u64),
        },
        slas: sla_kpis(c.f, &g.att, name, t),
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
            Some(s.backlog_cur.get(name).copied().unwrap_or(0.0)),
            Some(s.backlog_prev.get(name).copied().unwrap_or(0.0)),
            t.backlog,
            false,
            false,
        ),
        reopen_pct: Kpi::new(
            s.reopen(name, cur_m),
            s.reopen(name, cur_m - 1),
            t.reopen_pct,
            false,
            true,
        ),
        trends: trends(&months),
        months,
        weeks: week_points(&g.weeks, &g.weekly, name),
        aging: aging_counts(&s.aging, name),
        breaches_by_priority,
        top_breaches,
        problems: problem_rows(&g.problems, name, c.top),
        changes: change_kpi(&g.changes, name),
        cis: super::cis::section(&g.cis, name, c.top),
        opened_flagged: opened_flagged(&g.flags, name),
        what_changed: Vec::new(),
        missed: Vec::new(),
        insights: Vec::new(),
    }
}

/// The unit's 13 month points: opened, resolved, MTTR and attainment per month.
fn month_points(f: &Fetch, s: &Sums, name: &str) -> Vec<MonthPoint> {
    let get = |m: &ByMonth, i: usize| Sums::at(m, name, i);
    (0..f.months.len())
        .map(|i| MonthPoint {
            month: f.months[i].clone(),
            opened: get(&s.opened, i).unwrap_or(0.0) as u64,
            resolved: get(&s.resolved, i).unwrap_or(0.0) as u64,
            mttr_median_s: s.median(name, i),
            mttr_p90_s: s.p90(name, i),
            attainment_pct: s.attainment(name, i),
        })
        .collect()
}

/// The trend verdicts of the 13-month series of attainment, MTTR and volume.
fn trends(months: &[MonthPoint]) -> BTreeMap<&'static str, Trend> {
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
    trends
}

/// The attainment of each of the unit's SLAs this month (against last month and the target);
/// SLAs with no clock counted this month are left out.
fn sla_kpis(f: &Fetch, att: &Grid, name: &str, t: Targets) -> Vec<SlaKpi> {
    let cur_m = f.months.len() - 1;
    // Per SLA, (met, counted) of last month ([0]) and this month ([1]).
    let mut slas: BTreeMap<String, [(f64, f64); 2]> = BTreeMap::new();
    for (k, r) in &att.rows {
        let Some((_, i)) = unit_month(f, k).filter(|x| x.0 == name) else {
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
    }
    slas.into_iter()
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
        .collect()
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
