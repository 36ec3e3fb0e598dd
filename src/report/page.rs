//! The HTML of the portfolio index and of a unit's report, as compiled maud templates: every
//! interpolated value is escaped by the template engine; only SVG that ticketlake drew itself
//! (and whose text plotters escaped) is inserted as markup. Pages are self-contained: CSS
//! inline, charts inline, a CSP that forbids loading anything, no scripts, A4 print styles.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::fmt::{self, clean};
use super::improvements::Progress;
use super::model::{CiSection, Kpi, Unit};
use crate::targets::Rag;

/// Facts shown on every page.
pub struct Context {
    /// `YYYY-MM`.
    pub period: String,
    /// As-of instant, RFC 3339.
    pub as_of: String,
    /// Dataset version.
    pub dataset_version: u64,
    /// ticketlake's version.
    pub version: &'static str,
    /// Generation time (volatile).
    pub generated_at: String,
    /// "service" or "group".
    pub unit_label: &'static str,
    /// Methodology: metric definitions.
    pub definitions: &'static [(&'static str, &'static str)],
    /// Methodology: SLA policies as (name, description).
    pub slas: Vec<(String, String)>,
    /// Methodology: calendars as (name, description).
    pub calendars: Vec<(String, String)>,
    /// Dataset-wide data quality as (label, value).
    pub quality: Vec<(String, String)>,
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:1.5rem auto;color:#1a1a1a;max-width:64rem;padding:0 1rem;line-height:1.4}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #bbb;padding-bottom:.2rem}h3{font-size:1rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#555}\
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.6rem}\
.tile{border:1px solid #bbb;border-left-width:6px;border-radius:4px;padding:.5rem .7rem;break-inside:avoid}\
.tile .v{display:block;font-size:1.35rem;font-weight:600}.tile small{display:block;color:#444}\
.rag{font-weight:600;font-size:.8rem;padding:0 .3rem;border-radius:3px}\
.met{border-left-color:#1b7f3b}.met .rag{background:#d7f0de;color:#0d4d22}\
.near{border-left-color:#b36b00}.near .rag{background:#fbe7c6;color:#5c3700}\
.missed{border-left-color:#b00020}.missed .rag{background:#f8d3d9;color:#6b0013}\
.none{border-left-color:#888}.none .rag{background:#e6e6e6;color:#333}\
tr.unlinked td{background:#fff4d6}figure{margin:1rem 0;break-inside:avoid}\
figure svg{width:100%;height:auto;max-width:720px;display:block}figcaption{font-size:.9rem;color:#333}\
details{margin:.3rem 0}ul.looks{padding-left:1.2rem}ul.looks>li{margin:.8rem 0}ul.looks figure svg{max-width:560px}.verdict{font-weight:600}ul.changed li{margin:.2rem 0}\
@page{size:A4;margin:14mm}@media print{body{margin:0;max-width:none;font-size:10pt}\
h2{break-after:avoid}details{display:block}details>summary{display:none}a{color:inherit;text-decoration:none}}";

fn shell(ctx: &Context, title: &str, body: Markup) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(super::html::CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "ticketlake " (ctx.version) };
                title { (clean(title)) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string();
    // One block per line, so the committed example diffs readably; escaped text never holds
    // `</`, so only real end tags match. The generation time sits alone on a marked line so
    // the example-report test can skip it.
    let mut out = page.replace(
        "<p class=\"generated\">",
        "\n<p class=\"generated\" data-volatile>",
    );
    for end in [
        "</p>",
        "</h1>",
        "</h2>",
        "</h3>",
        "</tr>",
        "</table>",
        "</div>",
        "</figure>",
        "</li>",
        "</ul>",
        "</dd>",
        "</style>",
        "</head>",
        "</details>",
    ] {
        out = out.replace(end, &format!("{end}\n"));
    }
    out.replace("</body>", "\n</body>") + "\n"
}

fn rag_class(r: Rag) -> &'static str {
    match r {
        Rag::Met => "met",
        Rag::Near => "near",
        Rag::Missed => "missed",
        Rag::None | Rag::TooFew => "none",
    }
}

fn tile(label: &str, k: &Kpi, f: &dyn Fn(f64) -> String) -> Markup {
    html! {
        div class={ "tile " (rag_class(k.status)) } {
            (label)
            span class="v" { (fmt::opt(k.value, f)) }
            small { "last month " (fmt::opt(k.previous, f)) }
            small { "target " (fmt::opt(k.target, f)) " " span class="rag" { (k.status.label()) } }
        }
    }
}

/// A chart with its caption, and the numbers behind it in a table next to it.
pub struct Figure {
    /// File stem under `charts/` and `tables/`.
    pub name: String,
    /// Caption.
    pub caption: String,
    /// The SVG.
    pub svg: String,
    /// Table header.
    pub header: Vec<String>,
    /// Table rows.
    pub rows: Vec<Vec<String>>,
}

pub(super) fn table(header: &[String], rows: &[Vec<String>]) -> Markup {
    html! {
        table {
            thead { tr { @for h in header { th { (h) } } } }
            tbody {
                @for r in rows {
                    tr { @for c in r {
                        @if c.parse::<f64>().is_ok() { td class="n" { (c) } } @else { td { (clean(c)) } }
                    } }
                }
            }
        }
    }
}

/// The configuration-item section: top CIs, suspect changes, CIs changed without incidents.
fn cis(c: &CiSection) -> Markup {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let top: Vec<Vec<String>> = c
        .top
        .iter()
        .map(|r| {
            vec![
                r.ci.clone(),
                r.class.clone(),
                r.incidents.to_string(),
                r.previous.to_string(),
                fmt::opt(r.share_pct, fmt::pct),
                fmt::opt(r.mttr_h.map(|h| h * 3600.0), fmt::duration),
                r.breaches.to_string(),
                r.changes.to_string(),
            ]
        })
        .collect();
    let suspects: Vec<Vec<String>> = c
        .suspects
        .iter()
        .map(|s| {
            vec![
                s.change_id.clone(),
                s.ci.clone(),
                s.change_end.clone(),
                s.incidents_after.to_string(),
                format!("{:.1}", s.expected),
                if s.confirmed { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    let quiet: Vec<Vec<String>> = c
        .quiet
        .iter()
        .map(|q| vec![q.ci.clone(), q.class.clone(), q.changes.to_string()])
        .collect();
    html! {
        h2 { "Configuration items" }
        @if top.is_empty() {
            p { "No incident of the month names a configuration item." }
        } @else {
            (table(&strings(&["Configuration item", "Class", "Incidents", "Last month", "Share", "MTTR (mean)", "SLA breaches", "Changes"]), &top))
        }
        h3 { "Changes followed by incidents" }
        @if suspects.is_empty() {
            p { "No change of the month was followed by more incidents on its CIs than their usual rate explains." }
        } @else {
            (table(&strings(&["Change", "Configuration item", "Ended", "Incidents in the window after", "Expected", "Named as cause"]), &suspects))
        }
        @if !quiet.is_empty() {
            h3 { "Changed without incidents" }
            (table(&strings(&["Configuration item", "Class", "Changes"]), &quiet))
        }
    }
}

pub(super) fn figure(f: &Figure) -> Markup {
    html! {
        figure {
            (PreEscaped(&f.svg))
            figcaption { (f.caption) " " span class="muted" { "(charts/" (f.name) ".svg, tables/" (f.name) ".csv)" } }
            details open { summary { "The numbers behind this chart" } (table(&f.header, &f.rows)) }
        }
    }
}

fn quality(ctx: &Context) -> Markup {
    html! { table { tbody { @for (k, v) in &ctx.quality { tr { th { (k) } td class="n" { (v) } } } } } }
}

fn methodology(ctx: &Context) -> Markup {
    html! {
        h2 id="methodology" { "Methodology" }
        dl {
            @for (k, v) in ctx.definitions { dt { b { (k) } } dd { (v) } }
        }
        h3 { "SLA policies" }
        ul { @for (n, d) in &ctx.slas { li { b { (n) } ": " (d) } } }
        @if ctx.slas.is_empty() { p { "No SLAs are configured; attainment is not measured." } }
        h3 { "Calendars" }
        ul { @for (n, d) in &ctx.calendars { li { b { (n) } ": " (d) } } }
        p class="muted" {
            "Period " (ctx.period) " (UTC months). As of " (ctx.as_of) ". Dataset version " (ctx.dataset_version)
            ". ticketlake " (ctx.version) "."
        }
        p class="generated" { "Generated " (ctx.generated_at) }
    }
}

fn improvements(list: &[&Progress]) -> Markup {
    html! {
        @if list.is_empty() {
            p class="muted" { "No improvement initiatives are declared for this scope ([[improvements]] in the config)." }
        } @else {
            table {
                thead { tr { th { "Initiative" } th { "Metric" } th { "Baseline" } th { "Now" } th { "Target" } th { "Due" } th { "Progress" } th { "Trend" } th { "Status" } } }
                tbody { @for p in list {
                    @let f = |v: f64| if p.declared.metric.starts_with("mttr") { fmt::duration(v) } else if p.declared.metric == "volume" { fmt::count(v) } else { fmt::pct(v) };
                    tr {
                        td { (p.declared.name) br; span class="muted" { (p.declared.service) @if let Some(pr) = p.declared.priority { ", P" (pr) } } }
                        td { (p.declared.metric) }
                        td { (fmt::opt(p.baseline_value, f)) " (" (p.declared.baseline) ")" }
                        td class="n" { (fmt::opt(p.current_value, f)) }
                        td class="n" { (f(p.target_value)) }
                        td { (p.declared.due) }
                        td class="n" { (fmt::opt(p.progress_pct, fmt::pct)) }
                        td { (p.trend.verdict) }
                        td { b { (p.status) } }
                    }
                } }
            }
        }
    }
}

/// A unit's report.
pub fn unit_page(
    ctx: &Context,
    u: &Unit,
    figures: &[Figure],
    register: &[&Progress],
    look: &Markup,
) -> String {
    let title = format!("{} — {} report {}", u.name, ctx.unit_label, ctx.period);
    let tr = |k: &str| u.trends.get(k).map_or("insufficient data", |t| t.verdict);
    let body = html! {
        p class="muted" { a href="index.html" { "← portfolio" } }
        h1 { (clean(&u.name)) }
        p { "Monthly " (ctx.unit_label) " report for " b { (ctx.period) } ", as of " (ctx.as_of) "." }
        h2 { "Key indicators" }
        div class="tiles" {
            (tile("SLA attainment (all SLAs)", &u.attainment_pct, &fmt::pct))
            @for s in &u.slas { (tile(&format!("{} attainment", s.sla_name), &s.kpi, &fmt::pct)) }
            (tile("MTTR median", &u.mttr_median_s, &fmt::duration))
            (tile("MTTR p90", &u.mttr_p90_s, &fmt::duration))
            (tile("Opened (incidents + requests)", &u.volume, &fmt::count))
            (tile("Backlog at month end", &u.backlog, &fmt::count))
            (tile("Reopen rate", &u.reopen_pct, &fmt::pct))
        }
        @if !u.missed.is_empty() { p { b { "Missed targets: " } (u.missed.join(", ")) } }
        h2 { "What changed since last month" }
        @if u.what_changed.is_empty() { p { "No indicator moved by 10 % (or 5 points) or more on enough tickets." } }
        ul class="changed" { @for s in &u.what_changed { li { (clean(s)) } } }
        (look)
        h2 { "Trends over 13 months" }
        p {
            "SLA attainment: " span class="verdict" { (tr("attainment_pct")) } ". "
            "MTTR median: " span class="verdict" { (tr("mttr_median_s")) } "; p90: " span class="verdict" { (tr("mttr_p90_s")) } ". "
            "Volume: " span class="verdict" { (tr("volume")) } "."
        }
        p class="muted" { "Trend test: Theil-Sen slope with Mann-Kendall significance (p < 0.05); fewer than 4 months is insufficient data." }
        @for f in figures.iter().take(2) { (figure(f)) }
        h2 { "Flow and backlog" }
        @for f in figures.iter().skip(2).take(2) { (figure(f)) }
        h2 { "SLA breaches" }
        @for f in figures.iter().skip(4) { (figure(f)) }
        h3 { "Top breaches by overrun" }
        @if u.top_breaches.is_empty() { p { "No breaches in the period." } } @else {
            table {
                thead { tr { th { "SLA" } th { "Ticket" } th { "Priority" } th { "Group" } th { "Title" } th { "Breached at" } th { "Overrun" } } }
                tbody { @for b in &u.top_breaches { tr {
                    td { (b.sla_name) } td { (clean(&b.ticket_id)) } td { (b.priority) } td { (clean(&b.group)) }
                    td { (clean(&b.title)) } td { (b.breach_at) } td class="n" { (fmt::duration(b.overrun_s)) }
                } } }
            }
        }
        h2 { "Recurring-problem candidates" }
        @if u.problems.is_empty() { p { "No candidates touch this " (ctx.unit_label) "." } } @else {
            p class="muted" { "Highlighted rows are not linked to any problem record: raise one." }
            table {
                thead { tr { th { "Candidate" } th { "Rank" } th { "What the incidents share" } th { "Pattern" } th { "Incidents" } th { "First seen" } th { "Last seen" } th { "Breached" } th { "Problem records" } } }
                tbody { @for p in &u.problems {
                    tr class=[p.unlinked.then_some("unlinked")] {
                        td { (p.candidate_id) } td class="n" { (p.rank) } td { (clean(&p.label)) @if p.unlinked { " " b { "(unlinked)" } } }
                        td { (p.pattern) } td class="n" { (p.incidents) } td { (p.first_seen) } td { (p.last_seen) }
                        td class="n" { (fmt::opt(p.breach_pct, fmt::pct)) } td { (clean(&p.problem_ids)) }
                    }
                } }
            }
        }
        h2 { "Changes" }
        table {
            thead { tr { th { "Changes closed" } th { "Successful" } th { "Failed" } th { "Success rate" } th { "Incidents caused by change" } th { "Followed by incidents (suspected)" } th { "Confirmed by an incident" } } }
            tbody { tr {
                td class="n" { (u.changes.changes) } td class="n" { (u.changes.successful) } td class="n" { (u.changes.failed) }
                td class="n" { (fmt::opt(u.changes.success_pct, fmt::pct)) } td class="n" { (u.changes.incidents_caused) }
                td class="n" { (u.changes.followed_by_incidents) } td class="n" { (u.changes.confirmed) }
            } }
        }
        (cis(&u.cis))
        h2 { "Data quality" }
        p { (u.opened_flagged.0) " tickets opened in the period; " (u.opened_flagged.1) " carry data-quality flags." }
        (quality(ctx))
        h2 { "Improvement register" }
        (improvements(register))
        (methodology(ctx))
    };
    shell(ctx, &title, body)
}

/// The portfolio: one row per unit, worst attainment first.
pub fn index_page(
    ctx: &Context,
    units: &[(&Unit, String)],
    register: &[&Progress],
    look: &Markup,
    classes: &Markup,
) -> String {
    let title = format!("Service portfolio {}", ctx.period);
    let body = html! {
        h1 { "Portfolio report " (ctx.period) }
        p { (units.len()) " " (ctx.unit_label) "s, worst SLA attainment first. As of " (ctx.as_of) "." }
        table {
            thead { tr {
                th { (ctx.unit_label) } th { "SLA attainment" } th { "13 months" } th { "MTTR median" } th { "MTTR p90" }
                th { "Opened" } th { "Backlog" } th { "Reopen rate" } th { "Missed targets" }
            } }
            tbody { @for (u, spark) in units { tr {
                td { a href={ (ctx.unit_label) "-" (u.slug) ".html" } { (clean(&u.name)) } }
                td class={ "tile " (rag_class(u.attainment_pct.status)) } {
                    (fmt::opt(u.attainment_pct.value, fmt::pct)) " " span class="rag" { (u.attainment_pct.status.label()) }
                }
                td { (PreEscaped(spark)) }
                td class="n" { (fmt::opt(u.mttr_median_s.value, fmt::duration)) }
                td class="n" { (fmt::opt(u.mttr_p90_s.value, fmt::duration)) }
                td class="n" { (fmt::opt(u.volume.value, fmt::count)) }
                td class="n" { (fmt::opt(u.backlog.value, fmt::count)) }
                td class="n" { (fmt::opt(u.reopen_pct.value, fmt::pct)) }
                td { @if u.missed.is_empty() { "none" } @else { (u.missed.join(", ")) } }
            } } }
        }
        (look)
        (classes)
        h2 { "Improvement register" }
        (improvements(register))
        h2 { "Data quality" }
        (quality(ctx))
        (methodology(ctx))
    };
    shell(ctx, &title, body)
}
