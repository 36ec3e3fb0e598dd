//! Masking at report time (`[privacy] at = "report"`): the dataset keeps the clear text, and
//! every text a report emits is masked where the report reads it: each text cell and key of
//! a query result ([`super::data::Grid`]), and the rejects and quoted text of the
//! data-quality summary. Charts, tables, pages and JSON are all made from those, so none
//! of them sees a clear value. Names are scrubbed wherever any ticket of the dataset has
//! them in a masked person column.

use polars::prelude::*;

use crate::config::Project;
use crate::dataset::{self, Manifest};
use crate::error::{Error, Result};
use crate::privacy::{At, Masker, PERSON_COLUMNS};

/// The report's masker, with every person of the dataset learnt; `None` unless masking
/// applies at report time.
pub fn masker(s: &Project, m: &Manifest) -> Result<Option<Masker>> {
    let Some(p) = &s.privacy else {
        return Ok(None);
    };
    let Some(masker) = p.masker(At::Report)? else {
        return Ok(None);
    };
    let people: Vec<&str> = PERSON_COLUMNS
        .iter()
        .copied()
        .filter(|c| p.mask.iter().any(|m| m == c))
        .collect();
    if people.is_empty() {
        return Ok(Some(masker));
    }
    let Some(df) = dataset::store::read_columns(&s.dataset, m, dataset::TICKETS, Some(&people))?
    else {
        return Ok(Some(masker));
    };
    for c in &people {
        let Ok(col) = df.column(c) else { continue };
        let values = col.str().map_err(Error::polars(format!("reading {c}")))?;
        let mut distinct: Vec<&str> = values.iter().flatten().collect();
        distinct.sort_unstable();
        distinct.dedup();
        masker.learn(&masker.names(distinct));
    }
    Ok(Some(masker))
}

/// `df` with its text columns `cols` masked (the rejects' `message` and `raw`).
pub fn columns(df: &mut DataFrame, cols: &[&str], masker: &Masker) -> Result<()> {
    for c in cols {
        crate::privacy::map_str(df, c, |v| v.map(|t| masker.text_seen(t)))?;
    }
    Ok(())
}
