//! The vendor's own durations against ticketlake's, for `sla-check`: ServiceNow's
//! `calendar_duration` (`tickets.vendor_calendar_s`) against the wall time `resolved_at −
//! opened_at`, and its `business_duration` (`vendor_business_s`) against the business time on
//! the ticket's resolution SLA clock (`sla.business_elapsed_s`). Two durations agree when
//! they differ by at most [`TOLERANCE_S`].

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde::Serialize;

use crate::dataset::columns::{micros, text};
use crate::error::Result;

/// Two durations within this many seconds of each other agree: exports round instants to
/// the second or the minute, and ServiceNow's display form (`2 Hours 3 Minutes`) drops the
/// seconds.
pub const TOLERANCE_S: i64 = 60;

/// How one of the vendor's durations compares with ticketlake's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// `wall` or `business`.
    pub measure: &'static str,
    /// The `tickets` column with the vendor's value.
    pub vendor_column: &'static str,
    /// What ticketlake's value is.
    pub ticketlake: &'static str,
    /// Tickets with both values.
    pub compared: u64,
    /// Tickets where they differ by at most `tolerance_s`.
    pub agreed: u64,
    /// agreed ÷ compared.
    pub agreement_rate: Option<f64>,
    /// The median of |vendor − ticketlake| in seconds.
    pub median_abs_diff_s: Option<f64>,
    /// The tolerance, in seconds ([`TOLERANCE_S`]).
    pub tolerance_s: i64,
}

impl Agreement {
    fn of(measure: &'static str, vendor_column: &'static str, ticketlake: &'static str) -> Self {
        Agreement {
            measure,
            vendor_column,
            ticketlake,
            compared: 0,
            agreed: 0,
            agreement_rate: None,
            median_abs_diff_s: None,
            tolerance_s: TOLERANCE_S,
        }
    }

    /// Fill in the counts from the absolute differences of the tickets compared.
    fn tally(mut self, mut diffs: Vec<i64>) -> Self {
        diffs.sort_unstable();
        let n = diffs.len();
        self.compared = n as u64;
        self.agreed = diffs.iter().filter(|d| **d <= TOLERANCE_S).count() as u64;
        self.agreement_rate = (n > 0).then(|| self.agreed as f64 / n as f64);
        self.median_abs_diff_s = match n {
            0 => None,
            _ if n % 2 == 1 => Some(diffs[n / 2] as f64),
            _ => Some((diffs[n / 2 - 1] + diffs[n / 2]) as f64 / 2.0),
        };
        self
    }
}

/// An optional Int64 column of `df` (NULL throughout when a dataset written before it
/// existed lacks it).
fn optional_seconds(df: &DataFrame, name: &str) -> Result<Int64Chunked> {
    if df.column(name).is_err() {
        return Ok(Int64Chunked::full_null(name.into(), df.height()));
    }
    micros(df, name)
}

/// The business time of each ticket's stopped resolution SLA clock, by `(source,
/// ticket_id)`; when several resolution SLAs apply, the first by name.
fn resolution_business(sla: &DataFrame) -> Result<HashMap<(String, String), i64>> {
    let (id, src, name, metric, state) = (
        text(sla, "ticket_id")?,
        text(sla, "source")?,
        text(sla, "sla_name")?,
        text(sla, "metric")?,
        text(sla, "state")?,
    );
    let business = micros(sla, "business_elapsed_s")?;
    let mut by_name: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
    for i in 0..sla.height() {
        let stopped = matches!(state.get(i), Some("met" | "breached"));
        if let (true, Some("resolution"), Some(s), Some(t), Some(n), Some(b)) = (
            stopped,
            metric.get(i),
            src.get(i),
            id.get(i),
            name.get(i),
            business.get(i),
        ) {
            by_name.insert((s, t, n), b);
        }
    }
    let mut out = HashMap::new();
    for ((s, t, _), b) in by_name {
        out.entry((s.to_string(), t.to_string())).or_insert(b);
    }
    Ok(out)
}

/// The wall-time and business-time agreements of `tickets` with the vendor's durations.
pub fn compare(tickets: &DataFrame, sla: &DataFrame) -> Result<Vec<Agreement>> {
    let calendar = optional_seconds(tickets, "vendor_calendar_s")?;
    let business = optional_seconds(tickets, "vendor_business_s")?;
    let (opened, resolved) = (
        micros(tickets, "opened_at")?,
        micros(tickets, "resolved_at")?,
    );
    let wall: Vec<i64> = (0..tickets.height())
        .filter_map(|i| {
            let ours = (resolved.get(i)? - opened.get(i)?) / 1_000_000;
            Some((calendar.get(i)? - ours).abs())
        })
        .collect();
    let mut biz = Vec::new();
    if business.null_count() < business.len() {
        let clocks = resolution_business(sla)?;
        let (id, src) = (text(tickets, "ticket_id")?, text(tickets, "source")?);
        for i in 0..tickets.height() {
            let (Some(v), Some(s), Some(t)) = (business.get(i), src.get(i), id.get(i)) else {
                continue;
            };
            if let Some(ours) = clocks.get(&(s.to_string(), t.to_string())) {
                biz.push((v - ours).abs());
            }
        }
    }
    Ok(vec![
        Agreement::of("wall", "vendor_calendar_s", "resolved_at - opened_at").tally(wall),
        Agreement::of(
            "business",
            "vendor_business_s",
            "business_elapsed_s of the resolution SLA",
        )
        .tally(biz),
    ])
}
