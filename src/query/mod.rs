//! Querying the dataset with DataFusion: the session (tables, views, calendar and trend
//! functions), the read-only runner for ad hoc SQL and its interactive shell, and the catalog
//! of named metric queries with their periods; and the bounds every statement runs under
//! (deadline, expression depth, size-checked functions, the allocator cap); and the engine
//! that runs them, local DataFusion or a Ballista cluster.

pub mod adhoc;
pub mod bounded;
pub mod catalog;
pub mod engine;
pub mod functions;
pub mod memcap;
pub mod metric;
pub mod session;
pub mod sized;
pub mod trend;
