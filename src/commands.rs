//! Runs a parsed command line against the library and prints its output. `main` only maps
//! the returned result to an exit code.

use std::io::Write;

use polars::prelude::*;

use crate::cli::{Cli, Command, DatasetCommand, OutputFormat};
use crate::config::{self, Settings};
use crate::dataset::{self, manifest};
use crate::error::{Error, Result};
use crate::ingest::{self, IngestOptions};
use crate::output::{csv_safe, print_build, print_ingest};

/// Run the command; returns the exit code for a completed command (0, or 1 for findings).
pub fn run(cli: Cli) -> Result<i32> {
    let settings = config::resolve(cli.config.as_deref(), cli.dataset.as_deref())?;
    match cli.command {
        Command::Init { dir, force } => init(&dir, force, cli.quiet),
        Command::Ingest(a) => {
            let opts = IngestOptions {
                source: a.source,
                mapping: a.mapping,
                tz: a.tz,
                default_tz: settings.timezone.clone(),
                encoding: a.encoding,
                date_format: a.date_format,
                overrides: Default::default(),
                max_rejects: a.max_rejects.or(settings.max_rejects),
                max_reject_pct: a.max_reject_pct.or(settings.max_reject_pct),
                progress: !cli.quiet && !a.json,
            };
            let report = ingest::ingest(&settings.dataset, &a.files, &opts)?;
            let built = if report.committed && !a.no_build {
                rebuild(&settings)?
            } else {
                None
            };
            if a.json {
                let mut v = serde_json::to_value(&report).expect("report serialises");
                v["build"] = serde_json::to_value(&built).expect("build serialises");
                println!("{v}");
            } else if !cli.quiet {
                print_ingest(&settings, &report);
                if let Some(b) = &built {
                    print_build(b);
                }
            }
            Ok(0)
        }
        Command::Dataset(DatasetCommand::Info { json }) => dataset_info(&settings, json),
        Command::Rejects { ingest, format } => rejects(&settings, ingest.as_deref(), format),
        Command::Build { as_of, json } => {
            let as_of = as_of
                .as_deref()
                .map(crate::derive::parse_as_of)
                .transpose()?;
            let b = crate::derive::build(
                &settings.dataset,
                &settings.policies,
                &settings.problems,
                as_of,
            )?;
            if json {
                println!("{}", serde_json::to_string(&b).expect("build serialises"));
            } else if !cli.quiet {
                print_build(&b);
            }
            Ok(0)
        }
        Command::SlaCheck { format } => {
            let c = crate::sla::check::check(&settings.dataset)?;
            match format {
                OutputFormat::Json => {
                    println!("{}", serde_json::to_string(&c).expect("check serialises"))
                }
                OutputFormat::Csv => {
                    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
                    let _ = w.write_record(["source", "ticket_id", "vendor", "ticketlake"]);
                    for d in &c.disagreements {
                        let _ = w.write_record([
                            csv_safe(&d.source),
                            csv_safe(&d.ticket_id),
                            csv_safe(&d.vendor),
                            csv_safe(&d.ticketlake.join("; ")),
                        ]);
                    }
                    let _ = w.flush();
                }
                OutputFormat::Table => {
                    let rate = c
                        .agreement_rate
                        .map(|r| format!("{:.1} %", r * 100.0))
                        .unwrap_or_else(|| "n/a".into());
                    println!(
                        "compared {} tickets with a vendor verdict: {} agree ({rate})",
                        c.compared, c.agreed
                    );
                    for d in c.disagreements.iter().take(50) {
                        println!(
                            "  {}/{}: vendor {} | ticketlake {}",
                            d.source,
                            d.ticket_id,
                            d.vendor,
                            d.ticketlake.join(", ")
                        );
                    }
                }
            }
            Ok(0)
        }
        Command::Sql {
            statement,
            format,
            bounds,
        } => {
            let session = crate::query::session::open(
                &settings.dataset,
                &settings.policies,
                bounds.limits(),
            )?;
            match statement {
                Some(statement) => {
                    let t = crate::query::adhoc::run(&session, &statement, bounds.max_rows)?;
                    crate::output::print_result(&t, format, bounds.max_rows);
                }
                None => crate::query::shell::run(&session, format, bounds.max_rows)?,
            }
            Ok(0)
        }
        Command::Problems { action, options } => {
            crate::problems::command::run(&settings, action, options)
        }
        Command::Query {
            name,
            list,
            period,
            as_of,
            by,
            show_sql,
            format,
            bounds,
        } => {
            let catalog = crate::query::catalog::load(settings.queries_dir.as_deref())?;
            let Some(name) = name.filter(|_| !list) else {
                crate::output::print_catalog(&catalog, format);
                return Ok(0);
            };
            let query = crate::query::catalog::find(&catalog, &name)?;
            if show_sql {
                println!("{}", query.render(by.as_deref())?);
                return Ok(0);
            }
            let session = crate::query::session::open(
                &settings.dataset,
                &settings.policies,
                bounds.limits(),
            )?;
            let params = crate::query::metric::Params::resolve(
                &session,
                period.as_deref(),
                as_of.as_deref(),
            )?;
            let t = crate::query::metric::run(
                &session,
                &query,
                by.as_deref(),
                &params,
                bounds.max_rows,
            )?;
            if !cli.quiet && format == OutputFormat::Table {
                eprintln!(
                    "{}: period {} [{} .. {}), as of {}, dataset version {}",
                    query.name,
                    params.period.label,
                    crate::output::rfc3339(params.period.start),
                    crate::output::rfc3339(params.period.end),
                    crate::output::rfc3339(params.as_of),
                    session.version
                );
            }
            crate::output::print_result(&t, format, bounds.max_rows);
            Ok(0)
        }
        Command::Run { out, period, json } => {
            crate::job::run(&settings, out, period, json, cli.quiet)
        }
        Command::Report {
            period,
            service,
            group,
            all: _,
            by_group,
            out,
            json,
        } => crate::job::report(
            &settings, period, service, group, by_group, out, json, cli.quiet,
        ),
        Command::Check {
            period,
            min_attainment,
            by,
            format,
        } => {
            let c =
                crate::report::check::evaluate(&settings, period.as_deref(), min_attainment, by)?;
            print!("{}", crate::report::check::render(&c, format));
            Ok(i32::from(c.failures > 0))
        }
        Command::Generate(a) => {
            let summary = crate::generate::generate(&a)?;
            if !cli.quiet {
                println!("{summary}");
            }
            Ok(0)
        }
    }
}

/// Rebuild the derived tables after an ingest when the config declares SLAs.
pub(crate) fn rebuild(s: &Settings) -> Result<Option<crate::derive::BuildReport>> {
    if s.policies.slas.is_empty() {
        return Ok(None);
    }
    crate::derive::build(&s.dataset, &s.policies, &s.problems, None).map(Some)
}

fn init(dir: &std::path::Path, force: bool, quiet: bool) -> Result<i32> {
    std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    let path = dir.join("ticketlake.toml");
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(&path, config::TEMPLATE).map_err(Error::io("writing", &path))?;
    if !quiet {
        println!("wrote {}", path.display());
    }
    Ok(0)
}

fn dataset_info(s: &Settings, json: bool) -> Result<i32> {
    let m = manifest::current(&s.dataset)?;
    if json {
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
        let v = serde_json::json!({
            "dataset": s.dataset.display().to_string(),
            "version": m.version,
            "committed_at": m.committed_at,
            "tables": tables,
            "ingests": m.ingests,
            "build": m.build,
        });
        println!("{v}");
        return Ok(0);
    }
    println!(
        "dataset {} version {} (committed {})",
        s.dataset.display(),
        m.version,
        if m.committed_at.is_empty() {
            "never"
        } else {
            &m.committed_at
        }
    );
    for (name, t) in &m.tables {
        println!(
            "  {name:<18} {:>10} rows in {} file(s)",
            t.rows(),
            t.files.len()
        );
    }
    if let Some(b) = &m.build {
        let stale = if b.version < m.version {
            " (ingested since: run `ticketlake build`)"
        } else {
            ""
        };
        println!(
            "  derived tables built at version {} as of {} for SLAs: {}{stale}",
            b.version,
            b.as_of,
            b.slas.join(", ")
        );
    }
    for i in &m.ingests {
        println!(
            "{} (version {}, {}, {})",
            i.ingest_id, i.version, i.source, i.committed_at
        );
        for f in &i.files {
            println!(
                "  {} sha256:{} {}: read {} loaded {} rejected {} superseded {}",
                f.path,
                &f.sha256[..12.min(f.sha256.len())],
                f.outcome,
                f.records_read,
                f.loaded,
                f.rejected,
                f.superseded
            );
        }
    }
    Ok(0)
}

fn rejects(s: &Settings, ingest: Option<&str>, format: OutputFormat) -> Result<i32> {
    let m = manifest::current(&s.dataset)?;
    let Some(df) = dataset::store::read_table(&s.dataset, &m, dataset::REJECTS)? else {
        if format == OutputFormat::Json {
            println!("[]");
        } else if format == OutputFormat::Table {
            println!("no rejects");
        }
        return Ok(0);
    };
    let df = match ingest {
        Some(id) => df
            .lazy()
            .filter(col("ingest_id").eq(lit(id.to_string())))
            .collect()
            .map_err(Error::polars("filtering rejects"))?,
        None => df,
    };
    let names = [
        "ingest_id",
        "source_file",
        "line",
        "record",
        "column",
        "error_type",
        "message",
        "raw",
    ];
    let cols: Vec<Vec<Option<String>>> = names
        .iter()
        .map(|n| dataset::columns::text_vec(&df, n))
        .collect::<Result<_>>()?;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = (0..df.height())
                .map(|i| {
                    let obj = names.iter().zip(&cols).map(|(n, c)| {
                        // Line and record are numbers for machines; everything else is text.
                        let v = match (*n, c[i].as_deref()) {
                            ("line" | "record", Some(s)) => s
                                .parse::<i64>()
                                .map(serde_json::Value::from)
                                .unwrap_or_else(|_| s.into()),
                            (_, v) => serde_json::json!(v),
                        };
                        (n.to_string(), v)
                    });
                    serde_json::Value::Object(obj.collect())
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(rows));
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let _ = w.write_record(names);
            for i in 0..df.height() {
                let _ =
                    w.write_record(cols.iter().map(|c| csv_safe(c[i].as_deref().unwrap_or(""))));
            }
            let _ = w.flush();
        }
        OutputFormat::Table => {
            if df.height() == 0 {
                let _ = writeln!(out, "no rejects");
            }
            #[allow(clippy::needless_range_loop)] // row-major print of column-major data
            for i in 0..df.height() {
                let v = |k: usize| cols[k][i].clone().unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    out,
                    "{} {}:{} (record {}) [{}] {}: {}",
                    v(0),
                    v(1),
                    v(2),
                    v(3),
                    v(4),
                    v(5),
                    v(6)
                );
            }
        }
    }
    Ok(0)
}
