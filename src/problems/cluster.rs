//! Grouping incidents into clusters and deciding which clusters are recurring candidates.
//!
//! - **Entity clusters:** incidents naming the same entity (`printer546`, `vpn-gw-01`) form
//!   one cluster, whatever category the agent picked: a named device failing again and again
//!   is the textbook recurring problem.
//! - **Text clusters:** the rest are blocked by service (or category, where there is no
//!   service), their distinct token sets are clustered greedily by Jaccard similarity (most
//!   frequent set first, so the result is deterministic), and each cluster's leader set names
//!   it.
//! - **Time:** a cluster is a candidate when some `window` holds at least `min_incidents` of
//!   its incidents. Text clusters must also be a burst: in that window their share of the
//!   block's incidents must be `burst_ratio` times their share outside it. Steady demand
//!   ("Password reset", every week of the year) is routine work, not a problem signal; a
//!   spike is.

use std::collections::{BTreeMap, HashMap};

use super::text::Normalized;

/// One incident as the clustering sees it.
#[derive(Debug, Clone)]
pub struct Incident {
    /// Row in the input, used to point back at the ticket.
    pub row: usize,
    /// Opened, µs UTC.
    pub opened: i64,
    /// Service, if any.
    pub service: Option<String>,
    /// Category, if any.
    pub category: Option<String>,
    /// The normalised text.
    pub text: Normalized,
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
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Group incidents into clusters (every informative incident lands in exactly one).
pub fn group(incidents: &[Incident], similarity: f64) -> Vec<Cluster> {
    // Entity frequency decides which entity names an incident that mentions several.
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
        if let Some(e) = inc.text.entities.iter().max_by(|a, b| {
            entity_freq[a.as_str()]
                .cmp(&entity_freq[b.as_str()])
                .then(b.cmp(a))
        }) {
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
        // Most frequent token set first; ties by the set itself, so runs agree.
        let mut sets: Vec<(&[String], Vec<usize>)> = sets.into_iter().collect();
        sets.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        let mut leaders: Vec<(&[String], Vec<usize>)> = Vec::new();
        let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
        for (set, members) in sets {
            let mut best: Option<(f64, usize)> = None;
            let mut seen = Vec::new();
            for t in set {
                for &l in index.get(t.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                    if seen.contains(&l) {
                        continue;
                    }
                    seen.push(l);
                    let s = jaccard(set, leaders[l].0);
                    if s >= similarity && best.is_none_or(|(b, bl)| s > b || (s == b && l < bl)) {
                        best = Some((s, l));
                    }
                }
            }
            match best {
                Some((_, l)) => leaders[l].1.extend(members),
                None => {
                    let l = leaders.len();
                    for t in set {
                        index.entry(t.as_str()).or_default().push(l);
                    }
                    leaders.push((set, members));
                }
            }
        }
        for (set, members) in leaders {
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
            }
        })
        .collect()
}

/// The block a text incident is clustered in: its service, else its category.
fn block(inc: &Incident) -> &str {
    inc.service
        .as_deref()
        .or(inc.category.as_deref())
        .unwrap_or("(all)")
}

/// Fill in each cluster's busiest window and keep the recurring candidates.
///
/// The burst test compares shares, not counts: a text cluster's share of its block's
/// incidents inside the busiest window against its share outside it. A busy month for the
/// whole service raises both and is not a burst; one fault flaring up raises only the first.
pub fn candidates(incidents: &[Incident], mut clusters: Vec<Cluster>, p: &Params) -> Vec<Cluster> {
    for c in &mut clusters {
        let (mut lo, mut best, mut start) = (0usize, 0usize, 0i64);
        for hi in 0..c.members.len() {
            let t = incidents[c.members[hi]].opened;
            while t - incidents[c.members[lo]].opened >= p.window {
                lo += 1;
            }
            if hi + 1 - lo > best {
                best = hi + 1 - lo;
                start = incidents[c.members[lo]].opened;
            }
        }
        c.window_count = best;
        c.window_start = start;
    }
    let mut blocks: HashMap<&str, Vec<i64>> = HashMap::new();
    for inc in incidents.iter().filter(|i| !i.text.is_empty()) {
        blocks.entry(block(inc)).or_default().push(inc.opened);
    }
    for times in blocks.values_mut() {
        times.sort_unstable();
    }
    clusters.retain(|c| {
        if c.window_count < p.min_incidents.max(2) {
            return false;
        }
        if c.entity.is_some() || p.burst_ratio <= 0.0 {
            return true;
        }
        let times = &blocks[block(&incidents[c.members[0]])];
        let a = times.partition_point(|&t| t < c.window_start);
        let b = times.partition_point(|&t| t < c.window_start + p.window);
        let (inside, outside) = ((b - a) as f64, (times.len() - (b - a)) as f64);
        let rest = (c.members.len() - c.window_count) as f64;
        if outside == 0.0 || rest == 0.0 {
            // Nothing to compare with: the cluster is all there is of it.
            return true;
        }
        c.window_count as f64 / inside >= p.burst_ratio * (rest / outside)
    });
    clusters
}

#[cfg(test)]
mod tests {
    use super::super::text::normalize;
    use super::*;

    const DAY: i64 = 86_400_000_000;

    fn inc(row: usize, day: i64, service: &str, title: &str) -> Incident {
        Incident {
            row,
            opened: day * DAY,
            service: Some(service.into()),
            category: None,
            text: normalize(title),
        }
    }

    fn params() -> Params {
        Params {
            min_incidents: 3,
            window: 30 * DAY,
            similarity: 0.5,
            burst_ratio: 3.0,
        }
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
        ];
        let c = group(&v, 0.5);
        let find = |row: usize| c.iter().position(|c| c.members.contains(&row)).unwrap();
        assert_eq!(find(0), find(1));
        assert_eq!(find(0), find(2));
        assert_eq!(find(3), find(4));
        assert_eq!(find(5), find(6));
        assert_ne!(find(0), find(3));
        assert_eq!(c[find(5)].key, "entity:printer546");
    }

    #[test]
    fn steady_text_is_not_a_burst_but_an_entity_is_recurring() {
        // "Password reset" every 5 days for a year: always 6 in 30 days, never a spike.
        let mut v: Vec<Incident> = (0..73)
            .map(|i| inc(i, i as i64 * 5, "Identity", "Password reset required"))
            .collect();
        // A sudden run of one VPN fault.
        v.extend((0..4).map(|i| inc(100 + i, 200 + i as i64, "VPN", "VPN drops every hour")));
        // The same named switch, three times in a month.
        v.extend((0..3).map(|i| inc(200 + i, 100 + 9 * i as i64, "Network", "LON-SW-14 reboot")));
        let c = candidates(&v, group(&v, 0.5), &params());
        let keys: Vec<&str> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            vec!["entity:lon-sw-14", "text:VPN:drop every hour vpn"]
        );
        assert_eq!(c[1].window_count, 4);
        // Below min-incidents nothing qualifies.
        let p = Params {
            min_incidents: 5,
            ..params()
        };
        assert!(candidates(&v, group(&v, 0.5), &p).is_empty());
    }
}
