//! Deciding the timestamp format of an export from its date cells, never by guessing: a
//! format is taken only when it reads the cells, and when two formats read the same cells
//! differently (`03/04/2026`: 3 April or 4 March) the decision is refused, so the caller
//! asks for the format (`--date-format`). The Jira CSV reader decides one format for the
//! whole export; `mapping suggest` decides the formats that cover every cell.

use chrono::NaiveDateTime;

/// `cell` read with the chrono format `format`. chrono's `%Y` also reads `26` as the year 26:
/// only years 1970 to 2200 count as a reading.
pub fn read(format: &str, cell: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(cell, format)
        .ok()
        .filter(|d| (1970..=2200).contains(&chrono::Datelike::year(d)))
}

/// Why no format could be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecided {
    /// The cells need more than one format (for [`decide_one`], which wants a single one).
    Mixed,
    /// `cell` reads as both `first` and `other`, and nothing in the other cells decides
    /// between them.
    Ambiguous {
        /// A cell the two formats read differently.
        cell: String,
        /// The format that would have been taken.
        first: String,
        /// A format that reads the same cells differently.
        other: String,
    },
}

impl Undecided {
    /// What happened and what to do: `how` names the way to declare the format
    /// (`--date-format (or ...)`).
    pub fn message(&self, how: &str) -> String {
        match self {
            Undecided::Mixed => format!(
                "the dates are in more than one format, so no single reading is safe; declare \
                 the export's format with {how}"
            ),
            Undecided::Ambiguous { cell, first, other } => format!(
                "dates such as `{cell}` read as both `{first}` and `{other}`; declare the \
                 export's format with {how}"
            ),
        }
    }
}

/// The one format of `candidates` (tried in order) that reads every readable cell, `None`
/// when no candidate reads any cell. Cells no candidate reads are left to the caller (the
/// normaliser rejects them with their line).
pub fn decide_one<'f>(
    cells: &[&str],
    candidates: &[&'f str],
) -> Result<Option<&'f str>, Undecided> {
    let readable: Vec<&str> = cells
        .iter()
        .copied()
        .filter(|s| candidates.iter().any(|f| read(f, s).is_some()))
        .collect();
    if readable.is_empty() {
        return Ok(None);
    }
    let Some(first) = candidates
        .iter()
        .copied()
        .find(|f| readable.iter().all(|s| read(f, s).is_some()))
    else {
        return Err(Undecided::Mixed);
    };
    unambiguous(first, &readable, candidates)?;
    Ok(Some(first))
}

/// Formats of `candidates` that together read every readable cell, in the order to try them:
/// the declared format first (when given), then repeatedly the candidate that reads most of
/// the cells still unread. Each choice must be forced by the cells it covers: a candidate that
/// reads all of them too, differently, makes the cells [`Undecided::Ambiguous`]. Only the
/// first 64 candidates are tried (each cell is parsed once per candidate, into a bit set).
pub fn decide_cover<'f>(
    cells: &[&str],
    candidates: &[&'f str],
    declared: Option<&'f str>,
) -> Result<Vec<&'f str>, Undecided> {
    let candidates = &candidates[..candidates.len().min(64)];
    let mut chosen: Vec<&'f str> = declared.into_iter().collect();
    // Each cell not read by the declared format, with the set of candidates that read it.
    let mut left: Vec<(&str, u64)> = cells
        .iter()
        .filter(|s| declared.is_none_or(|d| read(d, s).is_none()))
        .map(|s| {
            let mask = candidates
                .iter()
                .enumerate()
                .filter(|(_, f)| read(f, s).is_some())
                .fold(0u64, |m, (i, _)| m | (1 << i));
            (*s, mask)
        })
        .filter(|(_, mask)| *mask != 0)
        .collect();
    while !left.is_empty() {
        let reads: Vec<usize> = (0..candidates.len())
            .map(|i| left.iter().filter(|(_, m)| m & (1 << i) != 0).count())
            .collect();
        // The first candidate with the most cells (max_by_key would keep the last).
        let mut best = 0;
        for (i, n) in reads.iter().enumerate() {
            if *n > reads[best] {
                best = i;
            }
        }
        let bit = 1u64 << best;
        let covered: Vec<&str> = left
            .iter()
            .filter(|(_, m)| m & bit != 0)
            .map(|(s, _)| *s)
            .collect();
        // Only a candidate that reads every covered cell can compete with the best one.
        let all = left
            .iter()
            .filter(|(_, m)| m & bit != 0)
            .fold(u64::MAX, |acc, (_, m)| acc & m);
        let rivals: Vec<&str> = (0..candidates.len())
            .filter(|i| all & (1 << i) != 0)
            .map(|i| candidates[i])
            .collect();
        unambiguous(candidates[best], &covered, &rivals)?;
        chosen.push(candidates[best]);
        left.retain(|(_, m)| m & bit == 0);
    }
    Ok(chosen)
}

/// An error when another candidate reads every cell of `cells` too, but some cell differently
/// from `first`.
fn unambiguous(first: &str, cells: &[&str], candidates: &[&str]) -> Result<(), Undecided> {
    for other in candidates.iter().filter(|f| **f != first) {
        if !cells.iter().all(|s| read(other, s).is_some()) {
            continue;
        }
        if let Some(s) = cells.iter().find(|s| read(first, s) != read(other, s)) {
            return Err(Undecided::Ambiguous {
                cell: s.to_string(),
                first: first.to_string(),
                other: other.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &[&str] = &["%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"];

    #[test]
    fn one_format_when_the_cells_decide() {
        let cells = ["03/04/2026 10:00", "25/04/2026 10:00"];
        assert_eq!(decide_one(&cells, F), Ok(Some("%d/%m/%Y %H:%M")));
        assert!(matches!(
            decide_one(&["03/04/2026 10:00"], F),
            Err(Undecided::Ambiguous { .. })
        ));
        assert_eq!(
            decide_one(&["2026-04-03 10:00", "25/04/2026 10:00"], F),
            Err(Undecided::Mixed)
        );
        assert_eq!(decide_one(&["soon"], F), Ok(None));
    }

    #[test]
    fn a_cover_of_several_formats() {
        let cells = [
            "2026-04-03 10:00",
            "2026-04-04 10:00",
            "25/04/2026 10:00",
            "x",
        ];
        assert_eq!(
            decide_cover(&cells, F, None),
            Ok(vec!["%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"])
        );
        // One slash date alone cannot say which order it is in, unless declared.
        let cells = ["2026-04-03 10:00", "02/03/2026 10:30"];
        assert!(matches!(
            decide_cover(&cells, F, None),
            Err(Undecided::Ambiguous { .. })
        ));
        assert_eq!(
            decide_cover(&cells, F, Some("%d/%m/%Y %H:%M")),
            Ok(vec!["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"])
        );
    }
}
