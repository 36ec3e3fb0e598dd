//! `ticketlake insights`: the ranked statistical findings of a window of months, with the
//! recurring-problem candidates of the same window, printed as a table, CSV or JSON.

use super::{Ctx, out};
use crate::cli::{InsightsArgs, OutputFormat};
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::settings::Shown;
use crate::table::Table;

/// `ticketlake insights`: resolve the window, detect, print.
pub(crate) fn run(
    s: &Project,
    a: &InsightsArgs,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    let cfg = &s.insights;
    let period = a
        .period
        .as_deref()
        .map(crate::time::Period::parse)
        .transpose()?;
    let months = a.months.unwrap_or(cfg.months);
    shown.add(
        "insights.months",
        months,
        match (a.months, &period) {
            (Some(_), _) => "--months".to_string(),
            (None, Some(_)) => "the --period (its own months)".to_string(),
            (None, None) => format!(
                "[insights] months (default {})",
                crate::insights::InsightConfig::default().months
            ),
        },
    );
    shown.add(
        "insights.period",
        &a.period,
        if a.period.is_some() {
            "--period"
        } else {
            "default (ending with the last complete month before the as-of)"
        },
    );
    shown.add("insights.q", cfg.q, "[insights] q (default 0.05)");
    if ctx.showed(shown, a.format == OutputFormat::Json)? {
        return Ok(ExitStatus::Success);
    }
    let mut window = (0, 0);
    let pick = |as_of: i64| {
        window = match (&period, a.months) {
            (Some(p), None) => (p.start, p.end),
            (p, _) => crate::insights::window(as_of, p.as_ref().map(|p| p.end), months),
        };
        // Candidates over all of history, as `build` commits them; those active in the
        // window become findings, so the command and the table agree.
        Ok(None)
    };
    let (found, _) = super::problems::detect_current(s, &s.problems, pick)?;
    let scope = crate::insights::Scope {
        start: window.0,
        end: window.1,
        service: a.service.clone(),
    };
    let m = crate::dataset::manifest::current(&s.dataset)?;
    let findings = crate::insights::detect(&s.dataset, &m, cfg, &[scope], &found.candidates)?;
    let frame = crate::insights::frame(&findings)?;
    let table = Table::from_frame(&frame, a.limit)?;
    out::table_cut(&table, a.format, a.limit, "--limit")?;
    if a.format == OutputFormat::Table {
        let span = format!(
            "{} to {}",
            crate::insights::series::day(window.0),
            crate::insights::series::day(window.1 - 1)
        );
        if findings.is_empty() {
            out::note(format_args!(
                "no findings in the incidents opened {span}: nothing stands out at q ≤ {} \
                 with a material effect (a correct answer, not an error)",
                cfg.q
            ));
        } else {
            out::note(format_args!(
                "{} findings in the incidents opened {span} (q ≤ {})",
                findings.len(),
                cfg.q
            ));
        }
    }
    Ok(ExitStatus::Success)
}
