//! Service dependency: which configuration items each CI depends on, through the CMDB's
//! relationships, to a bounded depth. A relationship `parent -> child` of type
//! `Depends on::Used by` means the parent depends on the child, as do `Runs on::Runs`,
//! `Hosted on::Hosts`, `Contains::Contained by` and most types (ServiceNow puts the dependent
//! side first); the types named from the other side (`Used by::Depends on`, `Runs::Runs on`,
//! `Hosts::Hosted on`, ...) are read the other way round. Cycles, which real CMDBs have, end
//! a walk where it returns to a CI it has seen.

use std::collections::{BTreeMap, HashMap, VecDeque};

use polars::prelude::*;

use crate::dataset::columns;
use crate::error::{Error, Result};

/// How many relationships a dependency may be away (service → application → server →
/// cluster → storage is four; a CMDB's longer chains are usually loops through shared
/// infrastructure).
pub const MAX_DEPTH: u32 = 6;

/// Parent descriptors (the type's part before `::`) whose child is the dependent side.
const REVERSED: &[&str] = &[
    "used by",
    "runs",
    "hosts",
    "contained by",
    "member of",
    "provides",
    "cluster of",
    "virtualizes",
    "receives data from",
];

/// Whether a relationship of `type` says the child depends on the parent.
pub fn reversed(kind: Option<&str>) -> bool {
    let parent_side = kind.unwrap_or("").split("::").next().unwrap_or("");
    REVERSED.contains(&parent_side.trim().to_lowercase().as_str())
}

/// How the names and ids that tickets and relationships give resolve to CIs: an id (any
/// case), or a name that exactly one CI has (any case, trimmed).
pub struct Resolver {
    keys: HashMap<String, String>,
}

impl Resolver {
    /// The resolver of `config_items` (its `ci_id` and `name` columns).
    pub fn new(items: &DataFrame) -> Result<Resolver> {
        let ids = columns::text_vec(items, "ci_id")?;
        let names = columns::text_vec(items, "name")?;
        let mut by_name: HashMap<String, Option<String>> = HashMap::new();
        for (id, name) in ids.iter().zip(&names) {
            if let (Some(id), Some(name)) = (id, name) {
                by_name
                    .entry(name.trim().to_lowercase())
                    .and_modify(|v| *v = None)
                    .or_insert_with(|| Some(id.clone()));
            }
        }
        let mut keys: HashMap<String, String> = by_name
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect();
        // An id wins over another CI's name.
        for id in ids.into_iter().flatten() {
            keys.insert(id.trim().to_lowercase(), id);
        }
        Ok(Resolver { keys })
    }

    /// The CI `name_or_id` names, if one does.
    pub fn resolve(&self, name_or_id: &str) -> Option<&str> {
        self.keys
            .get(&name_or_id.trim().to_lowercase())
            .map(String::as_str)
    }
}

/// The `ci_dependencies` table of `items` and `relations`: every CI with itself at depth 0,
/// then each CI it depends on, at the depth of the shortest path (at most [`MAX_DEPTH`]).
/// Relationships whose ends name no CI are left out (the CIs are listed by the
/// `ci_unresolved` query).
pub fn dependencies(items: &DataFrame, relations: &DataFrame) -> Result<DataFrame> {
    let resolver = Resolver::new(items)?;
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let parents = columns::text_vec(relations, "parent")?;
    let children = columns::text_vec(relations, "child")?;
    let kinds = columns::text_vec(relations, "type")?;
    for ((p, c), k) in parents.iter().zip(&children).zip(&kinds) {
        let ends = p
            .as_deref()
            .and_then(|p| resolver.resolve(p))
            .zip(c.as_deref().and_then(|c| resolver.resolve(c)));
        if let Some((p, c)) = ends {
            let (dependent, on) = if reversed(k.as_deref()) {
                (c, p)
            } else {
                (p, c)
            };
            if dependent != on {
                edges.entry(dependent).or_default().push(on);
            }
        }
    }
    let ids = columns::text_vec(items, "ci_id")?;
    let (mut from, mut to, mut depth) = (Vec::new(), Vec::new(), Vec::new());
    for id in ids.iter().flatten() {
        for (on, d) in walk(id, &edges) {
            from.push(id.clone());
            to.push(on.to_string());
            depth.push(d as i32);
        }
    }
    df!("ci_id" => from, "depends_on" => to, "depth" => depth)
        .map_err(Error::polars("building ci_dependencies"))
}

/// Breadth first from `start`: each CI reached once, at its shortest depth.
fn walk<'a>(start: &'a str, edges: &BTreeMap<&str, Vec<&'a str>>) -> Vec<(&'a str, u32)> {
    let mut order: Vec<(&str, u32)> = vec![(start, 0)];
    let mut seen: std::collections::HashSet<&str> = [start].into();
    let mut queue = VecDeque::from([(start, 0u32)]);
    while let Some((ci, d)) = queue.pop_front() {
        if d == MAX_DEPTH {
            continue;
        }
        for &next in edges.get(ci).into_iter().flatten() {
            if seen.insert(next) {
                order.push((next, d + 1));
                queue.push_back((next, d + 1));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(names: &[&str]) -> DataFrame {
        df!("ci_id" => names, "name" => names).unwrap()
    }

    fn deps(items: &DataFrame, rels: &[(&str, &str, &str)]) -> Vec<(String, String, i32)> {
        let r = df!(
            "parent" => rels.iter().map(|r| r.0).collect::<Vec<_>>(),
            "child" => rels.iter().map(|r| r.1).collect::<Vec<_>>(),
            "type" => rels.iter().map(|r| r.2).collect::<Vec<_>>(),
        )
        .unwrap();
        let d = dependencies(items, &r).unwrap();
        let (a, b, c) = (
            columns::text_vec(&d, "ci_id").unwrap(),
            columns::text_vec(&d, "depends_on").unwrap(),
            d.column("depth").unwrap().i32().unwrap().clone(),
        );
        let mut out: Vec<_> = (0..d.height())
            .map(|i| {
                (
                    a[i].clone().unwrap(),
                    b[i].clone().unwrap(),
                    c.get(i).unwrap(),
                )
            })
            .filter(|r| r.2 > 0)
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_cycle_ends_the_walk_and_each_ci_is_reached_once_at_its_shortest_depth() {
        let i = items(&["svc", "app", "db", "san"]);
        let got = deps(
            &i,
            &[
                ("svc", "app", "Depends on::Used by"),
                ("app", "db", "Depends on::Used by"),
                ("db", "san", "Runs on::Runs"),
                ("san", "app", "Depends on::Used by"),
                ("svc", "db", "Depends on::Used by"),
            ],
        );
        let want = [
            ("app", "db", 1),
            ("app", "san", 2),
            ("db", "app", 2),
            ("db", "san", 1),
            ("san", "app", 1),
            ("san", "db", 2),
            ("svc", "app", 1),
            ("svc", "db", 1),
            ("svc", "san", 2),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b, d)| (a.to_string(), b.to_string(), *d))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn types_named_from_the_dependency_side_are_read_the_other_way_and_depth_is_bounded() {
        let names: Vec<String> = (0..10).map(|i| format!("ci{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let i = items(&refs);
        // ci(k+1) is "used by" ci(k): ci(k) depends on ci(k+1).
        let rels: Vec<(&str, &str, &str)> = (0..9)
            .map(|k| (refs[k + 1], refs[k], "Used by::Depends on"))
            .collect();
        let got = deps(&i, &rels);
        let from0: Vec<_> = got.iter().filter(|r| r.0 == "ci0").collect();
        assert_eq!(from0.len(), MAX_DEPTH as usize);
        assert_eq!(from0.last().map(|r| r.2), Some(MAX_DEPTH as i32));
        assert!(got.iter().all(|r| r.0 < r.1), "{got:?}");
    }

    #[test]
    fn names_resolve_in_any_case_unless_two_cis_share_them_and_ids_win() {
        let i = df!(
            "ci_id" => ["a1", "b2", "c3"],
            "name" => ["Mail-01", "dup", "DUP"],
        )
        .unwrap();
        let r = Resolver::new(&i).unwrap();
        assert_eq!(r.resolve(" mail-01 "), Some("a1"));
        assert_eq!(r.resolve("A1"), Some("a1"));
        assert_eq!(r.resolve("dup"), None);
        assert_eq!(r.resolve("nothing"), None);
    }
}
