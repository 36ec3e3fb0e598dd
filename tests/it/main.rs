//! The one integration-test binary: every promise of DESIGN.md and every acceptance point of
//! the foundation issue, run against the real `ticketlake` binary.

mod bad_input;
mod build_ranges;
mod cli;
mod cluster;
mod cmdb;
mod commands;
mod crash;
mod csv_lines;
mod defaults;
mod flat_history;
mod generate;
mod insights;
mod interop;
mod localtime;
mod mapping_errors;
mod object_storage;
mod offsets;
mod output_errors;
mod output_safety;
mod privacy;
mod problems;
mod props;
mod report;
mod report_browser;
mod report_insights;
mod shapes;
mod sla;
mod sla_table;
mod snow_labels;
mod sql;
mod sql_bounds;
mod streaming;
mod support;
mod vendors;
mod vocabulary;
