//! `ticketlake ingest`: exports into the dataset, then the rebuild when the derived tables
//! are stale. Over the reject limit, nothing is committed: the outcome (with
//! `committed: false`) is printed as usual, or as one JSON line, and the exit code is 1.

use super::{Ctx, out, print};
use crate::cli::IngestArgs;
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::settings::{self, Shown};

/// Run `ingest`.
pub(crate) fn run(p: &Project, a: &IngestArgs, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    let opts = settings::ingest(p, a, ctx.quiet, shown)?;
    if ctx.showed(shown, a.json)? {
        return Ok(ExitStatus::Success);
    }
    let done = crate::job::ingest_and_build(p, &a.files, &opts, !a.no_build)?;
    if a.json {
        out::json(&done)?;
    } else if !ctx.quiet {
        let mut w = out::Lines::default();
        print::ingest(&p.dataset, &done.ingest, &mut w);
        if let Some(b) = &done.build {
            print::build(b, &mut w);
        }
        w.print()?;
    } else if let Some(over) = &done.ingest.limit_exceeded {
        // Even --quiet says why the job failed.
        out::note(format_args!("ticketlake: {}", over.message()));
    }
    Ok(done.status())
}
