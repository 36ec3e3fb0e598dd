//! The face of ticketlake: the only code that sees the parsed command line or writes to
//! stdout. One file per verb; each resolves its settings once (`settings`), calls the
//! library, prints the outcome, and returns an [`ExitStatus`]. Findings (rejects over the
//! limit, a missed target) come back as data and become [`ExitStatus::Findings`]; only
//! failures are errors.

mod build;
mod check;
mod cluster;
mod dataset;
mod generate;
mod ingest;
mod init;
mod insights;
mod manual;
mod mapping;
mod out;
mod print;
mod problems;
mod query;
mod rejects;
mod report;
mod run;
mod shell;
mod sla_check;
mod sql;

use crate::cli::{Cli, ClusterCommand, Command, DatasetCommand, MappingCommand};
use crate::error::{ExitStatus, Result};
use crate::settings::{self, Shown};

/// What every command is run with besides its own arguments.
pub(crate) struct Ctx {
    /// `--quiet`.
    pub(crate) quiet: bool,
    /// `--show-settings`: print the resolved settings and stop.
    pub(crate) show_settings: bool,
}

impl Ctx {
    /// Under `--show-settings`, print `shown` (JSON when `json`) and say so: the command
    /// then returns without running.
    pub(crate) fn showed(&self, shown: &Shown, json: bool) -> Result<bool> {
        if !self.show_settings {
            return Ok(false);
        }
        if json {
            out::json(&shown.to_json())?;
        } else {
            out::text(&shown.to_toml())?;
        }
        Ok(true)
    }
}

/// The subcommand's name as users type it.
fn name(c: &Command) -> &'static str {
    match c {
        Command::Init { .. } => "init",
        Command::Ingest(_) => "ingest",
        Command::Build { .. } => "build",
        Command::Problems { .. } => "problems",
        Command::Insights(_) => "insights",
        Command::SlaCheck { .. } => "sla-check",
        Command::Sql { .. } => "sql",
        Command::Query(_) => "query",
        Command::Dataset(_) => "dataset",
        Command::Cluster(ClusterCommand::Scheduler { .. }) => "cluster scheduler",
        Command::Cluster(ClusterCommand::Executor(_)) => "cluster executor",
        Command::Rejects { .. } => "rejects",
        Command::Run { .. } => "run",
        Command::Report(_) => "report",
        Command::Check { .. } => "check",
        Command::Mapping(MappingCommand::Suggest(_)) => "mapping suggest",
        Command::Generate(_) => "generate",
        Command::Completions { .. } => "completions",
        Command::Manpage => "manpage",
    }
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let ctx = Ctx {
        quiet: cli.quiet,
        show_settings: cli.show_settings,
    };
    let mut shown = Shown::new(name(&cli.command));
    // These read no config: a broken ./ticketlake.toml must not stop `init --force`, and a
    // mapping is suggested from the export alone.
    match &cli.command {
        Command::Init { dir, force } => return init::run(dir, *force, &ctx, &mut shown),
        Command::Generate(a) => return generate::run(a, &ctx, &mut shown),
        Command::Mapping(MappingCommand::Suggest(a)) => {
            return mapping::suggest(a, &ctx, &mut shown);
        }
        Command::Completions { shell } => return manual::completions(*shell),
        Command::Manpage => return manual::manpage(),
        _ => {}
    }
    let p = settings::project(&cli, &mut shown)?;
    let s = &mut shown;
    match cli.command {
        Command::Ingest(a) => ingest::run(&p, &a, &ctx, s),
        Command::Build { as_of, json } => build::run(&p, as_of.as_deref(), json, &ctx, s),
        Command::Dataset(DatasetCommand::Info { json }) => dataset::info(&p, json, &ctx, s),
        Command::Dataset(DatasetCommand::Vacuum { older_than, json }) => {
            dataset::vacuum(&p, &older_than, json, &ctx, s)
        }
        Command::Rejects {
            ingest,
            all,
            format,
        } => rejects::run(&p, ingest.as_deref(), all, format, &ctx, s),
        Command::SlaCheck { format } => sla_check::run(&p, format, &ctx, s),
        Command::Sql {
            statement,
            format,
            bounds,
        } => sql::run(&p, statement.as_deref(), format, &bounds, &ctx, s),
        Command::Problems { action, options } => problems::run(&p, action, options, &ctx, s),
        Command::Insights(a) => insights::run(&p, &a, &ctx, s),
        Command::Query(a) => query::run(&p, &a, &ctx, s),
        Command::Run { out, period, json } => run::run(&p, out, period, json, &ctx, s),
        Command::Report(a) => report::run(&p, a, &ctx, s),
        Command::Cluster(c) => cluster::run(&p, c, &ctx, s),
        Command::Check {
            period,
            min_attainment,
            by,
            format,
        } => check::run(&p, period.as_deref(), min_attainment, by, format, &ctx, s),
        Command::Init { .. }
        | Command::Generate(_)
        | Command::Mapping(_)
        | Command::Completions { .. }
        | Command::Manpage => Ok(ExitStatus::Success),
    }
}
