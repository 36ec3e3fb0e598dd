//! Change-to-incident correlation: did a change break something? For each change (its end:
//! `actual_end`, else `planned_end`), the incidents opened in the window after it on its CI or
//! on a CI that depends on it, against what that CI set's own rate in the weeks before the
//! change predicts.
//!
//! - An incident counts after at most one change: the latest that ended before it, within the
//!   window, on its CI or on one its CI depends on (so a good change made just before a bad
//!   one does not share the bad one's incidents).
//! - The expected count is the mean of the same windows in each of the baseline weeks before
//!   the change (the same hours of the same weekdays, so a change on a Monday morning is not
//!   compared with nights and weekends), with half an incident added (the Jeffreys prior of a
//!   Poisson rate): a CI with no incidents in its baseline does not make one incident after a
//!   change a finding.
//! - The p-value is the Poisson chance of that many incidents or more; the changes are
//!   `suspect` when significant after a Benjamini-Hochberg correction over every change tested
//!   and material: at least `min-ratio` times the expected count (with thousands of incidents
//!   a few per cent more would be significant, and mean nothing).
//! - A window cut short by the build's as-of is scaled down with it; a change whose baseline
//!   reaches before the first incident of the dataset is not tested (its expected count would
//!   be too low).
//! - Incidents whose `caused_by_change` names the change are counted as `linked_incidents`,
//!   and the change is `confirmed`.

use std::collections::HashMap;

use polars::prelude::*;

use super::graph::Resolver;
use crate::dataset::chunks::Chunks;
use crate::dataset::columns;
use crate::error::{Error, Result};
use crate::insights::stats::{benjamini_hochberg, poisson_sf};

/// `[changes]` in the config.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ChangeConfig {
    /// Whether `build` writes the `change_impact` table (default true).
    pub enabled: bool,
    /// How long after a change its incidents are counted ("72h").
    pub window: String,
    /// Weeks before a change that give its CIs' usual incident rate (4).
    pub baseline_weeks: u32,
    /// The false-discovery rate of `suspect` (0.05).
    pub q: f64,
    /// The smallest effect of `suspect`: incidents after over the expected count (1.5).
    pub min_ratio: f64,
}

impl Default for ChangeConfig {
    fn default() -> Self {
        ChangeConfig {
            enabled: true,
            window: "72h".into(),
            baseline_weeks: 4,
            q: 0.05,
            min_ratio: 1.5,
        }
    }
}

/// [`ChangeConfig`], checked.
#[derive(Debug, Clone, Copy)]
pub struct ChangeParams {
    /// Whether the table is computed.
    pub enabled: bool,
    /// The window, µs.
    pub window: i64,
    /// The false-discovery rate.
    pub q: f64,
    /// The smallest ratio of a suspect.
    pub min_ratio: f64,
    /// The baseline weeks.
    pub weeks: u32,
}

impl ChangeConfig {
    /// The checked settings; errors name the key.
    pub fn params(&self) -> std::result::Result<ChangeParams, String> {
        let s = match crate::sla::policy::parse_target(&self.window) {
            Ok(crate::sla::policy::Target::Seconds(s)) => s as f64,
            _ => {
                return Err(format!(
                    "window: `{}` is not a duration; write it like \"72h\" or \"2d\"",
                    self.window
                ));
            }
        };
        if !(60.0..=90.0 * 86_400.0).contains(&s) {
            return Err(format!(
                "window: `{}` must be 1 minute to 90 days",
                self.window
            ));
        }
        if !(1..=52).contains(&self.baseline_weeks) {
            return Err("baseline-weeks: must be 1 to 52".into());
        }
        if !(self.q > 0.0 && self.q <= 1.0) {
            return Err("q: must be above 0 and at most 1".into());
        }
        if self.min_ratio.is_nan() || self.min_ratio < 1.0 {
            return Err("min-ratio: must be at least 1".into());
        }
        Ok(ChangeParams {
            enabled: self.enabled,
            window: (s * 1e6) as i64,
            q: self.q,
            min_ratio: self.min_ratio,
            weeks: self.baseline_weeks,
        })
    }
}

/// One change as read.
struct Change {
    id: String,
    source: String,
    /// Index of its CI among the items, when `config_item` resolves.
    ci: Option<usize>,
    end: Option<i64>,
}

/// What the tickets say, by CI index.
#[derive(Default)]
struct Read {
    changes: Vec<Change>,
    /// Incident opening instants per CI, sorted.
    incidents: Vec<Vec<i64>>,
    /// Incidents per (source, change id) that `caused_by_change` names.
    linked: HashMap<(String, String), u64>,
    /// The first incident of the dataset.
    first: Option<i64>,
}

/// The CMDB as the correlation walks it.
struct Graph {
    ids: Vec<String>,
    names: Vec<Option<String>>,
    /// CI id → its index.
    index: HashMap<String, usize>,
    /// Names and ids as tickets give them → CI id.
    resolver: Resolver,
    /// CI → the CIs it depends on, itself included.
    on: Vec<Vec<usize>>,
    /// CI → the CIs that depend on it, itself included.
    dependents: Vec<Vec<usize>>,
}

impl Graph {
    fn new(items: &DataFrame, deps: &DataFrame) -> Result<Graph> {
        let ids: Vec<String> = columns::text_vec(items, "ci_id")?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        let names = columns::text_vec(items, "name")?;
        let index: HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect();
        let n = ids.len();
        let (mut on, mut dependents) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let from = columns::text_vec(deps, "ci_id")?;
        let to = columns::text_vec(deps, "depends_on")?;
        for (a, b) in from.iter().zip(&to) {
            let ends = a
                .as_deref()
                .and_then(|a| index.get(a))
                .zip(b.as_deref().and_then(|b| index.get(b)));
            if let Some((&a, &b)) = ends {
                on[a].push(b);
                dependents[b].push(a);
            }
        }
        Ok(Graph {
            ids,
            names,
            index,
            resolver: Resolver::new(items)?,
            on,
            dependents,
        })
    }

    /// The index of the CI a ticket's `config_item` names, if it names one.
    fn ci_of(&self, name: Option<&str>) -> Option<usize> {
        name.and_then(|n| self.resolver.resolve(n))
            .and_then(|id| self.index.get(id).copied())
    }
}

/// The `change_impact` table of the tickets in `chunks`, on the CMDB's `items` and their
/// dependency closure `deps`, as of `as_of` (µs).
pub fn table(
    chunks: &Chunks,
    items: &DataFrame,
    deps: &DataFrame,
    p: &ChangeParams,
    as_of: i64,
) -> Result<DataFrame> {
    let graph = Graph::new(items, deps)?;
    let read = read(chunks, &graph)?;
    let rows = evaluate(&read, &graph, p, as_of);
    frame_of(&rows, Some(&graph), p)
}

/// One pass over the tickets: the changes, and each CI's incidents.
fn read(chunks: &Chunks, graph: &Graph) -> Result<Read> {
    let ci_of = |name: Option<&str>| graph.ci_of(name);
    let mut out = Read {
        incidents: vec![Vec::new(); graph.ids.len()],
        ..Read::default()
    };
    let cols = [
        "kind",
        "ticket_id",
        "source",
        "config_item",
        "opened_at",
        "actual_end",
        "planned_end",
        "caused_by_change",
    ];
    chunks.for_each(&cols, |_, df| {
        let kind = columns::text(&df, "kind")?;
        let id = columns::text(&df, "ticket_id")?;
        let source = columns::text(&df, "source")?;
        let ci = columns::text(&df, "config_item")?;
        let opened = columns::micros(&df, "opened_at")?;
        let actual = columns::micros(&df, "actual_end")?;
        let planned = columns::micros(&df, "planned_end")?;
        let caused = columns::text(&df, "caused_by_change")?;
        for i in 0..df.height() {
            match kind.get(i) {
                Some("incident") => {
                    let at = opened.get(i);
                    out.first = match (out.first, at) {
                        (Some(f), Some(a)) => Some(f.min(a)),
                        (f, a) => f.or(a),
                    };
                    if let (Some(c), Some(at)) = (ci_of(ci.get(i)), at) {
                        out.incidents[c].push(at);
                    }
                    if let Some(ch) = caused.get(i).map(str::trim).filter(|c| !c.is_empty()) {
                        let key = (source.get(i).unwrap_or("").to_string(), ch.to_string());
                        *out.linked.entry(key).or_default() += 1;
                    }
                }
                Some("change") => out.changes.push(Change {
                    id: id.get(i).unwrap_or("").to_string(),
                    source: source.get(i).unwrap_or("").to_string(),
                    ci: ci_of(ci.get(i)),
                    end: actual.get(i).or(planned.get(i)),
                }),
                _ => {}
            }
        }
        Ok(())
    })?;
    for v in &mut out.incidents {
        v.sort_unstable();
    }
    out.changes
        .sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
    Ok(out)
}

/// One row of `change_impact`.
struct Row<'a> {
    change: &'a Change,
    window_end: Option<i64>,
    after: Option<u64>,
    baseline: Option<u64>,
    expected: Option<f64>,
    p: Option<f64>,
    q: Option<f64>,
    linked: u64,
}

/// A week, µs.
const WEEK: i64 = 7 * 86_400_000_000;

/// How many of `times` (sorted) fall in `[from, to)`.
fn count(times: &[i64], from: i64, to: i64) -> u64 {
    (times.partition_point(|&t| t < to) - times.partition_point(|&t| t < from)) as u64
}

/// The incidents a change on `ci` ending at `end` would see without an effect: each CI that
/// depends on it is exposed while the change is the latest before it (until the next change
/// on that CI or below it, the window's end or the as-of), and contributes its incidents in
/// the same span of time one, two, ... baseline weeks earlier; the expected count is their
/// mean over the weeks, plus half an incident (the Jeffreys prior). `None` when no time is
/// left (the change ends at or after the as-of). Also the baseline count (all the weeks').
fn expectation(
    read: &Read,
    graph: &Graph,
    by_ci: &[Vec<(i64, usize)>],
    ci: usize,
    end: i64,
    p: &ChangeParams,
    as_of: i64,
) -> Option<(u64, f64)> {
    let (mut base, mut longest) = (0u64, 0i64);
    for &a in &graph.dependents[ci] {
        let next = graph.on[a]
            .iter()
            .filter_map(|&d| {
                let v = &by_ci[d];
                v.get(v.partition_point(|&(e, _)| e <= end))
                    .map(|&(e, _)| e)
            })
            .min()
            .unwrap_or(i64::MAX);
        let exposure = next.min(end + p.window).min(as_of) - end;
        if exposure > 0 {
            let n: u64 = (1..=i64::from(p.weeks))
                .map(|k| {
                    count(
                        &read.incidents[a],
                        end - k * WEEK,
                        end - k * WEEK + exposure,
                    )
                })
                .sum();
            base += n;
            longest = longest.max(exposure);
        }
    }
    (longest > 0).then(|| (base, (base as f64 + 0.5) / f64::from(p.weeks)))
}

/// Attribute each incident to the latest change before it, then test each change.
fn evaluate<'a>(read: &'a Read, graph: &Graph, p: &ChangeParams, as_of: i64) -> Vec<Row<'a>> {
    // Each CI's changes with an end, by end.
    let mut by_ci: Vec<Vec<(i64, usize)>> = vec![Vec::new(); graph.ids.len()];
    for (i, c) in read.changes.iter().enumerate() {
        if let (Some(ci), Some(end)) = (c.ci, c.end) {
            by_ci[ci].push((end, i));
        }
    }
    for v in &mut by_ci {
        v.sort_unstable();
    }
    let mut after = vec![0u64; read.changes.len()];
    for (ci, times) in read.incidents.iter().enumerate() {
        for &t in times {
            // The latest change that ended before t within the window, on ci or below it.
            let latest = graph.on[ci]
                .iter()
                .filter_map(|&d| {
                    let v = &by_ci[d];
                    let k = v.partition_point(|&(end, _)| end < t);
                    (k > 0)
                        .then(|| v[k - 1])
                        .filter(|&(end, _)| end >= t - p.window)
                })
                .max();
            if let Some((_, change)) = latest {
                after[change] += 1;
            }
        }
    }
    let mut rows: Vec<Row> = read
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let linked = read
                .linked
                .get(&(c.source.clone(), c.id.clone()))
                .copied()
                .unwrap_or(0);
            let mut row = Row {
                change: c,
                window_end: c.end.map(|e| e + p.window),
                after: None,
                baseline: None,
                expected: None,
                p: None,
                q: None,
                linked,
            };
            if let (Some(ci), Some(end)) = (c.ci, c.end) {
                row.after = Some(after[i]);
                let tested = read
                    .first
                    .is_some_and(|f| f <= end - i64::from(p.weeks) * WEEK);
                if let Some((base, expected)) = tested
                    .then(|| expectation(read, graph, &by_ci, ci, end, p, as_of))
                    .flatten()
                {
                    row.baseline = Some(base);
                    row.expected = Some(expected);
                    row.p = Some(poisson_sf(after[i], expected));
                }
            }
            row
        })
        .collect();
    let tested: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].p.is_some()).collect();
    let pvalues: Vec<f64> = tested.iter().map(|&i| rows[i].p.unwrap_or(1.0)).collect();
    for (&i, q) in tested.iter().zip(benjamini_hochberg(&pvalues)) {
        rows[i].q = Some(q);
    }
    rows
}

/// The rows as the `change_impact` frame; `suspect` at q-values of at most `p.q` and ratios
/// of at least `p.min_ratio`.
fn frame_of(rows: &[Row], graph: Option<&Graph>, p: &ChangeParams) -> Result<DataFrame> {
    let utc = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let ts = |name: &str, v: Vec<Option<i64>>| {
        Column::new(name.into(), v)
            .cast(&utc)
            .map_err(Error::polars("change_impact"))
    };
    let ci = |r: &Row| r.change.ci.zip(graph);
    let ratio = |r: &Row| r.after.zip(r.expected).map(|(a, e)| a as f64 / e);
    let cols = vec![
        Column::new(
            "change_id".into(),
            rows.iter()
                .map(|r| r.change.id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "source".into(),
            rows.iter()
                .map(|r| r.change.source.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_id".into(),
            rows.iter()
                .map(|r| ci(r).map(|(c, g)| g.ids[c].as_str()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "ci".into(),
            rows.iter()
                .map(|r| ci(r).and_then(|(c, g)| g.names[c].as_deref()))
                .collect::<Vec<_>>(),
        ),
        ts("change_end", rows.iter().map(|r| r.change.end).collect())?,
        ts("window_end", rows.iter().map(|r| r.window_end).collect())?,
        Column::new(
            "incidents_after".into(),
            rows.iter()
                .map(|r| r.after.map(|a| a as i64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "baseline_incidents".into(),
            rows.iter()
                .map(|r| r.baseline.map(|a| a as i64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "expected".into(),
            rows.iter().map(|r| r.expected).collect::<Vec<_>>(),
        ),
        Column::new("ratio".into(), rows.iter().map(ratio).collect::<Vec<_>>()),
        Column::new(
            "p_value".into(),
            rows.iter().map(|r| r.p).collect::<Vec<_>>(),
        ),
        Column::new(
            "q_value".into(),
            rows.iter().map(|r| r.q).collect::<Vec<_>>(),
        ),
        Column::new(
            "suspect".into(),
            rows.iter()
                .map(|r| {
                    r.q.is_some_and(|v| v <= p.q) && ratio(r).is_some_and(|x| x >= p.min_ratio)
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "linked_incidents".into(),
            rows.iter().map(|r| r.linked as i64).collect::<Vec<_>>(),
        ),
        Column::new(
            "confirmed".into(),
            rows.iter().map(|r| r.linked > 0).collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new(rows.len(), cols).map_err(Error::polars("building change_impact"))
}

/// The empty `change_impact` table, with its schema.
pub fn empty() -> Result<DataFrame> {
    let p = ChangeConfig::default().params().map_err(Error::Usage)?;
    frame_of(&[], None, &p)
}

#[cfg(test)]
#[path = "impact_tests.rs"]
mod tests;
