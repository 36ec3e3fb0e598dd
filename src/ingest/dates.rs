//! Deciding an export's date format from its date cells, never by guessing: a format is
//! taken only when it reads the cells, and when two read the same cells differently
//! (`03/04/2026`: 3 April or 4 March) the decision is refused and the format must be declared
//! (`--date-format`). A *reading* is one way to read the dates (`dd-MM-yyyy`), given as the
//! strftime formats that make it up (with and without seconds): Jira CSV and ServiceNow
//! exports saved with display values decide one reading for the whole export ([`decide`]);
//! `mapping suggest` decides the formats that cover every cell ([`decide_cover`]).

use std::path::Path;

use chrono::NaiveDateTime;

use super::mapping::Mapping;
use super::raw::RawTable;
use crate::dataset::schema::TIMESTAMP_COLUMNS;
use crate::error::{Error, Result, quote};

/// `cell` read with the chrono format `format`. chrono's `%Y` also reads `26` as the year 26:
/// only years 1970 to 2200 count as a reading.
pub fn read(format: &str, cell: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(cell, format)
        .ok()
        .filter(|d| (1970..=2200).contains(&chrono::Datelike::year(d)))
}

/// Why no set of formats could be decided: `cell` reads as both `first` and `other`, and
/// nothing in the other cells decides between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecided {
    /// A cell the two formats read differently.
    pub cell: String,
    /// The format that would have been taken.
    pub first: String,
    /// A format that reads the same cells differently.
    pub other: String,
}

impl Undecided {
    /// What happened and what to do: `how` names the way to declare the format
    /// (`--date-format (or ...)`).
    pub fn message(&self, how: &str) -> String {
        let Undecided { cell, first, other } = self;
        format!(
            "dates such as `{cell}` read as both `{first}` and `{other}`; declare the export's \
             format with {how}"
        )
    }
}

/// Formats of `candidates` that together read every readable cell, in the order to try them:
/// the declared format first (when given), then repeatedly the candidate that reads most of
/// the cells still unread. Each choice must be forced by the cells it covers: a candidate that
/// reads all of them too, differently, makes the cells [`Undecided`]. Only the
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

/// An error when another of `candidates` (each of which reads every cell of `cells`) reads
/// some cell differently from `first`.
fn unambiguous(first: &str, cells: &[&str], candidates: &[&str]) -> Result<(), Undecided> {
    for other in candidates.iter().filter(|f| **f != first) {
        if let Some(s) = cells.iter().find(|s| read(first, s) != read(other, s)) {
            return Err(Undecided {
                cell: s.to_string(),
                first: first.to_string(),
                other: other.to_string(),
            });
        }
    }
    Ok(())
}

/// A date cell of an export, with the physical line it is on (for messages).
pub type Cell<'a> = (Option<u64>, &'a str);

/// The non-empty cells of every timestamp column `m` reads from `t`.
pub fn cells<'a>(t: &'a RawTable, m: &Mapping) -> Vec<Cell<'a>> {
    let columns = TIMESTAMP_COLUMNS
        .iter()
        .filter_map(|c| m.columns.get(*c))
        .filter_map(|src| src.index_in(t));
    cells_of(t, columns)
}

/// The non-empty cells of the columns at `columns` of `t` (each column once).
pub fn cells_of(t: &RawTable, columns: impl IntoIterator<Item = usize>) -> Vec<Cell<'_>> {
    let mut columns: Vec<usize> = columns.into_iter().collect();
    columns.sort_unstable();
    columns.dedup();
    columns
        .into_iter()
        .flat_map(|i| {
            t.columns[i]
                .iter()
                .enumerate()
                .filter_map(|(row, v)| Some((t.lines[row], v?.trim())))
                .filter(|(_, s)| !s.is_empty())
        })
        .collect()
}

/// `s` read with `reading`: the first of its formats that reads it, and the instant.
fn read_with<'f>(reading: &[&'f str], s: &str) -> Option<(&'f str, NaiveDateTime)> {
    reading.iter().find_map(|f| read(f, s).map(|d| (*f, d)))
}

/// What to tell a user whose export's dates cannot be read safely.
const DECLARE: &str = "declare the export's format with --date-format (or `date-format` on the \
                       source in ticketlake.toml)";

/// The timestamp formats to normalise the export with: `declared` when given, else the
/// formats of one reading of `readings`, decided from every cell (cells the reading does not
/// read are rejected with their line by normalisation):
/// - the first reading that reads every cell some reading reads, unless another one does too
///   and reads a cell differently (`03-04-2025`): ambiguous, an error;
/// - when none reads them all (a file mostly ISO with a stray `05/01/2026`), the one that
///   reads the most, unless two read equally many, or another reading reads one of its cells
///   differently: then the file does not say which is meant, an error.
///
/// When no cell is readable at all, every format, so that each reject names what was tried.
/// Errors name the file, an example cell and its line, and the readings.
pub fn decide(
    cells: &[Cell],
    readings: &[&[&str]],
    path: &Path,
    declared: Option<&str>,
) -> Result<Vec<String>> {
    if let Some(d) = declared {
        return Ok(vec![d.to_string()]);
    }
    let mut counts = vec![0usize; readings.len()];
    let mut readable = 0usize;
    for (_, s) in cells {
        let mut any = false;
        for (n, r) in counts.iter_mut().zip(readings) {
            if read_with(r, s).is_some() {
                *n += 1;
                any = true;
            }
        }
        readable += usize::from(any);
    }
    if readable == 0 {
        return Ok(readings
            .iter()
            .flat_map(|r| r.iter().map(|f| f.to_string()))
            .collect());
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let tops: Vec<usize> = (0..readings.len()).filter(|&i| counts[i] == max).collect();
    let chosen = tops[0];
    let rivals: Vec<usize> = if max == readable {
        tops[1..].to_vec()
    } else if let [a, b, ..] = tops[..] {
        return Err(Error::Input {
            path: path.into(),
            line: None,
            message: format!(
                "the dates are in more than one format (`{}` and `{}` read {max} of {readable} \
                 each), so no single reading is safe; {DECLARE}",
                readings[a][0], readings[b][0]
            ),
        });
    } else {
        (0..readings.len())
            .filter(|&i| i != chosen && counts[i] > 0)
            .collect()
    };
    for other in rivals {
        if let Some((line, s, (fa, a), (fb, b))) = cells.iter().find_map(|(line, s)| {
            let (x, y) = (
                read_with(readings[chosen], s)?,
                read_with(readings[other], s)?,
            );
            (x.1 != y.1).then_some((line, s, x, y))
        }) {
            let why = if max == readable {
                "every date in the file fits either"
            } else {
                "the file's dates are in more than one format, so they do not tell which is meant"
            };
            return Err(Error::Input {
                path: path.into(),
                line: *line,
                message: format!(
                    "dates such as `{}` read as both `{fa}` ({}) and `{fb}` ({}), and {why}; \
                     {DECLARE}: --date-format \"{fa}\" or \"{fb}\"",
                    quote(s),
                    a.format("%Y-%m-%d %H:%M"),
                    b.format("%Y-%m-%d %H:%M"),
                ),
            });
        }
    }
    Ok(readings[chosen].iter().map(|f| f.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &[&str] = &["%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"];

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
            Err(Undecided { .. })
        ));
        assert_eq!(
            decide_cover(&cells, F, Some("%d/%m/%Y %H:%M")),
            Ok(vec!["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"])
        );
    }

    const READINGS: &[&[&str]] = &[
        &["%Y-%m-%d %H:%M:%S"],
        &["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"],
        &["%m-%d-%Y %H:%M:%S", "%m-%d-%Y %H:%M"],
    ];

    fn decide_on(cells: &[&str]) -> Result<Vec<String>> {
        let cells: Vec<Cell> = cells.iter().map(|s| (Some(2), *s)).collect();
        decide(&cells, READINGS, Path::new("x.csv"), None)
    }

    #[test]
    fn one_day_over_twelve_decides() {
        let f = decide_on(&["03-12-2025 15:21:08", "03-25-2025 09:00"]).unwrap();
        assert_eq!(f, vec!["%m-%d-%Y %H:%M:%S", "%m-%d-%Y %H:%M"]);
        let f = decide_on(&["25-03-2025 09:00", "03-12-2025 15:21:08"]).unwrap();
        assert_eq!(f[0], "%d-%m-%Y %H:%M:%S");
    }

    #[test]
    fn all_days_up_to_twelve_is_ambiguous_and_a_declared_format_wins() {
        let e = decide_on(&["03-12-2025 15:21:08", "04-11-2025 10:00:00"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.csv:2")
                && e.contains("03-12-2025 15:21:08")
                && e.contains("%d-%m-%Y %H:%M:%S")
                && e.contains("%m-%d-%Y %H:%M:%S")
                && e.contains("--date-format"),
            "{e}"
        );
        let cells = [(Some(2), "03-12-2025 15:21:08")];
        let f = decide(
            &cells,
            READINGS,
            Path::new("x.csv"),
            Some("%m-%d-%Y %H:%M:%S"),
        );
        assert_eq!(f.unwrap(), vec!["%m-%d-%Y %H:%M:%S"]);
    }

    #[test]
    fn mixed_readings_and_unreadable_cells() {
        // A day over 12 in each order: two readings read one cell each.
        let e = decide_on(&["25-03-2025 09:00", "03-25-2025 09:00"]).unwrap_err();
        assert!(e.to_string().contains("more than one format"), "{e}");
        // Mostly ISO with a stray day-first cell: ISO, and the stray one is a reject later.
        let f = decide_on(&[
            "2025-03-25 09:00:00",
            "2025-03-26 09:00:00",
            "25-03-2025 09:00",
        ]);
        assert_eq!(f.unwrap(), vec!["%Y-%m-%d %H:%M:%S"]);
        // Day-first wins on count, but the file also has a month-first date, so its cells
        // that read both ways are not decided.
        let e = decide_on(&[
            "25-03-2025 09:00",
            "26-03-2025 09:00",
            "03-25-2025 09:00",
            "03-04-2025 09:00",
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("03-04-2025 09:00") && e.contains("more than one format"),
            "{e}"
        );
        // Cells no reading reads are left to normalisation; nothing readable: every format.
        assert_eq!(
            decide_on(&["2025-03-25 09:00:00", "yesterday"]).unwrap(),
            vec!["%Y-%m-%d %H:%M:%S"]
        );
        assert_eq!(decide_on(&["yesterday"]).unwrap().len(), 5);
    }
}
