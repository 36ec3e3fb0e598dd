//! Where a session's SQL runs: in this process on DataFusion (`local`, the default), on an
//! in-process Ballista cluster (`ballista://standalone`, one scheduler and one executor
//! inside the command, which tests and trials use), or on a running Ballista cluster
//! (`ballista://HOST:PORT`, a scheduler started with `ticketlake cluster scheduler`).
//!
//! The same statements, tables and functions run on each: only the planner changes. The
//! tables are listing tables over the manifest's files, which Ballista serialises as they
//! are; every node must reach those files, so a real cluster reads a dataset in object
//! storage.

use std::time::Duration;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;

use super::functions::Functions;
use crate::error::{Error, Result};

/// The environment variable that names the engine (under `--engine`, over `[engine] url`).
pub const ENGINE_ENV: &str = "TICKETLAKE_ENGINE";

/// Ballista's scheduler port when a URL names none.
pub const DEFAULT_PORT: u16 = 50050;

/// Partitions (executor task slots) of the in-process cluster.
const STANDALONE_PARALLELISM: usize = 2;

/// How long a client waits for a scheduler to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where SQL runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Engine {
    /// DataFusion in this process.
    #[default]
    Local,
    /// A Ballista scheduler and executor inside this process.
    Standalone,
    /// A Ballista cluster's scheduler.
    Cluster {
        /// Host name or address.
        host: String,
        /// gRPC port.
        port: u16,
    },
}

impl Engine {
    /// Parse `local`, `ballista://standalone` or `ballista://HOST[:PORT]`; the error says
    /// what is accepted.
    pub fn parse(text: &str) -> std::result::Result<Engine, String> {
        let accepted = "give `local`, `ballista://standalone` or `ballista://HOST:PORT` \
                        (a scheduler started with `ticketlake cluster scheduler`)";
        let t = text.trim();
        if t.eq_ignore_ascii_case("local") {
            return Ok(Engine::Local);
        }
        let url = url::Url::parse(t)
            .map_err(|e| format!("`{t}` is not an engine URL ({e}); {accepted}"))?;
        if url.scheme() != "ballista" {
            return Err(format!(
                "`{t}`: unknown engine `{}`; {accepted}",
                url.scheme()
            ));
        }
        if !(url.path().is_empty() || url.path() == "/") || url.query().is_some() {
            return Err(format!(
                "`{t}`: an engine URL has no path or query; {accepted}"
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("`{t}`: no host; {accepted}"))?;
        if host.eq_ignore_ascii_case("standalone") {
            return Ok(Engine::Standalone);
        }
        Ok(Engine::Cluster {
            host: host.to_string(),
            port: url.port().unwrap_or(DEFAULT_PORT),
        })
    }

    /// The engine as users write it.
    pub fn shown(&self) -> String {
        match self {
            Engine::Local => "local".into(),
            Engine::Standalone => "ballista://standalone".into(),
            Engine::Cluster { host, port } => format!("ballista://{host}:{port}"),
        }
    }

    /// Whether statements run on Ballista.
    pub fn is_ballista(&self) -> bool {
        !matches!(self, Engine::Local)
    }

    /// Move `ctx` (with its config, runtime and object stores) onto the engine. Ballista's
    /// upgrade replaces the context's scalar functions by DataFusion's built-ins, so
    /// ticketlake's are registered before it (the in-process nodes copy the state) and again
    /// on the context it returns.
    pub async fn connect(
        &self,
        ctx: SessionContext,
        functions: &Functions,
    ) -> Result<SessionContext> {
        let failed = |e: datafusion::error::DataFusionError| Error::Query {
            context: format!("starting the {} engine", self.shown()),
            message: e.to_string(),
        };
        let ctx = match self {
            Engine::Local => return Ok(ctx),
            Engine::Standalone => {
                let state = without_hanging_rules(ctx).map_err(failed)?.state();
                let config = state
                    .config()
                    .clone()
                    .with_ballista_standalone_parallelism(STANDALONE_PARALLELISM);
                let state = SessionStateBuilder::new_from_existing(state)
                    .with_config(config)
                    .build();
                SessionContext::standalone_with_state(state)
                    .await
                    .map_err(failed)?
            }
            Engine::Cluster { host, port } => {
                probe(host, *port).await?;
                let state = without_hanging_rules(ctx).map_err(failed)?.state();
                SessionContext::remote_with_state(&self.shown(), state)
                    .await
                    .map_err(failed)?
            }
        };
        functions.register(&ctx)?;
        Ok(ctx)
    }
}

/// `ctx` with the two Ballista 55 planner rules off that hang jobs on ticketlake's
/// queries. The client sends these settings with every job, so they hold on any cluster.
///
/// - Broadcast-join promotion: a hash join with a small build side becomes a broadcast
///   stage; under a nested-loop join (the `mttr` query's join to its two views, on a small
///   dataset) the job never finishes.
/// - Empty-relation propagation: an outer or anti join whose other side turns out empty
///   (a `LEFT JOIN` to the response clocks of a dataset with no response SLA) is rewritten
///   to its preserved side, and the job never finishes. Upstream 55.0.0 ignores this
///   setting; `vendor/ballista-scheduler` is patched to honour it.
///
/// Hash joins partitioned by key give the same answers either way.
fn without_hanging_rules(ctx: SessionContext) -> datafusion::error::Result<SessionContext> {
    let state = ctx.state();
    let mut config = state
        .config()
        .clone()
        .with_ballista_broadcast_join_threshold_bytes(0);
    config.options_mut().set(
        ballista_core::config::BALLISTA_PROPAGATE_EMPTY_ENABLED,
        "false",
    )?;
    Ok(SessionContext::new_with_state(
        SessionStateBuilder::new_from_existing(state)
            .with_config(config)
            .build(),
    ))
}

/// Check that a scheduler answers at `host:port`, so a wrong address is one clear error
/// rather than a failure inside the first statement.
async fn probe(host: &str, port: u16) -> Result<()> {
    use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
    let url = format!("http://{host}:{port}");
    let unreachable = |why: String| Error::Query {
        context: format!("connecting to the Ballista scheduler at {host}:{port}"),
        message: format!(
            "{why}; start one with `ticketlake cluster scheduler --bind {host}:{port}`, or \
             set the engine (--engine, {ENGINE_ENV}, [engine] url) to `local`"
        ),
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, SchedulerGrpcClient::connect(url)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(error_chain(&e))),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// An error with its sources (`transport error: connection refused`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_engines() {
        assert_eq!(Engine::parse("local"), Ok(Engine::Local));
        assert_eq!(
            Engine::parse("ballista://standalone"),
            Ok(Engine::Standalone)
        );
        assert_eq!(
            Engine::parse("ballista://sched.internal:50077"),
            Ok(Engine::Cluster {
                host: "sched.internal".into(),
                port: 50077
            })
        );
        assert_eq!(
            Engine::parse("ballista://10.0.0.5").map(|e| e.shown()),
            Ok("ballista://10.0.0.5:50050".into())
        );
        for bad in ["duckdb://x", "ballista://", "ballista://h:1/path", "spark"] {
            assert!(Engine::parse(bad).is_err(), "{bad}");
        }
    }
}
