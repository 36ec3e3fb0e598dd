//! The project config, `ticketlake.toml`: the TOML structs (unknown keys are errors, so a
//! typo cannot silently change a report), the `init` template, and the validated
//! [`Project`] the library runs with. Which value wins over which (flag, environment,
//! config, default) is decided once per command in `settings`, not here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Dataset settings.
    #[serde(default)]
    pub dataset: DatasetConfig,
    /// Ingest defaults.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Sources read by `run`: `[sources.NAME]` tables or a `[[sources]]` list.
    #[serde(default)]
    pub sources: Sources,
    /// Business-hours calendars by name.
    #[serde(default)]
    pub calendars: std::collections::BTreeMap<String, crate::sla::policy::CalendarConfig>,
    /// SLA definitions.
    #[serde(default)]
    pub sla: Vec<crate::sla::policy::SlaConfig>,
    /// Recurring-problem detection.
    #[serde(default)]
    pub problems: crate::problems::ProblemConfig,
    /// Statistical findings (`ticketlake insights` and the `insights` table).
    #[serde(default)]
    pub insights: crate::insights::InsightConfig,
    /// Change-to-incident correlation (the `change_impact` table).
    #[serde(default)]
    pub changes: crate::cmdb::ChangeConfig,
    /// Directory of the project's own `.sql` metric queries (default: `queries/` next to the
    /// config, when it exists); a file with a built-in's name overrides it.
    pub queries_dir: Option<PathBuf>,
    /// Report settings.
    #[serde(default)]
    pub report: ReportConfig,
    /// Service-level targets the reports, `check` and `run` judge against.
    #[serde(default)]
    pub targets: crate::targets::TargetsConfig,
    /// The continual-improvement register.
    #[serde(default)]
    pub improvements: Vec<crate::targets::Improvement>,
    /// Masking and pseudonymisation of personal data (off without the table).
    pub privacy: Option<crate::privacy::PrivacyConfig>,
    /// Where SQL runs: local DataFusion or a Ballista cluster.
    #[serde(default)]
    pub engine: EngineConfig,
}

/// `[engine]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EngineConfig {
    /// `local` (the default), `ballista://standalone` or `ballista://HOST:PORT`.
    pub url: Option<String>,
}

/// `sources`: either named tables (`[sources.itsm]`) or an array (`[[sources]]`, each with an
/// optional `name`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Sources {
    /// `[sources.NAME]`
    Named(std::collections::BTreeMap<String, SourceConfig>),
    /// `[[sources]]`
    List(Vec<SourceConfig>),
}

impl Default for Sources {
    fn default() -> Self {
        Sources::List(Vec::new())
    }
}

/// `[report]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReportConfig {
    /// Where `run` and `report` write (relative to the config; default `reports` in the
    /// working directory).
    pub out: Option<PathBuf>,
    /// Recurring-problem candidates and breaches listed per report (default 10).
    pub top: Option<usize>,
    /// Findings under "What to look at" per page (default 5; 0 hides the section).
    pub insights: Option<usize>,
}

/// `[dataset]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatasetConfig {
    /// Dataset directory, relative to the config file, or an object-storage URL.
    pub path: Option<PathBuf>,
    /// Object-store options (`aws_access_key_id`, `aws_endpoint_url`, `aws_region`,
    /// `google_service_account`, `azure_storage_account_name`, …), over the environment's.
    /// Never shown.
    #[serde(default)]
    pub storage: std::collections::BTreeMap<String, String>,
}

/// `[ingest]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IngestConfig {
    /// Default source time zone for naive timestamps.
    pub timezone: Option<String>,
    /// Default reject limit (rows).
    pub max_rejects: Option<u64>,
    /// Default reject limit (percent).
    pub max_reject_pct: Option<f64>,
}

/// `[sources.NAME]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SourceConfig {
    /// A name for messages and the run summary (`[[sources]]` form; default `source-N`).
    pub name: Option<String>,
    /// The adapter that reads the files.
    pub adapter: crate::ingest::SourceKind,
    /// Export files or globs.
    #[serde(default)]
    pub files: Vec<String>,
    /// Time zone of this source's naive timestamps.
    pub timezone: Option<String>,
    /// Mapping file for generic sources.
    pub mapping: Option<PathBuf>,
    /// Flat history exports (paths or globs) of this source's tickets, one row per change;
    /// read with `history-mapping`.
    #[serde(default)]
    pub history: Vec<String>,
    /// The mapping (`kind = "history"`) of the `history` files.
    pub history_mapping: Option<PathBuf>,
    /// Date format of locale-formatted exports (Jira CSV, ServiceNow display values), when
    /// ambiguous.
    pub date_format: Option<String>,
    /// Copy `closed_at` into a missing `resolved_at` (off by default: imputed resolution
    /// times inflate MTTR).
    pub resolved_from_closed: Option<bool>,
    /// Extra or changed value maps over the adapter's defaults: vendor status → canonical
    /// status, issue type → kind, priority name → 1..5 (keys compared case-insensitively).
    #[serde(default)]
    pub statuses: std::collections::BTreeMap<String, String>,
    /// Issue type / ticket type → canonical kind.
    #[serde(default)]
    pub kinds: std::collections::BTreeMap<String, String>,
    /// Priority name → 1..5.
    #[serde(default)]
    pub priorities: std::collections::BTreeMap<String, i32>,
}

/// The validated project: calendars, SLAs, sources, targets and the report settings of the
/// config, with paths resolved against the config's folder.
#[derive(Debug, Clone)]
pub struct Project {
    /// The config file used, if any.
    pub config_path: Option<PathBuf>,
    /// The dataset: a directory or a prefix in object storage.
    pub dataset: crate::dataset::Location,
    /// `[dataset.storage]`: the object-store options (credentials among them: never
    /// shown) for the dataset and for reports written to object storage.
    pub storage: std::collections::BTreeMap<String, String>,
    /// Default source time zone.
    pub timezone: Option<String>,
    /// Default reject limits.
    pub max_rejects: Option<u64>,
    /// Default reject limit in percent.
    pub max_reject_pct: Option<f64>,
    /// Named sources with paths resolved against the config's folder.
    pub sources: Vec<(String, SourceConfig)>,
    /// Validated calendars and SLAs.
    pub policies: crate::sla::policy::Policies,
    /// The project's queries directory, if any.
    pub queries_dir: Option<PathBuf>,
    /// Recurring-problem detection settings.
    pub problems: crate::problems::ProblemConfig,
    /// Statistical-finding settings.
    pub insights: crate::insights::InsightConfig,
    /// Change-to-incident correlation settings, checked.
    pub changes: crate::cmdb::ChangeParams,
    /// The report directory from `[report] out`, resolved against the config's folder.
    pub report_out: Option<PathBuf>,
    /// Rows per top-N table in reports.
    pub report_top: usize,
    /// Findings per "What to look at" section (0: no section).
    pub report_insights: usize,
    /// Service-level targets.
    pub targets: crate::targets::TargetSet,
    /// The continual-improvement register.
    pub improvements: Vec<crate::targets::Improvement>,
    /// `[privacy]`, validated; its key is set by the settings (never from the file).
    pub privacy: Option<crate::privacy::Privacy>,
    /// Where SQL runs (`[engine] url`; the settings put `--engine` and the environment
    /// over it).
    pub engine: crate::query::engine::Engine,
}

impl Config {
    /// Parse a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(Error::io("reading config", path))?;
        let cfg: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            let message = if e.message().contains("untagged enum Sources") {
                "a source needs `adapter` and `files` (and `mapping` for generic), and may have \
                 `name`, `timezone`, `date-format`, `statuses`, `kinds`, `priorities`, and \
                 `history` with `history-mapping`; write [sources.NAME] tables or a [[sources]] list"
                    .to_string()
            } else {
                e.message().trim().to_string()
            };
            Error::Config {
                path: path.into(),
                key: line
                    .map(|l| format!("line {l}"))
                    .unwrap_or_else(|| "-".into()),
                message: format!("{message}; see the config reference in README.md"),
            }
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    /// The checks of single values that need nothing but the file: zones and limits.
    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |name: &str, message: String| Error::Config {
            path: path.into(),
            key: key("ingest", name),
            message,
        };
        if let Some(tz) = &self.ingest.timezone {
            crate::time::parse_tz(tz).map_err(|m| bad("timezone", m))?;
        }
        if let Some(p) = self.ingest.max_reject_pct {
            check_pct(p).map_err(|m| bad("max-reject-pct", m))?;
        }
        Ok(())
    }
}

/// The folder a config's relative paths are resolved against.
pub fn base_of(path: Option<&Path>) -> PathBuf {
    path.and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A config key as users write it: `[sources.itsm] timezone`.
pub fn key(table: &str, name: &str) -> String {
    format!("[{table}] {name}")
}

impl Project {
    /// Validate a loaded config (read from `path`, if any) into the project, with the
    /// dataset the settings chose.
    pub fn new(path: Option<PathBuf>, cfg: Config, dataset: PathBuf) -> Result<Project> {
        resolve_config(path, cfg, dataset)
    }

    /// The config file to name in messages (`ticketlake.toml` when there is none).
    pub fn config_file(&self) -> PathBuf {
        self.config_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("ticketlake.toml"))
    }
}

/// Check the `[problems]` and `[insights]` settings, naming the table of a bad one.
fn detection_settings(cfg: &Config, cfg_path: &Path) -> Result<()> {
    let bad = |key: &'static str| {
        move |e: Error| Error::Config {
            path: cfg_path.to_path_buf(),
            key: key.into(),
            message: e.to_string(),
        }
    };
    cfg.problems.params().map_err(bad("[problems]"))?;
    cfg.insights.params().map_err(bad("[insights]"))?;
    Ok(())
}

/// `[changes]`, checked, naming the key of a bad value.
fn change_settings(
    changes: &crate::cmdb::ChangeConfig,
    cfg_path: &Path,
) -> Result<crate::cmdb::ChangeParams> {
    changes.params().map_err(|m| {
        let (k, rest) = m.split_once(": ").unwrap_or(("-", m.as_str()));
        Error::Config {
            path: cfg_path.to_path_buf(),
            key: key("changes", k),
            message: rest.to_string(),
        }
    })
}

/// `[report] out`: an object-store URL as it is, a path against the config's folder.
fn report_out(out: &Path, base: &Path) -> PathBuf {
    if crate::dataset::location::is_remote(&out.to_string_lossy()) {
        out.to_path_buf()
    } else {
        tidy(&base.join(out))
    }
}

fn resolve_config(path: Option<PathBuf>, cfg: Config, dataset: PathBuf) -> Result<Project> {
    let base = base_of(path.as_deref());
    let dataset =
        crate::dataset::Location::parse(&dataset.to_string_lossy(), &cfg.dataset.storage)?;
    let cfg_path = path
        .clone()
        .unwrap_or_else(|| PathBuf::from("ticketlake.toml"));
    let mut calendars = std::collections::BTreeMap::new();
    for (name, c) in &cfg.calendars {
        calendars.insert(
            name.clone(),
            crate::sla::policy::calendar_spec(name, c, &cfg_path, &base)?,
        );
    }
    let policies = crate::sla::policy::policies(&cfg.sla, calendars, &cfg_path)?;
    let queries_dir = match &cfg.queries_dir {
        Some(d) => Some(base.join(d)),
        None => Some(base.join("queries")).filter(|d| d.is_dir()),
    };
    detection_settings(&cfg, &cfg_path)?;
    let targets = crate::targets::resolve(&cfg.targets, &cfg_path)?;
    let privacy = cfg
        .privacy
        .as_ref()
        .map(|c| c.resolve(&cfg_path))
        .transpose()?;
    crate::targets::validate_improvements(&cfg.improvements, &cfg_path)?;
    let sources_list = match cfg.sources {
        Sources::Named(m) => m.into_iter().collect::<Vec<_>>(),
        Sources::List(l) => l
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    s.name
                        .clone()
                        .unwrap_or_else(|| format!("source-{}", i + 1)),
                    s,
                )
            })
            .collect(),
    };
    let mut sources = Vec::new();
    for (name, src) in sources_list {
        let bad = |k: &str, m: String| Error::Config {
            path: cfg_path.clone(),
            key: key(&format!("sources.{name}"), k),
            message: m,
        };
        use crate::dataset::schema::{KINDS, STATUSES};
        if let Some(tz) = &src.timezone {
            crate::time::parse_tz(tz).map_err(|m| bad("timezone", m))?;
        }
        if let Some((k, v)) = src
            .statuses
            .iter()
            .find(|(_, v)| !STATUSES.contains(&v.as_str()))
        {
            return Err(bad(
                "statuses",
                format!("`{k}` = `{v}`: not one of {}", STATUSES.join(", ")),
            ));
        }
        if let Some((k, v)) = src.kinds.iter().find(|(_, v)| !KINDS.contains(&v.as_str())) {
            return Err(bad(
                "kinds",
                format!("`{k}` = `{v}`: not one of {}", KINDS.join(", ")),
            ));
        }
        if let Some((k, m)) = unpaired_history(&src) {
            return Err(bad(k, m.into()));
        }
        if let Some((k, v)) = src.priorities.iter().find(|(_, v)| !(1..=5).contains(*v)) {
            return Err(bad(
                "priorities",
                format!("`{k}` = {v}: priorities are 1..5"),
            ));
        }
        sources.push((name, src));
    }
    let engine = engine(&cfg.engine, &cfg_path)?;
    Ok(Project {
        engine,
        privacy,
        report_out: cfg.report.out.as_ref().map(|o| report_out(o, &base)),
        storage: cfg.dataset.storage.clone(),
        report_top: cfg.report.top.unwrap_or(10),
        report_insights: cfg.report.insights.unwrap_or(5),
        targets,
        improvements: cfg.improvements,
        problems: cfg.problems.clone(),
        insights: cfg.insights.clone(),
        changes: change_settings(&cfg.changes, &cfg_path)?,
        queries_dir,
        policies,
        config_path: path,
        dataset,
        timezone: cfg.ingest.timezone,
        max_rejects: cfg.ingest.max_rejects,
        max_reject_pct: cfg.ingest.max_reject_pct,
        sources: sources
            .into_iter()
            .map(|(name, mut src)| {
                src.files = src
                    .files
                    .iter()
                    .map(|f| base.join(f).display().to_string())
                    .collect();
                src.mapping = src.mapping.map(|m| base.join(m));
                src.history = src
                    .history
                    .iter()
                    .map(|f| base.join(f).display().to_string())
                    .collect();
                src.history_mapping = src.history_mapping.map(|m| base.join(m));
                (name, src)
            })
            .collect(),
    })
}

/// `[engine] url`, parsed (local without it).
fn engine(e: &EngineConfig, cfg_path: &Path) -> Result<crate::query::engine::Engine> {
    match &e.url {
        Some(u) => crate::query::engine::Engine::parse(u).map_err(|message| Error::Config {
            path: cfg_path.to_path_buf(),
            key: key("engine", "url"),
            message,
        }),
        None => Ok(Default::default()),
    }
}

/// A source's `history` without `history-mapping`, or the other way round: the key at fault
/// and what to do.
fn unpaired_history(src: &SourceConfig) -> Option<(&'static str, &'static str)> {
    match (src.history.is_empty(), src.history_mapping.is_some()) {
        (false, false) => Some((
            "history",
            "history files need their mapping: add history-mapping = \"FILE\" (a mapping with kind = \"history\")",
        )),
        (true, true) => Some((
            "history-mapping",
            "no history files to read with it: add history = [\"FILE\", ...]",
        )),
        _ => None,
    }
}

/// A reject limit in percent: a number from 0 to 100.
pub fn check_pct(p: f64) -> std::result::Result<(), String> {
    if (0.0..=100.0).contains(&p) {
        Ok(())
    } else {
        Err(format!(
            "{p} is not a percentage; give a number from 0 to 100 (100 accepts any share of rejects)"
        ))
    }
}

/// `a/b/../c` as `a/c`, lexically, so messages show the path a user would type.
pub fn tidy(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) =>
            {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// The commented config `ticketlake init` writes.
pub const TEMPLATE: &str = include_str!("init-template.toml");
