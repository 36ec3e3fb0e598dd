//! The synthetic desk's CMDB, written by `generate` under `cmdb/` as ServiceNow exports
//! (`cmdb_ci.csv`, `cmdb_rel_ci.csv`): a service CI per service that depends on each of its
//! CIs ("Depends on::Used by"), and every one of those running on one of three shared
//! infrastructure CIs ("Runs on::Runs"), so a change to the infrastructure reaches several
//! services' CIs.

use std::path::Path;

use super::desk::SERVICES;
use crate::error::{Error, Result};

/// The shared infrastructure every service CI runs on, with its class.
pub const INFRA: &[(&str, &str)] = &[
    ("vmw-cluster-01", "cmdb_ci_vmware_cluster"),
    ("san-01", "cmdb_ci_storage_device"),
    ("core-net-01", "cmdb_ci_ip_switch"),
];

/// The services' CIs, in order (the null desk's CIs).
pub fn service_cis() -> Vec<&'static str> {
    SERVICES
        .iter()
        .flat_map(|s| s.cis.iter().copied())
        .collect()
}

/// The infrastructure CI that `ci` (one of [`service_cis`]) runs on: round robin.
pub fn host_of(ci: &str) -> &'static str {
    let i = service_cis().iter().position(|c| *c == ci).unwrap_or(0);
    INFRA[i % INFRA.len()].0
}

/// The CIs that run on the infrastructure CI `host`.
pub fn running_on(host: &str) -> Vec<&'static str> {
    service_cis()
        .into_iter()
        .filter(|c| host_of(c) == host)
        .collect()
}

/// A ServiceNow class for one of the desk's CI names.
fn class_of(ci: &str) -> &'static str {
    let n = ci.to_lowercase();
    let has = |s: &str| n.contains(s);
    if has("printer") {
        "cmdb_ci_printer"
    } else if has("fw") {
        "cmdb_ci_ip_firewall"
    } else if has("sw") || has("wifi") {
        "cmdb_ci_ip_switch"
    } else if has("db") {
        "cmdb_ci_database"
    } else if has("lt-") {
        "cmdb_ci_computer"
    } else if has("srv") || has("dc-") || has("mbx") {
        "cmdb_ci_server"
    } else {
        "cmdb_ci_appl"
    }
}

/// A stable 32-hex `sys_id` for a name.
fn sys_id(name: &str) -> String {
    crate::ingest::sha256_hex(format!("ci:{name}").as_bytes())[..32].to_string()
}

/// Write `cmdb/cmdb_ci.csv` and `cmdb/cmdb_rel_ci.csv` under `out`; returns their names.
pub fn write(out: &Path) -> Result<Vec<String>> {
    let dir = out.join("cmdb");
    std::fs::create_dir_all(&dir).map_err(Error::io("creating", &dir))?;
    let mut items = String::from(
        "sys_id,name,sys_class_name,operational_status,support_group,sys_updated_on\n",
    );
    let mut rels = String::from("parent,child,type\n");
    let mut item = |name: &str, class: &str, group: &str| {
        let id = sys_id(name);
        items.push_str(&format!(
            "{id},{name},{class},Operational,{group},2024-01-02 09:00:00\n"
        ));
    };
    for s in SERVICES {
        item(s.name, "cmdb_ci_service", s.group);
        for ci in s.cis {
            item(ci, class_of(ci), s.group);
            rels.push_str(&format!("{},{ci},Depends on::Used by\n", s.name));
            rels.push_str(&format!("{ci},{},Runs on::Runs\n", host_of(ci)));
        }
    }
    for (name, class) in INFRA {
        item(name, class, "Infrastructure-L2");
    }
    let mut written = Vec::new();
    for (name, text) in [("cmdb_ci.csv", items), ("cmdb_rel_ci.csv", rels)] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(Error::io("writing", &path))?;
        written.push(format!("cmdb/{name}"));
    }
    Ok(written)
}
