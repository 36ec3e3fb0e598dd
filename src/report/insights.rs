//! "What to look at": the findings of `build`'s `insights` table in the reports. The
//! portfolio shows the whole desk's (rows with `service` NULL), a service page that
//! service's, a group page the desk's findings about that group; at most `[report] insights`
//! each (0 hides the section). Each finding comes with its evidence, a small chart and the
//! table behind it ([`super::insight_charts`]); `summary.json` carries the same rows.
//!
//! The section never fails a report: a dataset built before the table existed says it needs
//! `ticketlake build`, and an empty table is a correct answer, said as such.

use std::collections::BTreeSet;
use std::path::Path;

use maud::{Markup, html};
use serde::Serialize;

use super::data::{Fetch, UnitKind};
pub use super::model::Insight;
use super::page::Figure;
use crate::config::Project;
use crate::dataset::Manifest;
use crate::error::Result;

/// What the section can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The table's findings (maybe none).
    Shown,
    /// `[report] insights = 0`.
    Hidden,
    /// The dataset was built before the `insights` table existed, or never built.
    NotBuilt,
    /// Empty because `[insights] enabled = false`.
    Disabled,
}

/// The findings a report can show, read once.
pub struct Looks {
    /// What the section says.
    pub state: State,
    /// Findings per scope at most.
    pub limit: usize,
    /// The window the findings examined (µs, month starts, end exclusive).
    pub window: (i64, i64),
    rows: Vec<Insight>,
    /// Services examined on their own by `build` (masked names).
    examined: BTreeSet<String>,
    /// Fewest incidents of a service examined on its own (4 × `min-incidents`).
    service_min: u64,
}

/// Whom a section is about.
#[derive(Clone, Copy)]
pub enum Whom<'a> {
    /// The portfolio.
    Desk,
    /// A service page.
    Service(&'a str),
    /// A group page.
    Group,
}

impl Looks {
    /// Read the `insights` table of the session (the window from the build record, else the
    /// configured months ending with the report period).
    pub fn load(f: &Fetch, s: &Project, m: &Manifest, limit: usize) -> Result<Looks> {
        let window = m
            .build
            .as_ref()
            .and_then(|b| b.insights_window.as_ref())
            .and_then(|(a, b)| {
                Some((
                    crate::time::parse_instant(a).ok()?,
                    crate::time::parse_instant(b).ok()?,
                ))
            })
            .unwrap_or_else(|| {
                crate::insights::window(f.as_of, Some(f.period.end), s.insights.months)
            });
        let built = m.build.is_some()
            && m.tables
                .get(crate::dataset::schema::INSIGHTS)
                .is_some_and(|t| !t.files.is_empty());
        let mut looks = Looks {
            state: State::Shown,
            limit,
            window,
            rows: Vec::new(),
            examined: BTreeSet::new(),
            service_min: 4 * s.insights.min_incidents as u64,
        };
        if limit == 0 {
            looks.state = State::Hidden;
            return Ok(looks);
        }
        if !built {
            looks.state = State::NotBuilt;
            return Ok(looks);
        }
        looks.rows = rows(f)?;
        if looks.rows.is_empty() && !s.insights.enabled {
            looks.state = State::Disabled;
        }
        if f.unit == UnitKind::Service {
            looks.examined = examined(f, looks.service_min)?;
            looks
                .examined
                .extend(looks.rows.iter().filter_map(|r| r.service.clone()));
        }
        Ok(looks)
    }

    /// The whole desk's findings, at most `limit`.
    pub fn desk(&self) -> Vec<Insight> {
        self.pick(|r| r.service.is_none())
    }

    /// The findings of one report unit: a service's own; for a group, the desk's findings
    /// about that assignment group.
    pub fn for_unit(&self, unit: UnitKind, name: &str) -> Vec<Insight> {
        match unit {
            UnitKind::Service => self.pick(|r| r.service.as_deref() == Some(name)),
            UnitKind::Group => self.pick(|r| {
                r.service.is_none() && r.dimension == "assignment_group" && r.value == name
            }),
        }
    }

    fn pick(&self, keep: impl Fn(&Insight) -> bool) -> Vec<Insight> {
        let mut out: Vec<Insight> = self.rows.iter().filter(|r| keep(r)).cloned().collect();
        out.sort_by_key(|r| r.rank);
        out.truncate(self.limit);
        out
    }

    /// The window's first and last month, and its length in months.
    fn months(&self) -> (String, String, usize) {
        let starts = super::insight_charts::month_starts(self.window);
        let label = |t: Option<&i64>| t.map(|t| super::fmt::month(*t)).unwrap_or_default();
        (label(starts.first()), label(starts.last()), starts.len())
    }

    /// The section's state and window for `summary.json`.
    pub fn window_json(&self) -> serde_json::Value {
        let (first, last, n) = self.months();
        serde_json::json!({
            "state": self.state,
            "first_month": first,
            "last_month": last,
            "months": n,
            "limit": self.limit,
        })
    }
}

/// Every row of the `insights` table, ranked within each scope.
fn rows(f: &Fetch) -> Result<Vec<Insight>> {
    let g = f.plain(
        "SELECT * FROM insights ORDER BY service NULLS FIRST, rank",
        false,
    )?;
    let mask = |s: &str| match &f.mask {
        Some(m) => m.text_seen(s),
        None => s.to_string(),
    };
    Ok(g.rows
        .iter()
        .map(|(_, r)| {
            let text = |c: &str| g.text(r, c).unwrap_or_default().to_string();
            let opt = |c: &str| g.text(r, c).filter(|v| !v.is_empty()).map(String::from);
            let service = opt("service");
            let value = text("value");
            Insight {
                service: service.as_deref().map(mask),
                rank: g.num(r, "rank").unwrap_or(0.0) as u64,
                kind: text("kind"),
                metric: text("metric"),
                dimension: text("dimension"),
                value: mask(&value),
                direction: text("direction"),
                window_start: opt("window_start"),
                window_end: opt("window_end"),
                effect: text("effect"),
                effect_value: g.num(r, "effect_value"),
                n: g.num(r, "n").map(|n| n as u64),
                p_value: g.num(r, "p_value"),
                q_value: g.num(r, "q_value"),
                score: g.num(r, "score"),
                sentence: mask(&text("sentence")),
                raw: (service, value),
            }
        })
        .collect())
}

/// The services `build` looks at on their own: the busiest by incidents, at least `min`
/// each (the rule of `derive`'s insights scopes).
fn examined(f: &Fetch, min: u64) -> Result<BTreeSet<String>> {
    let g = f.plain(
        &format!(
            "SELECT service, count(*) AS n FROM tickets WHERE kind = 'incident' \
             AND service IS NOT NULL GROUP BY 1 ORDER BY n DESC, service LIMIT {}",
            crate::derive::SERVICE_SCOPES
        ),
        true,
    )?;
    Ok(g.rows
        .iter()
        .filter(|(_, r)| g.num(r, "n").unwrap_or(0.0) as u64 >= min)
        .filter_map(|(_, r)| g.text(r, "service").map(String::from))
        .collect())
}

/// Write the chart and table of each finding of `list` (named `<prefix>-insight-<rank>`)
/// under `dir`, and return the section's HTML.
pub fn render(
    f: &Fetch,
    looks: &Looks,
    list: &[Insight],
    prefix: &str,
    dir: &Path,
    whom: Whom,
) -> Result<Markup> {
    let mut figures = Vec::new();
    for i in list {
        let name = format!("{prefix}-insight-{}", i.rank);
        let fig = figure(f, looks.window, i, name)?;
        if let Some(fig) = &fig {
            if !fig.svg.is_empty() {
                super::write_file(
                    &dir.join("charts").join(format!("{}.svg", fig.name)),
                    &fig.svg,
                )?;
            }
            super::figures::write_csv(
                &dir.join("tables").join(format!("{}.csv", fig.name)),
                &fig.header,
                &fig.rows,
            )?;
        }
        figures.push(fig);
    }
    Ok(section(looks, list, &figures, whom))
}

/// The finding's chart and table; `None` when its kind or dimension is unknown here.
fn figure(f: &Fetch, w: (i64, i64), i: &Insight, name: String) -> Result<Option<Figure>> {
    use super::{insight_charts as c, insight_time as t};
    if !c::known_dimension(&i.dimension) {
        return Ok(None);
    }
    Ok(Some(match i.kind.as_str() {
        "trend" if i.metric == "ttr" => t::trend_ttr(f, w, i, name)?,
        "trend" => t::trend_volume(f, w, i, name)?,
        "spike" => t::spike(f, w, i, name)?,
        "concentration" | "imbalance" => c::values(f, w, i, name)?,
        "correlation" => c::correlation(f, w, i, name)?,
        "recurring" => c::recurring(f, w, i, name)?,
        _ => return Ok(None),
    }))
}

fn q_text(q: Option<f64>) -> String {
    match q {
        None => "no test (recurring-problem rules)".into(),
        Some(q) if q < 0.001 => "q < 0.001".into(),
        Some(q) => format!("q = {q:.3}"),
    }
}

fn section(looks: &Looks, list: &[Insight], figures: &[Option<Figure>], whom: Whom) -> Markup {
    if looks.state == State::Hidden {
        return html! {};
    }
    let (first, last, months) = looks.months();
    let not_examined = match whom {
        Whom::Service(name) => !looks.examined.contains(name),
        _ => false,
    };
    html! {
        h2 id="what-to-look-at" { "What to look at" }
        @match looks.state {
            State::NotBuilt => p { "This dataset has no findings yet: it was built before ticketlake looked for them. Run " b { "ticketlake build" } " and report again." },
            State::Disabled => p { "Statistical findings are turned off ([insights] enabled = false)." },
            _ if list.is_empty() && not_examined => p {
                "Not examined on its own: ticketlake build looks for findings in the whole desk and in each of the "
                (crate::derive::SERVICE_SCOPES) " busiest services with at least " (looks.service_min)
                " incidents. The portfolio shows the whole desk's findings."
            },
            _ if list.is_empty() => p { "Nothing stands out in the last " (months) " months (" (first) " to " (last) ")." },
            _ => {
                p class="muted" {
                    "The strongest findings of ticketlake build about the incidents opened from " (first) " to " (last)
                    " (" (months) " months), strongest first. Each is significant after the false-discovery correction (q) and material in size."
                }
                ul class="looks" {
                    @for (i, fig) in list.iter().zip(figures) { li { (item(i, fig.as_ref())) } }
                }
            }
        }
    }
}

fn item(i: &Insight, fig: Option<&Figure>) -> Markup {
    let clean = super::fmt::clean;
    html! {
        p { b { (i.rank) ". " } (clean(&i.sentence)) "." }
        p class="muted" {
            (i.kind) " · " (i.metric) " · " (i.dimension) " · " (clean(&i.effect))
            @if let Some(n) = i.n { " · n = " (n) } " · " (q_text(i.q_value))
        }
        @if let Some(f) = fig {
            @if f.svg.is_empty() {
                p class="muted" { (f.caption) " (tables/" (f.name) ".csv)" }
                details open { summary { "The numbers behind this finding" } (super::page::table(&f.header, &f.rows)) }
            } @else {
                (super::page::figure(f))
            }
        }
    }
}
