//! `ticketlake report`: a month's reports from the dataset as it is.

use super::{Ctx, out};
use crate::cli::ReportArgs;
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::report::{self, data::UnitKind};
use crate::settings::{self, Shown};

/// The lines that say what a report run wrote and which targets were missed.
pub(crate) fn print_outcome(o: &report::Outcome, w: &mut out::Lines) {
    w.add(format!(
        "wrote {} ({} report(s) for {})",
        o.index.display(),
        o.units,
        o.period
    ));
    for (unit, missed) in &o.missed {
        w.add(format!(
            "  target missed: {}: {}",
            report::fmt::clean(unit),
            missed.join(", ")
        ));
    }
}

/// Run `report`.
pub(crate) fn run(p: &Project, a: ReportArgs, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    let ReportArgs {
        period,
        service,
        group,
        all: _,
        by_group,
        out: dir,
        json,
    } = a;
    let unit = if group.is_some() || by_group {
        UnitKind::Group
    } else {
        UnitKind::Service
    };
    let opts = settings::report(p, period, unit, service.or(group), dir, shown);
    if ctx.showed(shown, json)? {
        return Ok(ExitStatus::Success);
    }
    let dest = report::publish::Destination::open(&opts.out, &p.storage)?;
    let mut outcome = report::write(p, &opts.staged(&dest))?;
    outcome.publish(&dest)?;
    if json {
        out::json(&outcome)?;
    } else if !ctx.quiet {
        let mut w = out::Lines::default();
        print_outcome(&outcome, &mut w);
        w.print()?;
    }
    Ok(ExitStatus::Success)
}
