//! SLAs: business-hours calendars, policies with pause states, and the engine that writes
//! one `sla` row per ticket and matching SLA.

pub mod calendar;
pub mod check;
pub mod durations;
pub mod engine;
pub mod ics;
pub mod policy;
pub mod table;
pub mod udf;
