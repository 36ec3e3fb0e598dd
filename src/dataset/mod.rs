//! The dataset: a folder of Parquet files plus a versioned manifest, the only contract
//! between ticketlake's stages and the way other engines read its output.

pub mod columns;
pub mod lock;
pub mod manifest;
pub mod store;

pub use manifest::Manifest;

/// Table names.
pub const TICKETS: &str = "tickets";
/// Status history table.
pub const STATUS_INTERVALS: &str = "status_intervals";
/// Rejected rows table.
pub const REJECTS: &str = "rejects";
