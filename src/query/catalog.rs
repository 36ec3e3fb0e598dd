//! The catalog of named metric queries: the `.sql` files shipped in `queries/` (embedded in
//! the binary), overridden or extended by the files of the configured `queries-dir`. Each file
//! is one metric; its stem is the name and its leading `--` comment is the documentation.
//!
//! A query may take an optional grouping dimension (`-- by: priority, service` for standard ones,
//! `-- by month: SQL` for its own): wherever the SQL says `{{by}}` the chosen
//! dimension's expression is pasted, and `{{by_name}}` becomes its column name. Only the
//! dimensions the header lists are accepted, so the text substituted is always one of ours,
//! never user input. Values come in as DataFusion placeholders (`$period_start`, ...).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The built-in queries, embedded so the binary works from any directory.
const BUILT_IN: &[(&str, &str)] = &[
    ("volume", include_str!("../../queries/volume.sql")),
    ("mttr", include_str!("../../queries/mttr.sql")),
    ("mtta", include_str!("../../queries/mtta.sql")),
    (
        "sla_attainment",
        include_str!("../../queries/sla_attainment.sql"),
    ),
    (
        "sla_breaches",
        include_str!("../../queries/sla_breaches.sql"),
    ),
    (
        "backlog_aging",
        include_str!("../../queries/backlog_aging.sql"),
    ),
    ("reopen_rate", include_str!("../../queries/reopen_rate.sql")),
    (
        "reassignments",
        include_str!("../../queries/reassignments.sql"),
    ),
    ("fcr", include_str!("../../queries/fcr.sql")),
    (
        "change_success",
        include_str!("../../queries/change_success.sql"),
    ),
    (
        "problem_health",
        include_str!("../../queries/problem_health.sql"),
    ),
    ("trends", include_str!("../../queries/trends.sql")),
    ("ci_hotspots", include_str!("../../queries/ci_hotspots.sql")),
    (
        "ci_class_health",
        include_str!("../../queries/ci_class_health.sql"),
    ),
    (
        "ci_resolution",
        include_str!("../../queries/ci_resolution.sql"),
    ),
    (
        "ci_unresolved",
        include_str!("../../queries/ci_unresolved.sql"),
    ),
];

/// The standard grouping dimensions, as SQL over the canonical ticket columns. NULLs become
/// `(none)` so they form a visible group instead of vanishing from joins and filters.
pub const DIMENSIONS: &[(&str, &str)] = &[
    (
        "priority",
        "CASE WHEN priority IS NULL THEN '(none)' ELSE concat('P', CAST(priority AS VARCHAR)) END",
    ),
    ("service", "COALESCE(service, '(none)')"),
    ("group", "COALESCE(assignment_group, '(none)')"),
    ("category", "COALESCE(category, '(none)')"),
    ("kind", "kind"),
    ("source", "source"),
    ("month", "to_char(opened_at, '%Y-%m')"),
];

/// One named query.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Query {
    /// The file stem.
    pub name: String,
    /// The first line of the header.
    pub summary: String,
    /// The rest of the header's free text.
    pub description: String,
    /// The grouping dimensions it accepts, with their SQL.
    pub dimensions: Vec<(String, String)>,
    /// The documented result columns.
    pub columns: String,
    /// Where it comes from: `built-in` or a file path.
    pub origin: String,
    /// The SQL text, header included.
    #[serde(skip)]
    pub sql: String,
}

impl Query {
    /// Parse a query file's text.
    pub fn parse(name: &str, text: &str, origin: String) -> Result<Query> {
        let mut summary = String::new();
        let mut description = Vec::new();
        let mut dims = Vec::new();
        let mut columns = String::new();
        for line in text.lines() {
            let Some(c) = line.trim_start().strip_prefix("--") else {
                break;
            };
            let c = c.trim();
            if let Some((name, expr)) = c
                .strip_prefix("by ")
                .and_then(|rest| rest.split_once(':'))
                .filter(|(n, _)| !n.trim().is_empty() && !n.contains(' '))
            {
                // `-- by month: SQL` declares a dimension of this query's own.
                let (name, expr) = (name.trim(), expr.trim());
                dims.retain(|(n, _): &(String, String)| n != name);
                dims.push((name.to_string(), expr.to_string()));
            } else if let Some(v) = c.strip_prefix("by:") {
                for d in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                    dims.push(standard(d).ok_or_else(|| Error::Config {
                        path: PathBuf::from(&origin),
                        key: "by".into(),
                        message: format!(
                            "unknown dimension `{d}`; use one of {}, or declare one with `-- by NAME: SQL`",
                            DIMENSIONS.iter().map(|d| d.0).collect::<Vec<_>>().join(", ")
                        ),
                    })?);
                }
            } else if let Some(v) = c.strip_prefix("columns:") {
                columns = v.trim().to_string();
            } else if summary.is_empty() {
                summary = c.to_string();
            } else {
                description.push(c.to_string());
            }
        }
        if summary.is_empty() {
            return Err(Error::Config {
                path: PathBuf::from(&origin),
                key: "-".into(),
                message: "a query file starts with a `-- ` comment saying what it measures".into(),
            });
        }
        Ok(Query {
            name: name.to_string(),
            summary,
            description: description.join("\n"),
            dimensions: dims,
            columns,
            origin,
            sql: text.to_string(),
        })
    }

    /// The SQL with the grouping dimension pasted in (`None` = one overall group).
    pub fn render(&self, by: Option<&str>) -> Result<String> {
        let (name, expr) = match by {
            None => ("scope", "'all'"),
            Some(b) => {
                let b = if b == "assignment_group" { "group" } else { b };
                let found = self.dimensions.iter().find(|(n, _)| n == b);
                let (n, e) = found.ok_or_else(|| {
                    Error::Usage(format!(
                        "query `{}` cannot be grouped by `{b}`; it accepts --by {}",
                        self.name,
                        if self.dimensions.is_empty() {
                            "nothing (it has no grouping dimension)".to_string()
                        } else {
                            self.dimensions
                                .iter()
                                .map(|d| d.0.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ))
                })?;
                (n.as_str(), e.as_str())
            }
        };
        Ok(self.render_expr(name, expr))
    }

    /// The SQL grouped by an expression ticketlake builds itself (reports group by composite
    /// keys such as service and month). Never pass user text here unquoted.
    pub fn render_expr(&self, name: &str, expr: &str) -> String {
        self.sql
            .replace("{{by_name}}", name)
            .replace("{{by}}", expr)
    }
}

/// A standard dimension by name.
fn standard(d: &str) -> Option<(String, String)> {
    DIMENSIONS
        .iter()
        .find(|(n, _)| *n == d)
        .map(|(n, e)| (n.to_string(), e.to_string()))
}

/// The catalog: built-ins, then the files of `dir` (same name = override), sorted by name.
pub fn load(dir: Option<&Path>) -> Result<Vec<Query>> {
    let mut all: BTreeMap<String, Query> = BTreeMap::new();
    for (name, text) in BUILT_IN {
        all.insert(
            name.to_string(),
            Query::parse(name, text, "built-in".into())?,
        );
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(Error::io("reading queries from", dir))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(Error::io("reading query", &path))?;
            all.insert(
                name.clone(),
                Query::parse(&name, &text, path.display().to_string())?,
            );
        }
    }
    Ok(all.into_values().collect())
}

/// Find one query by name, with a helpful error listing the names there are.
pub fn find(catalog: &[Query], name: &str) -> Result<Query> {
    catalog
        .iter()
        .find(|q| q.name == name)
        .cloned()
        .ok_or_else(|| {
            Error::Usage(format!(
                "no query named `{name}`; `ticketlake query --list` shows them: {}",
                catalog
                    .iter()
                    .map(|q| q.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}
