//! The derive stage (`ticketlake build`): recompute the derived tables from the dataset and
//! the config, and commit them as a new version. A pure function of its inputs, so a
//! changed policy is recomputed for all of history in one command.

use serde::Serialize;

use crate::dataset::Location;
use crate::dataset::chunks::Chunks;
use crate::dataset::manifest::{self, BuildRecord, Manifest, TableFiles};
use crate::dataset::{
    CHANGE_IMPACT, CI_DEPENDENCIES, CI_RELATIONS, CONFIG_ITEMS, INSIGHTS,
    PROBLEM_CANDIDATE_MEMBERS, PROBLEM_CANDIDATES, REJECTS, SLA, STATUS_INTERVALS, TICKETS, lock,
    store,
};
use crate::error::{Error, Result};
use crate::sla::policy::Policies;

mod clocks;
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

/// Every table of the dataset, as [`empty_tables`] lists them.
pub const EVERY_TABLE: [&str; 11] = [
    TICKETS,
    STATUS_INTERVALS,
    REJECTS,
    SLA,
    PROBLEM_CANDIDATES,
    PROBLEM_CANDIDATE_MEMBERS,
    INSIGHTS,
    CONFIG_ITEMS,
    CI_RELATIONS,
    CI_DEPENDENCIES,
    CHANGE_IMPACT,
];

/// Every table of the dataset, empty and with the schema a build or an ingest writes: what
/// the query session registers for a table no version has written yet, so every built-in
/// query runs on a fresh ingest (and on an empty dataset) instead of failing.
pub fn empty_tables(policies: &Policies) -> Result<Vec<(&'static str, DataFrame)>> {
    let tickets = crate::ingest::canonical::empty_tickets();
    let intervals = crate::ingest::intervals::empty()?;
    let sla = crate::sla::table::compute(&tickets, &intervals, policies, 0)?;
    let problems = crate::problems::ProblemConfig::default();
    let found = crate::problems::detect(&tickets, Some(&sla), &problems, None, 0)?;
    let [items, relations, dependencies] = crate::cmdb::empty_tables()?;
    let frames = [
        tickets,
        intervals,
        crate::ingest::rejects::frame("", &[])?,
        sla,
        found.candidates,
        found.members,
        crate::insights::frame(&[])?,
        items,
        relations,
        dependencies,
        crate::cmdb::impact::empty()?,
    ];
    Ok(EVERY_TABLE.into_iter().zip(frames).collect())
}

/// Recompute and commit the derived tables. `as_of` (µs UTC) defaults to the newest
/// `updated_at`, so the same dataset always gives the same result. Every step reads the
/// tables piece by piece (see [`clocks`] and [`crate::problems::detect_in`]), so memory
/// does not grow with the dataset.
pub fn build(
    root: &Location,
    policies: &Policies,
    problems: &crate::problems::ProblemConfig,
    insights: &crate::insights::InsightConfig,
    changes: &crate::cmdb::ChangeParams,
    as_of: Option<i64>,
) -> Result<BuildReport> {
    let _lock = lock::acquire(root)?;
    store::recover(root)?;
    let current = manifest::current(root)?;
    if current.version == 0 {
        return Err(Error::Dataset {
            path: root.shown_path(),
            message: "the dataset is empty; ingest exports first (ticketlake ingest)".into(),
        });
    }
    let tickets = Chunks::files(root, &current, TICKETS);
    let as_of = match as_of {
        Some(t) => t,
        None => tickets.max_micros("updated_at")?.unwrap_or(0),
    };
    let v = current.version + 1;
    let sla = clocks::write(root, &current, policies, as_of, v)?;
    store::phase("sla (by key range)");
    // Detection reads the new `sla` files for its members' breaches: a manifest of this
    // build's tables, not yet published.
    let mut staged = current.clone();
    staged.tables.insert(
        SLA.into(),
        TableFiles {
            files: sla.files.clone(),
        },
    );
    let mut found = if problems.enabled {
        let breaches = Chunks::files(root, &staged, SLA);
        crate::problems::detect_in(&tickets, Some(&breaches), problems, None, as_of)?
    } else {
        // Disabled detection still writes the (empty) tables, so queries over them keep
        // working.
        crate::problems::detect(
            &crate::ingest::canonical::empty_tickets(),
            None,
            problems,
            None,
            as_of,
        )?
    };
    store::phase("recurring problems");
    let (mut insights, window) = findings(root, &current, &found, insights, as_of)?;
    store::phase("insights");
    let mut tables = staged.tables;
    let (items, mut dependencies) = ci_dependencies(root, &current)?;
    store::phase("ci dependencies");
    let mut impact = match changes.enabled {
        true => crate::cmdb::impact::table(&tickets, &items, &dependencies, changes, as_of)?,
        false => crate::cmdb::impact::empty()?,
    };
    store::phase("change impact");
    for (name, df) in [
        (INSIGHTS, &mut insights),
        (PROBLEM_CANDIDATES, &mut found.candidates),
        (PROBLEM_CANDIDATE_MEMBERS, &mut found.members),
        (CI_DEPENDENCIES, &mut dependencies),
        (CHANGE_IMPACT, &mut impact),
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
        sla_rows: sla.rows,
        states: sla.states,
        problem_candidates: found.candidates.height() as u64,
        uninformative_incidents: found.uninformative,
        incidents: found.incidents,
        incidents_without_text: found.without_text,
        uninformative_example: found.uninformative_example,
        insights: insights.height() as u64,
    })
}

/// The CMDB's items and their dependency closure (empty without a CMDB).
fn ci_dependencies(root: &Location, current: &Manifest) -> Result<(DataFrame, DataFrame)> {
    let [items, relations, _] = crate::cmdb::empty_tables()?;
    let items = store::read_table(root, current, CONFIG_ITEMS)?.unwrap_or(items);
    let relations = store::read_table(root, current, CI_RELATIONS)?.unwrap_or(relations);
    let deps = crate::cmdb::graph::dependencies(&items, &relations)?;
    Ok((items, deps))
}

/// Per-service scopes at most: the services with the most incidents get their own findings
/// (each scope is one pass over the tickets files).
pub const SERVICE_SCOPES: usize = 30;

/// The `insights` table: the findings of the default window (the configured months ending
/// with the last complete month before `as_of`) for the whole desk, then for each of the
/// busiest services. Disabled, it is empty.
fn findings(
    root: &Location,
    current: &Manifest,
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
    let mut counts: std::collections::HashMap<String, u64> = Default::default();
    Chunks::files(root, current, TICKETS).for_each(&["kind", "service"], |_, df| {
        let kind = crate::dataset::columns::text(&df, "kind")?;
        let service = crate::dataset::columns::text(&df, "service")?;
        for (k, s) in kind.iter().zip(service.iter()) {
            if let (Some("incident"), Some(s)) = (k, s) {
                match counts.get_mut(s) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(s.to_string(), 1);
                    }
                }
            }
        }
        Ok(())
    })?;
    let mut busiest: Vec<(String, u64)> = counts.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let min = 4 * cfg.min_incidents as u64;
    scopes.extend(
        busiest
            .into_iter()
            .filter(|(_, n)| *n >= min)
            .take(SERVICE_SCOPES)
            .map(|(s, _)| crate::insights::Scope {
                start: window.0,
                end: window.1,
                service: Some(s),
            }),
    );
    let f = crate::insights::detect(root, current, cfg, &scopes, &found.candidates)?;
    Ok((crate::insights::frame(&f)?, window))
}
