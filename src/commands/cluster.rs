//! `ticketlake cluster scheduler|executor`: run a Ballista node that carries ticketlake's
//! functions and reaches the project's dataset.

use std::net::ToSocketAddrs;
use std::time::Duration;

use super::Ctx;
use crate::cli::{ClusterCommand, ExecutorArgs};
use crate::cluster::{ExecutorOptions, Node, SchedulerOptions, host_port};
use crate::config::Project;
use crate::error::{Error, ExitStatus, Result};
use crate::settings::Shown;

/// Run `cluster …` until the node stops.
pub(crate) fn run(
    p: &Project,
    command: ClusterCommand,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    let node = Node::new(p.dataset.clone(), &p.policies);
    match command {
        ClusterCommand::Scheduler {
            bind,
            executor_timeout,
        } => {
            shown.add("cluster.bind", &bind, "--bind (default 127.0.0.1:50050)");
            shown.add(
                "cluster.executor-timeout",
                executor_timeout,
                "--executor-timeout (default 180)",
            );
            let addr = bind
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--bind `{bind}`: give HOST:PORT, for example 0.0.0.0:50050"
                    ))
                })?;
            if ctx.showed(shown, false)? {
                return Ok(ExitStatus::Success);
            }
            node.scheduler(&SchedulerOptions {
                bind: addr,
                executor_timeout: Duration::from_secs(executor_timeout.max(1)),
            })?;
        }
        ClusterCommand::Executor(a) => {
            let o = executor_options(&a, shown)?;
            if ctx.showed(shown, false)? {
                return Ok(ExitStatus::Success);
            }
            node.executor(&o)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The executor's options from its flags.
fn executor_options(a: &ExecutorArgs, shown: &mut Shown) -> Result<ExecutorOptions> {
    let (scheduler_host, scheduler_port) = host_port(&a.scheduler, "--scheduler")?;
    shown.add("cluster.scheduler", &a.scheduler, "--scheduler");
    shown.add(
        "cluster.concurrency",
        a.concurrency,
        "--concurrency (default: the machine's cores)",
    );
    if a.concurrency == Some(0) {
        return Err(Error::Usage(
            "--concurrency 0: give at least 1 task slot (omit it for one per core)".into(),
        ));
    }
    Ok(ExecutorOptions {
        scheduler_host,
        scheduler_port,
        concurrency: a.concurrency.unwrap_or(0),
        bind: a.bind.clone(),
        external_host: a.external_host.clone(),
        port: a.port,
        grpc_port: a.grpc_port,
        work_dir: a.work_dir.clone(),
        memory_bytes: a.memory_mb.map(|m| m << 20),
        heartbeat: Duration::from_secs(a.heartbeat),
    })
}
