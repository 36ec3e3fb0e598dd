//! Settings: every flag-over-environment-over-config-over-default merge, done once per
//! command, each value with its origin. `--show-settings` prints what was resolved (as TOML,
//! or JSON with `--json`), like `uv`'s and `dbt debug`'s; a bad value names the flag or the
//! config key it came from (`[sources.itsm] timezone`, not `--tz`).
//!
//! The library below never merges: it runs with the [`Project`] (the validated config) and
//! the option structs built here.

use std::path::{Path, PathBuf};

use crate::cli::{self, IngestArgs};
use crate::config::{self, Config, Project};
use crate::error::{Error, Result};
use crate::ingest::{IngestOptions, RejectLimits, mapping::ValueMaps, rejects};
use crate::job::Source;
use crate::report::{Options as ReportOptions, data::UnitKind};

/// The environment variable that names the dataset (under `--dataset`, over the config).
pub const DATASET_ENV: &str = "TICKETLAKE_DATASET";

pub use shown::Shown;

mod shown;

/// The first value that is set, with its origin: the flag, the config key, the default.
fn pick<T>(choices: impl IntoIterator<Item = (Option<T>, String)>) -> (Option<T>, String) {
    for (v, origin) in choices {
        if v.is_some() {
            return (v, origin);
        }
    }
    (None, "default (not set)".into())
}

/// The project of a command line: the config file (`--config`, else `./ticketlake.toml`
/// when it exists), validated, and the dataset (`--dataset`, `TICKETLAKE_DATASET`,
/// `[dataset] path`, `./dataset`).
pub fn project(cli: &cli::Cli, shown: &mut Shown) -> Result<Project> {
    let (path, origin) = match &cli.config {
        Some(p) => (Some(p.clone()), "--config"),
        None => {
            let default = PathBuf::from("ticketlake.toml");
            (
                Some(default).filter(|p| p.exists()),
                "default (./ticketlake.toml if present)",
            )
        }
    };
    let env = std::env::var_os(DATASET_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let key = std::env::var_os(crate::privacy::KEY_ENV)
        .filter(|v| !v.is_empty())
        .map(|v| v.as_encoded_bytes().to_vec());
    let mut p = load(path, origin, cli.dataset.clone(), env, shown)?;
    privacy(&mut p, key, shown);
    let env = std::env::var(crate::query::engine::ENGINE_ENV)
        .ok()
        .filter(|v| !v.is_empty());
    let origin = engine(&mut p, cli.engine.clone(), env)?;
    if runs_sql(&cli.command) {
        shown.add("engine", p.engine.shown(), origin);
    }
    Ok(p)
}

/// Whether a command runs SQL, so the engine matters (and is shown).
fn runs_sql(c: &cli::Command) -> bool {
    use cli::Command as C;
    matches!(
        c,
        C::Sql { .. } | C::Query(_) | C::Report(_) | C::Check { .. } | C::Run { .. }
    )
}

/// The engine: `--engine`, over `TICKETLAKE_ENGINE`, over `[engine] url` (already in `p`);
/// returns where it came from.
fn engine(p: &mut Project, flag: Option<String>, env: Option<String>) -> Result<String> {
    let engine_env = crate::query::engine::ENGINE_ENV;
    match pick([(flag, "--engine".to_string()), (env, engine_env.into())]) {
        (Some(t), origin) => {
            p.engine = crate::query::engine::Engine::parse(&t)
                .map_err(|m| Error::Usage(format!("{origin} {m}")))?;
            Ok(origin)
        }
        (None, _) => Ok(config::key("engine", "url") + " (default local)"),
    }
}

/// `[privacy]` with the key from `TICKETLAKE_PRIVACY_KEY`, shown as set or not (never its
/// value). Nothing is shown without the table.
fn privacy(p: &mut Project, key: Option<Vec<u8>>, shown: &mut Shown) {
    let Some(pv) = &mut p.privacy else { return };
    pv.key = key;
    let at = |k: &str| config::key("privacy", k);
    shown.add(
        "privacy.mask",
        &pv.mask,
        format!(
            "{} (default {})",
            at("mask"),
            crate::privacy::DEFAULT_MASK.join(", ")
        ),
    );
    shown.add(
        "privacy.mode",
        pv.mode,
        at("mode") + " (default pseudonymise)",
    );
    shown.add("privacy.at", pv.at, at("at") + " (default ingest)");
    shown.add(
        "privacy.key",
        if pv.key.is_some() { "set" } else { "not set" },
        crate::privacy::KEY_ENV,
    );
}

/// [`project`] from a config path and a dataset, as a library caller (tests, benches) has
/// them: the dataset given, else the config's, else `./dataset`. Only the arguments count,
/// never the caller's environment (so a `[privacy]` key is the caller's to set on
/// `Project::privacy`).
pub fn resolve(config: Option<&Path>, dataset: Option<&Path>) -> Result<Project> {
    let path = config.map(Path::to_path_buf);
    let dataset = dataset.map(Path::to_path_buf);
    load(path, "caller", dataset, None, &mut Shown::new("library"))
}

/// Load and validate the config at `path`, and pick the dataset: the flag, the
/// environment, `[dataset] path`, `./dataset`.
fn load(
    path: Option<PathBuf>,
    origin: &str,
    flag: Option<PathBuf>,
    env: Option<PathBuf>,
    shown: &mut Shown,
) -> Result<Project> {
    shown.add(
        "config",
        path.as_ref().map(|p| p.display().to_string()),
        origin,
    );
    let cfg = match &path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let base = config::base_of(path.as_deref());
    let (dataset, origin) = pick([
        (flag, "--dataset".to_string()),
        (env, DATASET_ENV.to_string()),
        (
            // A URL is not relative to anything.
            cfg.dataset.path.as_ref().map(|p| {
                match crate::dataset::location::is_remote(&p.to_string_lossy()) {
                    true => p.clone(),
                    false => base.join(p),
                }
            }),
            config::key("dataset", "path"),
        ),
        (Some(PathBuf::from("dataset")), "default".to_string()),
    ]);
    let dataset = dataset.unwrap_or_default();
    let spec = dataset.display().to_string();
    shown.add("dataset", crate::dataset::location::redacted(&spec), origin);
    Project::new(path, cfg, dataset)
}

/// The reject limits: each flag over its `[ingest]` key.
fn limits(
    p: &Project,
    rows: Option<u64>,
    pct: Option<f64>,
    shown: &mut Shown,
) -> Result<RejectLimits> {
    if let Some(v) = pct {
        config::check_pct(v).map_err(|m| Error::Usage(format!("--max-reject-pct {m}")))?;
    }
    let (max_rejects, rows_from) = pick([
        (rows, "--max-rejects".to_string()),
        (p.max_rejects, config::key("ingest", "max-rejects")),
    ]);
    // The 5 % default stands in only when no limit is set at all: a row limit of the
    // user's own replaces it.
    let default_pct = (max_rejects.is_none()).then_some(rejects::DEFAULT_MAX_REJECT_PCT);
    let (max_reject_pct, pct_from) = pick([
        (pct, "--max-reject-pct".to_string()),
        (p.max_reject_pct, config::key("ingest", "max-reject-pct")),
        (default_pct, "default".to_string()),
    ]);
    shown.add("ingest.max-rejects", max_rejects, &rows_from);
    shown.add("ingest.max-reject-pct", max_reject_pct, &pct_from);
    Ok(RejectLimits {
        max_rejects,
        max_rejects_from: rows_from,
        max_reject_pct,
        max_reject_pct_from: pct_from,
    })
}

/// `ingest`: the adapter, mapping and zone from the flags, the default zone and the limits
/// from the flags over `[ingest]`.
pub fn ingest(
    p: &Project,
    a: &IngestArgs,
    quiet: bool,
    shown: &mut Shown,
) -> Result<IngestOptions> {
    if let Some(tz) = &a.tz {
        crate::time::parse_tz(tz).map_err(|m| Error::Usage(format!("--tz {m}")))?;
    }
    shown.add("ingest.source", a.source, "--source");
    let flag_or_unset = |set: bool, flag: &str| {
        if set {
            flag.to_string()
        } else {
            "default (not set)".to_string()
        }
    };
    shown.add(
        "ingest.mapping",
        a.mapping.as_ref().map(|m| m.display().to_string()),
        flag_or_unset(a.mapping.is_some(), "--mapping"),
    );
    shown.add("ingest.tz", &a.tz, flag_or_unset(a.tz.is_some(), "--tz"));
    shown.add(
        "ingest.timezone",
        &p.timezone,
        if p.timezone.is_some() {
            config::key("ingest", "timezone")
        } else {
            "default (not set)".into()
        },
    );
    shown.add(
        "ingest.encoding",
        a.encoding.map(|e| format!("{e:?}").to_lowercase()),
        flag_or_unset(a.encoding.is_some(), "--encoding"),
    );
    shown.add(
        "ingest.date-format",
        &a.date_format,
        flag_or_unset(a.date_format.is_some(), "--date-format"),
    );
    shown.add(
        "ingest.resolved-from-closed",
        a.resolved_from_closed,
        if a.resolved_from_closed {
            "--resolved-from-closed"
        } else {
            "default (the mapping's, else off)"
        },
    );
    shown.add(
        "ingest.replace",
        a.replace,
        if a.replace { "--replace" } else { "default" },
    );
    let limits = limits(p, a.max_rejects, a.max_reject_pct, shown)?;
    shown.add(
        "ingest.build",
        !a.no_build,
        if a.no_build {
            "--no-build"
        } else {
            "default (rebuild when the derived tables are stale)"
        },
    );
    shown.add(
        "ingest.files",
        a.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>(),
        "arguments",
    );
    shown.add(
        "ingest.history",
        a.history
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>(),
        flag_or_unset(!a.history.is_empty(), "--history"),
    );
    shown.add(
        "ingest.history-mapping",
        a.history_mapping.as_ref().map(|m| m.display().to_string()),
        flag_or_unset(a.history_mapping.is_some(), "--history-mapping"),
    );
    Ok(IngestOptions {
        source: a.source,
        mapping: a.mapping.clone(),
        tz: a.tz.clone(),
        default_tz: p.timezone.clone(),
        encoding: a.encoding,
        date_format: a.date_format.clone(),
        overrides: Default::default(),
        resolved_from_closed: a.resolved_from_closed.then_some(true),
        replace: a.replace,
        limits,
        progress: !quiet && !a.json,
        history: a.history.clone(),
        history_mapping: a.history_mapping.clone(),
        privacy: p.privacy.clone(),
    })
}

/// `run`'s sources: each `[sources.NAME]` with its zone over `[ingest] timezone` and the
/// `[ingest]` limits.
pub fn sources(p: &Project, progress: bool, shown: &mut Shown) -> Result<Vec<Source>> {
    let limits = limits(p, None, None, shown)?;
    let mut out = Vec::new();
    for (name, src) in &p.sources {
        let table = format!("sources.{name}");
        let at = |k: &str| config::key(&table, k);
        shown.add(&format!("{table}.adapter"), src.adapter, at("adapter"));
        shown.add(&format!("{table}.files"), &src.files, at("files"));
        let (tz, tz_from) = pick([
            (src.timezone.clone(), at("timezone")),
            (p.timezone.clone(), config::key("ingest", "timezone")),
        ]);
        shown.add(&format!("{table}.timezone"), &tz, tz_from);
        if let Some(v) = src.resolved_from_closed {
            shown.add(
                &format!("{table}.resolved-from-closed"),
                v,
                at("resolved-from-closed"),
            );
        }
        if let Some(m) = &src.mapping {
            shown.add(
                &format!("{table}.mapping"),
                m.display().to_string(),
                at("mapping"),
            );
        }
        if let Some(m) = &src.history_mapping {
            shown.add(&format!("{table}.history"), &src.history, at("history"));
            shown.add(
                &format!("{table}.history-mapping"),
                m.display().to_string(),
                at("history-mapping"),
            );
        }
        out.push(Source {
            name: name.clone(),
            files: src.files.clone(),
            history: src.history.clone(),
            options: IngestOptions {
                source: src.adapter,
                mapping: src.mapping.clone(),
                tz: src.timezone.clone(),
                default_tz: p.timezone.clone(),
                encoding: None,
                date_format: src.date_format.clone(),
                overrides: ValueMaps {
                    status: src.statuses.clone(),
                    kind: src.kinds.clone(),
                    priority: src.priorities.clone(),
                    kind_prefix: Default::default(),
                },
                resolved_from_closed: src.resolved_from_closed,
                replace: false,
                limits: limits.clone(),
                progress,
                // The history files are the source's `history` globs, expanded by the job.
                history: Vec::new(),
                history_mapping: src.history_mapping.clone(),
                privacy: p.privacy.clone(),
            },
        });
    }
    Ok(out)
}

/// What `report` and `run` write: the period, the units, and the output root (`--out`, else
/// `[report] out`, else `./reports`).
pub fn report(
    p: &Project,
    period: Option<String>,
    unit: UnitKind,
    only: Option<String>,
    out: Option<PathBuf>,
    shown: &mut Shown,
) -> ReportOptions {
    shown.add(
        "report.period",
        &period,
        if period.is_some() {
            "--period"
        } else {
            "default (the last complete month before the dataset's as-of)"
        },
    );
    shown.add(
        "report.unit",
        unit.dim(),
        "--by-group / --group, else default (service)",
    );
    if only.is_some() {
        shown.add("report.only", &only, "--service / --group");
    }
    let (out, origin) = pick([
        (out, "--out".to_string()),
        (p.report_out.clone(), config::key("report", "out")),
        (Some(PathBuf::from("reports")), "default".to_string()),
    ]);
    let out = out.unwrap_or_default();
    shown.add(
        "report.out",
        crate::dataset::location::redacted(&out.to_string_lossy()),
        origin,
    );
    shown.add(
        "report.top",
        p.report_top,
        config::key("report", "top") + " (default 10)",
    );
    shown.add(
        "report.insights",
        p.report_insights,
        config::key("report", "insights") + " (default 5)",
    );
    shown.add(
        "queries-dir",
        p.queries_dir.as_ref().map(|d| d.display().to_string()),
        "queries-dir (default queries/ next to the config, if present)",
    );
    shown.add(
        "slas",
        p.policies
            .slas
            .iter()
            .map(|s| s.config.name.clone())
            .collect::<Vec<_>>(),
        "[[sla]]",
    );
    ReportOptions {
        period,
        unit,
        only,
        out,
    }
}

/// `check`: the minimum attainment, `--min-attainment` over `[targets] attainment-pct`.
pub fn check(p: &Project, min: Option<f64>, shown: &mut Shown) -> Result<Option<f64>> {
    if let Some(m) = min.filter(|m| !(0.0..=100.0).contains(m)) {
        return Err(Error::Usage(format!(
            "--min-attainment {m}: give a percentage between 0 and 100"
        )));
    }
    let (value, origin) = pick([
        (min, "--min-attainment".to_string()),
        (
            p.targets.default.attainment_pct,
            config::key("targets", "attainment-pct"),
        ),
    ]);
    shown.add("check.min-attainment", value, origin);
    Ok(min)
}
