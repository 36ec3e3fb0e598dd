//! The dataset: a folder of Parquet files plus a versioned manifest, the only contract
//! between ticketlake's stages and the way other engines read its output.

pub mod chunks;
pub mod columns;
pub mod listing;
pub mod location;
pub mod lock;
pub mod manifest;
pub mod schema;
pub mod store;
pub mod vacuum;

pub use location::Location;
pub use manifest::Manifest;
pub use schema::{
    CHANGE_IMPACT, CI_DEPENDENCIES, CI_RELATIONS, CONFIG_ITEMS, INSIGHTS,
    PROBLEM_CANDIDATE_MEMBERS, PROBLEM_CANDIDATES, REJECTS, SLA, STATUS_INTERVALS, TICKETS,
};
