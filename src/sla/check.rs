//! `ticketlake sla-check`: ticketlake's SLA verdicts against the vendor's own, where the
//! export carries one (ServiceNow `made_sla` → `tickets.vendor_sla_met`). A ticket made its
//! SLAs, in the vendor's sense, when none of its stopped SLAs breached. The vendor's own
//! durations (`vendor_calendar_s`, `vendor_business_s`) are compared with ticketlake's wall
//! and business times in [`durations`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::durations;
use crate::dataset::Location;
use crate::dataset::columns::text;
use crate::dataset::{TICKETS, manifest, store};
use crate::error::{Error, Result};

/// One ticket where the two verdicts differ.
#[derive(Debug, Serialize)]
pub struct Disagreement {
    /// Source system.
    pub source: String,
    /// Ticket id.
    pub ticket_id: String,
    /// The vendor's verdict as exported.
    pub vendor: String,
    /// ticketlake's states per SLA, e.g. `P2 resolution=breached`.
    pub ticketlake: Vec<String>,
}

/// The cross-check result.
#[derive(Debug, Serialize)]
pub struct Check {
    /// Tickets with both verdicts.
    pub compared: u64,
    /// Tickets where they agree.
    pub agreed: u64,
    /// agreed ÷ compared.
    pub agreement_rate: Option<f64>,
    /// The disagreements.
    pub disagreements: Vec<Disagreement>,
    /// The vendor's durations against ticketlake's: wall time, then business time.
    pub durations: Vec<durations::Agreement>,
}

fn vendor_met(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "met" => Some(true),
        "false" | "0" | "no" | "n" | "breached" => Some(false),
        _ => None,
    }
}

/// Compare the current `sla` table with the vendor verdicts.
pub fn check(root: &Location) -> Result<Check> {
    let m = manifest::current(root)?;
    let tickets = store::read_table(root, &m, TICKETS)?.unwrap_or_default();
    let Some(sla) = store::read_table(root, &m, crate::dataset::SLA)? else {
        return Err(Error::Dataset {
            path: root.shown_path(),
            message:
                "there is no sla table; declare [[sla]] in the config and run `ticketlake build`"
                    .into(),
        });
    };
    let mut ours: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    let (sid, ssrc, sname, sstate) = (
        text(&sla, "ticket_id")?,
        text(&sla, "source")?,
        text(&sla, "sla_name")?,
        text(&sla, "state")?,
    );
    for i in 0..sla.height() {
        if let (Some(id), Some(src), Some(n), Some(st)) =
            (sid.get(i), ssrc.get(i), sname.get(i), sstate.get(i))
        {
            ours.entry((src.into(), id.into()))
                .or_default()
                .push((n.into(), st.into()));
        }
    }
    let (tid, tsrc, vend) = (
        text(&tickets, "ticket_id")?,
        text(&tickets, "source")?,
        text(&tickets, "vendor_sla_met")?,
    );
    let (mut compared, mut agreed, mut disagreements) = (0u64, 0u64, Vec::new());
    for i in 0..tickets.height() {
        let (Some(id), Some(src), Some(v)) = (tid.get(i), tsrc.get(i), vend.get(i)) else {
            continue;
        };
        let Some(vendor) = vendor_met(v) else {
            continue;
        };
        let Some(states) = ours.get(&(src.to_string(), id.to_string())) else {
            continue;
        };
        let stopped: Vec<&(String, String)> = states
            .iter()
            .filter(|(_, s)| s == "met" || s == "breached")
            .collect();
        if stopped.is_empty() {
            continue;
        }
        compared += 1;
        let met = stopped.iter().all(|(_, s)| s == "met");
        if met == vendor {
            agreed += 1;
        } else {
            disagreements.push(Disagreement {
                source: src.into(),
                ticket_id: id.into(),
                vendor: v.into(),
                ticketlake: states.iter().map(|(n, s)| format!("{n}={s}")).collect(),
            });
        }
    }
    Ok(Check {
        compared,
        agreed,
        agreement_rate: (compared > 0).then(|| agreed as f64 / compared as f64),
        disagreements,
        durations: durations::compare(&tickets, &sla)?,
    })
}
