//! `ticketlake sla-check`: agreement between ticketlake's SLA verdicts and the vendor's.

use super::{Ctx, out};
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::settings::Shown;
use crate::table::{Format, Table};

/// Run `sla-check`.
pub(crate) fn run(p: &Project, format: Format, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    if ctx.showed(shown, format == Format::Json)? {
        return Ok(ExitStatus::Success);
    }
    let c = crate::sla::check::check(&p.dataset)?;
    match format {
        Format::Json => out::json(&c)?,
        Format::Csv => {
            let rows = c
                .disagreements
                .iter()
                .map(|d| {
                    vec![
                        Some(d.source.clone()),
                        Some(d.ticket_id.clone()),
                        Some(d.vendor.clone()),
                        Some(d.ticketlake.join("; ")),
                    ]
                })
                .collect();
            let t = Table::text(&["source", "ticket_id", "vendor", "ticketlake"], rows);
            out::table(&t, Format::Csv)?;
        }
        Format::Table => {
            let mut w = out::Lines::default();
            let rate = c
                .agreement_rate
                .map(|r| format!("{:.1} %", r * 100.0))
                .unwrap_or_else(|| "n/a".into());
            w.add(format!(
                "compared {} tickets with a vendor verdict: {} agree ({rate})",
                c.compared, c.agreed
            ));
            for d in c.disagreements.iter().take(50) {
                w.add(format!(
                    "  {}/{}: vendor {} | ticketlake {}",
                    d.source,
                    d.ticket_id,
                    d.vendor,
                    d.ticketlake.join(", ")
                ));
            }
            duration_lines(&mut w, &c.durations);
            w.print()?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The vendor-duration agreements, when the export had any durations to compare.
fn duration_lines(w: &mut out::Lines, durations: &[crate::sla::durations::Agreement]) {
    if durations.iter().all(|d| d.compared == 0) {
        return;
    }
    w.add(format!(
        "vendor durations against ticketlake's (agree = within {} s):",
        crate::sla::durations::TOLERANCE_S
    ));
    for d in durations {
        let rate = d
            .agreement_rate
            .map(|r| format!(" ({:.1} %)", r * 100.0))
            .unwrap_or_default();
        let median = d
            .median_abs_diff_s
            .map(|m| format!(", median difference {m} s"))
            .unwrap_or_default();
        w.add(format!(
            "  {} time, {} vs {}: {} tickets compared, {} agree{rate}{median}",
            d.measure, d.vendor_column, d.ticketlake, d.compared, d.agreed
        ));
    }
}
