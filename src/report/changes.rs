//! "What changed": the largest month-over-month movements of a unit, written as plain
//! sentences from the numbers, e.g. "P2 MTTR median rose from 6.1 h to 9.4 h (+54 %); the
//! increase is concentrated in group Network-L2 (4.0 h to 12.5 h)". Movements on too few
//! tickets to mean anything are left out.

use std::collections::BTreeMap;

use super::data::{Fetch, Part};
use super::fmt;
use super::model::Unit;
use crate::error::Result;
use crate::query::catalog::DIMENSIONS;

/// Fewest tickets in both months for a movement to be reported.
const MIN_N: f64 = 5.0;
/// Smallest movement reported: 10 % relative, or 5 percentage points.
const MIN_SCORE: f64 = 0.1;
/// Sentences per unit.
const MAX_SENTENCES: usize = 5;

type Medians = BTreeMap<Vec<String>, [Option<(f64, f64)>; 2]>;

/// Median and count per key (without the month) for the previous and current month.
fn medians(f: &Fetch, parts: &[Part]) -> Result<Medians> {
    let g = f.mttr(parts, f.previous.start, f.period.end)?;
    let cur = super::fmt::month(f.period.start);
    let mut out: Medians = BTreeMap::new();
    for (k, r) in &g.rows {
        if k.is_empty() {
            continue;
        }
        let (Some(n), Some(m)) = (g.num(r, "resolved"), g.num(r, "median_s")) else {
            continue;
        };
        let (month, key) = k.split_last().expect("non-empty key");
        let slot = usize::from(*month == cur);
        out.entry(key.to_vec()).or_default()[slot] = Some((n, m));
    }
    Ok(out)
}

fn verb(up: bool) -> &'static str {
    if up { "rose" } else { "fell" }
}

/// Fill `what_changed` for every unit.
pub fn describe(f: &Fetch, units: &mut [Unit]) -> Result<()> {
    let prio = DIMENSIONS
        .iter()
        .find(|d| d.0 == "priority")
        .map_or("", |d| d.1);
    let unit = f.unit_expr();
    let (unit, prio) = (Part::Text(&unit), Part::Text(prio));
    let month = Part::Month("resolved_at");
    let by_prio = medians(f, &[unit, prio, month])?;
    let by_group = medians(
        f,
        &[
            unit,
            prio,
            Part::Text("COALESCE(assignment_group, '(none)')"),
            month,
        ],
    )?;
    for u in units.iter_mut() {
        let mut found: Vec<(f64, String)> = Vec::new();
        for (k, v) in by_prio.iter().filter(|(k, _)| k[0] == u.name) {
            let (Some((n0, m0)), Some((n1, m1))) = (v[0], v[1]) else {
                continue;
            };
            if n0 < MIN_N || n1 < MIN_N || m0 <= 0.0 {
                continue;
            }
            let change = (m1 - m0) / m0;
            let mut s = format!(
                "{} MTTR median {} from {} to {} ({})",
                k[1],
                verb(m1 > m0),
                fmt::duration(m0),
                fmt::duration(m1),
                fmt::rel(m0, m1)
            );
            // The group whose own median moved most in the same direction, if it moved more
            // than the priority overall and at least twice as much as any other group.
            let mut groups: Vec<(f64, &str, f64, f64)> = by_group
                .iter()
                .filter(|(g, _)| g[0] == u.name && g[1] == k[1])
                .filter_map(|(g, gv)| {
                    let ((a, ga), (b, gb)) = (gv[0]?, gv[1]?);
                    (a >= 3.0 && b >= 3.0).then_some((gb - ga, g[2].as_str(), ga, gb))
                })
                .collect();
            groups.sort_by(|a, b| (b.0 * change.signum()).total_cmp(&(a.0 * change.signum())));
            if let Some(&(d, g, ga, gb)) = groups.first() {
                let next = groups.get(1).map_or(0.0, |x| x.0 * change.signum());
                let d_all = m1 - m0;
                if d * change.signum() > d_all.abs() && d * change.signum() >= 2.0 * next.max(0.0) {
                    s.push_str(&format!(
                        "; the {} is concentrated in group {} ({} to {})",
                        if change > 0.0 { "increase" } else { "decrease" },
                        g,
                        fmt::duration(ga),
                        fmt::duration(gb)
                    ));
                }
            }
            found.push((change.abs(), s + "."));
        }
        for s in &u.slas {
            let (Some(a), Some(b)) = (s.kpi.previous, s.kpi.value) else {
                continue;
            };
            if (s.counted as f64) < MIN_N {
                continue;
            }
            let d = b - a;
            found.push((
                d.abs() / 50.0,
                format!(
                    "{} attainment {} from {} to {} ({:+.1} points).",
                    s.sla_name,
                    verb(d > 0.0),
                    fmt::pct(a),
                    fmt::pct(b),
                    d
                ),
            ));
        }
        for (label, k) in [("Tickets opened", u.volume), ("The backlog", u.backlog)] {
            let (Some(a), Some(b)) = (k.previous, k.value) else {
                continue;
            };
            if a.max(b) < 2.0 * MIN_N || a == 0.0 {
                continue;
            }
            found.push((
                ((b - a) / a).abs(),
                format!(
                    "{label} {} from {a:.0} to {b:.0} ({}).",
                    verb(b > a),
                    fmt::rel(a, b)
                ),
            ));
        }
        if let (Some(a), Some(b)) = (u.reopen_pct.previous, u.reopen_pct.value) {
            found.push((
                (b - a).abs() / 50.0,
                format!(
                    "The reopen rate {} from {} to {} ({:+.1} points).",
                    verb(b > a),
                    fmt::pct(a),
                    fmt::pct(b),
                    b - a
                ),
            ));
        }
        found.retain(|(score, _)| *score >= MIN_SCORE);
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        u.what_changed = found.into_iter().take(MAX_SENTENCES).map(|x| x.1).collect();
    }
    Ok(())
}
