//! `ticketlake generate`: writes the synthetic service desk of [`model`] in each vendor
//! export shape ([`servicenow`], [`vendors`]), plus `truth.json` with what was injected.

mod background;
mod bad_changes;
pub(crate) mod clock;
mod cmdb;
mod desk;
mod draw;
mod faults;
mod inject;
pub(crate) mod model;
mod null;
mod servicenow;
pub(crate) mod vendors;

use chrono::{Datelike, NaiveDate, Utc};

use crate::error::{Error, Result};
use clock::LocalClock;
use servicenow::{TZ, write_eventlog, write_json, write_list_csv};

/// The last month generated: `--end-month`, else the month before the current one.
fn end_month(arg: Option<&str>) -> Result<NaiveDate> {
    match arg {
        Some(s) => NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .map_err(|_| Error::Usage(format!("--end-month `{s}` is not YYYY-MM"))),
        None => {
            let today = Utc::now().date_naive();
            let first =
                NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first of month");
            Ok(first
                .checked_sub_months(chrono::Months::new(1))
                .expect("previous month"))
        }
    }
}

/// Export shapes the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateFormat {
    /// List-view CSV per table (incident, problem, change_request, sc_req_item).
    ServicenowCsv,
    /// Table API JSON per table.
    ServicenowJson,
    /// Incident event log, one row per update.
    ServicenowEventlog,
    /// Jira Service Management issue navigator CSV (locale dates, repeated columns).
    JiraCsv,
    /// Jira REST search JSON with changelog.
    JiraJson,
    /// Zendesk incremental ticket export with metric sets, and ticket audits.
    ZendeskJson,
    /// ServiceNow incident list export with sys_id, and its sys_audit state changes.
    ServicenowAudit,
}

/// What `--inject` puts into the null desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Inject {
    /// One category's resolution time rises ×3 over the period.
    Trend,
    /// One location's volume is ×3 for 6 weeks.
    Spike,
    /// Some changes are followed by extra incidents on their CI or a CI that depends on it.
    BadChanges,
    /// Nothing: the null desk alone.
    None,
}

/// Fewest months `--inject` needs: room for the spike's window, 4 weeks from either end.
const INJECT_MIN_MONTHS: u32 = 6;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of tickets (all kinds together).
    pub tickets: u64,
    /// Months of history.
    pub months: u32,
    /// Random seed; the same seed gives the same files.
    pub seed: u64,
    /// Export shape.
    pub format: GenerateFormat,
    /// Last month generated, `YYYY-MM` (default: the month before the current one).
    pub end_month: Option<String>,
    /// Output directory.
    pub out: std::path::PathBuf,
    /// Paraphrase the injected bursts' titles, without an entity.
    pub paraphrases: bool,
    /// Generate the null desk with these injected (empty: the realistic desk).
    pub inject: Vec<Inject>,
}

/// The desk `args` asks for.
fn mode(args: &Options) -> Result<model::Mode> {
    if args.inject.is_empty() {
        return Ok(model::Mode::Desk {
            paraphrases: args.paraphrases,
        });
    }
    if args.paraphrases {
        return Err(Error::Usage(
            "--paraphrases applies to the injected bursts, which --inject does not have".into(),
        ));
    }
    if args.inject.contains(&Inject::None) && args.inject.len() > 1 {
        return Err(Error::Usage(
            "--inject none cannot be combined with trend, spike or bad-changes".into(),
        ));
    }
    if args.months < INJECT_MIN_MONTHS {
        return Err(Error::Usage(format!(
            "--inject needs --months {INJECT_MIN_MONTHS} or more (got {})",
            args.months
        )));
    }
    Ok(model::Mode::Null {
        trend: args.inject.contains(&Inject::Trend),
        spike: args.inject.contains(&Inject::Spike),
        bad_changes: args.inject.contains(&Inject::BadChanges),
    })
}

/// Generate exports into `args.out`; returns a one-line summary.
pub fn generate(args: &Options) -> Result<String> {
    if args.months == 0 {
        return Err(Error::Usage("--months must be at least 1".into()));
    }
    let end = end_month(args.end_month.as_deref())?;
    let mode = mode(args)?;
    std::fs::create_dir_all(&args.out).map_err(Error::io("creating", &args.out))?;
    let (tickets, truth) = model::tickets(args.tickets, args.months, end, args.seed, mode);
    let span = |d: &str| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    };
    let (from, to) = (
        span(&truth.period_start).unwrap_or_default(),
        span(&truth.period_end).unwrap_or_default(),
    );
    let clock = LocalClock::new(TZ, from, to);
    let files = match args.format {
        GenerateFormat::ServicenowCsv => write_list_csv(&args.out, &tickets, &clock)?,
        GenerateFormat::ServicenowJson => write_json(&args.out, &tickets, &clock)?,
        GenerateFormat::ServicenowEventlog => write_eventlog(&args.out, &tickets, &clock)?,
        GenerateFormat::JiraCsv => vendors::jira_csv(&args.out, &tickets, &truth.sla_target_hours)?,
        GenerateFormat::JiraJson => {
            vendors::jira_json(&args.out, &tickets, &truth.sla_target_hours)?
        }
        GenerateFormat::ZendeskJson => vendors::zendesk(&args.out, &tickets)?,
        GenerateFormat::ServicenowAudit => vendors::servicenow_audit(&args.out, &tickets)?,
    };
    // Every desk has its CMDB, as ServiceNow exports, in a folder of its own (a CMDB is
    // ingested in a call of its own).
    let files: Vec<String> = files.into_iter().chain(cmdb::write(&args.out)?).collect();
    let truth_path = args.out.join("truth.json");
    std::fs::write(
        &truth_path,
        serde_json::to_vec_pretty(&truth).expect("truth serialises"),
    )
    .map_err(Error::io("writing", &truth_path))?;
    Ok(format!(
        "wrote {} tickets to {} ({}, truth.json); timestamps are Europe/London local time",
        tickets.len(),
        args.out.display(),
        files.join(", ")
    ))
}

#[cfg(test)]
mod tests;
