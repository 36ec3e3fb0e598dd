//! `ticketlake rejects`: the rejected rows with file, line, record, column, reason and the
//! raw record, as text, CSV (guarded) or JSON (line and record as numbers).

use polars::prelude::*;

use super::{Ctx, out};
use crate::config::Project;
use crate::dataset::{self, manifest};
use crate::error::{Error, ExitStatus, Result};
use crate::settings::Shown;
use crate::table::{Format, Table};

const COLUMNS: [&str; 8] = [
    "ingest_id",
    "source_file",
    "line",
    "record",
    "column",
    "error_type",
    "message",
    "raw",
];

/// Run `rejects`.
pub(crate) fn run(
    p: &Project,
    ingest: Option<&str>,
    all: bool,
    format: Format,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    shown.add(
        "rejects.all",
        all,
        if all {
            "--all"
        } else {
            "default (hide the rejects of files read again since)"
        },
    );
    shown.add(
        "rejects.ingest",
        ingest,
        if ingest.is_some() {
            "--ingest"
        } else {
            "default (every ingest)"
        },
    );
    if ctx.showed(shown, format == Format::Json)? {
        return Ok(ExitStatus::Success);
    }
    let m = manifest::current(&p.dataset)?;
    let Some(df) = dataset::store::read_rejects(&p.dataset, &m, all)? else {
        match format {
            Format::Json => out::line("[]")?,
            Format::Table => out::line("no rejects")?,
            Format::Csv => out::line(&COLUMNS.join(","))?,
        }
        return Ok(ExitStatus::Success);
    };
    let df = match ingest {
        Some(id) => df
            .lazy()
            .filter(col("ingest_id").eq(lit(id.to_string())))
            .collect()
            .map_err(Error::polars("filtering rejects"))?,
        None => df,
    };
    let cols: Vec<Vec<Option<String>>> = COLUMNS
        .iter()
        .map(|n| dataset::columns::text_vec(&df, n))
        .collect::<Result<_>>()?;
    let mut rows: Vec<Vec<Option<String>>> = (0..df.height())
        .map(|i| cols.iter().map(|c| c[i].clone()).collect())
        .collect();
    let mut names = COLUMNS.to_vec();
    if all {
        // Which later ingest read the file again, so the superseded rejects can be told.
        let by = m.replaced_files();
        names.push("replaced_by");
        for r in &mut rows {
            let key = (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            );
            r.push(by.get(&key).cloned());
        }
    }
    if format != Format::Table {
        let mut t = Table::text(&names, rows);
        // Line and record are numbers for machines; everything else is text.
        t.numeric[2] = true;
        t.numeric[3] = true;
        return out::table(&t, format).map(|()| ExitStatus::Success);
    }
    let mut w = out::Lines::default();
    if rows.is_empty() {
        w.add("no rejects");
    }
    for r in &rows {
        let v = |k: usize| r[k].clone().unwrap_or_else(|| "-".into());
        w.add(format!(
            "{} {}:{} (record {}) [{}] {}: {}",
            v(0),
            v(1),
            v(2),
            v(3),
            v(4),
            v(5),
            v(6)
        ));
        if let Some(Some(by)) = r.get(8) {
            w.add(format!("  (replaced by {by}: the file was read again)"));
        }
    }
    w.print()?;
    Ok(ExitStatus::Success)
}
