//! How one statement runs so that its bounds hold whatever its plan (promise 7):
//! - on a thread of its own, with a large stack, while the caller waits at most `--timeout`.
//!   A deadline inside the async code is not enough: a busy join loop never yields, so a
//!   `tokio::time::timeout` around it is never polled. At the deadline the caller returns
//!   [`Error::Timeout`] and abandons the thread (the session's runtime is shut down without
//!   waiting, and the command ends);
//! - with the allocator cap of [`super::memcap`] armed;
//! - only when its expressions nest at most [`MAX_DEPTH`] deep, and at most as many set
//!   operations are chained or tables joined in one `FROM`. A chain of `1+1+…` (or of
//!   `UNION ALL`, or of joins) parses without recursion, but DataFusion plans and clones it
//!   recursively, in time that grows with the square of its length or faster, and a deep
//!   enough one overflows any stack.

use std::future::Future;
use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement};
use datafusion::sql::sqlparser::ast::{Expr, Query, Select, SetExpr, Visit, Visitor};

use super::session::{STACK_BYTES, Session};
use crate::error::{Error, Result};

/// The deepest expression a statement may hold (a chain of this many operators, or
/// operators nested this deep), and the most set operations chained or tables joined.
pub const MAX_DEPTH: usize = 1000;

/// Run `work` on its own thread, driven by the session's runtime, and wait for it at most
/// the session's timeout.
pub fn run<T, F>(session: &Session, work: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let _armed = super::memcap::arm(session.memory_bytes);
    let handle = session.runtime().handle().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("ticketlake-sql".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            // The receiver is gone only when the caller gave up at the deadline.
            let _ = tx.send(handle.block_on(work));
        })
        .map_err(|e| Error::Query {
            context: "sql".into(),
            message: format!("starting the statement's thread: {e}"),
        })?;
    let stopped = || Error::Query {
        context: "sql".into(),
        message: "the query engine stopped without a result (it panicked; see above)".into(),
    };
    match session.timeout {
        Some(t) => match rx.recv_timeout(t) {
            Ok(r) => r,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Error::Timeout {
                seconds: t.as_secs(),
            }),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(stopped()),
        },
        None => rx.recv().unwrap_or_else(|_| Err(stopped())),
    }
}

/// Refuse a statement whose expressions nest deeper than [`MAX_DEPTH`]. The check stops
/// descending at the limit, so it never recurses deeper itself. A refused statement is
/// leaked rather than dropped: dropping a million-deep expression recurses as deep.
pub fn check_depth(statement: Statement) -> Result<Statement> {
    let mut depth = Depth { now: 0 };
    if let Some(what) = too_deep(&statement, &mut depth) {
        std::mem::forget(statement);
        return Err(Error::Query {
            context: "sql".into(),
            message: format!(
                "the statement {}, which ticketlake refuses to plan; split it, or use \
                 IN (...), CASE or an aggregate over a table instead",
                what.describe()
            ),
        });
    }
    Ok(statement)
}

/// What in `statement` passes [`MAX_DEPTH`], if anything.
fn too_deep(statement: &Statement, depth: &mut Depth) -> Option<TooDeep> {
    let found = match statement {
        Statement::Statement(s) => s.visit(depth),
        Statement::Explain(e) => return too_deep(&e.statement, depth),
        Statement::CopyTo(c) => match &c.source {
            CopyToSource::Query(q) => q.visit(depth),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        Statement::CreateExternalTable(_) | Statement::Reset(_) => ControlFlow::Continue(()),
    };
    found.break_value()
}

/// What passed [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy)]
enum TooDeep {
    Expression,
    SetOperations,
    Joins,
}

impl TooDeep {
    fn describe(self) -> String {
        match self {
            TooDeep::Expression => format!(
                "nests expressions more than {MAX_DEPTH} deep (for example a chain of over \
                 {MAX_DEPTH} `+` or `OR` terms)"
            ),
            TooDeep::SetOperations => {
                format!("chains more than {MAX_DEPTH} set operations (UNION, INTERSECT, EXCEPT)")
            }
            TooDeep::Joins => format!("joins more than {MAX_DEPTH} tables in one FROM"),
        }
    }
}

/// Counts how deep the visit is inside expressions, and stops it at what is too deep.
struct Depth {
    now: usize,
}

impl Visitor for Depth {
    type Break = TooDeep;

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<Self::Break> {
        self.now += 1;
        if self.now > MAX_DEPTH {
            return ControlFlow::Break(TooDeep::Expression);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<Self::Break> {
        self.now -= 1;
        ControlFlow::Continue(())
    }

    /// Seen before the query's body is visited, so a long chain is never descended into.
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        let mut chained = 0;
        let mut body = query.body.as_ref();
        while let SetExpr::SetOperation { left, .. } = body {
            chained += 1;
            body = left;
        }
        if chained > MAX_DEPTH {
            return ControlFlow::Break(TooDeep::SetOperations);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<Self::Break> {
        let tables: usize = select.from.iter().map(|t| 1 + t.joins.len()).sum();
        if tables > MAX_DEPTH {
            return ControlFlow::Break(TooDeep::Joins);
        }
        ControlFlow::Continue(())
    }
}
