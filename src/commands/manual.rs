//! `ticketlake completions SHELL` and `ticketlake manpage`, generated from the clap
//! definitions so they can never drift from the real flags.

use clap::CommandFactory;

use super::out;
use crate::cli::Cli;
use crate::error::{Error, ExitStatus, Result};

/// Print the completion script of `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitStatus> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ticketlake", &mut buf);
    out::text(&String::from_utf8_lossy(&buf))?;
    Ok(ExitStatus::Success)
}

/// Print the man page (roff): synopsis, options, and the subcommands with their summaries.
pub(crate) fn manpage() -> Result<ExitStatus> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(Error::output)?;
    out::text(&String::from_utf8_lossy(&buf))?;
    Ok(ExitStatus::Success)
}
