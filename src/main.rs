//! The ticketlake binary: parse arguments, run the library, map the outcome to an exit code
//! (0 success, 1 findings such as too many rejects, 2 errors).

use clap::Parser;

fn main() {
    let cli = ticketlake::cli::Cli::parse();
    let code = match ticketlake::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ticketlake: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
