//! Configuration items: the CMDB beside the tickets. `ingest` of a CMDB export (ServiceNow's
//! `cmdb_ci` list or Table API file and its `cmdb_rel_ci` relationships, or any tool's through
//! a `kind = "ci"` / `kind = "ci_relation"` mapping) commits `config_items` (one row per CI,
//! latest wins) and `ci_relations` as a new dataset version, with the same row accounting,
//! rejects and duplicate detection as a ticket export. The derive stage turns them into the
//! dependency closure `ci_dependencies` ([`graph`]); the query session's views resolve the
//! tickets' `config_item` to a CI ([`views`]).

pub mod graph;
pub mod impact;
pub mod merge;
pub mod read;

use std::path::{Path, PathBuf};

use crate::dataset::manifest::{self, DataFile, FileRecord, IngestRecord, Manifest, TableFiles};
use crate::dataset::{
    CI_RELATIONS, CONFIG_ITEMS, Location, REJECTS, STATUS_INTERVALS, TICKETS, lock, store,
};
use crate::error::{Error, Result};
use crate::ingest::mapping::Mapping;
use crate::ingest::{FileReject, IngestOptions, IngestReport, rejects};
pub use impact::{ChangeConfig, ChangeParams};
pub use read::Export;

/// What a call's files are: each one's CMDB export (`None` for a ticket export), and the
/// options' mapping they were recognised with (loaded once, for [`ingest`] too).
pub struct Recognised {
    /// The `--mapping`, if any.
    custom: Option<Mapping>,
    /// Per file, in order.
    pub kinds: Vec<Option<Export>>,
}

/// The CMDB export each of `files` is, read with the options' adapter and mapping.
pub fn recognise(files: &[PathBuf], opts: &IngestOptions) -> Result<Recognised> {
    let custom = opts.mapping.as_deref().map(Mapping::load).transpose()?;
    let kinds = files
        .iter()
        .map(|f| read::recognise(f, opts.source, custom.as_ref()))
        .collect::<Result<_>>()?;
    Ok(Recognised { custom, kinds })
}

/// The state of one CMDB ingest while its files are read.
struct Run {
    ingest_id: String,
    source: String,
    read_options: serde_json::Value,
    files: Vec<FileRecord>,
    rejects: Vec<FileReject>,
    /// The rows read, per table.
    items: Vec<merge::Record>,
    relations: Vec<merge::Record>,
}

/// Ingest CMDB exports into the dataset at `root`, as [`recognise`] found them.
pub fn ingest(
    root: &Location,
    files: &[PathBuf],
    found: &Recognised,
    opts: &IngestOptions,
) -> Result<IngestReport> {
    let custom = &found.custom;
    let _lock = lock::acquire(root)?;
    let recovered = store::recover(root)?;
    let current = manifest::current(root)?;
    let source = match &custom {
        Some(m) => m.source.clone(),
        None => "servicenow".to_string(),
    };
    let mut run = Run {
        ingest_id: format!("ing-{:06}", current.version + 1),
        source,
        read_options: crate::ingest::read_options(opts)?,
        files: Vec::new(),
        rejects: Vec::new(),
        items: Vec::new(),
        relations: Vec::new(),
    };
    for (path, kind) in files.iter().zip(&found.kinds) {
        let export = kind.ok_or_else(|| {
            Error::Usage(format!(
                "{} is not a CMDB export (a list of configuration items or of relationships); \
                 ingest ticket exports in a call of their own",
                path.display()
            ))
        })?;
        run.file(path, export, &current, opts, custom.as_ref())?;
    }
    run.commit(root, &current, opts, recovered)
}

impl Run {
    /// Read one export, unless the same bytes were read the same way before.
    fn file(
        &mut self,
        path: &Path,
        export: Export,
        current: &Manifest,
        opts: &IngestOptions,
        custom: Option<&Mapping>,
    ) -> Result<()> {
        let bytes = std::fs::read(path).map_err(Error::io("reading export", path))?;
        let mut rec = FileRecord {
            path: path.display().to_string(),
            sha256: crate::ingest::sha256_hex(&bytes),
            bytes: bytes.len() as u64,
            shape: export.shape(&self.source),
            outcome: "loaded".into(),
            read_options: Some(self.read_options.clone()),
            ..FileRecord::default()
        };
        let earlier =
            current.contribution(|f| f.sha256 == rec.sha256 && f.read_options == rec.read_options);
        let again = self.files.iter().any(|f| f.sha256 == rec.sha256);
        if let Some((i, _)) = earlier.filter(|_| !opts.replace) {
            rec.outcome = "duplicate".into();
            rec.duplicate_of = Some(i.ingest_id.clone());
        }
        if again {
            rec.outcome = "duplicate".into();
            rec.duplicate_of = Some(self.ingest_id.clone());
        }
        if rec.outcome == "duplicate" {
            self.files.push(rec);
            return Ok(());
        }
        let json = crate::ingest::is_json(path, &bytes);
        let mut m = custom
            .cloned()
            .unwrap_or_else(|| read::servicenow_mapping(export));
        let table = crate::ingest::read_cells(path, bytes, &m, opts)?;
        if custom.is_none() {
            m.timestamp_formats =
                read::servicenow_formats(&table, &m, path, opts.date_format.as_deref())?;
        }
        let rows = read::rows(table, &m, export, opts, json.then_some("UTC"))?;
        rec.records_read = rows.read;
        rec.loaded = rows.rows.len() as u64;
        rec.rejected = rows.rejects.len() as u64;
        rec.missing_columns = rows.missing;
        let origin = merge::Origin {
            source: &self.source,
            ingest_id: &self.ingest_id,
            source_file: &rec.path,
            file: self.files.len(),
        };
        let records = rows
            .rows
            .into_iter()
            .map(|r| merge::Record::new(export, r, &origin));
        match export {
            Export::Items => self.items.extend(records),
            Export::Relations => self.relations.extend(records),
        }
        self.rejects
            .extend(rows.rejects.into_iter().map(|reject| FileReject {
                source_file: rec.path.clone(),
                reject,
            }));
        self.files.push(rec);
        Ok(())
    }

    /// Merge each table's rows over its live ones and commit the version (nothing when
    /// every file was a duplicate or the rejects are over the limit).
    fn commit(
        mut self,
        root: &Location,
        current: &Manifest,
        opts: &IngestOptions,
        recovered: Vec<String>,
    ) -> Result<IngestReport> {
        let sum = |f: fn(&FileRecord) -> u64| self.files.iter().map(f).sum::<u64>();
        let mut report = IngestReport {
            committed: false,
            version: current.version,
            ingest_id: None,
            files: self.files.clone(),
            records_read: sum(|f| f.records_read),
            loaded: sum(|f| f.loaded),
            rejected: sum(|f| f.rejected),
            superseded: 0,
            skipped: 0,
            flagged: 0,
            recovered,
            sample_rejects: self.rejects.iter().take(20).cloned().collect(),
            limit_exceeded: rejects::check_limits(&self.files, &opts.limits),
        };
        if report.limit_exceeded.is_some() || self.files.iter().all(|f| f.outcome == "duplicate") {
            return Ok(report);
        }
        let v = current.version + 1;
        let mut tables = current.tables.clone();
        let mut displaced = 0;
        for (export, name, new) in [
            (Export::Items, CONFIG_ITEMS, std::mem::take(&mut self.items)),
            (
                Export::Relations,
                CI_RELATIONS,
                std::mem::take(&mut self.relations),
            ),
        ] {
            if new.is_empty() {
                continue;
            }
            let old = match store::read_table(root, current, name)? {
                Some(df) => merge::records(export, &df)?,
                None => Vec::new(),
            };
            let merged = merge::merge(export, old, new, self.files.len());
            for (f, n) in self.files.iter_mut().zip(&merged.superseded) {
                f.superseded += n;
            }
            displaced += merged.displaced;
            let mut df = merge::frame(export, &merged.rows)?;
            let file = store::write_table(root, name, v, 0, &mut df)?;
            tables.insert(name.into(), TableFiles { files: vec![file] });
        }
        // A CMDB ingested before any tickets: the ticket tables exist (empty) from the
        // start, so that build and the queries read a dataset like any other.
        for (name, mut empty) in [
            (TICKETS, crate::ingest::canonical::empty_tickets()),
            (STATUS_INTERVALS, crate::ingest::intervals::empty()?),
        ] {
            if !tables.contains_key(name) {
                let f = store::write_table(root, name, v, 0, &mut empty)?;
                tables.insert(name.into(), TableFiles { files: vec![f] });
            }
        }
        let mut rejected = rejects::frame(&self.ingest_id, &self.rejects)?;
        if rejected.height() > 0 {
            let f: DataFile = store::write_table(root, REJECTS, v, 0, &mut rejected)?;
            tables.entry(REJECTS.into()).or_default().files.push(f);
        }
        let record = IngestRecord {
            ingest_id: self.ingest_id.clone(),
            version: v,
            committed_at: crate::time::now_rfc3339(),
            source: self.source,
            files: self.files.clone(),
            displaced,
        };
        let next = current.after_ingest(tables, current.ingests.clone(), record);
        store::publish(root, &next)?;
        report.committed = true;
        report.version = v;
        report.ingest_id = Some(self.ingest_id);
        report.superseded = self.files.iter().map(|f| f.superseded).sum();
        report.files = self.files;
        Ok(report)
    }
}

/// The columns the CI views add to a ticket: its CI (NULL when `config_item` names none), the
/// key the CI queries group by (the CI's id, else the name as given, lower-cased: unresolved
/// names are kept, never dropped), the name shown, the class (`(not in CMDB)` for a name no CI
/// has, `(none)` without a `config_item`) and the CI's support group, location and status.
const CI_OF_TICKET: &str = "c.ci_id, \
    COALESCE(c.ci_id, lower(NULLIF(trim(t.config_item), ''))) AS ci_key, \
    COALESCE(c.name, NULLIF(trim(t.config_item), ''), '(none)') AS ci, \
    CASE WHEN c.ci_id IS NOT NULL THEN COALESCE(c.class, '(no class)') \
         WHEN NULLIF(trim(t.config_item), '') IS NULL THEN '(none)' \
         ELSE '(not in CMDB)' END AS ci_class, \
    c.support_group AS ci_support_group, c.location AS ci_location, \
    c.operational_status AS ci_status";

/// The query session's views over the CMDB, in creation order:
/// - `ci_keys`: every key a ticket's `config_item` may give (a CI's id, or a name exactly one
///   CI has; trimmed, any case) and its CI;
/// - `incidents_by_ci` and `changes_by_ci`: the incidents and changes with their CI
///   ([`CI_OF_TICKET`]); changes also with their `outcome` (`successful`, `with_issues`,
///   `failed` or `other`, by close code, as the `change_success` query reads it);
/// - `ci_services`: the services (CIs whose class names a service) each CI supports, through
///   `ci_dependencies`, at the shortest depth;
/// - `ci_primary_service`: each CI's closest service (the first by name of the closest).
pub fn views() -> Vec<(&'static str, String)> {
    // An id wins over another CI's name (rank 0 before 1). One grouping, not a NOT IN: a
    // null-aware anti join over an empty CMDB never finishes on Ballista 55.
    let keys = "SELECT key, COALESCE(MIN(CASE WHEN r = 0 THEN ci_id END), MIN(ci_id)) AS ci_id \
         FROM (SELECT lower(trim(ci_id)) AS key, ci_id, 0 AS r FROM config_items \
           UNION ALL \
           SELECT lower(trim(name)), MIN(ci_id), 1 FROM config_items WHERE name IS NOT NULL \
           GROUP BY lower(trim(name)) HAVING COUNT(*) = 1) x \
         GROUP BY key";
    let by_ci = |table: &str, extra: &str| {
        format!(
            "SELECT t.*, {CI_OF_TICKET}{extra} FROM {table} t \
             LEFT JOIN ci_keys k ON k.key = lower(trim(t.config_item)) \
             LEFT JOIN config_items c ON c.ci_id = k.ci_id"
        )
    };
    let outcome = ", CASE WHEN lower(t.close_code) LIKE 'successful with issue%' THEN 'with_issues' \
         WHEN lower(t.close_code) LIKE 'success%' THEN 'successful' \
         WHEN lower(t.close_code) LIKE 'unsuccess%' OR lower(t.close_code) LIKE 'fail%' \
           OR lower(t.close_code) LIKE 'backed out%' OR lower(t.close_code) LIKE 'rolled back%' \
           THEN 'failed' ELSE 'other' END AS outcome";
    let services = "SELECT d.depends_on AS ci_id, s.name AS service, MIN(d.depth) AS depth \
         FROM ci_dependencies d JOIN config_items s ON s.ci_id = d.ci_id \
         WHERE lower(s.class) LIKE '%service%' AND s.name IS NOT NULL \
         GROUP BY d.depends_on, s.name";
    let primary = "SELECT s.ci_id, MIN(s.service) AS service FROM ci_services s \
         JOIN (SELECT ci_id, MIN(depth) AS depth FROM ci_services GROUP BY ci_id) m \
           ON m.ci_id = s.ci_id AND m.depth = s.depth \
         GROUP BY s.ci_id";
    vec![
        ("ci_keys", keys.to_string()),
        ("incidents_by_ci", by_ci("incidents", "")),
        ("changes_by_ci", by_ci("changes", outcome)),
        ("ci_services", services.to_string()),
        ("ci_primary_service", primary.to_string()),
    ]
}

/// The empty CMDB tables, with the schema an ingest and a build write them with.
pub fn empty_tables() -> Result<[polars::prelude::DataFrame; 3]> {
    let items = merge::frame(Export::Items, &[])?;
    let relations = merge::frame(Export::Relations, &[])?;
    let deps = graph::dependencies(&items, &relations)?;
    Ok([items, relations, deps])
}
