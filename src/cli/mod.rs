//! The command line: one subcommand per user task (clap derive only; `commands` runs them).
//! Every subcommand's help ends with an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ingest::SourceKind;
use crate::ingest::mapping::Encoding;
use crate::report::check::{CheckBy, CheckFormat};
pub use crate::table::Format as OutputFormat;
pub use cluster::{ClusterCommand, ExecutorArgs};
pub use inputs::{GenerateArgs, MappingCommand, SuggestArgs};

mod cluster;
mod inputs;

/// ticketlake: ITSM exports to a Parquet dataset, SLA and continual-improvement metrics.
#[derive(Debug, Parser)]
#[command(name = "ticketlake", version, about, propagate_version = true)]
pub struct Cli {
    /// Project config (default: ./ticketlake.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Dataset directory (over the environment's TICKETLAKE_DATASET, over the config's
    /// [dataset] path; default ./dataset).
    #[arg(long, global = true, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Where SQL runs (sql, query, report, check, run): `local`, `ballista://standalone` or
    /// `ballista://HOST:PORT` (over the environment's TICKETLAKE_ENGINE, over the config's
    /// [engine] url; default local).
    #[arg(long, global = true, value_name = "URL")]
    pub engine: Option<String>,
    /// Print nothing but errors (and the JSON line with --json).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print the command's resolved settings, each with its origin (flag, environment,
    /// config key, default), as TOML (JSON with --json), and exit without running it.
    #[arg(long, global = true)]
    pub show_settings: bool,
    /// The task.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented ticketlake.toml.
    #[command(after_help = "Example:\n  ticketlake init my-project")]
    Init {
        /// Directory to write ticketlake.toml into.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite an existing ticketlake.toml.
        #[arg(long)]
        force: bool,
    },
    /// Ingest exports into the dataset.
    #[command(
        after_help = "Examples:\n  ticketlake ingest --source servicenow --tz Europe/London exports/incident.csv\n  \
        ticketlake ingest --source generic --mapping glpi.toml --json exports/glpi.csv\n  \
        ticketlake ingest --source generic --mapping tickets.toml --history changelog.csv --history-mapping history.toml tickets.csv"
    )]
    Ingest(IngestArgs),
    /// Recompute the derived tables (the `sla` table) for all of history and commit them.
    #[command(
        after_help = "Examples:\n  ticketlake build\n  ticketlake build --as-of 2026-10-31T23:59:59Z"
    )]
    Build {
        /// Instant at which open clocks are evaluated (default: the newest updated_at).
        #[arg(long, value_name = "TS")]
        as_of: Option<String>,
        /// Print a one-line JSON summary on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Rank the recurring-problem candidates: clusters of incidents that should become a
    /// problem record (bursts and chronic streams), unlinked ones flagged.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  ticketlake problems\n  ticketlake problems --pattern chronic\n  \
        ticketlake problems --period 2026-Q3 --min-incidents 5 --window 14d --format csv\n  \
        ticketlake problems show PC-1a2b3c4d5e"
    )]
    Problems {
        /// `show ID` lists a candidate's member incidents.
        #[command(subcommand)]
        action: Option<ProblemsAction>,
        /// How candidates are selected and printed.
        #[command(flatten)]
        options: ProblemOptions,
    },
    /// Ranked statistical findings about the incidents: trends, concentrations, spikes,
    /// imbalances, correlations and recurring problems, each with its evidence.
    #[command(
        after_help = "Examples:\n  ticketlake insights\n  ticketlake insights --months 6 --service Email --format json\n  \
        ticketlake insights --period 2026-01-01..2026-10-01 --limit 10"
    )]
    Insights(InsightsArgs),
    /// Compare ticketlake's SLA verdicts with the vendor's own (ServiceNow `made_sla`).
    #[command(
        name = "sla-check",
        after_help = "Example:\n  ticketlake sla-check --format json"
    )]
    SlaCheck {
        /// Output format (table lists up to 50 disagreements).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Run read-only SQL over the dataset (tables, views, calendar and trend functions); with
    /// no statement, open an interactive shell.
    #[command(
        after_help = "Examples:\n  ticketlake sql \"SELECT kind, count(*) FROM tickets GROUP BY kind\"\n  \
        ticketlake sql --format csv \"SELECT ticket_id, business_seconds(opened_at, resolved_at, 'london') FROM incidents\"\n  \
        ticketlake sql            # interactive; \\d lists tables, \\q quits"
    )]
    Sql {
        /// The statement; omit it for the interactive shell.
        statement: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Limits of the statement.
        #[command(flatten)]
        bounds: QueryBounds,
    },
    /// Run a named metric query from queries/ for a period.
    #[command(
        after_help = "Examples:\n  ticketlake query --list\n  ticketlake query mttr --period 2026-10 --by service\n  \
        ticketlake query sla_attainment --period 2026-Q3 --by month --format json\n  \
        ticketlake query backlog_aging --as-of 2026-11-01 --by group --format csv"
    )]
    Query(QueryArgs),
    /// Inspect the dataset.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// List rejected rows with file, line, column and reason.
    #[command(
        after_help = "Examples:\n  ticketlake rejects\n  ticketlake rejects --ingest ing-000002 --format csv > rejects.csv"
    )]
    Rejects {
        /// Only this ingest (see `dataset info`).
        #[arg(long, value_name = "ID")]
        ingest: Option<String>,
        /// Also the rejects of files a later ingest read again (with corrected options or
        /// `--replace`), with the ingest that replaced them.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// The scheduled job: ingest every configured source, rebuild, then write the month's reports.
    #[command(
        after_help = "Exit codes: 0 done; 1 rejects over the limit or a configured target missed; 2 error.\n\n\
        Example:\n  ticketlake --config sample-data/ticketlake.toml run --period 2026-10 --json"
    )]
    Run {
        /// Directory the reports are written into (`DIR/<period>/`), or an object-store URL
        /// (s3://, gs://, az://); default `[report] out`, else ./reports.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Month to report, YYYY-MM (default: the last complete month before the dataset's as-of).
        #[arg(long)]
        period: Option<String>,
        /// Print a one-line JSON summary on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Run a node of a Ballista cluster (scheduler or executor) that runs ticketlake's SQL
    /// with its calendar and trend functions; give every node the same config.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Write a month's HTML reports: a portfolio index and one page per service or group.
    #[command(
        after_help = "Writes DIR/<period>/index.html, service-<slug>.html (or group-<slug>.html), summary.json, tables/*.csv and charts/*.svg.\n\n\
        Examples:\n  ticketlake report --period 2026-10\n  ticketlake report --period 2026-10 --service Email --out /tmp/reports\n  \
        ticketlake report --period 2026-10 --group Network-L2"
    )]
    Report(ReportArgs),
    /// Check SLA attainment against targets, for CI pipelines (exit 1 when any row misses).
    #[command(
        after_help = "Exit codes: 0 every row on target; 1 a row missed its target; 2 error.\n\n\
        Examples:\n  ticketlake check --period 2026-10 --min-attainment 95\n  \
        ticketlake check --period 2026-10 --by group --format junit > sla.xml"
    )]
    Check {
        /// Month (or any period `query` accepts) to check.
        #[arg(long)]
        period: Option<String>,
        /// Minimum attainment percent for every row (default: [targets] in the config).
        #[arg(long, value_name = "PCT")]
        min_attainment: Option<f64>,
        /// One row per SLA and this dimension.
        #[arg(long, value_enum, default_value_t = CheckBy::Service)]
        by: CheckBy,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Help with mapping files for the generic adapter.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Write realistic synthetic exports, with the injected truth in truth.json.
    #[command(
        after_help = "Example:\n  ticketlake generate --tickets 5000 --months 13 --seed 7 --format servicenow-csv --out sample-data/servicenow-csv"
    )]
    Generate(GenerateArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  ticketlake completions bash > ~/.local/share/bash-completion/completions/ticketlake\n  \
        ticketlake completions zsh > ~/.zfunc/_ticketlake"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  ticketlake manpage > ticketlake.1 && man -l ticketlake.1")]
    Manpage,
}

/// `ingest` arguments.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Source adapter.
    #[arg(long, value_enum)]
    pub source: SourceKind,
    /// Mapping file (required for generic).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// IANA time zone of naive timestamps in the export, e.g. Europe/London.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Text encoding of CSV exports.
    #[arg(long, value_parser = parse_encoding)]
    pub encoding: Option<Encoding>,
    /// Date format (strftime) of a locale-formatted export, e.g. "%d/%b/%y %I:%M %p" for
    /// Jira CSV or "%m-%d-%Y %H:%M:%S" for ServiceNow; needed only when the dates are
    /// ambiguous (03/04/26).
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,
    /// Commit nothing and exit 1 if more rows than this are rejected.
    #[arg(long, value_name = "N", conflicts_with = "max_reject_pct")]
    pub max_rejects: Option<u64>,
    /// Commit nothing and exit 1 if more than P percent of records are rejected.
    #[arg(long, value_name = "P")]
    pub max_reject_pct: Option<f64>,
    /// Copy closed_at into a missing resolved_at of resolved or closed tickets (off by
    /// default: such tickets are flagged closed_without_resolution and left out of MTTR).
    #[arg(long)]
    pub resolved_from_closed: bool,
    /// Read files again even when the same bytes were ingested with the same options: each
    /// supersedes its earlier contribution (for a file re-exported under the same name).
    #[arg(long)]
    pub replace: bool,
    /// Print a one-line JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// Do not rebuild the derived tables after the ingest.
    #[arg(long)]
    pub no_build: bool,
    /// A flat history export of the tickets in this ingest (one row per change: ticket,
    /// time, and the status or field/from/to); repeatable. Its status changes become the
    /// tickets' status intervals.
    #[arg(long, value_name = "FILE", requires = "history_mapping")]
    pub history: Vec<PathBuf>,
    /// The mapping the --history files are read with (kind = "history").
    #[arg(long, value_name = "FILE", requires = "history")]
    pub history_mapping: Option<PathBuf>,
    /// Export files (CSV, JSON, NDJSON).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    match s.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(Encoding::Utf8),
        "windows-1252" | "cp1252" => Ok(Encoding::Windows1252),
        _ => Err("expected utf-8 or windows-1252".into()),
    }
}

/// `problems` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProblemsAction {
    /// The member incidents of one candidate.
    Show {
        /// The candidate id (PC-...).
        id: String,
        /// How candidates are selected and printed.
        #[command(flatten)]
        options: ProblemOptions,
    },
}

/// How `problems` selects and prints candidates.
#[derive(Debug, Clone, clap::Args)]
pub struct ProblemOptions {
    /// Only incidents opened in this period (YYYY-MM, YYYY-Qn, YYYY or FROM..TO).
    #[arg(long)]
    pub period: Option<String>,
    /// Fewest incidents within the window (default from [problems], else 3).
    #[arg(long)]
    pub min_incidents: Option<usize>,
    /// The window: 30d, 4w (default from [problems], else 30d).
    #[arg(long)]
    pub window: Option<String>,
    /// Only candidates of this pattern (default: both).
    #[arg(long, value_enum)]
    pub pattern: Option<crate::problems::pattern::Pattern>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Show at most this many rows.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// What `insights` examines and how it prints.
#[derive(Debug, Clone, clap::Args)]
pub struct InsightsArgs {
    /// The period examined (YYYY-MM, YYYY-Qn, YYYY or FROM..TO); with --months, the months
    /// ending with it (default: the last 12 complete months before the as-of).
    #[arg(long)]
    pub period: Option<String>,
    /// How many months, ending with the period or the last complete month (default from
    /// [insights] months, else 12).
    #[arg(long)]
    pub months: Option<u32>,
    /// Only this service's incidents.
    #[arg(long)]
    pub service: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Show at most this many findings.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// Limits of one SQL statement.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryBounds {
    /// Row cap; more rows are cut with a note on stderr.
    #[arg(long, default_value_t = 10_000)]
    pub max_rows: usize,
    /// Memory limit of the query engine, in MiB.
    #[arg(long, default_value_t = 2048)]
    pub memory_mb: usize,
    /// Stop a statement after this many seconds.
    #[arg(long)]
    pub timeout: Option<u64>,
}

impl QueryBounds {
    /// The session limits these bounds ask for.
    pub fn limits(&self) -> crate::query::session::Limits {
        crate::query::session::Limits {
            memory_bytes: self.memory_mb << 20,
            timeout: self.timeout.map(std::time::Duration::from_secs),
        }
    }
}

/// `dataset` subcommands.
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Current version, rows per table and the ingest history.
    #[command(after_help = "Example:\n  ticketlake dataset info --json")]
    Info {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete versions replaced longer ago than the retention, and the data files no kept
    /// version names once they are that old too (on object storage an unnamed file may be
    /// a running writer's).
    #[command(after_help = "Example:\n  ticketlake dataset vacuum --older-than 7d")]
    Vacuum {
        /// Retention: `7d`, `36h`, `90m`, `0s` (keep only the current version).
        #[arg(long, default_value = "7d")]
        older_than: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `query` arguments.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The query's name (its file stem); see --list.
    pub name: Option<String>,
    /// List the queries with their descriptions and dimensions.
    #[arg(long, conflicts_with = "name")]
    pub list: bool,
    /// Reporting period: YYYY-MM, YYYY-Qn, YYYY or FROM..TO (TO exclusive); default: the
    /// last complete month before the dataset's as-of.
    #[arg(long)]
    pub period: Option<String>,
    /// As-of instant for backlog and still-open shares (default: the period's end, or the
    /// last build's as-of if earlier).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Grouping dimension (priority, service, group, category, ... as the query allows).
    #[arg(long)]
    pub by: Option<String>,
    /// Print the SQL that would run instead of running it.
    #[arg(long)]
    pub show_sql: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Limits of the statement.
    #[command(flatten)]
    pub bounds: QueryBounds,
}

/// `report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Month to report, YYYY-MM (default: the last complete month before the dataset's as-of).
    #[arg(long)]
    pub period: Option<String>,
    /// Only this service.
    #[arg(long, conflicts_with_all = ["group", "all"])]
    pub service: Option<String>,
    /// Report by assignment group: only this group.
    #[arg(long, conflicts_with = "all")]
    pub group: Option<String>,
    /// Every service (the default).
    #[arg(long)]
    pub all: bool,
    /// Report every assignment group instead of every service.
    #[arg(long, conflicts_with_all = ["service", "group"])]
    pub by_group: bool,
    /// Output root: a directory or an object-store URL (s3://, gs://, az://); default
    /// `[report] out`, else ./reports.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print a one-line JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}
