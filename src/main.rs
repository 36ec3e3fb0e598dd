//! The ticketlake binary: parse arguments, run the library, map the outcome to an exit code
//! (0 success, 1 findings such as too many rejects, 2 errors). A closed stdout ends quietly.

use std::io::Write;

use clap::Parser;
use ticketlake::ExitStatus;

fn main() {
    let cli = ticketlake::cli::Cli::parse();
    let status = match ticketlake::commands::run(cli) {
        Ok(status) => status,
        Err(e) if e.is_broken_pipe() => ExitStatus::Success,
        Err(e) => {
            // Not `eprintln!`, which panics when stderr itself cannot be written.
            let _ = writeln!(std::io::stderr(), "ticketlake: error: {e}");
            ExitStatus::Failure
        }
    };
    std::process::exit(status.code());
}
