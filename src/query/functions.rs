//! Every function ticketlake adds to SQL, registered by one call wherever its SQL is planned
//! or run: the local session, a Ballista client, a scheduler's session builder and an
//! executor's function registry. Ballista sends scalar functions by name, so each node must
//! hold the same set, built from the same config; one function keeps them from drifting.

use datafusion::prelude::SessionContext;

use crate::error::Result;
use crate::sla::policy::Policies;

/// Register the calendar functions (over the project's calendars), the trend functions and
/// the size-checked `repeat`/`lpad`/`rpad`/`array_repeat` on `ctx`. Registering again
/// replaces, so calling it on a context that lost them (Ballista's upgrade) restores them.
pub fn register(ctx: &SessionContext, policies: &Policies, memory_bytes: usize) -> Result<()> {
    for f in crate::sla::udf::functions(crate::sla::udf::calendars(policies)) {
        ctx.register_udf(f);
    }
    for f in super::trend::functions() {
        ctx.register_udf(f);
    }
    super::sized::register(ctx, memory_bytes)
        .map_err(super::session::df_error("size-checked functions"))
}

/// The names [`register`] adds or replaces, for the checks that a context carries them.
pub fn names() -> Vec<String> {
    let calendars = std::sync::Arc::new(crate::sla::udf::Calendars::new());
    crate::sla::udf::functions(calendars)
        .into_iter()
        .chain(super::trend::functions())
        .map(|f| f.name().to_string())
        .collect()
}
