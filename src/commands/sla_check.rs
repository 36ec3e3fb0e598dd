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
            w.print()?;
        }
    }
    Ok(ExitStatus::Success)
}
