//! `ticketlake dataset info`: the current version, rows per table, the last build and the
//! ingest history with each file's hash and accounting; `dataset vacuum`: old versions and
//! unreferenced files removed.

use super::{Ctx, out};
use std::collections::BTreeMap;

use crate::config::Project;
use crate::dataset::columns::flag_counts;
use crate::dataset::manifest::{self, Manifest};
use crate::error::{Error, ExitStatus, Result};
use crate::settings::Shown;

/// Run `dataset info`.
pub(crate) fn info(p: &Project, json: bool, ctx: &Ctx, shown: &mut Shown) -> Result<ExitStatus> {
    if ctx.showed(shown, json)? {
        return Ok(ExitStatus::Success);
    }
    let m = manifest::current(&p.dataset)?;
    let flags = flags(p, &m)?;
    if json {
        out::json(&info_json(p, &m, &flags))?;
    } else {
        out::text(&info_text(p, &m, &flags))?;
    }
    Ok(ExitStatus::Success)
}

/// Run `dataset vacuum`.
pub(crate) fn vacuum(
    p: &Project,
    older_than: &str,
    json: bool,
    ctx: &Ctx,
    shown: &mut Shown,
) -> Result<ExitStatus> {
    // No retention at all ("0s", "0") keeps only the current version.
    let zero = older_than.trim().trim_end_matches(['s', 'm', 'h', 'd']) == "0";
    let retention = match zero {
        true => 0.0,
        false => crate::targets::duration_s(older_than)
            .map_err(|m| Error::Usage(format!("--older-than {m}")))?,
    };
    if ctx.showed(shown, json)? {
        return Ok(ExitStatus::Success);
    }
    let now = chrono::Utc::now().timestamp_micros();
    let _lock = crate::dataset::lock::acquire(&p.dataset)?;
    let v = crate::dataset::vacuum::vacuum(&p.dataset, retention as i64, now)?;
    if json {
        out::json(&serde_json::to_value(&v).expect("vacuum serialises"))?;
        return Ok(ExitStatus::Success);
    }
    let mut w = out::Lines::default();
    w.add(format!(
        "vacuum {}: removed {} manifest(s) and {} data file(s) ({:.1} MB); versions kept: {}",
        p.dataset,
        v.manifests.len(),
        v.files.len(),
        v.bytes as f64 / 1e6,
        match (v.kept_versions.first(), v.kept_versions.last()) {
            (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
            (Some(a), _) => a.to_string(),
            _ => "none".into(),
        }
    ));
    for f in &v.files {
        w.add(format!("  removed {f}"));
    }
    out::text(&w.0)?;
    Ok(ExitStatus::Success)
}

/// Current tickets per data-quality flag (`closed_without_resolution`, …).
fn flags(p: &Project, m: &Manifest) -> Result<BTreeMap<String, u64>> {
    let tickets = crate::dataset::store::read_columns(
        &p.dataset,
        m,
        crate::dataset::TICKETS,
        Some(&["dq_flags"]),
    )?;
    tickets.map_or(Ok(BTreeMap::new()), |t| flag_counts(&t))
}

fn info_json(p: &Project, m: &Manifest, flags: &BTreeMap<String, u64>) -> serde_json::Value {
    let tables: serde_json::Map<String, serde_json::Value> = m
        .tables
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                serde_json::json!({"rows": t.rows(), "files": t.files}),
            )
        })
        .collect();
    serde_json::json!({
        "dataset": p.dataset.to_string(),
        "version": m.version,
        "committed_at": m.committed_at,
        "tables": tables,
        "flags": flags,
        "ingests": m.ingests,
        "build": m.build,
    })
}

fn info_text(p: &Project, m: &Manifest, flags: &BTreeMap<String, u64>) -> String {
    let mut w = out::Lines::default();
    let committed = if m.committed_at.is_empty() {
        "never"
    } else {
        &m.committed_at
    };
    w.add(format!(
        "dataset {} version {} (committed {committed})",
        p.dataset, m.version,
    ));
    for (name, t) in &m.tables {
        w.add(format!(
            "  {name:<18} {:>10} rows in {} file(s)",
            t.rows(),
            t.files.len()
        ));
    }
    for (flag, n) in flags {
        w.add(format!("  flag {flag:<28} {n:>6} ticket(s)"));
    }
    if let Some(b) = &m.build {
        let stale = if b.version < m.version {
            " (ingested since: run `ticketlake build`)"
        } else {
            ""
        };
        w.add(format!(
            "  derived tables built at version {} as of {} for SLAs: {}{stale}",
            b.version,
            b.as_of,
            b.slas.join(", ")
        ));
    }
    for i in &m.ingests {
        w.add(format!(
            "{} (version {}, {}, {})",
            i.ingest_id, i.version, i.source, i.committed_at
        ));
        for f in &i.files {
            let skipped = match f.skipped {
                0 => String::new(),
                n => format!(" skipped {n}"),
            };
            w.add(format!(
                "  {} sha256:{} {}: read {} loaded {}{skipped} rejected {} superseded {}",
                f.path,
                &f.sha256[..12.min(f.sha256.len())],
                f.outcome_text(),
                f.records_read,
                f.loaded,
                f.rejected,
                f.superseded
            ));
        }
    }
    w.0
}
