//! Grouping incidents into clusters; [`super::pattern`] decides which clusters are recurring
//! candidates.
//!
//! - **Entity clusters:** incidents naming the same entity (`printer546`, `vpn-gw-01`) form
//!   one cluster, whatever category the agent picked: a named device failing again and again
//!   is the textbook recurring problem. An entity fewer than `min-incidents` incidents name
//!   cannot recur on its own; its incidents are clustered by their text like the rest.
//! - **Text clusters:** the rest are blocked by service (one block for every incident
//!   without a service, whatever its category: miscategorised tickets are the normal case),
//!   and their distinct token sets are clustered greedily, most frequent set first so the
//!   result is deterministic. A set joins the most similar leader when the weighted Jaccard
//!   similarity reaches `similarity` (the fault symptom weighs half a word, so two reports
//!   that share only "not working" stay apart), or when it holds all of a leader's words and
//!   its other words are all rarer in the block than each of the leader's: "Printer
//!   malfunction in the finance department" is a printer fault with a detail, not a problem
//!   of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::lexicon::{FAULT, FAULT_WEIGHT};
use super::text::Normalized;

/// One incident as the clustering sees it: a few words of memory, since a large dataset
/// has millions (the names and the normalised text are shared, interned copies).
#[derive(Debug, Clone)]
pub struct Incident {
    /// Row in the input, used to point back at the ticket.
    pub row: usize,
    /// Opened, µs UTC.
    pub opened: i64,
    /// Service, if any.
    pub service: Option<Arc<str>>,
    /// Category, if any.
    pub category: Option<Arc<str>>,
    /// The normalised text.
    pub text: Arc<Normalized>,
}

/// Clustering parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Fewest incidents within the window.
    pub min_incidents: usize,
    /// The window, µs.
    pub window: i64,
    /// Jaccard threshold for text clusters.
    pub similarity: f64,
    /// How far above its own baseline a text cluster's window must be (0 = no burst test).
    pub burst_ratio: f64,
    /// Fewest incidents in a month for the month to count towards a chronic stream.
    pub chronic_min_per_month: usize,
    /// The share of its block's incidents, in percent, that makes a cluster chronic.
    pub chronic_min_share: f64,
}

/// A candidate's pattern, the `pattern` column, which [`super::pattern`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Pattern {
    /// A spike: the busiest window far above the cluster's own rate elsewhere.
    #[default]
    Burst,
    /// A steady stream.
    Chronic,
}

impl Pattern {
    /// The column value: `burst` or `chronic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Burst => "burst",
            Pattern::Chronic => "chronic",
        }
    }
}

/// A cluster: its key (stable across runs on the same data) and member indexes into the
/// incident slice, in opening order.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// `entity:<token>` or `text:<block>:<leader tokens>`.
    pub key: String,
    /// The entity, for entity clusters.
    pub entity: Option<String>,
    /// Member indexes, sorted by opening time.
    pub members: Vec<usize>,
    /// Start of the busiest window, µs.
    pub window_start: i64,
    /// Incidents in the busiest window.
    pub window_count: usize,
    /// Burst or chronic, once [`super::pattern::candidates`] has decided.
    pub pattern: Pattern,
}

/// How much one token counts in a similarity.
fn weight(t: &str) -> f64 {
    if t == FAULT { FAULT_WEIGHT } else { 1.0 }
}

/// Weighted Jaccard similarity of two sorted token sets: the weight they share over the
/// weight of their union.
fn similarity(a: &[String], b: &[String]) -> f64 {
    let (mut i, mut j, mut inter, mut union) = (0, 0, 0.0, 0.0);
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Equal => {
                inter += weight(&a[i]);
                union += weight(&a[i]);
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => {
                union += weight(&a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                union += weight(&b[j]);
                j += 1;
            }
        }
    }
    if union == 0.0 { 0.0 } else { inter / union }
}

/// Whether `set` is `leader` with detail added: it holds every word of the leader, and each
/// other word it has (the symptom aside) is rarer in the block than every word of the
/// leader. Detail ("in the finance department", "on floor 3") is what one reporter adds;
/// a word as common as the leader's own names a different thing.
fn specialises(set: &[String], leader: &[String], df: &HashMap<&str, usize>) -> bool {
    if !leader.iter().all(|t| set.binary_search(t).is_ok()) {
        return false;
    }
    let Some(rarest) = leader
        .iter()
        .filter(|t| *t != FAULT)
        .map(|t| df[t.as_str()])
        .min()
    else {
        return false;
    };
    set.iter()
        .filter(|t| *t != FAULT && leader.binary_search(t).is_err())
        .all(|t| df[t.as_str()] < rarest)
}

/// Cluster the distinct token sets of one block (each with its member incidents): the
/// leaders' sets with all their members.
fn cluster_block(
    sets: BTreeMap<&[String], Vec<usize>>,
    threshold: f64,
) -> Vec<(&[String], Vec<usize>)> {
    // Incidents per token, for the detail test.
    let mut df: HashMap<&str, usize> = HashMap::new();
    for (set, members) in &sets {
        for t in set.iter() {
            *df.entry(t.as_str()).or_default() += members.len();
        }
    }
    // Most frequent token set first; ties by the set itself, so runs agree.
    let mut sets: Vec<(&[String], Vec<usize>)> = sets.into_iter().collect();
    sets.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut leaders: Vec<(&[String], Vec<usize>)> = Vec::new();
    // Leaders by their words; the symptom alone never makes two texts alike.
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for (set, members) in sets {
        let mut best: Option<(f64, usize)> = None;
        let mut seen = Vec::new();
        for t in set.iter().filter(|t| *t != FAULT) {
            for &l in index.get(t.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                if seen.contains(&l) {
                    continue;
                }
                seen.push(l);
                let s = similarity(set, leaders[l].0);
                let joins = s >= threshold || specialises(set, leaders[l].0, &df);
                if joins && best.is_none_or(|(b, bl)| s > b || (s == b && l < bl)) {
                    best = Some((s, l));
                }
            }
        }
        match best {
            Some((_, l)) => leaders[l].1.extend(members),
            None => {
                let l = leaders.len();
                for t in set.iter().filter(|t| *t != FAULT) {
                    index.entry(t.as_str()).or_default().push(l);
                }
                leaders.push((set, members));
            }
        }
    }
    leaders
}

/// Group incidents into clusters (every informative incident lands in exactly one).
pub fn group(incidents: &[Incident], p: &Params) -> Vec<Cluster> {
    // Entity frequency decides which entity names an incident that mentions several, and
    // whether an entity recurs at all.
    let mut entity_freq: HashMap<&str, usize> = HashMap::new();
    for inc in incidents {
        for e in &inc.text.entities {
            *entity_freq.entry(e.as_str()).or_default() += 1;
        }
    }
    let mut by_key: BTreeMap<String, (Option<String>, Vec<usize>)> = BTreeMap::new();
    // Text incidents by block, then by exact token set.
    let mut blocks: BTreeMap<String, BTreeMap<&[String], Vec<usize>>> = BTreeMap::new();
    for (i, inc) in incidents.iter().enumerate() {
        if inc.text.is_empty() {
            continue;
        }
        let entity = inc
            .text
            .entities
            .iter()
            .filter(|e| entity_freq[e.as_str()] >= p.min_incidents)
            .max_by(|a, b| {
                entity_freq[a.as_str()]
                    .cmp(&entity_freq[b.as_str()])
                    .then(b.cmp(a))
            });
        if let Some(e) = entity {
            by_key
                .entry(format!("entity:{e}"))
                .or_insert_with(|| (Some(e.clone()), Vec::new()))
                .1
                .push(i);
            continue;
        }
        blocks
            .entry(block(inc).to_string())
            .or_default()
            .entry(inc.text.tokens.as_slice())
            .or_default()
            .push(i);
    }
    for (block, sets) in blocks {
        for (set, members) in cluster_block(sets, p.similarity) {
            by_key.insert(format!("text:{block}:{}", set.join(" ")), (None, members));
        }
    }
    by_key
        .into_iter()
        .map(|(key, (entity, mut members))| {
            members.sort_by_key(|&i| (incidents[i].opened, i));
            Cluster {
                key,
                entity,
                members,
                window_start: 0,
                window_count: 0,
                pattern: Pattern::Burst,
            }
        })
        .collect()
}

/// The block a text incident is clustered in: its service, else the one block of every
/// incident without a service.
pub(super) fn block(inc: &Incident) -> &str {
    inc.service.as_deref().unwrap_or("(all)")
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::text::normalize;
    use super::*;

    pub(in super::super) const DAY: i64 = 86_400_000_000;

    pub(in super::super) fn inc(row: usize, day: i64, service: &str, title: &str) -> Incident {
        Incident {
            row,
            opened: day * DAY,
            service: Some(service.into()),
            category: None,
            text: normalize(title).into(),
        }
    }

    pub(in super::super) fn params() -> Params {
        Params {
            min_incidents: 3,
            window: 30 * DAY,
            similarity: 0.5,
            burst_ratio: 3.0,
            chronic_min_per_month: 4,
            chronic_min_share: 10.0,
        }
    }

    /// The cluster of each title, as an index into the clusters of `titles` (one block,
    /// no service).
    fn clusters_of(titles: &[&str]) -> (Vec<usize>, Vec<Cluster>) {
        let v: Vec<Incident> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| Incident {
                service: None,
                category: Some(if i % 2 == 0 { "Hardware" } else { "Network" }.into()),
                ..inc(i, i as i64, "", t)
            })
            .collect();
        let c = group(&v, &params());
        let of = (0..v.len())
            .map(|row| c.iter().position(|c| c.members.contains(&row)).unwrap())
            .collect();
        (of, c)
    }

    #[test]
    fn paraphrases_cluster_and_entities_cross_categories() {
        let v = vec![
            inc(0, 1, "VPN", "Unable to connect to VPN"),
            inc(1, 2, "VPN", "Cannot connect to VPN"),
            inc(2, 3, "VPN", "VPN connection failing"),
            inc(3, 4, "Email", "Email system down for multiple users"),
            inc(
                4,
                5,
                "Email",
                "Email system outage reported by multiple users",
            ),
            inc(5, 6, "Printing", "Printer546 is not working"),
            inc(6, 7, "Other", "Issue with Printer546 in Australia"),
            inc(7, 8, "Other", "Printer546 paper jam"),
        ];
        let c = group(&v, &params());
        let find = |row: usize| c.iter().position(|c| c.members.contains(&row)).unwrap();
        assert_eq!(find(0), find(1));
        assert_eq!(find(0), find(2));
        assert_eq!(find(3), find(4));
        assert_eq!(find(5), find(6));
        assert_eq!(find(5), find(7));
        assert_ne!(find(0), find(3));
        assert_eq!(c[find(5)].key, "entity:printer546");
        // Named by fewer than min-incidents incidents, an entity is only a word.
        let v = vec![
            inc(0, 1, "Printing", "Printer not working"),
            inc(1, 2, "Printing", "Printer not responding"),
            inc(2, 3, "Printing", "Printer model ABC123 not working"),
        ];
        let c = group(&v, &params());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].entity, None);
    }

    #[test]
    fn paraphrases_of_one_fault_meet_across_categories() {
        let printer = [
            "Printer not working properly",
            "Printer is not functioning properly",
            "Printer not responding",
            "Printer malfunctioning",
        ];
        let email = [
            "Email server not responding",
            "Email server down",
            "Email system outage",
            "Email not working",
            "Cannot access email",
        ];
        let vpn = [
            "Unable to connect to VPN",
            "Cannot connect to the VPN",
            "VPN connection failing",
        ];
        let unrelated = [
            "Printer jam on floor 3",
            "Laptop will not boot",
            "Keyboard not responding",
            "Database server not responding",
        ];
        let titles: Vec<&str> = [&printer[..], &email, &vpn, &unrelated].concat();
        let (of, _) = clusters_of(&titles);
        let (p, e, v) = (of[0], of[4], of[9]);
        assert!(of[..4].iter().all(|&k| k == p), "printer: {of:?}");
        assert!(of[4..9].iter().all(|&k| k == e), "email: {of:?}");
        assert!(of[9..12].iter().all(|&k| k == v), "vpn: {of:?}");
        let mut distinct: Vec<usize> = vec![p, e, v];
        distinct.extend(&of[12..]);
        let n = distinct.len();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), n, "unrelated titles merged: {of:?}");
    }

    #[test]
    fn detail_joins_its_fault_but_a_common_word_does_not() {
        let mut titles = vec!["Printer not working"; 6];
        titles.extend(["Monitor not working"; 4]);
        titles.extend(["Monitor flickering"; 4]);
        titles.push("Printer malfunction in the finance department");
        // As common as "printer": a different thing that happens to share the word.
        titles.push("Printer monitor flickering department finance");
        let (of, _) = clusters_of(&titles);
        assert_eq!(of[14], of[0], "{of:?}");
        assert_ne!(of[15], of[0], "{of:?}");
        assert_ne!(of[6], of[0], "{of:?}");
    }
}
