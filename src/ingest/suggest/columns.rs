//! Which column of the export is which canonical column: first by the header's name
//! (synonyms in English and in the French of GLPI, in any case, with accents, punctuation and
//! words like `ticket`/`date`/`at` ignored), a timestamp column only when its values are
//! timestamps; then, for the required columns and the value columns no header named, by the
//! values alone.

use std::collections::BTreeSet;

use super::Sample;
use crate::dataset::schema::TIMESTAMP_COLUMNS;
use crate::ingest::vocabulary;

/// One canonical column's source column.
#[derive(Debug, Clone)]
pub(super) struct Guess {
    /// The canonical column.
    pub(super) canonical: &'static str,
    /// The index of the export's column.
    pub(super) header: usize,
    /// Whether the values decided it (no header name did).
    pub(super) by_values: bool,
}

/// Header names (normalised by [`norm`]) of each canonical column, in order of preference.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "ticket_id",
        &[
            "number",
            "key",
            "ticket",
            "ticket number",
            "id",
            "ref",
            "reference",
            "no",
            "num",
            "numero",
            "identifiant",
        ],
    ),
    (
        "opened_at",
        &[
            "opened",
            "created",
            "open",
            "creation",
            "date created",
            "date opened",
            "submitted",
            "reported",
            "logged",
            "sys created on",
            "date d ouverture",
            "ouverture",
            "date de creation",
            "ouvert le",
            "cree le",
        ],
    ),
    (
        "resolved_at",
        &[
            "resolved",
            "solved",
            "resolution",
            "date resolved",
            "date de resolution",
            "resolu le",
            "date de solution",
        ],
    ),
    (
        "closed_at",
        &[
            "closed",
            "close",
            "closure",
            "date closed",
            "date de cloture",
            "cloture",
            "clos le",
            "date de fermeture",
        ],
    ),
    (
        "updated_at",
        &[
            "updated",
            "last update",
            "last updated",
            "modified",
            "last modified",
            "changed",
            "last changed",
            "sys updated on",
            "derniere modification",
            "date de modification",
            "modifie le",
            "mise a jour",
            "derniere mise a jour",
        ],
    ),
    (
        "first_response_at",
        &[
            "first response",
            "first responded",
            "responded",
            "first reply",
            "prise en compte",
        ],
    ),
    ("planned_start", &["planned start"]),
    ("planned_end", &["planned end"]),
    ("actual_start", &["actual start", "work start"]),
    ("actual_end", &["actual end", "work end"]),
    ("priority", &["priority", "prio", "priorite"]),
    (
        "status",
        &["status", "state", "statut", "etat", "incident state"],
    ),
    (
        "title",
        &[
            "title",
            "summary",
            "short description",
            "subject",
            "titre",
            "sujet",
            "objet",
        ],
    ),
    (
        "description",
        &["description", "details", "body", "full description"],
    ),
    (
        "kind",
        &[
            "kind",
            "type",
            "issue type",
            "record type",
            "task type",
            "class",
            "sys class name",
        ],
    ),
    (
        "assignment_group",
        &[
            "assignment group",
            "group",
            "team",
            "support group",
            "assigned group",
            "queue",
            "resolver group",
            "groupe",
            "groupe de techniciens",
            "groupe attribue",
            "equipe",
        ],
    ),
    (
        "assignee",
        &[
            "assignee",
            "assigned to",
            "agent",
            "owner",
            "technician",
            "technicien",
            "attribue a",
        ],
    ),
    ("category", &["category", "categorie"]),
    (
        "subcategory",
        &["subcategory", "sub category", "sous categorie"],
    ),
    (
        "service",
        &[
            "service",
            "business service",
            "affected service",
            "service offering",
            "application",
        ],
    ),
    (
        "config_item",
        &[
            "config item",
            "configuration item",
            "ci",
            "cmdb ci",
            "asset",
        ],
    ),
    (
        "requester",
        &[
            "requester",
            "requestor",
            "caller",
            "reporter",
            "requested by",
            "requested for",
            "customer",
            "contact",
            "demandeur",
            "opened by",
        ],
    ),
    ("impact", &["impact"]),
    ("urgency", &["urgency", "urgence"]),
    ("location", &["location", "site", "lieu"]),
    (
        "close_code",
        &["close code", "closure code", "resolution code"],
    ),
    ("problem_id", &["problem", "problem id", "related problem"]),
    ("caused_by_change", &["caused by change", "caused by"]),
    ("change_type", &["change type"]),
    ("reopen_count", &["reopen count", "reopens"]),
    (
        "reassignment_count",
        &["reassignment count", "reassignments"],
    ),
];

/// Words around a header's meaning: `Ticket ID`, `Created Date`, `created_at`, `Date closed`,
/// `caller_id`, `Custom field (Team)`.
const PREFIXES: &[&str] = &[
    "ticket ",
    "incident ",
    "issue ",
    "case ",
    "custom field ",
    "date of ",
    "date ",
];
const SUFFIXES: &[&str] = &[
    " date",
    " at",
    " on",
    " time",
    " timestamp",
    " datetime",
    " utc",
    " gmt",
    " id",
];

/// A header lower-cased with its accents and punctuation folded: `Date d'ouverture` →
/// `date d ouverture`.
fn norm(h: &str) -> String {
    let f: String = vocabulary::fold(h)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    f.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A normalised header without the words of [`PREFIXES`] and [`SUFFIXES`].
fn core(n: &str) -> String {
    let mut s = n;
    for _ in 0..2 {
        if let Some(p) = PREFIXES.iter().find_map(|p| s.strip_prefix(p)) {
            s = p;
        }
    }
    SUFFIXES
        .iter()
        .find_map(|x| s.strip_suffix(x))
        .unwrap_or(s)
        .to_string()
}

/// The canonical columns of the export's columns.
pub(super) fn guess(sample: &Sample) -> Vec<Guess> {
    let names: Vec<(String, String)> = sample
        .table
        .headers
        .iter()
        .map(|h| {
            let n = norm(h);
            let c = core(&n);
            (n, c)
        })
        .collect();
    // A repeated header cannot be mapped (its values would be ambiguous): it is left out.
    let mut used: Vec<bool> = (0..names.len())
        .map(|i| {
            sample
                .table
                .headers
                .iter()
                .filter(|h| **h == sample.table.headers[i])
                .count()
                > 1
        })
        .collect();
    let mut out = Vec::new();
    for (canonical, synonyms) in SYNONYMS {
        let timestamp = TIMESTAMP_COLUMNS.contains(canonical);
        // An empty `type` column says nothing of the kind (the id prefix may).
        let valued = ["priority", "status", "kind"].contains(canonical);
        let found = synonyms.iter().find_map(|syn| {
            (0..names.len()).find(|&i| {
                !used[i]
                    && (names[i].0 == *syn || names[i].1 == *syn)
                    && (!timestamp || mostly_timestamps(sample, i))
                    && (!valued || sample.cells(i).next().is_some())
            })
        });
        if let Some(i) = found {
            used[i] = true;
            out.push(Guess {
                canonical,
                header: i,
                by_values: false,
            });
        }
    }
    by_values(sample, &mut out, &mut used);
    out
}

/// Whether a column named like a timestamp holds them: no values at all, or at least half of
/// its first thousand values read as timestamps.
fn mostly_timestamps(sample: &Sample, i: usize) -> bool {
    let cells: Vec<&str> = sample.cells(i).take(1000).collect();
    let read = cells.iter().filter(|s| sample.is_timestamp(s)).count();
    cells.is_empty() || read * 2 >= cells.len()
}

/// Whether every value of a column reads as a timestamp (and it has one).
fn all_timestamps(sample: &Sample, i: usize) -> bool {
    let mut cells = sample.cells(i).peekable();
    cells.peek().is_some() && cells.all(|s| sample.is_timestamp(s))
}

/// The distinct values of a column (lower-cased), or `None` past `max` of them.
fn distinct(sample: &Sample, i: usize, max: usize) -> Option<BTreeSet<String>> {
    let mut seen = BTreeSet::new();
    for s in sample.cells(i) {
        if seen.insert(s.to_lowercase()) && seen.len() > max {
            return None;
        }
    }
    (!seen.is_empty()).then_some(seen)
}

/// Guesses from the values, for what no header named: the ticket id (a value in every row,
/// never repeated), the opening time (the first column of timestamps), and the priority,
/// status and kind (a few distinct values that the common vocabulary reads every one of).
fn by_values(sample: &Sample, out: &mut Vec<Guess>, used: &mut [bool]) {
    let rows = sample.table.len();
    let unique = |i: usize| {
        let cells: Vec<&str> = sample.cells(i).collect();
        rows > 0 && cells.len() == rows && cells.iter().collect::<BTreeSet<_>>().len() == rows
    };
    let all_read = |i: usize, max: usize, read: fn(&str) -> bool| {
        distinct(sample, i, max).is_some_and(|d| d.iter().all(|s| read(s)))
    };
    for canonical in ["ticket_id", "opened_at", "priority", "status", "kind"] {
        if out.iter().any(|g| g.canonical == canonical) {
            continue;
        }
        let test = |i: usize| match canonical {
            "ticket_id" => unique(i),
            "opened_at" => all_timestamps(sample, i),
            "priority" => all_read(i, 10, |s| vocabulary::priority(s).is_some()),
            "status" => all_read(i, 40, |s| vocabulary::status(s).is_some()),
            _ => all_read(i, 10, |s| vocabulary::kind(s).is_some()),
        };
        if let Some(i) = (0..used.len()).find(|&i| !used[i] && test(i)) {
            used[i] = true;
            out.push(Guess {
                canonical,
                header: i,
                by_values: true,
            });
        }
    }
}

/// Columns that hold nothing but timestamps and no guess placed, for a `# TODO` line.
pub(super) fn unplaced_timestamps(sample: &Sample, guesses: &[Guess]) -> Vec<usize> {
    (0..sample.table.headers.len())
        .filter(|i| !guesses.iter().any(|g| g.header == *i))
        .filter(|&i| all_timestamps(sample, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_normalised() {
        assert_eq!(norm("Date d'ouverture"), "date d ouverture");
        assert_eq!(norm("sys_created_on"), "sys created on");
        assert_eq!(core(&norm("Ticket ID")), "id");
        assert_eq!(core(&norm("created_at")), "created");
        assert_eq!(core(&norm("Date Closed")), "closed");
        assert_eq!(core(&norm("Priorité")), "priorite");
    }
}
