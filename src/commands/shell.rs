//! The interactive `ticketlake sql` shell: one read-only session, statements ended by `;`
//! (they may span lines), line editing and history (rustyline), and a few backslash
//! commands. Every statement goes through the same read-only runner as one-shot SQL.

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::out;
use crate::error::{Error, Result};
use crate::query::adhoc;
use crate::query::session::Session;
use crate::table::Format as OutputFormat;

const HELP: &str = "\
Statements end with `;` and may span lines. Only queries run (SELECT, WITH, EXPLAIN).
  \\d            list tables and views
  \\d NAME       columns of a table or view
  \\f FORMAT     output format: table, csv or json
  \\q            quit (or Ctrl-D)
Calendar functions: business_seconds(a, b, 'cal'), business_add(t, secs, 'cal'),
in_business_hours(t, 'cal'). Trend functions: trend_slope(list), trend_p(list),
trend_verdict(list, higher_is_better).";

/// Run the shell until the user quits.
pub fn run(session: &Session, mut format: OutputFormat, max_rows: usize) -> Result<()> {
    let mut rl = DefaultEditor::new().map_err(|e| Error::Usage(format!("sql shell: {e}")))?;
    let history =
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".ticketlake_history"));
    if let Some(h) = &history {
        load_history(&mut rl, h);
    }
    out::note(format_args!(
        "ticketlake sql on dataset version {} (read-only). \\? for help, \\q to quit.",
        session.version
    ));
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "tl> " } else { "..> " };
        let line = match rl.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            // Only a dumb terminal's prompt is written to stdout; a closed pipe ends quietly.
            Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                return Err(Error::output(e));
            }
            Err(e) => return Err(Error::Usage(format!("sql shell: {e}"))),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = rl.add_history_entry(trimmed);
            match command(session, trimmed, &mut format, max_rows) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) if ends_shell(&e) => return Err(e),
                Err(e) => out::note(format_args!("error: {e}")),
            }
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let statement = std::mem::take(&mut buffer);
        let _ = rl.add_history_entry(statement.trim());
        let statement = statement.trim().trim_end_matches(';');
        match adhoc::run(session, statement, max_rows) {
            Ok(t) => {
                out::table(&t, format)?;
                if t.truncated {
                    out::note(format_args!("(cut at {max_rows} rows)"));
                }
            }
            Err(e) if ends_shell(&e) => return Err(e),
            Err(e) => out::note(format_args!("error: {e}")),
        }
    }
    if let Some(h) = &history {
        save_history(&rl, h);
    }
    Ok(())
}

/// Statements kept in the history file.
const HISTORY_KEEP: usize = 1000;

/// Read the history file, one statement a line. rustyline is built without its file
/// history (its `load_history` and `save_history` would panic), so the shell keeps the file
/// itself; a missing or unreadable file is an empty history.
fn load_history(rl: &mut DefaultEditor, path: &std::path::Path) {
    if let Ok(text) = std::fs::read_to_string(path) {
        for line in text.lines() {
            let _ = rl.add_history_entry(line);
        }
    }
}

/// Write the last [`HISTORY_KEEP`] statements back, each on one line. History is a
/// convenience: failing to write it does not fail the shell.
fn save_history(rl: &DefaultEditor, path: &std::path::Path) {
    let entries: Vec<String> = rl
        .history()
        .into_iter()
        .map(|e| e.replace(['\r', '\n'], " "))
        .collect();
    let keep = &entries[entries.len().saturating_sub(HISTORY_KEEP)..];
    let _ = std::fs::write(
        path,
        keep.iter().map(|e| format!("{e}\n")).collect::<String>(),
    );
}

/// Errors that end the shell: stdout failing (a closed pipe ends it quietly), and a timeout, whose abandoned statement
/// would otherwise keep running beside the next ones.
fn ends_shell(e: &Error) -> bool {
    matches!(e, Error::Output { .. } | Error::Timeout { .. })
}

/// A backslash command; `Ok(true)` means quit.
fn command(
    session: &Session,
    line: &str,
    format: &mut OutputFormat,
    max_rows: usize,
) -> Result<bool> {
    let mut parts = line.split_whitespace();
    let sql = match (parts.next(), parts.next()) {
        (Some("\\q"), _) => return Ok(true),
        (Some("\\?") | Some("\\h"), _) => {
            out::line(HELP)?;
            return Ok(false);
        }
        (Some("\\f"), Some(f)) => {
            *format = match f {
                "table" => OutputFormat::Table,
                "csv" => OutputFormat::Csv,
                "json" => OutputFormat::Json,
                _ => return Err(Error::Usage(format!("unknown format `{f}`"))),
            };
            return Ok(false);
        }
        (Some("\\d"), None) => "SELECT table_name, table_type FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY table_name"
            .to_string(),
        (Some("\\d"), Some(name))
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            format!(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
                 WHERE table_name = '{name}' ORDER BY ordinal_position"
            )
        }
        _ => {
            return Err(Error::Usage(format!(
                "unknown command `{line}`; \\? lists them"
            )));
        }
    };
    out::table(&adhoc::run(session, &sql, max_rows)?, *format)?;
    Ok(false)
}
