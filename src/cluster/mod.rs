//! The nodes of a Ballista cluster, as `ticketlake cluster scheduler` and `ticketlake cluster
//! executor` run them. They are Ballista's own scheduler and executor; ticketlake adds only
//! what its SQL needs on every node:
//! - its functions (calendars from the config, trend, size-checked), registered on the
//!   scheduler's sessions and in the executors' function registry by the one function the
//!   client uses too ([`crate::query::functions::register`]);
//! - the dataset's object store, so the listing tables the client sends can be read.
//!
//! Every node is this binary with the same config, so function code and calendars match.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::dataset::Location;
use crate::error::{Error, Result};
use crate::query::functions::Functions;
use crate::query::session;
use crate::sla::policy::Policies;

/// What every node needs from the project.
#[derive(Debug, Clone)]
pub struct Node {
    /// The dataset whose store the node registers.
    dataset: Location,
    /// ticketlake's functions, built once for all the node's sessions.
    functions: Arc<Functions>,
}

/// `cluster scheduler`
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// How long an executor may go without a heartbeat before it counts as lost.
    pub executor_timeout: Duration,
}

/// `cluster executor`
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// Task slots (0: the machine's cores).
    pub concurrency: usize,
    /// The address to listen on.
    pub bind: String,
    /// The host name others reach this executor by.
    pub external_host: Option<String>,
    /// Arrow Flight port.
    pub port: u16,
    /// gRPC port.
    pub grpc_port: u16,
    /// Shuffle directory.
    pub work_dir: Option<PathBuf>,
    /// Memory pool in bytes (`None`: Ballista's share of the host's memory).
    pub memory_bytes: Option<u64>,
    /// Interval of the heartbeats to the scheduler.
    pub heartbeat: Duration,
}

/// A Ballista failure as ticketlake's error.
fn failed(context: &str) -> impl FnOnce(ballista_core::error::BallistaError) -> Error + '_ {
    move |e| Error::Query {
        context: context.to_string(),
        message: e.to_string(),
    }
}

/// The runtime a node runs on (deep plans recurse, as in the query session).
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(session::STACK_BYTES)
        .enable_all()
        .build()
        .map_err(Error::io("starting the node's runtime", "-"))
}

impl Node {
    /// A node for `dataset`, with the functions of `policies`' calendars.
    pub fn new(dataset: Location, policies: &Policies) -> Node {
        let memory = session::Limits::default().memory_bytes;
        Node {
            dataset,
            functions: Arc::new(Functions::new(policies, memory)),
        }
    }

    /// A node's session: Ballista's default state plus the dataset's store and
    /// ticketlake's functions.
    fn session(&self, config: SessionConfig) -> datafusion::common::Result<SessionContext> {
        let state = ballista_core::utils::default_session_builder(config)?;
        let ctx = SessionContext::new_with_state(state);
        self.dataset.register(ctx.runtime_env().as_ref());
        self.functions
            .register(&ctx)
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(ctx)
    }

    /// Run a scheduler until the process is stopped.
    pub fn scheduler(&self, o: &SchedulerOptions) -> Result<()> {
        let node = self.clone();
        let mut config = SchedulerConfig::default()
            .with_hostname(o.bind.ip().to_string())
            .with_port(o.bind.port())
            .with_override_session_builder(Arc::new(move |c| Ok(node.session(c)?.state())));
        config.bind_host = o.bind.ip().to_string();
        config.executor_timeout_seconds = o.executor_timeout.as_secs();
        config.no_executors_grace_period_seconds = o.executor_timeout.as_secs();
        config.expire_dead_executor_interval_seconds = config
            .expire_dead_executor_interval_seconds
            .min(o.executor_timeout.as_secs().max(1));
        runtime()?.block_on(async {
            let cluster = BallistaCluster::new_from_config(&config)
                .await
                .map_err(failed("starting the scheduler"))?;
            eprintln!(
                "ticketlake cluster scheduler: listening on {} (Ballista {}, DataFusion {})",
                o.bind,
                ballista_core::BALLISTA_VERSION,
                datafusion::DATAFUSION_VERSION
            );
            ballista_scheduler::scheduler_process::start_server(cluster, o.bind, Arc::new(config))
                .await
                .map_err(failed("running the scheduler"))
        })
    }

    /// Run an executor until the process is stopped or its scheduler tells it to stop.
    pub fn executor(&self, o: &ExecutorOptions) -> Result<()> {
        let probe = self
            .session(SessionConfig::new())
            .map_err(crate::query::session::df_error("the executor's functions"))?;
        let registry = BallistaFunctionRegistry::from(&probe.state());
        let dataset = self.dataset.clone();
        let work_dir = o.work_dir.clone();
        let mut config = ExecutorProcessConfig {
            bind_host: o.bind.clone(),
            external_host: o
                .external_host
                .clone()
                .or_else(|| Some(o.bind.clone()).filter(|b| b != "0.0.0.0" && b != "::")),
            port: o.port,
            grpc_port: o.grpc_port,
            scheduler_host: o.scheduler_host.clone(),
            scheduler_port: o.scheduler_port,
            vcores: o.concurrency,
            work_dir: o.work_dir.as_ref().map(|d| d.display().to_string()),
            memory_pool_size: o.memory_bytes,
            executor_heartbeat_interval_seconds: o.heartbeat.as_secs().max(1),
            override_function_registry: Some(Arc::new(registry)),
            ..Default::default()
        };
        config.override_runtime_producer = Some(Arc::new(move |_| {
            let mut env = RuntimeEnvBuilder::new();
            if let Some(d) = &work_dir {
                env = env.with_temp_file_path(d);
            }
            let env = env.build()?;
            dataset.register(&env);
            Ok(Arc::new(env))
        }));
        eprintln!(
            "ticketlake cluster executor: serving on {}:{} (gRPC {}), scheduler {}:{}",
            o.bind, o.port, o.grpc_port, o.scheduler_host, o.scheduler_port
        );
        runtime()?.block_on(async {
            start_executor_process(Arc::new(config))
                .await
                .map_err(failed("running the executor"))
        })
    }
}

/// `HOST:PORT` as host and port, naming `flag` when it is not one.
pub fn host_port(text: &str, flag: &str) -> Result<(String, u16)> {
    let bad = || {
        Error::Usage(format!(
            "{flag} `{text}`: give HOST:PORT, for example 127.0.0.1:50050"
        ))
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}
