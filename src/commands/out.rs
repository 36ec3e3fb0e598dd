//! Writing to stdout. Every write is checked: a closed pipe (`ticketlake sql … | head`)
//! becomes [`Error::Output`], which `main` ends quietly with success, and a full disk is an
//! error rather than a truncated file that looks complete. Notes for people go to stderr
//! through [`note`]. Nothing here panics.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::table::{self, Format, Table};

/// Write `text` to stdout as it is, buffered, and flush.
pub(crate) fn text(text: &str) -> Result<()> {
    let mut w = std::io::stdout().lock();
    w.write_all(text.as_bytes()).map_err(Error::output)?;
    w.flush().map_err(Error::output)
}

/// Write one line.
pub(crate) fn line(line: &str) -> Result<()> {
    text(&format!("{line}\n"))
}

/// Write one line to stderr. Unlike `eprintln!` it does not panic when stderr cannot be
/// written (`2> /dev/full`): the note is dropped, as there is nowhere left to report it.
pub(crate) fn note(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Write a value as one JSON line.
pub(crate) fn json(v: &impl Serialize) -> Result<()> {
    let v =
        serde_json::to_string(v).map_err(|e| Error::Usage(format!("serialising output: {e}")))?;
    line(&table::json_escape_bidi(v))
}

/// Write a table in `format` through a buffer.
pub(crate) fn table(t: &Table, format: Format) -> Result<()> {
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    table::write(t, format, &mut w).map_err(Error::output)?;
    w.flush().map_err(Error::output)
}

/// Write a table; when the cap cut it, say on stderr which flag raises the cap.
pub(crate) fn table_cut(t: &Table, format: Format, max_rows: usize, flag: &str) -> Result<()> {
    table(t, format)?;
    if t.truncated {
        note(format_args!(
            "ticketlake: output cut at {max_rows} rows; raise {flag} to see more"
        ));
    }
    Ok(())
}

/// Lines built up by a printer, written at once.
#[derive(Default)]
pub(crate) struct Lines(pub(crate) String);

impl Lines {
    /// Add one line.
    pub(crate) fn add(&mut self, line: impl AsRef<str>) {
        self.0.push_str(line.as_ref());
        self.0.push('\n');
    }

    /// Write them all to stdout.
    pub(crate) fn print(self) -> Result<()> {
        text(&self.0)
    }
}
