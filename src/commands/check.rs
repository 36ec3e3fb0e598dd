//! `ticketlake check`: SLA attainment per SLA and dimension against a minimum, for CI. The
//! formats (text, JSON, Markdown, JUnit XML with one testcase per row) say the same thing;
//! a row below its minimum makes the exit code 1.

use super::{Ctx, out};
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::report::check::{Check, CheckBy, CheckFormat, evaluate};
use crate::report::fmt::clean;
use crate::report::html::escape;
use crate::settings::{self, Shown};

/// Run `check`.
pub(crate) fn run(
    p: &Project,
    period: Option<&str>,
    min: Option<f64>,
    by: CheckBy,
    format: CheckFormat,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    let min = settings::check(p, min, shown)?;
    shown.add(
        "check.period",
        period,
        if period.is_some() {
            "--period"
        } else {
            "default (the last complete month)"
        },
    );
    if ctx.showed(shown, format == CheckFormat::Json)? {
        return Ok(ExitStatus::Success);
    }
    let c = evaluate(p, period, min, by)?;
    out::text(&render(&c, format))?;
    Ok(ExitStatus::findings_if(c.failures > 0))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2} %"))
}

/// The check in `format`.
fn render(c: &Check, format: CheckFormat) -> String {
    match format {
        CheckFormat::Json => serde_json::to_string(c).unwrap_or_default() + "\n",
        CheckFormat::Text => {
            let mut out = String::new();
            for r in &c.rows {
                out.push_str(&format!(
                    "{:<7} {} / {}: {} of {} clocks met, attainment {} (target {:.1} %)\n",
                    r.result.to_uppercase(),
                    clean(&r.scope),
                    r.sla_name,
                    r.met,
                    r.counted,
                    pct(r.attainment_pct),
                    r.target_pct
                ));
            }
            out.push_str(&format!(
                "{}: {} row(s) by {}, {} failed\n",
                c.period,
                c.rows.len(),
                c.by,
                c.failures
            ));
            out
        }
        CheckFormat::Markdown => {
            let cell = |s: &str| clean(s).replace('|', "\\|");
            let mut out = format!(
                "| {} | SLA | met | counted | attainment | target | result |\n|---|---|---:|---:|---:|---:|---|\n",
                c.by
            );
            for r in &c.rows {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {:.1} % | {} |\n",
                    cell(&r.scope),
                    cell(&r.sla_name),
                    r.met,
                    r.counted,
                    pct(r.attainment_pct),
                    r.target_pct,
                    if r.result == "fail" {
                        "**fail**"
                    } else {
                        r.result
                    }
                ));
            }
            out
        }
        CheckFormat::Junit => {
            let skipped = c.rows.iter().filter(|r| r.result == "skipped").count();
            let mut out = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ticketlake check\" tests=\"{n}\" failures=\"{f}\" skipped=\"{skipped}\">\n  \
                 <testsuite name=\"SLA attainment {p} by {b}\" tests=\"{n}\" failures=\"{f}\" skipped=\"{skipped}\">\n",
                n = c.rows.len(),
                f = c.failures,
                p = escape(&c.period),
                b = c.by
            );
            for r in &c.rows {
                out.push_str(&format!(
                    "    <testcase classname=\"{}.{}\" name=\"{}\">",
                    c.by,
                    escape(&r.scope),
                    escape(&r.sla_name)
                ));
                match r.result {
                    "fail" => out.push_str(&format!(
                        "\n      <failure type=\"attainment\" message=\"attainment {} below target {:.1} %\">{} of {} counted clocks met</failure>\n    ",
                        pct(r.attainment_pct),
                        r.target_pct,
                        r.met,
                        r.counted
                    )),
                    "skipped" => out.push_str(&format!(
                        "\n      <skipped message=\"{} counted clock(s): too few to judge\"/>\n    ",
                        r.counted
                    )),
                    _ => {}
                }
                out.push_str("</testcase>\n");
            }
            out.push_str("  </testsuite>\n</testsuites>\n");
            out
        }
    }
}
