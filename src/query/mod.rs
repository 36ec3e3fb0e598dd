//! Querying the dataset with DataFusion: the session (tables, views, calendar and trend
//! functions), the read-only runner for ad hoc SQL and its interactive shell, and the catalog
//! of named metric queries with their periods.

pub mod adhoc;
pub mod catalog;
pub mod metric;
pub mod session;
pub mod trend;
