//! ticketlake: ITSM analytics for continual improvement and SLA reporting.
//!
//! Exports from ServiceNow and other tools are ingested ([`ingest`]) into one Parquet
//! [`dataset`] with a versioned manifest. Later stages derive SLA results, compute metrics
//! with SQL and render reports; see `DESIGN.md` in the project's shared material.

pub mod cli;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod derive;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod job;
pub mod output;
pub mod problems;
pub mod query;
pub mod report;
pub mod sla;
pub mod targets;

pub use error::{Error, Result};
