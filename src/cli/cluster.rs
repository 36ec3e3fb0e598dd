//! The `cluster` subcommands' arguments: the nodes of a Ballista cluster.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `cluster` subcommands: the nodes of a Ballista cluster, carrying ticketlake's functions.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Run a Ballista scheduler: clients connect with `--engine ballista://HOST:PORT`.
    #[command(
        after_help = "Example:\n  ticketlake --config ticketlake.toml cluster scheduler --bind 0.0.0.0:50050"
    )]
    Scheduler {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        bind: String,
        /// Seconds without a heartbeat after which an executor counts as lost and its
        /// tasks are run elsewhere.
        #[arg(long, default_value_t = 180, value_name = "SECS")]
        executor_timeout: u64,
    },
    /// Run a Ballista executor that takes work from a scheduler.
    #[command(
        after_help = "Example:\n  ticketlake --config ticketlake.toml cluster executor --scheduler sched:50050 --concurrency 4"
    )]
    Executor(ExecutorArgs),
}

/// `cluster executor`
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler to register with.
    #[arg(long, value_name = "HOST:PORT")]
    pub scheduler: String,
    /// Tasks run at once (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub bind: String,
    /// The host name the scheduler and other executors reach this one by (default: the
    /// bind address, or the machine's name when that is 0.0.0.0).
    #[arg(long, value_name = "HOST")]
    pub external_host: Option<String>,
    /// Arrow Flight port (results and shuffle data).
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// gRPC port (the scheduler's calls).
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Directory for shuffle files (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Memory pool of the executor's tasks in MiB (default: Ballista's share of the host's).
    #[arg(long, value_name = "MIB")]
    pub memory_mb: Option<u64>,
    /// Seconds between heartbeats to the scheduler; keep it well under the scheduler's
    /// `--executor-timeout`.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub heartbeat: u64,
}
