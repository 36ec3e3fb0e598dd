//! The arguments of the commands that make a project's inputs: a starting mapping for an
//! export (`mapping suggest`) and synthetic exports (`generate`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::generate::{GenerateFormat, Inject as GenerateInject};

/// `mapping` subcommands.
#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Write a starting mapping for a CSV or NDJSON export: the columns guessed from their
    /// names and values, the timestamp formats decided from the cells, and the priority,
    /// status and kind spellings with their canonical values. What it cannot decide (the
    /// time zone, unknown spellings) is a `# TODO` line to edit.
    #[command(
        after_help = "Examples:\n  ticketlake mapping suggest exports/tickets.csv > mappings/tickets.toml\n  \
        ticketlake mapping suggest --source glpi --date-format \"%d/%m/%Y %H:%M\" --out mappings/glpi.toml exports/glpi.csv"
    )]
    Suggest(SuggestArgs),
}

/// `mapping suggest` arguments.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The export (CSV with a header row, or NDJSON).
    pub file: PathBuf,
    /// Write the mapping to this file instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Overwrite the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Date format (strftime) of the ambiguous dates (03/04/2026), e.g. "%d/%m/%Y %H:%M";
    /// dates it does not read are still detected.
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,
    /// The mapping's `source` name (the value of tickets.source); default the file's stem.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
}

/// `generate` arguments.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of tickets (all kinds together).
    #[arg(long)]
    pub tickets: u64,
    /// Months of history, ending at the last full month before today.
    #[arg(long, default_value_t = 13)]
    pub months: u32,
    /// Random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Export shape.
    #[arg(long, value_enum, default_value_t = GenerateFormat::ServicenowCsv)]
    pub format: GenerateFormat,
    /// Last month generated, YYYY-MM (default: the month before the current one).
    #[arg(long, value_name = "YYYY-MM")]
    pub end_month: Option<String>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Write the injected bursts' titles as paraphrases without an entity ("Email server not
    /// responding", "Cannot access email"), so detection must merge paraphrases to find them.
    #[arg(long, conflicts_with = "inject")]
    pub paraphrases: bool,
    /// Generate the null desk (every dimension uniform and independent, constant arrival
    /// rate, iid resolution times) with these injected: trend, spike, bad-changes (a comma
    /// list), or none.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub inject: Vec<GenerateInject>,
}
