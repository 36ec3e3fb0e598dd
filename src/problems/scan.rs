//! Detection's two passes over the tickets, in memory that does not grow with their text.
//!
//! The first pass reads the tickets piece by piece (a dataset file at a time) and keeps, per
//! incident, only what clustering needs: its row number, when it was opened, and shared
//! (interned) copies of its service, category and normalised text. The raw text of a piece
//! is dropped with the piece. The second pass gathers the full rows of the candidates'
//! members only, and the breach flags of those members only.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use polars::prelude::*;

use super::cluster::{Cluster, Incident};
use super::signal::Uninformative;
use super::text::{self, Normalized};
use crate::dataset::chunks::Chunks;
use crate::dataset::columns::{flags, micros, text as text_col};
use crate::error::Result;

/// The ticket columns the first pass reads.
const SCAN_COLUMNS: [&str; 6] = [
    "kind",
    "opened_at",
    "title",
    "description",
    "service",
    "category",
];

/// One shared copy of each distinct name and normalised text.
#[derive(Default)]
struct Interner {
    texts: HashSet<Arc<Normalized>>,
    names: HashSet<Arc<str>>,
}

impl Interner {
    fn text(&mut self, n: Normalized) -> Arc<Normalized> {
        if let Some(a) = self.texts.get(&n) {
            return a.clone();
        }
        let a = Arc::new(n);
        self.texts.insert(a.clone());
        a
    }

    fn name(&mut self, s: Option<&str>) -> Option<Arc<str>> {
        let s = s?;
        if let Some(a) = self.names.get(s) {
            return Some(a.clone());
        }
        let a: Arc<str> = s.into();
        self.names.insert(a.clone());
        Some(a)
    }
}

/// What the first pass found.
#[derive(Default)]
pub(super) struct Scan {
    /// The incidents opened in the period, in row order.
    pub incidents: Vec<Incident>,
    /// Those whose text carries no signal.
    pub uninformative: Uninformative,
    interner: Interner,
    /// The normalised form of each text seen, by [`digest`].
    seen: HashMap<u128, Arc<Normalized>>,
}

/// A 128-bit digest of the concatenation of `parts` (two independent SipHash streams: a
/// collision among even billions of texts is out of reach).
fn digest(parts: &[&str]) -> u128 {
    use std::hash::Hasher;
    let mut a = std::hash::DefaultHasher::new();
    let mut b = std::hash::DefaultHasher::new();
    b.write(b"ticketlake");
    for p in parts {
        a.write(p.as_bytes());
        b.write(p.as_bytes());
    }
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The first pass: the incidents of `tickets` opened in `period` (µs, half-open; all when
/// `None`), with normalised text.
pub(super) fn incidents(tickets: &Chunks, period: Option<(i64, i64)>) -> Result<Scan> {
    let mut scan = Scan::default();
    tickets.for_each(&SCAN_COLUMNS, |offset, df| scan.piece(offset, &df, period))?;
    Ok(scan)
}

impl Scan {
    fn piece(&mut self, offset: usize, df: &DataFrame, period: Option<(i64, i64)>) -> Result<()> {
        let (kind, opened) = (text_col(df, "kind")?, micros(df, "opened_at")?);
        let (title, desc) = (text_col(df, "title")?, text_col(df, "description")?);
        let (service, category) = (text_col(df, "service")?, text_col(df, "category")?);
        for i in 0..df.height() {
            let Some(o) = opened.get(i) else {
                continue;
            };
            if kind.get(i) != Some("incident") || period.is_some_and(|(a, b)| o < a || o >= b) {
                continue;
            }
            let parts = match (title.get(i), desc.get(i)) {
                (Some(t), Some(d)) => [t, " ", d],
                (t, d) => [t.or(d).unwrap_or_default(), "", ""],
            };
            // Titles repeat a lot: each distinct text is normalised once, and remembered
            // by a 128-bit digest rather than by itself, so the raw text is never kept.
            let digest = digest(&parts);
            let n = match self.seen.get(&digest) {
                Some(n) => n.clone(),
                None => {
                    let n = self.interner.text(text::normalize(&parts.concat()));
                    self.seen.insert(digest, n.clone());
                    n
                }
            };
            if n.is_empty() {
                self.uninformative.count += 1;
                let t = parts.concat();
                let shown = t.trim();
                if shown.is_empty() {
                    self.uninformative.without_text += 1;
                } else {
                    *self
                        .uninformative
                        .texts
                        .entry(shown.to_string())
                        .or_default() += 1;
                }
            }
            let service = self.interner.name(service.get(i));
            let category = self.interner.name(category.get(i));
            self.incidents.push(Incident {
                row: offset + i,
                opened: o,
                service,
                category,
                text: n,
            });
        }
        Ok(())
    }
}

/// The rows (ascending) of every candidate's members. Each member's `row` is renumbered to
/// its position among them, so it indexes the frame the second pass gathers.
pub(super) fn member_rows(found: &[Cluster], incidents: &mut [Incident]) -> Vec<usize> {
    let mut member = vec![false; incidents.len()];
    for &m in found.iter().flat_map(|c| &c.members) {
        member[m] = true;
    }
    let mut rows: Vec<usize> = (incidents.iter().zip(&member))
        .filter(|(_, m)| **m)
        .map(|(inc, _)| inc.row)
        .collect();
    rows.sort_unstable();
    rows.dedup();
    for (inc, _) in incidents.iter_mut().zip(&member).filter(|(_, m)| **m) {
        inc.row = rows.partition_point(|&r| r < inc.row);
    }
    rows
}

/// `(source, ticket_id)` of the tickets that breached an SLA.
pub(super) type Breached = HashSet<(String, String)>;

/// Of the tickets keyed by `ids` and `sources`, those with a breaching row in `sla` (none
/// without one). Reads the `sla` table piece by piece and keeps only those keys.
pub(super) fn breached(
    sla: Option<&Chunks>,
    ids: &StringChunked,
    sources: &StringChunked,
) -> Result<Breached> {
    let mut found: Breached = HashSet::new();
    let Some(sla) = sla else {
        return Ok(found);
    };
    let wanted: HashSet<(&str, &str)> = sources
        .iter()
        .zip(ids.iter())
        .filter_map(|(s, i)| Some((s?, i?)))
        .collect();
    if wanted.is_empty() {
        return Ok(found);
    }
    sla.for_each(&["ticket_id", "source", "breached"], |_, s| {
        let (sid, ssrc, sb) = (
            text_col(&s, "ticket_id")?,
            text_col(&s, "source")?,
            flags(&s, "breached")?,
        );
        for i in 0..s.height() {
            if let (Some(true), Some(a), Some(b)) = (sb.get(i), sid.get(i), ssrc.get(i))
                && wanted.contains(&(b, a))
            {
                found.insert((b.to_string(), a.to_string()));
            }
        }
        Ok(())
    })?;
    Ok(found)
}
