//! `ticketlake query`: a named metric from `queries/` for a period, or the catalog.

use super::{Ctx, out, sql::show_bounds};
use crate::cli::QueryArgs;
use crate::config::Project;
use crate::error::{ExitStatus, Result};
use crate::query::{catalog, metric, session};
use crate::settings::Shown;
use crate::table::{Format, Table};
use crate::time::rfc3339;

/// Run `query`.
pub(crate) fn run(p: &Project, a: &QueryArgs, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    let QueryArgs {
        name,
        list,
        period,
        as_of,
        by,
        show_sql,
        format,
        bounds,
    } = a;
    shown.add(
        "query.period",
        period,
        if period.is_some() {
            "--period"
        } else {
            "default (the last complete month)"
        },
    );
    shown.add(
        "query.as-of",
        as_of,
        if as_of.is_some() {
            "--as-of"
        } else {
            "default (the period's end or the last build's as-of)"
        },
    );
    shown.add(
        "query.by",
        by,
        if by.is_some() {
            "--by"
        } else {
            "default (one group)"
        },
    );
    shown.add(
        "queries-dir",
        p.queries_dir.as_ref().map(|d| d.display().to_string()),
        "queries-dir (default queries/ next to the config, if present)",
    );
    show_bounds(bounds, shown);
    if ctx.showed(shown, *format == Format::Json)? {
        return Ok(ExitStatus::Success);
    }
    let cat = catalog::load(p.queries_dir.as_deref())?;
    let Some(name) = name.as_ref().filter(|_| !list) else {
        out::table(&catalog_table(&cat), *format)?;
        return Ok(ExitStatus::Success);
    };
    let query = catalog::find(&cat, name)?;
    if *show_sql {
        out::line(&query.render(by.as_deref())?)?;
        return Ok(ExitStatus::Success);
    }
    let session = session::open(&p.dataset, &p.policies, &p.engine, bounds.limits())?;
    let params = metric::Params::resolve(&session, period.as_deref(), as_of.as_deref())?;
    let t = metric::run(&session, &query, by.as_deref(), &params, bounds.max_rows)?;
    if !ctx.quiet && *format == Format::Table {
        out::note(format_args!(
            "{}: period {} [{} .. {}), as of {}, dataset version {}",
            query.name,
            params.period.label,
            rfc3339(params.period.start),
            rfc3339(params.period.end),
            rfc3339(params.as_of),
            session.version
        ));
    }
    out::table_cut(&t, *format, bounds.max_rows, "--max-rows")?;
    Ok(ExitStatus::Success)
}

/// The query catalog: name, summary, dimensions and origin.
fn catalog_table(cat: &[catalog::Query]) -> Table {
    let rows = cat
        .iter()
        .map(|q| {
            let by: Vec<&str> = q.dimensions.iter().map(|d| d.0.as_str()).collect();
            vec![
                Some(q.name.clone()),
                Some(q.summary.clone()),
                Some(by.join(", ")),
                Some(q.origin.clone()),
            ]
        })
        .collect();
    Table::text(&["name", "summary", "by", "origin"], rows)
}
