//! The DataFusion session over one dataset version: the manifest's files registered as tables
//! (never a directory glob), the per-kind views, the calendar functions, and the limits that
//! keep ad hoc SQL bounded.

use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::engine::Engine;
use crate::dataset::Location;
use crate::dataset::manifest;
use crate::error::{Error, Result};
use crate::sla::policy::Policies;

/// Bounds of a session.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Memory pool size in bytes.
    pub memory_bytes: usize,
    /// Wall-clock limit of one statement.
    pub timeout: Option<std::time::Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 2 << 30,
            timeout: None,
        }
    }
}

/// Views over `tickets`, one per kind.
pub const VIEWS: &[(&str, &str)] = &[
    ("incidents", "incident"),
    ("requests", "request"),
    ("problems", "problem"),
    ("changes", "change"),
];

/// Stack of the runtime's worker threads and of the thread each statement runs on: deep
/// (but accepted, see [`super::bounded`]) expressions recurse in DataFusion's planner and
/// evaluator, and the 2 MiB default is not enough for them. Only touched pages are used.
pub const STACK_BYTES: usize = 64 << 20;

/// A session and the runtime that drives it.
pub struct Session {
    /// The DataFusion context.
    pub ctx: SessionContext,
    /// Runs the async DataFusion calls for the synchronous CLI; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    /// The memory limit the session was opened with (bytes), which also bounds what one
    /// statement may allocate outside the pool (see [`super::memcap`]).
    pub memory_bytes: usize,
    /// The dataset version the tables come from.
    pub version: u64,
    /// The as-of instant of the last build (µs since the epoch, UTC), if any.
    pub as_of: Option<i64>,
    /// Wall-clock limit of one statement.
    pub timeout: Option<std::time::Duration>,
}

impl Session {
    /// The runtime that drives the session's async calls.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the session")
    }
}

impl Drop for Session {
    /// Shut the runtime down without waiting: a statement abandoned at its deadline (see
    /// [`super::bounded`]) may still hold a worker thread, and dropping the runtime the usual
    /// way would wait for it, so `--timeout` would not end the command.
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Turn a DataFusion error into a user-facing one.
pub fn df_error(context: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> Error + '_ {
    // The engine's message may quote the statement's literals: cut like every quoted input.
    move |e| Error::Query {
        context: context.to_string(),
        message: crate::error::quote(&e.to_string()).into_owned(),
    }
}

/// The Arrow schema that `df` has when written as Parquet, so an empty table reads exactly
/// as the files a build or an ingest will write.
fn parquet_schema(
    mut df: polars::prelude::DataFrame,
) -> Result<datafusion::arrow::datatypes::SchemaRef> {
    let mut buf = Vec::new();
    polars::prelude::ParquetWriter::new(&mut buf)
        .finish(&mut df)
        .map_err(Error::polars("writing an empty table's schema"))?;
    Ok(
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf))
            .map_err(|e| Error::Query {
                context: "reading an empty table's schema".into(),
                message: e.to_string(),
            })?
            .schema()
            .clone(),
    )
}

/// Open a session on the current version of the dataset at `root`, its statements run by
/// `engine`.
pub fn open(
    root: &Location,
    policies: &Policies,
    engine: &Engine,
    limits: Limits,
) -> Result<Session> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(STACK_BYTES)
        .enable_all()
        .build()
        .map_err(Error::io("starting the query runtime", root.shown_path()))?;
    // No disk manager: ad hoc SQL writes no spill files, so the memory pool is a hard bound
    // and exceeding it is a clear error rather than a disk filling up.
    let env = RuntimeEnvBuilder::new()
        .with_memory_limit(limits.memory_bytes, 1.0)
        .with_disk_manager_builder(
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
        )
        .build_arc()
        .map_err(df_error("memory pool"))?;
    // DataFusion's own `DATAFUSION_*` environment variables (for example
    // `DATAFUSION_EXECUTION_PARQUET_PUSHDOWN_FILTERS=true`) tune the engine without a rebuild.
    let config = SessionConfig::from_env()
        .map_err(df_error("DATAFUSION_* environment settings"))?
        .with_information_schema(true);
    let ctx = SessionContext::new_with_config_rt(config, env);
    let functions = super::functions::Functions::new(policies, limits.memory_bytes);
    functions.register(&ctx)?;
    let m = manifest::current(root)?;
    let ctx = runtime.block_on(async {
        let ctx = engine.connect(ctx, &functions).await?;
        crate::dataset::listing::register(&ctx, root, &m, None).await?;
        // Most versions hold every table: the empty ones are made only when one is missing.
        let missing = |name: &str| m.tables.get(name).is_none_or(|t| t.files.is_empty());
        if crate::derive::EVERY_TABLE.iter().any(|n| missing(n)) {
            for (name, df) in crate::derive::empty_tables(policies)? {
                if missing(name) {
                    let table = crate::dataset::listing::empty(root, name, parquet_schema(df)?)?;
                    ctx.register_table(name, table).map_err(df_error(name))?;
                }
            }
        }
        for (view, kind) in VIEWS {
            ctx.sql(&format!(
                "CREATE VIEW {view} AS SELECT * FROM tickets WHERE kind = '{kind}'"
            ))
            .await
            .map_err(df_error(view))?;
        }
        for (view, sql) in crate::cmdb::views() {
            ctx.sql(&format!("CREATE VIEW {view} AS {sql}"))
                .await
                .map_err(df_error(view))?;
        }
        Ok::<_, Error>(ctx)
    })?;
    Ok(Session {
        ctx,
        runtime: Some(runtime),
        memory_bytes: limits.memory_bytes,
        version: m.version,
        as_of: m
            .build
            .as_ref()
            .and_then(|b| crate::time::parse_as_of(&b.as_of).ok()),
        timeout: limits.timeout,
    })
}
