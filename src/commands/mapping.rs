//! `ticketlake mapping suggest`: a starting mapping file for an export, to stdout or to
//! `--out` (never over an existing file without `--force`), with what is left to decide
//! listed on stderr. Reads no config: the export is all it needs.

use super::{Ctx, out};
use crate::cli::SuggestArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::ingest::suggest::{SuggestOptions, suggest as suggest_mapping};
use crate::settings::Shown;

/// Run `mapping suggest`.
pub(crate) fn suggest(a: &SuggestArgs, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    let origin = |set: bool, flag: &'static str, default: &'static str| {
        if set { flag } else { default }
    };
    shown.add(
        "mapping.file",
        a.file.display().to_string(),
        "FILE argument",
    );
    shown.add(
        "mapping.out",
        a.out.as_ref().map(|p| p.display().to_string()),
        origin(a.out.is_some(), "--out", "default (stdout)"),
    );
    shown.add(
        "mapping.date-format",
        a.date_format.as_deref(),
        origin(
            a.date_format.is_some(),
            "--date-format",
            "default (detected)",
        ),
    );
    shown.add(
        "mapping.source",
        a.source.as_deref(),
        origin(a.source.is_some(), "--source", "default (the file's stem)"),
    );
    if ctx.showed(shown, false)? {
        return Ok(ExitStatus::Success);
    }
    if let Some(path) = &a.out
        && path.exists()
        && !a.force
    {
        return Err(Error::Usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    let s = suggest_mapping(
        &a.file,
        &SuggestOptions {
            source: a.source.clone(),
            date_format: a.date_format.clone(),
        },
    )?;
    match &a.out {
        Some(path) => {
            std::fs::write(path, &s.toml).map_err(Error::io("writing", path))?;
            if !ctx.quiet {
                out::line(&format!(
                    "wrote {} from {} records of {}{}",
                    path.display(),
                    s.records,
                    a.file.display(),
                    if s.whole { "" } else { " (its first 64 MiB)" }
                ))?;
            }
        }
        None => out::text(&s.toml)?,
    }
    if !ctx.quiet && !s.todo.is_empty() {
        for t in &s.todo {
            out::note(format_args!("ticketlake: TODO {t}"));
        }
        out::note(format_args!(
            "ticketlake: edit the `# TODO` lines of the mapping before ingesting with it"
        ));
    }
    Ok(ExitStatus::Success)
}
