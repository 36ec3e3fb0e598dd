//! The configuration-item section of a unit's report: the unit's CIs with the most incidents
//! in the month, with their count the month before (`queries/ci_hotspots.sql`); the changes
//! of the month followed by more incidents on their CIs than those CIs' rate explains (the
//! `change_impact` table); and the CIs changed in the month without an incident, which are
//! fine. Part of `assemble`. The portfolio's CI-class table comes from here too.

use std::collections::HashMap;

use maud::{Markup, html};

use crate::error::Result;
use crate::report::data::{Fetch, Grid, Part, of_unit};
use crate::report::model::{CiRow, CiSection, QuietCi, SuspectChange};

/// The suspect changes of the period, by the unit of the change.
const SUSPECTS_SQL: &str = "SELECT {{unit}} AS key, i.change_id, i.ci, i.change_end, \
  i.incidents_after, i.expected, i.q_value, i.confirmed \
FROM change_impact i JOIN changes t ON t.ticket_id = i.change_id AND t.source = i.source \
WHERE i.suspect AND i.change_end >= $period_start AND i.change_end < $period_end \
ORDER BY i.q_value, i.change_id";

/// The grids behind the section.
pub(super) struct CiGrids {
    current: Grid,
    previous: Grid,
    suspects: Grid,
}

/// Run the section's queries for the period and the month before.
pub(super) fn grids(f: &Fetch) -> Result<CiGrids> {
    let unit = f.unit_expr();
    let u = Part::Text(&unit);
    let (p, prev) = (&f.period, &f.previous);
    Ok(CiGrids {
        current: f.query("ci_hotspots", &[u], p.start, p.end)?,
        previous: f.query("ci_hotspots", &[u], prev.start, prev.end)?,
        suspects: f.sql(SUSPECTS_SQL, p.start, p.end)?,
    })
}

/// The rows of `g` for unit `name` (the first key part).
fn of<'a>(g: &'a Grid, name: &'a str) -> impl Iterator<Item = &'a [Option<String>]> + 'a {
    g.rows
        .iter()
        .filter(move |(k, _)| of_unit(k, name))
        .map(|(_, r)| r.as_slice())
}

/// Unit `name`'s section, `top` rows per list at most.
pub(super) fn section(g: &CiGrids, name: &str, top: usize) -> CiSection {
    let text =
        |g: &Grid, r: &[Option<String>], c: &str| g.text(r, c).unwrap_or_default().to_string();
    let count = |g: &Grid, r: &[Option<String>], c: &str| g.num(r, c).unwrap_or(0.0) as u64;
    let before: HashMap<String, u64> = of(&g.previous, name)
        .map(|r| {
            (
                text(&g.previous, r, "ci"),
                count(&g.previous, r, "incidents"),
            )
        })
        .collect();
    let (cur, sus) = (&g.current, &g.suspects);
    // Tickets without a configuration item are the `(none)` row: not a CI.
    let cis: Vec<&[Option<String>]> = of(cur, name)
        .filter(|r| cur.text(r, "ci_class") != Some("(none)"))
        .collect();
    CiSection {
        top: cis
            .iter()
            .filter(|r| count(cur, r, "incidents") > 0)
            .take(top)
            .map(|r| CiRow {
                ci: text(cur, r, "ci"),
                class: text(cur, r, "ci_class"),
                incidents: count(cur, r, "incidents"),
                previous: before.get(&text(cur, r, "ci")).copied().unwrap_or(0),
                share_pct: cur.num(r, "share_pct"),
                mttr_h: cur.num(r, "mttr_h"),
                breaches: count(cur, r, "breaches"),
                changes: count(cur, r, "changes"),
            })
            .collect(),
        suspects: of(sus, name)
            .take(top)
            .map(|r| SuspectChange {
                change_id: text(sus, r, "change_id"),
                ci: text(sus, r, "ci"),
                change_end: text(sus, r, "change_end"),
                incidents_after: count(sus, r, "incidents_after"),
                expected: sus.num(r, "expected").unwrap_or(0.0),
                confirmed: sus.text(r, "confirmed") == Some("true"),
            })
            .collect(),
        quiet: cis
            .iter()
            .filter(|r| count(cur, r, "incidents") == 0 && count(cur, r, "changes") > 0)
            .take(top)
            .map(|r| QuietCi {
                ci: text(cur, r, "ci"),
                class: text(cur, r, "ci_class"),
                changes: count(cur, r, "changes"),
            })
            .collect(),
    }
}

/// The portfolio's table of CI classes in the period (`queries/ci_class_health.sql`), or a
/// sentence when the dataset has no CMDB.
pub(super) fn class_table(f: &Fetch) -> Result<Markup> {
    let g = f.query("ci_class_health", &[], f.period.start, f.period.end)?;
    let listed =
        |r: &[Option<String>]| !matches!(g.text(r, "ci_class"), Some("(none)" | "(not in CMDB)"));
    let cell = |r: &[Option<String>], c: &str| g.text(r, c).unwrap_or("").to_string();
    let pct =
        |r: &[Option<String>]| super::fmt::opt(g.num(r, "failed_change_pct"), super::fmt::pct);
    let rows: Vec<Vec<String>> = g
        .rows
        .iter()
        .map(|(_, r)| {
            vec![
                cell(r, "ci_class"),
                cell(r, "cis"),
                cell(r, "incidents"),
                cell(r, "incidents_per_ci"),
                cell(r, "cis_with_incidents"),
                cell(r, "changes"),
                cell(r, "failed_changes"),
                pct(r),
            ]
        })
        .collect();
    let header: Vec<String> = [
        "Class",
        "CIs",
        "Incidents",
        "Incidents per CI",
        "CIs with incidents",
        "Changes",
        "Failed changes",
        "Failed-change rate",
    ]
    .map(String::from)
    .to_vec();
    let cmdb = g.rows.iter().any(|(_, r)| listed(r));
    Ok(html! {
        h2 { "Configuration item classes" }
        @if cmdb {
            p { "Incidents opened and changes closed in the month by the class of their configuration item; '(not in CMDB)' are names no CI has, '(none)' tickets without one." }
            (super::page::table(&header, &rows))
        } @else {
            p { "No CMDB in the dataset: ingest a cmdb_ci export (or a kind = \"ci\" mapping) to see the classes of the configuration items." }
        }
    })
}
