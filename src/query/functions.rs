//! Every function ticketlake adds to SQL, registered by one call wherever its SQL is planned
//! or run: the local session, a Ballista client, a scheduler's session builder and an
//! executor's function registry. Ballista sends scalar functions by name, so each node must
//! hold the same set, built from the same config; one function keeps them from drifting.

use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

use crate::error::Result;
use crate::sla::policy::Policies;

/// The functions, built once: laying out the calendars takes a while, and a scheduler
/// registers them on a new session for every client session.
#[derive(Debug, Clone)]
pub struct Functions {
    /// The calendar functions (over the project's calendars) and the trend functions.
    udfs: Vec<ScalarUDF>,
    /// The memory limit the size-checked functions allow a quarter of.
    memory_bytes: usize,
}

impl Functions {
    /// The functions of a project's calendars, with results bounded by `memory_bytes`.
    pub fn new(policies: &Policies, memory_bytes: usize) -> Functions {
        let udfs = crate::sla::udf::functions(crate::sla::udf::calendars(policies))
            .into_iter()
            .chain(super::trend::functions())
            .collect();
        Functions { udfs, memory_bytes }
    }

    /// Register the calendar and trend functions and the size-checked
    /// `repeat`/`lpad`/`rpad`/`array_repeat` on `ctx`. Registering again replaces, so calling
    /// it on a context that lost them (Ballista's upgrade) restores them.
    pub fn register(&self, ctx: &SessionContext) -> Result<()> {
        for f in &self.udfs {
            ctx.register_udf(f.clone());
        }
        super::sized::register(ctx, self.memory_bytes).map_err(
            crate::dataset::listing::engine_error("size-checked functions".into()),
        )
    }

    /// The names of the functions ticketlake adds (not the size-checked built-ins).
    pub fn names(&self) -> Vec<String> {
        self.udfs.iter().map(|f| f.name().to_string()).collect()
    }
}
