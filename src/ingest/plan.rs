//! The ingest plan: every input file classified once, before any is parsed — whether it
//! is JSON, its role (tickets, or an audit trail that expands the tickets of the same
//! ingest), and whether its rows can be read piece by piece. The audit trails and the flat
//! history files are read here, first, because the ticket exports they expand are read after
//! them.

use std::path::{Path, PathBuf};

use super::mapping::{Format, Mapping};
use super::raw::{self, Reject};
use super::read::{csv_options, parse_json};
use super::{IngestOptions, SourceKind, audit, csv_reader, flat, history, servicenow, zendesk};
use crate::error::{Error, Result, quote};

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A ticket export.
    Tickets,
    /// A ServiceNow `sys_audit` export, recognised from its header.
    SysAudit,
    /// A Zendesk ticket-audits export.
    ZendeskAudits,
}

/// One input file, classified.
#[derive(Debug, Clone)]
pub(super) struct FilePlan {
    /// The file as given.
    pub(super) path: PathBuf,
    /// JSON (by its extension or its first byte), else CSV.
    pub(super) json: bool,
    /// What it holds.
    pub(super) role: Role,
    /// The mapping its pieces are normalised with, when it can be read piece by piece.
    pub(super) stream: Option<Mapping>,
}

/// The classified files of one ingest, with the audit trails already read.
pub(super) struct Plan {
    /// The files, in the order given.
    pub(super) files: Vec<FilePlan>,
    /// Zendesk status changes and the accounting of each audits file.
    pub(super) zendesk: AuditFiles,
    /// ServiceNow `sys_audit` changes and the accounting of each file.
    pub(super) trail: audit::Trail,
    /// The flat history files (`--history`) and their changes.
    pub(super) flat: flat::History,
}

/// Classify `files` for the adapter of `opts`: the first line of each is read once.
pub(super) fn plan(
    files: &[PathBuf],
    opts: &IngestOptions,
    custom: Option<&Mapping>,
) -> Result<Plan> {
    let mut planned = Vec::with_capacity(files.len());
    for path in files {
        let head = first_line(path)?;
        let json = is_json(path, &head);
        let sys_audit = opts.source == SourceKind::Servicenow && !json && audit::looks_like(&head);
        planned.push(FilePlan {
            path: path.clone(),
            json,
            role: if sys_audit {
                Role::SysAudit
            } else {
                Role::Tickets
            },
            stream: None,
        });
    }
    let zendesk = if opts.source == SourceKind::Zendesk {
        zendesk_audits(files)?
    } else {
        AuditFiles::default()
    };
    let trail = sys_audits(&planned, opts)?;
    for f in &mut planned {
        if zendesk.files.contains_key(&f.path) {
            f.role = Role::ZendeskAudits;
        }
        if f.role == Role::Tickets && !f.json {
            f.stream = stream_mapping(opts, custom, &trail);
        }
    }
    let mut history = Vec::with_capacity(opts.history.len());
    for path in &opts.history {
        history.push((path.clone(), is_json(path, &first_line(path)?)));
    }
    Ok(Plan {
        files: planned,
        zendesk,
        trail,
        flat: flat::History::read(&history, opts)?,
    })
}

/// JSON by extension, or by a first non-blank byte of `{` or `[`.
pub(super) fn is_json(path: &Path, bytes: &[u8]) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "json" | "ndjson" | "jsonl")
        || bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{' || b == b'[')
}

/// The first line of a file, ended by `\n` or `\r` (all of it when it has neither), read
/// no further than [`HEAD_BYTES`]: enough to tell a file's kind from its header.
pub(super) fn first_line(path: &Path) -> Result<Vec<u8>> {
    let mut head = Vec::new();
    let file = std::fs::File::open(path).map_err(Error::io("reading export", path))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, HEAD_BYTES), &mut head)
        .map_err(Error::io("reading export", path))?;
    if let Some(end) = head.iter().position(|&b| b == b'\n' || b == b'\r') {
        head.truncate(end + 1);
    }
    Ok(head)
}

/// How much of a file [`first_line`] reads at most (a header longer than this is still read
/// whole by the readers; only the peek stops here).
const HEAD_BYTES: u64 = 1 << 20;

/// Zendesk audits files of this ingest, read before the tickets: their status changes (for
/// tickets in this ingest) and their accounting. An audit whose ticket is not in the ingest
/// is rejected, not dropped: audits must come with their tickets export.
#[derive(Default)]
pub(super) struct AuditFiles {
    pub(super) changes: history::Changes,
    pub(super) files: std::collections::BTreeMap<PathBuf, (u64, Vec<Reject>)>,
}

/// ServiceNow `sys_audit` files of this ingest (recognised from their header), parsed before
/// the ticket exports so their status changes can expand them.
fn sys_audits(files: &[FilePlan], opts: &IngestOptions) -> Result<audit::Trail> {
    let mut trail = audit::Trail::default();
    for f in files.iter().filter(|f| f.role == Role::SysAudit) {
        let path = &f.path;
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let m = servicenow::mapping(servicenow::Shape::ListCsv);
        let t = csv_reader::read_csv(path, bytes, &csv_options(&m, opts))?;
        let f = audit::collect(&t, &mut trail.changes);
        trail.files.insert(path.clone(), f);
    }
    Ok(trail)
}

/// The mapping `path` is read piece by piece with, when its rows are independent of each
/// other: a ServiceNow list CSV (without `sys_audit` files to expand it) or a generic CSV.
/// JSON, Jira CSV (whose date format is decided from every date cell) and audit-expanded
/// exports are read whole; `None` says so. (A ServiceNow list CSV whose dates are not ISO is
/// read whole too, once its first piece shows it: see [`super::read::open_stream`].)
fn stream_mapping(
    opts: &IngestOptions,
    custom: Option<&Mapping>,
    trail: &audit::Trail,
) -> Option<Mapping> {
    match opts.source {
        SourceKind::Generic => custom.filter(|m| m.format != Format::Ndjson).cloned(),
        SourceKind::Servicenow if trail.changes.is_empty() => Some(
            custom
                .cloned()
                .unwrap_or_else(|| servicenow::mapping(servicenow::Shape::ListCsv)),
        ),
        _ => None,
    }
}

/// Every file of a Zendesk ingest parsed: the audits files (their status changes, for
/// tickets of this ingest) and the ticket ids the tickets exports hold.
fn zendesk_audits(files: &[PathBuf]) -> Result<AuditFiles> {
    let mut ticket_ids = std::collections::BTreeSet::new();
    // Per audits file: every audit's (ticket id, raw text), and the status changes.
    let mut audit_files = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let doc = parse_json(path, &bytes)?;
        let audits: Vec<(String, String)> = doc
            .get("audits")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    history::text(a, "/ticket_id").unwrap_or_default(),
                    a.to_string(),
                )
            })
            .collect();
        match zendesk::read(doc, path)? {
            zendesk::Export::Audits(changes) => audit_files.push((path.clone(), audits, changes)),
            zendesk::Export::Tickets(doc) => {
                for t in doc
                    .get("tickets")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = history::text(t, "/id") {
                        ticket_ids.insert(id);
                    }
                }
            }
        }
    }
    let mut out = AuditFiles {
        changes: Default::default(),
        files: Default::default(),
    };
    for (path, audits, changes) in audit_files {
        let rejects = audits
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| !ticket_ids.contains(id))
            .map(|(i, (id, raw))| Reject {
                line: None,
                record: i as u64 + 1,
                column: Some("ticket_id".into()),
                error_type: "orphan_audit",
                message: format!(
                    "audit of ticket `{}`, which is not in this ingest; ingest the audits export together with its tickets export",
                    quote(id)
                ),
                raw: raw::truncate_raw(raw),
            })
            .collect();
        for (id, c) in changes
            .into_iter()
            .filter(|(id, _)| ticket_ids.contains(id))
        {
            out.changes.entry(id).or_default().extend(c);
        }
        out.files.insert(path, (audits.len() as u64, rejects));
    }
    Ok(out)
}
