//! `ticketlake generate`: synthetic exports with their truth. Reads no config.

use super::{Ctx, out};
use crate::cli::GenerateArgs;
use crate::error::{ExitStatus, Result};
use crate::generate::Options;
use crate::settings::Shown;

/// Run `generate`.
pub(crate) fn run(a: &GenerateArgs, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    let o = Options {
        tickets: a.tickets,
        months: a.months,
        seed: a.seed,
        format: a.format,
        end_month: a.end_month.clone(),
        out: a.out.clone(),
        paraphrases: a.paraphrases,
        inject: a.inject.clone(),
    };
    shown.add("generate.tickets", o.tickets, "--tickets");
    shown.add("generate.months", o.months, "--months (default 13)");
    shown.add("generate.seed", o.seed, "--seed (default 1)");
    shown.add(
        "generate.format",
        format!("{:?}", o.format),
        "--format (default servicenow-csv)",
    );
    shown.add(
        "generate.end-month",
        &o.end_month,
        "--end-month (default: last month)",
    );
    shown.add("generate.out", o.out.display().to_string(), "--out");
    shown.add(
        "generate.paraphrases",
        o.paraphrases,
        "--paraphrases (default false)",
    );
    shown.add(
        "generate.inject",
        &o.inject,
        "--inject (default: none given, the realistic desk)",
    );
    if ctx.showed(shown, false)? {
        return Ok(ExitStatus::Success);
    }
    let summary = crate::generate::generate(&o)?;
    if !ctx.quiet {
        out::line(&summary)?;
    }
    Ok(ExitStatus::Success)
}
