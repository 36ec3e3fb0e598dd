//! Ad hoc SQL for analysts, read-only and bounded (promise 7): DDL, DML and statements are
//! refused by `SQLOptions`, URL tables stay disabled so no file outside the dataset can be
//! read, memory is capped by the session's pool (and, outside it, by the checks of
//! [`super::sized`] and [`super::memcap`]), results are cut at a row cap, and each statement
//! runs under the deadline and depth limit of [`super::bounded`].

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::ParamValues;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;

use super::session::{Session, df_error};
use crate::error::{Error, Result};

pub use crate::table::Table;

/// The options every ad hoc statement runs with.
pub fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Run one read-only statement, keeping at most `max_rows` rows.
pub fn run(session: &Session, sql: &str, max_rows: usize) -> Result<Table> {
    run_with(session, sql, None, max_rows)
}

/// Run one read-only statement with named parameter values (`$name` placeholders).
pub fn run_with(
    session: &Session,
    sql: &str,
    params: Option<ParamValues>,
    max_rows: usize,
) -> Result<Table> {
    to_table(&collect_with(session, sql, params, max_rows)?, max_rows)
}

/// [`run_with`] as Arrow batches (at most `max_rows + 1` rows, so a cut can be seen).
pub fn collect_with(
    session: &Session,
    sql: &str,
    params: Option<ParamValues>,
    max_rows: usize,
) -> Result<Vec<RecordBatch>> {
    let ctx = session.ctx.clone();
    let sql = sql.to_string();
    super::bounded::run(session, async move {
        let state = ctx.state();
        let dialect = state.config().options().sql_parser.dialect;
        let statement = state.sql_to_statement(&sql, &dialect).map_err(refused)?;
        let statement = super::bounded::check_depth(statement)?;
        let plan = state.statement_to_plan(statement).await.map_err(refused)?;
        read_only().verify_plan(&plan).map_err(refused)?;
        let mut df = ctx.execute_logical_plan(plan).await.map_err(refused)?;
        if let Some(p) = params {
            df = df.with_param_values(p).map_err(df_error("parameters"))?;
        }
        // EXPLAIN [ANALYZE] must stay the root of its plan (a limit above it is refused as
        // an internal error); its output is a handful of rows anyway.
        let explain = matches!(
            df.logical_plan(),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_)
        );
        if !explain {
            df = df.limit(0, Some(max_rows + 1)).map_err(df_error("sql"))?;
        }
        let schema = df.schema().inner().clone();
        let mut batches = df.collect().await.map_err(df_error("sql"))?;
        // An engine may answer an empty result with no batch at all (Ballista does): keep
        // the columns, so an empty table still has its header.
        if batches.is_empty() {
            batches.push(RecordBatch::new_empty(schema));
        }
        Ok(batches)
    })
}

/// Numbers and booleans print as JSON literals.
fn json_literal(t: &datafusion::arrow::datatypes::DataType) -> bool {
    t.is_numeric() || *t == datafusion::arrow::datatypes::DataType::Boolean
}

/// Arrow batches as text cells, cut at `max_rows`.
pub fn to_table(batches: &[RecordBatch], max_rows: usize) -> Result<Table> {
    let (columns, numeric) = batches
        .first()
        .map(|b| {
            b.schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), json_literal(f.data_type())))
                .unzip()
        })
        .unwrap_or_default();
    let opts = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for b in batches {
        let fmts = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Query {
                context: "sql".into(),
                message: e.to_string(),
            })?;
        for r in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .zip(&fmts)
                    .map(|(c, f)| (!c.is_null(r)).then(|| f.value(r).to_string()))
                    .collect(),
            );
        }
    }
    let truncated = rows.len() > max_rows;
    rows.truncate(max_rows);
    Ok(Table {
        columns,
        numeric,
        rows,
        truncated,
    })
}

/// Say plainly why a statement was refused.
fn refused(e: datafusion::error::DataFusionError) -> Error {
    let msg = crate::error::quote(&e.to_string()).into_owned();
    let lower = msg.to_ascii_lowercase();
    let message = if lower.contains("not supported")
        && (lower.contains("ddl") || lower.contains("dml") || lower.contains("statement"))
    {
        format!("{msg}. ticketlake sql is read-only: only queries (SELECT, WITH, EXPLAIN) can run")
    } else if lower.contains("recursionlimitexceeded") {
        format!(
            "{msg}: the statement nests parentheses, subqueries or function calls deeper than \
             the SQL parser allows; flatten it (DATAFUSION_SQL_PARSER_RECURSION_LIMIT raises \
             the limit)"
        )
    } else {
        msg
    };
    Error::Query {
        context: "sql".into(),
        message,
    }
}
