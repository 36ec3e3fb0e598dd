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
        let _ = rl.load_history(h);
    }
    eprintln!(
        "ticketlake sql on dataset version {} (read-only). \\? for help, \\q to quit.",
        session.version
    );
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
            Err(e) => return Err(Error::Usage(format!("sql shell: {e}"))),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = rl.add_history_entry(trimmed);
            match command(session, trimmed, &mut format, max_rows) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) if e.is_broken_pipe() => return Err(e),
                Err(e) => eprintln!("error: {e}"),
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
                    eprintln!("(cut at {max_rows} rows)");
                }
            }
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    Ok(())
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
