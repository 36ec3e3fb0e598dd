//! ticketlake: ITSM analytics for continual improvement and SLA reporting.
//!
//! Exports from ServiceNow and other tools are ingested ([`ingest`]) into one Parquet
//! [`dataset`] with a versioned manifest. Later stages derive SLA results, compute metrics
//! with SQL and render reports; see `DESIGN.md` in the project's shared material.
//!
//! Layering, top to bottom (a module imports only from below it; `tests/layers.py` checks
//! it): `commands` → `settings` → `cli` → (`job`, `generate`) → `report` → `config` →
//! `targets` → (`query`, `derive`, `cluster`) → (`sla`, `problems`, `insights`, `cmdb`) → `ingest` → `dataset` →
//! (`time`, `table`, `error`).

#![warn(missing_docs)]

pub mod cli;
pub mod cluster;
pub mod cmdb;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod derive;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod insights;
pub mod job;
pub mod privacy;
pub mod problems;
pub mod query;
pub mod report;
pub mod settings;
pub mod sla;
pub mod table;
pub mod targets;
pub mod time;

pub use error::{Error, ExitStatus, Result};

/// Lower-case hex of bytes (digests, ids): one spelling for every hash the tool shows.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
