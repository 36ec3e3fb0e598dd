//! Querying the dataset with DataFusion: the session (tables, views, calendar functions) and
//! the read-only runner for ad hoc SQL.

pub mod adhoc;
pub mod session;
