//! `ticketlake run`: the scheduled job. Under `--json` it prints one JSON object whatever
//! the outcome (a source over its reject limit, a missed target), with `exit_code`.

use std::path::PathBuf;

use super::{Ctx, out, print, report::print_outcome};
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::report::data::UnitKind;
use crate::settings::{self, Shown};

/// Run `run`.
pub(crate) fn run(
    p: &Project,
    dir: Option<PathBuf>,
    period: Option<String>,
    json: bool,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    let talk = !ctx.quiet && !json;
    let sources = settings::sources(p, talk, shown)?;
    let opts = settings::report(p, period, UnitKind::Service, None, dir, shown);
    if ctx.showed(shown, json)? {
        return Ok(ExitStatus::Success);
    }
    let done = crate::job::run(p, &sources, &opts)?;
    if json {
        out::json(&done)?;
        return Ok(done.status);
    }
    if !talk {
        if let Some(name) = &done.stopped_at {
            out::note(format_args!(
                "ticketlake: source {name}: rejects over the limit; nothing was committed or reported"
            ));
        }
        return Ok(done.status);
    }
    let mut w = out::Lines::default();
    for s in &done.sources {
        w.add(format!("source {}:", s.name));
        print::ingest(&p.dataset, &s.ingest, &mut w);
    }
    if let Some(b) = &done.build {
        print::build(b, &mut w);
    }
    if let Some(name) = &done.stopped_at {
        w.add(format!(
            "stopped: source {name} is over its reject limit, so nothing was rebuilt or reported"
        ));
    }
    if let Some(o) = &done.report {
        print_outcome(o, &mut w);
    }
    if let Some(q) = &done.data_quality {
        w.add(format!("wrote {q}"));
    }
    w.print()?;
    Ok(done.status)
}
