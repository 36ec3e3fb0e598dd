//! Privacy: masking and pseudonymisation of personal data (promise 8). `[privacy]` names the
//! `tickets` text columns to mask, how (`pseudonymise`: a person becomes `person-` and 12 hex
//! digits of an HMAC-SHA-256 under `TICKETLAKE_PRIVACY_KEY`, the same in every run with the
//! same key; `redact`: `[redacted]`) and where (`ingest`: the dataset never holds the clear
//! text; `report`: the dataset keeps it and every report text is masked).
//!
//! Person columns (`requester`, `assignee`) are replaced whole. Other masked columns are
//! free text: scrubbed of e-mail addresses, phone numbers ([`scrub`]) and the words of the
//! ticket's own person values. The limits of pattern scrubbing are in README.md, "Privacy".

pub mod hmac;
pub mod scrub;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::schema::TEXT_COLUMNS;
use crate::error::{Error, Result};
pub use scrub::Names;

/// The environment variable that holds the pseudonymisation key.
pub const KEY_ENV: &str = "TICKETLAKE_PRIVACY_KEY";

/// Columns masked when `[privacy]` gives no `mask`.
pub const DEFAULT_MASK: &[&str] = &["requester", "assignee", "title", "description"];

/// Columns that hold a person: replaced whole, and their words scrubbed from the ticket's text.
pub const PERSON_COLUMNS: &[&str] = &["requester", "assignee"];

/// What replaces a value in redact mode.
pub const REDACTED: &str = "[redacted]";

/// Hex digits of the keyed hash shown in a pseudonym.
const PSEUDONYM_HEX: usize = 12;

/// How masked values are replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A keyed hash: `person-3f9a0c12ab47`, stable across runs with the same key.
    #[default]
    Pseudonymise,
    /// `[redacted]`.
    Redact,
}

/// Where masking applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum At {
    /// Before anything is written to the dataset (tickets and rejects).
    #[default]
    Ingest,
    /// In every text a report emits; the dataset keeps the clear text.
    Report,
}

/// `[privacy]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrivacyConfig {
    /// Canonical `tickets` text columns to mask (default [`DEFAULT_MASK`]).
    pub mask: Option<Vec<String>>,
    /// `pseudonymise` (default) or `redact`.
    pub mode: Option<Mode>,
    /// `ingest` (default) or `report`.
    pub at: Option<At>,
}

impl PrivacyConfig {
    /// The masked columns, checked against the `tickets` text columns: the bad name and
    /// what to write instead.
    pub fn columns(&self) -> std::result::Result<Vec<String>, String> {
        let cols = match &self.mask {
            Some(m) => m.clone(),
            None => DEFAULT_MASK.iter().map(|c| c.to_string()).collect(),
        };
        if let Some(bad) = cols.iter().find(|c| !TEXT_COLUMNS.contains(&c.as_str())) {
            return Err(format!(
                "`{bad}` is not a text column of tickets; mask any of: {}",
                TEXT_COLUMNS.join(", ")
            ));
        }
        Ok(cols)
    }

    /// The resolved settings of the config at `path`: the masked columns checked, the
    /// defaults filled in; the key stays unset (the settings read it).
    pub fn resolve(&self, path: &std::path::Path) -> Result<Privacy> {
        let mask = self.columns().map_err(|message| Error::Config {
            path: path.into(),
            key: "[privacy] mask".into(),
            message,
        })?;
        Ok(Privacy {
            config: path.into(),
            mask,
            mode: self.mode.unwrap_or_default(),
            at: self.at.unwrap_or_default(),
            key: None,
        })
    }
}

/// The resolved `[privacy]` of a project. The key is read by the settings (from
/// [`KEY_ENV`]) and never printed.
#[derive(Clone)]
pub struct Privacy {
    /// The config file, for messages.
    pub config: PathBuf,
    /// The masked columns.
    pub mask: Vec<String>,
    /// How.
    pub mode: Mode,
    /// Where.
    pub at: At,
    /// The pseudonymisation key, when set.
    pub key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("mask", &self.mask)
            .field("mode", &self.mode)
            .field("at", &self.at)
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl Privacy {
    /// The masker, when masking applies `at` this stage; pseudonymise without a key is an
    /// error that names the variable.
    pub fn masker(&self, at: At) -> Result<Option<Masker>> {
        if self.at != at {
            return Ok(None);
        }
        let key = match (self.mode, &self.key) {
            (Mode::Pseudonymise, None) => {
                return Err(Error::Config {
                    path: self.config.clone(),
                    key: "[privacy] mode".into(),
                    message: format!(
                        "mode = \"pseudonymise\" needs a secret key: set the environment \
                         variable {KEY_ENV} (the same key gives the same pseudonyms in every \
                         run), or use mode = \"redact\""
                    ),
                });
            }
            (_, key) => key.clone().unwrap_or_default(),
        };
        let person = self
            .mask
            .iter()
            .filter(|c| PERSON_COLUMNS.contains(&c.as_str()))
            .cloned()
            .collect();
        let text = self
            .mask
            .iter()
            .filter(|c| !PERSON_COLUMNS.contains(&c.as_str()))
            .cloned()
            .collect();
        Ok(Some(Masker {
            inner: Arc::new(Inner {
                mode: self.mode,
                key,
                person,
                text,
                seen: Mutex::new(Names::default()),
            }),
        }))
    }
}

/// Masks frames and texts; cheap to clone and shared by the threads of an ingest. It
/// remembers the person values it has masked, to scrub texts that belong to no ticket
/// (rejected records).
#[derive(Clone)]
pub struct Masker {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    key: Vec<u8>,
    person: Vec<String>,
    text: Vec<String>,
    seen: Mutex<Names>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("mode", &self.inner.mode)
            .field("person", &self.inner.person)
            .field("text", &self.inner.text)
            .finish_non_exhaustive()
    }
}

impl Masker {
    /// What replaces a person (or an e-mail address): its pseudonym, or `[redacted]`. The
    /// value is compared without case and with its spaces collapsed.
    pub fn person(&self, value: &str) -> String {
        match self.inner.mode {
            Mode::Redact => REDACTED.to_string(),
            Mode::Pseudonymise => {
                let norm = value
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                let mac = hmac::hmac_sha256(&self.inner.key, norm.as_bytes());
                format!("person-{}", &crate::hex(&mac)[..PSEUDONYM_HEX])
            }
        }
    }

    /// The words of `values` (people), each to be replaced by its person's replacement.
    pub fn names<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Names {
        let mut n = Names::default();
        for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
            n.add(v, &self.person(v));
        }
        n
    }

    /// Free text without e-mail addresses, phone numbers and the words of `names`.
    pub fn text(&self, text: &str, names: &Names) -> String {
        let phone = match self.inner.mode {
            Mode::Redact => REDACTED,
            Mode::Pseudonymise => "[phone]",
        };
        // `person` lower-cases what it hashes.
        let t = scrub::patterns(text, &|e| self.person(e), phone);
        names.replace(&t)
    }

    /// Learn people to scrub from [`Masker::text_seen`] texts (the report's, at report
    /// time).
    pub fn learn(&self, names: &Names) {
        self.seen().extend(names);
    }

    /// [`Masker::text`] with every person masked so far or [learnt](Masker::learn).
    pub fn text_seen(&self, text: &str) -> String {
        let names = self.seen();
        self.text(text, &names)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Names> {
        self.inner.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `df` with its masked columns masked row by row: person columns replaced, text
    /// columns scrubbed of the row's people. Columns the frame lacks are skipped. Each
    /// person value is masked once; the rows' people are learnt in one step.
    pub fn frame(&self, mut df: DataFrame) -> Result<DataFrame> {
        let mut people: Vec<(String, Vec<Option<String>>)> = Vec::new();
        let mut rows: Vec<Names> = vec![Names::default(); df.height()];
        for c in &self.inner.person {
            let Ok(col) = df.column(c) else { continue };
            let values = col.str().map_err(Error::polars(format!("masking {c}")))?;
            let masked: Vec<Option<String>> = values
                .iter()
                .zip(rows.iter_mut())
                .map(|(v, names)| {
                    let v = v?;
                    let p = self.person(v);
                    if !v.trim().is_empty() {
                        names.add(v, &p);
                    }
                    Some(p)
                })
                .collect();
            people.push((c.clone(), masked));
        }
        let mut all = Names::default();
        for r in &rows {
            all.extend(r);
        }
        self.learn(&all);
        for c in &self.inner.text {
            let mut rows = rows.iter();
            map_str(&mut df, c, |v| {
                let names = rows.next().expect("one row's names per row");
                v.map(|t| self.text(t, names))
            })?;
        }
        for (c, masked) in people {
            let mut masked = masked.into_iter();
            map_str(&mut df, &c, |_| masked.next().flatten())?;
        }
        Ok(df)
    }
}

/// Replace the text column `c` of `df` (when it has one) by `f` of each value, in order.
pub fn map_str(
    df: &mut DataFrame,
    c: &str,
    mut f: impl FnMut(Option<&str>) -> Option<String>,
) -> Result<()> {
    let Ok(col) = df.column(c) else {
        return Ok(());
    };
    let masked: StringChunked = col
        .str()
        .map_err(Error::polars(format!("masking {c}")))?
        .iter()
        .map(&mut f)
        .collect::<StringChunked>()
        .with_name(c.into());
    df.with_column(masked.into_column())
        .map_err(Error::polars(format!("masking {c}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker(mode: Mode, key: &[u8]) -> Masker {
        Privacy {
            config: "ticketlake.toml".into(),
            mask: DEFAULT_MASK.iter().map(|c| c.to_string()).collect(),
            mode,
            at: At::Ingest,
            key: Some(key.to_vec()),
        }
        .masker(At::Ingest)
        .unwrap()
        .unwrap()
    }

    #[test]
    fn pseudonyms_are_keyed_stable_and_ignore_case_and_spacing() {
        let a = masker(Mode::Pseudonymise, b"k1");
        let b = masker(Mode::Pseudonymise, b"k2");
        let p = a.person("Alice Martin");
        assert!(
            p.starts_with("person-") && p.len() == 7 + PSEUDONYM_HEX,
            "{p}"
        );
        assert_eq!(p, a.person("  alice   MARTIN "));
        assert_ne!(p, b.person("Alice Martin"));
        assert_ne!(p, a.person("Bob Stone"));
    }

    #[test]
    fn a_frame_is_masked_row_by_row() {
        let m = masker(Mode::Redact, b"");
        let df = df!(
            "ticket_id" => ["INC1", "INC2"],
            "requester" => [Some("Alice Martin"), None],
            "title" => [Some("Alice cannot print"), Some("Alice again, mail a@b.org")],
        )
        .unwrap();
        let out = m.frame(df).unwrap();
        let col = |c: &str| -> Vec<Option<String>> {
            out.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(String::from))
                .collect()
        };
        assert_eq!(col("requester"), [Some(REDACTED.into()), None]);
        // The second ticket's requester is not Alice: only its e-mail goes at ingest.
        assert_eq!(
            col("title"),
            [
                Some("[redacted] cannot print".into()),
                Some("Alice again, mail [redacted]".into())
            ]
        );
        // Texts of no ticket (rejects) are scrubbed of everyone masked so far.
        assert_eq!(m.text_seen("from Alice"), "from [redacted]");
    }

    #[test]
    fn pseudonymise_without_a_key_names_the_variable() {
        let p = Privacy {
            config: "ticketlake.toml".into(),
            mask: vec!["requester".into()],
            mode: Mode::Pseudonymise,
            at: At::Report,
            key: None,
        };
        assert!(p.masker(At::Ingest).unwrap().is_none());
        let e = p.masker(At::Report).unwrap_err().to_string();
        assert!(e.contains(KEY_ENV) && e.contains("[privacy] mode"), "{e}");
    }
}
