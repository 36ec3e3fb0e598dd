//! The one error type of ticketlake. Every variant names what the user has to look at
//! (a file, a line, a config key) and says what to do, so `main` can print it as is.
//! Findings (rejects over the limit, a missed target) are not errors: they are data in a
//! command's outcome, with [`ExitStatus::Findings`].

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a ticketlake command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What ticketlake was doing ("reading", "writing", ...).
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The project config or a mapping file is invalid.
    #[error("{path}: {key}: {message}")]
    Config {
        /// The config or mapping file.
        path: PathBuf,
        /// The offending key (or "-" for the file as a whole).
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// An input export cannot be ingested at all (as opposed to single bad rows, which
    /// become rejects).
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Input {
        /// The export file.
        path: PathBuf,
        /// The physical line, when known.
        line: Option<u64>,
        /// What is wrong and what to do.
        message: String,
    },
    /// Another process holds the dataset's writer lock.
    #[error(
        "dataset {} is locked by another writer (lock file {}{}); wait for it to finish, \
         or remove the lock file only if no ticketlake process is running",
        dataset.display(), lock.display(), holder.as_ref().map(|h| format!(", held by {h}")).unwrap_or_default()
    )]
    Locked {
        /// The dataset directory.
        dataset: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Who holds it, as recorded in the lock file.
        holder: Option<String>,
    },
    /// The dataset on disk is not readable as a ticketlake dataset.
    #[error("dataset {}: {message}", path.display())]
    Dataset {
        /// The dataset directory or manifest.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Another writer committed the version this run was about to commit (object storage
    /// has no lock; the conditional put of the manifest decides). Nothing of this run is
    /// visible to readers.
    #[error(
        "dataset {}: another writer committed version {version} first; nothing of this run \
         was committed; re-run it",
        dataset.display()
    )]
    Conflict {
        /// The dataset.
        dataset: PathBuf,
        /// The version both wanted.
        version: u64,
    },
    /// Writing the command's output failed. A closed pipe (`ticketlake sql … | head`) is
    /// not a failure: `main` ends quietly with success when it sees one.
    #[error("writing the output: {source}; check the disk or the pipe it goes to")]
    Output {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An error from the polars engine during normalisation or storage. Its text is cut at
    /// [`MAX_QUOTED_BYTES`]: polars quotes the values it could not read.
    #[error("{context}: {}", quote(&source.to_string()))]
    Polars {
        /// What ticketlake was doing.
        context: String,
        /// The engine's error.
        source: polars::error::PolarsError,
    },
    /// A SQL statement failed or was refused.
    #[error("{context}: {message}")]
    Query {
        /// What ticketlake was doing.
        context: String,
        /// The engine's message, with what to do where ticketlake knows.
        message: String,
    },
    /// A statement ran past `--timeout`. It was abandoned, not stopped: the command ends
    /// (and the interactive shell with it) so the statement's thread ends too.
    #[error(
        "sql: the statement ran longer than the {seconds} s timeout (--timeout) and was \
         abandoned; narrow it or raise --timeout"
    )]
    Timeout {
        /// The `--timeout` in seconds.
        seconds: u64,
    },
    /// A chart could not be drawn (a bug: the data is drawn, never trusted as markup).
    #[error("drawing chart {chart}: {message}")]
    Chart {
        /// The chart's file name.
        chart: String,
        /// What plotters said.
        message: String,
    },
    /// A command-line argument is invalid in a way clap cannot check.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Whether this is a write to a closed pipe (the reader went away; not a failure).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output { source } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// An [`Error::Output`] from a failed write to stdout.
    pub fn output(source: std::io::Error) -> Error {
        Error::Output { source }
    }

    /// Build an [`Error::Io`] from an I/O error and a path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// Build an [`Error::Polars`] with context.
    pub fn polars(context: impl Into<String>) -> impl FnOnce(polars::error::PolarsError) -> Error {
        let context = context.into();
        move |source| Error::Polars { context, source }
    }
}

/// Longest piece of input (a cell, a header list, a ticket key) quoted in a message: 1 KiB.
/// A 50 MB line must not become a 50 MB error.
pub const MAX_QUOTED_BYTES: usize = 1024;

/// `s` cut to at most `max` bytes on a character boundary, followed by
/// `… [cut, N more bytes]` when anything was left out. The one place inputs are cut, for
/// messages ([`quote`]) and for the raw records kept with rejects.
pub fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut, {} more bytes]", &s[..end], s.len() - end).into()
}

/// An input value as it may appear in a message: cut at [`MAX_QUOTED_BYTES`].
pub fn quote(s: &str) -> std::borrow::Cow<'_, str> {
    cut(s, MAX_QUOTED_BYTES)
}

/// How a command ended, mapped to the process exit code by `main` (ripgrep's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitStatus {
    /// 0: done, nothing to report.
    Success,
    /// 1: done, but the data did not pass: rejects over the limit (nothing committed), a
    /// target missed, a check row below its minimum.
    Findings,
    /// 2: ticketlake could not do its job (an [`Error`]).
    Failure,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Failure => 2,
        }
    }

    /// `Findings` when `found`, else `Success`.
    pub fn findings_if(found: bool) -> ExitStatus {
        if found {
            ExitStatus::Findings
        } else {
            ExitStatus::Success
        }
    }
}
