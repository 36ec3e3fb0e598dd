//! Incidents whose text carries no signal ("Issue reported, please help"): counted while the
//! incidents are read, and said in words for the build's output and the data-quality report,
//! quoting an example from the data.

use std::collections::HashMap;

/// The finding about incidents whose text carries no signal, in words, for the build's output
/// and the data-quality report: it quotes an example from the data, says so when the export
/// has no text at all, and is `None` when every incident has a signal.
pub fn uninformative_finding(
    incidents: u64,
    uninformative: u64,
    without_text: u64,
    example: Option<&str>,
) -> Option<String> {
    if incidents == 0 || uninformative == 0 {
        return None;
    }
    if without_text == incidents {
        return Some(format!(
            "None of the {incidents} incidents has a title or a description: the export has no \
             text column (or the mapping does not name one), so recurring problems cannot be \
             found from text. Map `title` to the export's subject column."
        ));
    }
    let example = example
        .map(|e| format!(" (the commonest: \"{e}\")"))
        .unwrap_or_default();
    let mut s = format!(
        "{uninformative} of {incidents} incidents ({:.1} %) have a title and description with \
         no signal after normalisation{example}: they cannot be matched to a recurring problem.",
        100.0 * uninformative as f64 / incidents as f64
    );
    if without_text > 0 {
        s.push_str(&format!(
            " {without_text} of them have no title or description at all."
        ));
    }
    Some(s)
}

/// What the incidents read for detection held without a signal.
#[derive(Default)]
pub(super) struct Uninformative {
    /// Incidents whose text normalises to nothing.
    pub(super) count: u64,
    /// Of those, incidents with no title and no description.
    pub(super) without_text: u64,
    /// Each uninformative text and how often it occurs.
    pub(super) texts: HashMap<String, u64>,
}

impl Uninformative {
    /// The commonest text (ties broken by the text, so builds are reproducible).
    pub(super) fn example(&self) -> Option<String> {
        self.texts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(t, _)| t.chars().take(80).collect())
    }
}
