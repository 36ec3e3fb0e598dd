//! The dataset's vocabulary: every table name, the canonical columns of `tickets`, and the
//! closed lists (statuses, kinds, SLA states). Every stage names tables and values from here,
//! so a reader, a query and a report can never disagree on a spelling.

/// One row per ticket, current state.
pub const TICKETS: &str = "tickets";
/// Status history: `ticket_id, status, from_ts, to_ts, derived`.
pub const STATUS_INTERVALS: &str = "status_intervals";
/// Rejected rows with file, line, column and reason.
pub const REJECTS: &str = "rejects";
/// One row per ticket and SLA (the derive stage).
pub const SLA: &str = "sla";
/// Recurring-problem candidates (the derive stage).
pub const PROBLEM_CANDIDATES: &str = "problem_candidates";
/// The member incidents of each candidate.
pub const PROBLEM_CANDIDATE_MEMBERS: &str = "problem_candidate_members";

/// Ranked statistical findings (the derive stage; `ticketlake insights`).
pub const INSIGHTS: &str = "insights";

/// One row per configuration item of the CMDB, latest wins (`ingest` of a CMDB export).
pub const CONFIG_ITEMS: &str = "config_items";
/// The CMDB's relationships between configuration items, as exported (names or sys_ids).
pub const CI_RELATIONS: &str = "ci_relations";
/// The dependency closure of the CIs (the derive stage): `ci_id` depends on `depends_on`
/// through `depth` relationships (0: itself).
pub const CI_DEPENDENCIES: &str = "ci_dependencies";
/// Each change with the incidents that followed it on its CIs (written by build).
pub const CHANGE_IMPACT: &str = "change_impact";

/// The `kind` of a mapping that reads a CMDB list of configuration items.
pub const CI_KIND: &str = "ci";
/// The `kind` of a mapping that reads a CMDB relationship export.
pub const CI_RELATION_KIND: &str = "ci_relation";
/// The columns a `kind = "ci"` mapping may name (`name` is required; `ci_id`, the CMDB's
/// own key such as ServiceNow's `sys_id`, defaults to the name).
pub const CI_COLUMNS: &[&str] = &[
    "ci_id",
    "name",
    "class",
    "operational_status",
    "support_group",
    "location",
    "updated_at",
];
/// The columns a `kind = "ci_relation"` mapping may name (`parent` and `child` are
/// required; each is a CI's name or key).
pub const CI_RELATION_COLUMNS: &[&str] = &["parent", "child", "type"];

/// Canonical text columns of `tickets` that are carried through as strings.
pub const TEXT_COLUMNS: &[&str] = &[
    "title",
    "description",
    "priority_label",
    "impact",
    "urgency",
    "assignment_group",
    "assignee",
    "service",
    "config_item",
    "category",
    "subcategory",
    "requester",
    "location",
    "problem_id",
    "caused_by_change",
    "change_type",
    "close_code",
    "vendor_sla_met",
    "vendor_sla",
];

/// Canonical timestamp columns of `tickets` (`Timestamp(Microsecond, "UTC")`).
pub const TIMESTAMP_COLUMNS: &[&str] = &[
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
];

/// Canonical integer counters of `tickets`.
pub const COUNTER_COLUMNS: &[&str] = &["reopen_count", "reassignment_count"];

/// Canonical durations of `tickets` that the vendor computed itself, in whole seconds
/// (`Int64`; NULL for exports without them): ServiceNow's `calendar_duration` and
/// `business_duration`, which `sla-check` compares with ticketlake's own clocks.
pub const DURATION_COLUMNS: &[&str] = &["vendor_calendar_s", "vendor_business_s"];

/// Canonical columns whose values go through a value map.
pub const MAPPED_COLUMNS: &[&str] = &["ticket_id", "kind", "priority", "status"];

/// Every canonical column a mapping may name.
pub fn canonical_columns() -> impl Iterator<Item = &'static str> {
    MAPPED_COLUMNS
        .iter()
        .chain(TEXT_COLUMNS)
        .chain(TIMESTAMP_COLUMNS)
        .chain(COUNTER_COLUMNS)
        .chain(DURATION_COLUMNS)
        .copied()
}

/// The `kind` of a mapping that reads a flat history export (one row per change) instead of
/// tickets.
pub const HISTORY_KIND: &str = "history";

/// The columns a history mapping may name: the ticket key, when the change happened, and
/// either the new status (`status`) or a field/from/to triple (`field`, `to`, optional
/// `from`); `from` may go with `status` too.
pub const HISTORY_COLUMNS: &[&str] = &["ticket_id", "changed_at", "status", "field", "from", "to"];

/// The canonical statuses.
pub const STATUSES: &[&str] = &[
    "new",
    "in_progress",
    "on_hold",
    "resolved",
    "closed",
    "cancelled",
];

/// The statuses a reopen leaves: a move from one of them back to an open status
/// (`new`, `in_progress`, `on_hold`) is a reopen.
pub const DONE_STATUSES: &[&str] = &["resolved", "closed"];

/// The canonical kinds.
pub const KINDS: &[&str] = &["incident", "request", "problem", "change"];

/// The states of an SLA clock in the `sla` table.
pub const SLA_STATES: &[&str] = &[
    "met",
    "breached",
    "in_progress",
    "in_progress_breached",
    "cancelled",
    "invalid",
];
