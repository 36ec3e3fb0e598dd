//! `ticketlake build`: recompute the derived tables for all of history.

use super::{Ctx, out, print};
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::settings::Shown;

/// Run `build`.
pub(crate) fn run(
    p: &Project,
    as_of: Option<&str>,
    json: bool,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    let at = as_of.map(crate::time::parse_as_of).transpose()?;
    shown.add(
        "build.as-of",
        as_of,
        if as_of.is_some() {
            "--as-of"
        } else {
            "default (the newest updated_at)"
        },
    );
    if ctx.showed(shown, json)? {
        return Ok(ExitStatus::Success);
    }
    let b = crate::derive::build(
        &p.dataset,
        &p.policies,
        &p.problems,
        &p.insights,
        &p.changes,
        at,
    )?;
    if json {
        out::json(&b)?;
    } else if !ctx.quiet {
        let mut w = out::Lines::default();
        print::build(&b, &mut w);
        w.print()?;
    }
    Ok(ExitStatus::Success)
}
