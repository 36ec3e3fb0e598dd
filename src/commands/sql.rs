//! `ticketlake sql`: one read-only statement, or the interactive shell without one.

use super::{Ctx, out, shell};
use crate::cli::QueryBounds;
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::settings::Shown;
use crate::table::Format;

/// Show the bounds every statement runs with.
pub(crate) fn show_bounds(b: &QueryBounds, shown: &mut Shown) {
    shown.add("sql.max-rows", b.max_rows, "--max-rows (default 10000)");
    shown.add("sql.memory-mb", b.memory_mb, "--memory-mb (default 2048)");
    shown.add(
        "sql.timeout",
        b.timeout,
        if b.timeout.is_some() {
            "--timeout"
        } else {
            "default (none)"
        },
    );
}

/// Run `sql`.
pub(crate) fn run(
    p: &Project,
    statement: Option<&str>,
    format: Format,
    bounds: &QueryBounds,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    show_bounds(bounds, shown);
    if ctx.showed(shown, format == Format::Json)? {
        return Ok(ExitStatus::Success);
    }
    let session = crate::query::session::open(&p.dataset, &p.policies, &p.engine, bounds.limits())?;
    match statement {
        Some(statement) => {
            let t = crate::query::adhoc::run(&session, statement, bounds.max_rows)?;
            out::table_cut(&t, format, bounds.max_rows, "--max-rows")?;
        }
        None => shell::run(&session, format, bounds.max_rows)?,
    }
    Ok(ExitStatus::Success)
}
