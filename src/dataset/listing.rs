//! A dataset version's files as DataFusion tables: each table of the manifest registered as a
//! listing table over exactly the files the manifest lists (never a directory glob, so a
//! file an unfinished writer left behind is never read). The query session and the insights
//! engine both read the dataset this way.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;

use super::{Location, Manifest};
use crate::error::{Error, Result};

/// A DataFusion error as ticketlake's, saying what was being done (the engine's message cut
/// like every quoted input). The insights engine maps its errors through it too.
pub fn engine_error(context: String) -> impl FnOnce(datafusion::error::DataFusionError) -> Error {
    move |e| Error::Query {
        context,
        message: crate::error::quote(&e.to_string()).into_owned(),
    }
}

/// How the dataset's files are read: Parquet, by the manifest's names.
fn options() -> ListingOptions {
    ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet")
}

/// A folder no writer ever puts a file in: an empty table lists it and finds nothing.
const NO_FILES: &str = "no-files";

/// A table with `schema` and no files (a table the version does not hold yet). It is a
/// listing table like the others, not an in-memory one, because Ballista can send only
/// listing tables to its nodes; its one path is a folder that never holds files (and
/// need not exist), since a listing table must have a path.
pub fn empty(root: &Location, name: &str, schema: SchemaRef) -> Result<Arc<dyn TableProvider>> {
    let context = || format!("registering table {name}");
    let url = ListingTableUrl::parse(root.table_url(&format!("{NO_FILES}/{name}/"))?)
        .map_err(engine_error(context()))?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(options())
        .with_schema(schema);
    let table = ListingTable::try_new(config).map_err(engine_error(context()))?;
    Ok(Arc::new(table))
}

/// Register the tables of `m` (those named in `only`, or all) that have files.
pub async fn register(
    ctx: &SessionContext,
    root: &Location,
    m: &Manifest,
    only: Option<&[&str]>,
) -> Result<()> {
    root.register(ctx.runtime_env().as_ref());
    for (name, files) in &m.tables {
        if files.files.is_empty() || only.is_some_and(|o| !o.contains(&name.as_str())) {
            continue;
        }
        let mut urls = Vec::with_capacity(files.files.len());
        for f in &files.files {
            urls.push(
                ListingTableUrl::parse(root.table_url(&f.path)?)
                    .map_err(engine_error(format!("registering table {name}")))?,
            );
        }
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options())
            .infer_schema(&ctx.state())
            .await
            .map_err(engine_error(format!("registering table {name}")))?;
        let table = ListingTable::try_new(config)
            .map_err(engine_error(format!("registering table {name}")))?;
        ctx.register_table(name.as_str(), Arc::new(table))
            .map_err(engine_error(format!("registering table {name}")))?;
    }
    Ok(())
}
