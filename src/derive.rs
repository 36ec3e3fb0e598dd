//! The derive stage (`ticketlake build`): recompute the derived tables from the dataset and
//! the config, and commit them as a new version. A pure function of its inputs, so a
//! changed policy is recomputed for all of history in one command.

use std::path::Path;

use serde::Serialize;

use crate::dataset::manifest::{self, BuildRecord, Manifest, TableFiles};
use crate::dataset::{
    INSIGHTS, PROBLEM_CANDIDATE_MEMBERS, PROBLEM_CANDIDATES, REJECTS, SLA, STATUS_INTERVALS,
    TICKETS, lock, store,
};
use crate::error::{Error, Result};
use crate::sla::{engine, policy::Policies};
use crate::time::{now_rfc3339, rfc3339};
use polars::prelude::DataFrame;

/// What a build did.
#[derive(Debug, Serialize)]
pub struct BuildReport {
    /// The version committed.
    pub version: u64,
    /// The as-of instant used.
    pub as_of: String,
    /// Rows of the `sla` table.
    pub sla_rows: u64,
    /// Rows per state.
    pub states: std::collections::BTreeMap<String, u64>,
    /// Recurring-problem candidates found.
    pub problem_candidates: u64,
    /// Incidents whose text carries no signal (a data-quality finding).
    pub uninformative_incidents: u64,
    /// Incidents considered for recurring problems.
    pub incidents: u64,
    /// Of the uninformative incidents, those with no title and no description.
    pub incidents_without_text: u64,
    /// The commonest uninformative text.
    pub uninformative_example: Option<String>,
    /// Statistical findings committed (all scopes).
    pub insights: u64,
}

/// The ticket columns the SLA engine and recurring-problem detection read.
fn build_columns(problems: &crate::problems::ProblemConfig) -> Vec<&'static str> {
    let mut c = vec![
        "ticket_id",
        "source",
        "kind",
        "priority",
        "status",
        "service",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "updated_at",
    ];
    if problems.enabled {
        let more = crate::problems::TICKET_COLUMNS
            .iter()
            .filter(|n| !c.contains(n));
        c.extend(more.collect::<Vec<_>>());
    }
    c
}

/// Every table of the dataset, as [`empty_tables`] lists them.
pub const EVERY_TABLE: [&str; 7] = [
    TICKETS,
    STATUS_INTERVALS,
    REJECTS,
    SLA,
    PROBLEM_CANDIDATES,
    PROBLEM_CANDIDATE_MEMBERS,
    INSIGHTS,
];

/// Every table of the dataset, empty and with the schema a build or an ingest writes: what
/// the query session registers for a table no version has written yet, so every built-in
/// query runs on a fresh ingest (and on an empty dataset) instead of failing.
pub fn empty_tables(policies: &Policies) -> Result<Vec<(&'static str, DataFrame)>> {
    let schema: polars::prelude::Schema = crate::ingest::canonical::tickets_schema()
        .into_iter()
        .map(|(n, t)| (n.into(), t))
        .collect();
    let tickets = DataFrame::empty_with_schema(&schema);
    let intervals = crate::ingest::intervals::empty()?;
    let sla = crate::sla::table::compute(&tickets, &intervals, policies, 0)?;
    let problems = crate::problems::ProblemConfig::default();
    let found = crate::problems::detect(&tickets, Some(&sla), &problems, None, 0)?;
    let frames = [
        tickets,
        intervals,
        crate::ingest::rejects::frame("", &[])?,
        sla,
        found.candidates,
        found.members,
        crate::insights::frame(&[])?,
    ];
    Ok(EVERY_TABLE.into_iter().zip(frames).collect())
}

/// Recompute and commit the derived tables. `as_of` (µs UTC) defaults to the newest
/// `updated_at`, so the same dataset always gives the same result.
pub fn build(
    root: &Path,
    policies: &Policies,
    problems: &crate::problems::ProblemConfig,
    insights: &crate::insights::InsightConfig,
    as_of: Option<i64>,
) -> Result<BuildReport> {
    let _lock = lock::acquire(root)?;
    store::recover(root)?;
    let current = manifest::current(root)?;
    if current.version == 0 {
        return Err(Error::Dataset {
            path: root.into(),
            message: "the dataset is empty; ingest exports first (ticketlake ingest)".into(),
        });
    }
    let tickets = store::read_columns(root, &current, TICKETS, Some(&build_columns(problems)))?
        .unwrap_or_default();
    let intervals = match store::read_columns(
        root,
        &current,
        STATUS_INTERVALS,
        Some(&[
            "ticket_id",
            "source",
            "status",
            "from_ts",
            "to_ts",
            "derived",
        ]),
    )? {
        Some(i) => i,
        None => crate::ingest::intervals::empty()?,
    };
    let as_of = match as_of {
        Some(t) => t,
        None => engine::default_as_of(&tickets)?.unwrap_or(0),
    };
    let mut sla = crate::sla::table::compute(&tickets, &intervals, policies, as_of)?;
    let states = state_counts(&sla);
    // Disabled detection still writes the (empty) tables, so queries over them keep working.
    let considered = if problems.enabled {
        tickets.clone()
    } else {
        // No rows, and the text columns detection expects but the build did not read.
        let mut cols: Vec<polars::prelude::Column> = tickets.head(Some(0)).columns().to_vec();
        let missing = crate::problems::TICKET_COLUMNS
            .iter()
            .filter(|n| tickets.column(n).is_err())
            .collect::<Vec<_>>();
        for &name in missing {
            cols.push(polars::prelude::Column::new(
                name.into(),
                Vec::<Option<String>>::new(),
            ));
        }
        polars::prelude::DataFrame::new_infer_height(cols)
            .map_err(Error::polars("empty problem input"))?
    };
    let mut found = crate::problems::detect(&considered, Some(&sla), problems, None, as_of)?;
    let (mut insights, window) = findings(root, &current, &tickets, &found, insights, as_of)?;
    let v = current.version + 1;
    let mut tables = current.tables.clone();
    for (name, df) in [
        (INSIGHTS, &mut insights),
        (SLA, &mut sla),
        (crate::dataset::PROBLEM_CANDIDATES, &mut found.candidates),
        (
            crate::dataset::PROBLEM_CANDIDATE_MEMBERS,
            &mut found.members,
        ),
    ] {
        tables.insert(
            name.into(),
            TableFiles {
                files: vec![store::write_table(root, name, v, 0, df)?],
            },
        );
    }
    let next = Manifest {
        version: v,
        committed_at: now_rfc3339(),
        tables,
        build: Some(BuildRecord {
            version: v,
            as_of: rfc3339(as_of),
            slas: policies
                .slas
                .iter()
                .map(|p| p.config.name.clone())
                .collect(),
            incidents: found.incidents,
            uninformative_incidents: found.uninformative,
            problem_candidates: found.candidates.height() as u64,
            incidents_without_text: found.without_text,
            uninformative_example: found.uninformative_example.clone(),
            insights: insights.height() as u64,
            insights_window: Some((rfc3339(window.0), rfc3339(window.1))),
        }),
        ..current
    };
    store::publish(root, &next)?;
    Ok(BuildReport {
        version: v,
        as_of: rfc3339(as_of),
        sla_rows: sla.height() as u64,
        states,
        problem_candidates: found.candidates.height() as u64,
        uninformative_incidents: found.uninformative,
        incidents: found.incidents,
        incidents_without_text: found.without_text,
        uninformative_example: found.uninformative_example,
        insights: insights.height() as u64,
    })
}

/// Per-service scopes at most: the services with the most incidents get their own findings
/// (each scope is one pass over the tickets files).
pub const SERVICE_SCOPES: usize = 30;

/// The `insights` table: the findings of the default window (the configured months ending
/// with the last complete month before `as_of`) for the whole desk, then for each of the
/// busiest services. Disabled, it is empty.
fn findings(
    root: &Path,
    current: &Manifest,
    tickets: &DataFrame,
    found: &crate::problems::Detection,
    cfg: &crate::insights::InsightConfig,
    as_of: i64,
) -> Result<(DataFrame, (i64, i64))> {
    let window = crate::insights::window(as_of, None, cfg.months);
    if !cfg.enabled {
        return Ok((crate::insights::frame(&[])?, window));
    }
    let mut scopes = vec![crate::insights::Scope {
        start: window.0,
        end: window.1,
        service: None,
    }];
    let kind = crate::dataset::columns::text(tickets, "kind")?;
    let service = crate::dataset::columns::text(tickets, "service")?;
    let mut counts: std::collections::HashMap<&str, u64> = Default::default();
    for (k, s) in kind.iter().zip(service.iter()) {
        if let (Some("incident"), Some(s)) = (k, s) {
            *counts.entry(s).or_default() += 1;
        }
    }
    let mut busiest: Vec<(&str, u64)> = counts.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let min = 4 * cfg.min_incidents as u64;
    scopes.extend(
        busiest
            .into_iter()
            .filter(|(_, n)| *n >= min)
            .take(SERVICE_SCOPES)
            .map(|(s, _)| crate::insights::Scope {
                start: window.0,
                end: window.1,
                service: Some(s.to_string()),
            }),
    );
    let f = crate::insights::detect(root, current, cfg, &scopes, &found.candidates)?;
    Ok((crate::insights::frame(&f)?, window))
}

/// `sla` rows per state.
fn state_counts(sla: &DataFrame) -> std::collections::BTreeMap<String, u64> {
    let mut states = std::collections::BTreeMap::new();
    if let Ok(c) = sla.column("state").and_then(|c| c.str().cloned()) {
        // Counted by borrowed text: one owned key per state, not one per row.
        let mut counts: std::collections::HashMap<&str, u64> = Default::default();
        for s in c.iter().flatten() {
            *counts.entry(s).or_default() += 1;
        }
        states.extend(counts.into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    states
}
