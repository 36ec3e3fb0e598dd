//! Timestamp columns read with a mapping's chrono formats: one implementation for ticket
//! exports and flat history files. A format with a UTC offset (`%z`, `%:z`, `%::z`, `%#z`, or
//! `%+` alone) or a trailing literal `Z` reads *instants*: the value says when it happened,
//! and no zone applies to it. Any other format reads *naive* local times, which
//! [`localize`](super::localtime::localize) turns into instants in the declared source zone.
//! Both kinds may be listed in one mapping: each cell is read by the first format of its kind
//! that reads it, and the two kinds read disjoint texts (one ends in an offset or `Z`, the
//! other does not), so per cell the format that parses decides.

use std::fmt::Write as _;

use polars::prelude::*;

use crate::dataset::columns::micros;
use crate::error::{Error, Result};

/// Whether values read with chrono format `f` carry their own offset, so they are instants:
/// the specifiers for which polars parses an offset (the same set it tests), or a literal `Z`
/// at the end (`%Y-%m-%dT%H:%M:%SZ`, ISO 8601's UTC designator).
pub fn reads_instants(f: &str) -> bool {
    let offset = ["%z", "%:z", "%::z", "%:::z", "%#z"]
        .iter()
        .any(|z| f.contains(z))
        || f == "%+";
    // `Z` is a literal unless it ends a `%Z` (an odd run of `%` before it; `%%` is a literal %).
    let zulu = f.strip_suffix('Z').is_some_and(|head| {
        let percents = head.len() - head.trim_end_matches('%').len();
        percents % 2 == 0
    });
    offset || zulu
}

/// Whether some format of `formats` reads naive local times, which need a source zone.
pub fn reads_naive(formats: &[String]) -> bool {
    formats.iter().any(|f| !reads_instants(f))
}

/// Raw column `c` parsed with strptime format `f`; a cell that does not match becomes NULL.
/// An offset format gives a UTC datetime, any other a naive one.
pub fn parse_with(c: &str, f: &str) -> Expr {
    col(c).str().strip_chars(lit(NULL)).str().to_datetime(
        Some(TimeUnit::Microseconds),
        None,
        StrptimeOptions {
            format: Some(f.into()),
            strict: false,
            exact: true,
            // Timestamps rarely repeat: a cache of parsed strings only adds a hash
            // and an insert per cell.
            cache: false,
        },
        lit("raise"),
    )
}

/// `__n_{c}` (the naive local time, a naive datetime) and `__o_{c}` (the instant, in UTC
/// microseconds) of column `c` from `parsed`: the parses of its formats, in order, each with
/// whether it reads instants. A kind with no parse is NULL.
fn split(c: &str, parsed: Vec<(Expr, bool)>) -> [Expr; 2] {
    let (instants, naive): (Vec<_>, Vec<_>) = parsed.into_iter().partition(|(_, i)| *i);
    let first = |es: Vec<Expr>, dtype: DataType| match es.len() {
        0 => lit(NULL).cast(dtype),
        1 => es.into_iter().next().unwrap_or(lit(NULL)),
        _ => coalesce(&es),
    };
    let naive = naive.into_iter().map(|(e, _)| e).collect();
    // An offset format parses to UTC, a `…Z` one to a naive datetime that is UTC: as
    // integers both are UTC microseconds.
    let instants = instants
        .into_iter()
        .map(|(e, _)| e.cast(DataType::Int64))
        .collect();
    [
        first(naive, DataType::Datetime(TimeUnit::Microseconds, None)).alias(format!("__n_{c}")),
        first(instants, DataType::Int64).alias(format!("__o_{c}")),
    ]
}

/// The `__n_{c}` and `__o_{c}` expressions of raw column `c` read with `formats`.
pub fn exprs(c: &str, formats: &[String]) -> [Expr; 2] {
    split(
        c,
        formats
            .iter()
            .map(|f| (parse_with(c, f), reads_instants(f)))
            .collect(),
    )
}

/// The `__n_{c}` and `__o_{c}` expressions of every column of `cols` in `df`, read with
/// `formats`. A column the first format reads whole is parsed here already (into `df` as
/// `__p_{c}`), and its expressions only rename it.
pub fn parse_columns(df: &mut DataFrame, formats: &[String], cols: &[&str]) -> Result<Vec<Expr>> {
    let mut out = Vec::new();
    for &c in cols {
        // Most exports use one format per column: parse with the first, and only when some
        // non-null cell fails it fall back to trying every format (a coalesce evaluates all
        // of them on every cell). The result is the same either way; this is only faster.
        if let [f, _, ..] = formats {
            let first = df
                .clone()
                .lazy()
                .select([parse_with(c, f).alias("p")])
                .collect()
                .map_err(Error::polars(format!("parsing {c}")))?;
            let p = first.column("p").map_err(Error::polars("parsed column"))?;
            let raw_nonnull = df.column(c).map(|x| x.len() - x.null_count()).unwrap_or(0);
            if p.len() - p.null_count() == raw_nonnull {
                let name = format!("__p_{c}");
                df.with_column(p.clone().with_name(name.as_str().into()))
                    .map_err(Error::polars("parsed column"))?;
                out.extend(split(c, vec![(col(name), reads_instants(f))]));
                continue;
            }
        }
        out.extend(exprs(c, formats));
    }
    Ok(out)
}

/// The check of timestamp column `c`: `unparsed` where a value is present but no format read
/// it, else its DST code `__dst_{c}` (0 for an instant; see `localize`).
pub fn check(c: &str, unparsed: i32) -> Expr {
    let read = col(format!("__n_{c}"))
        .is_not_null()
        .or(col(format!("__o_{c}")).is_not_null());
    when(col(c).is_not_null().and(read.not()))
        .then(lit(unparsed))
        .otherwise(col(format!("__dst_{c}")))
}

/// Whether `f` is a usable timestamp format: chrono knows its specifiers, and ingest (polars)
/// reads back the date of a timestamp written with it. `Err` says what is wrong and what to
/// do, for a mapping's `timestamp-formats`.
pub fn check_format(f: &str) -> std::result::Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    const SEE: &str = "see https://docs.rs/chrono/latest/chrono/format/strftime/";
    let items: Vec<Item> = StrftimeItems::new(f).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "`{f}` has a %-specifier chrono does not know (or a lone %); {SEE}"
        ));
    }
    if f.contains("%+") && f != "%+" {
        return Err(format!(
            "`{f}`: %+ reads a whole RFC 3339 timestamp, so it must be the whole format; use \
             \"%+\" alone, or spell the format out with %z (e.g. \"%Y-%m-%dT%H:%M:%S%.f%:z\")"
        ));
    }
    // 2001-02-03 12:34:56.789 at +01:00: a date no field can be confused in, and the same in
    // UTC and locally.
    const SAMPLE: i64 = 981_200_096_789_000;
    let sample = chrono::FixedOffset::east_opt(3600)
        .and_then(|o| chrono::DateTime::from_timestamp_micros(SAMPLE).map(|d| d.with_timezone(&o)));
    let mut text = String::new();
    let written =
        sample.is_some_and(|s| write!(text, "{}", s.format_with_items(items.iter())).is_ok());
    let no_date = || {
        format!(
            "`{f}` does not read a whole date: a timestamp format needs the year, month and day \
             (e.g. \"%Y-%m-%d %H:%M:%S\", or \"%d/%m/%Y %H:%M\"); {SEE}"
        )
    };
    if !written {
        return Err(no_date());
    }
    let df = df!("t" => [text.as_str()]).map_err(|e| e.to_string())?;
    let read = df
        .lazy()
        .select(exprs("t", &[f.to_string()]))
        .collect()
        .ok()
        .and_then(|out| {
            let (n, o) = (micros(&out, "__n_t").ok()?, micros(&out, "__o_t").ok()?);
            n.get(0).or(o.get(0))
        });
    let day = |us: i64| us.div_euclid(86_400_000_000);
    match read {
        Some(us) if day(us) == day(SAMPLE) => Ok(()),
        _ => Err(no_date()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_formats_are_told_from_local_ones() {
        assert!(reads_instants("%Y-%m-%dT%H:%M:%S%.f%z"));
        assert!(reads_instants("%Y-%m-%dT%H:%M:%S%:z"));
        assert!(reads_instants("%+"));
        assert!(reads_instants("%Y-%m-%dT%H:%M:%SZ"));
        assert!(reads_instants("%Y-%m-%dT%H:%M:%S%%Z"));
        assert!(!reads_instants("%Y-%m-%d %H:%M:%S"));
        assert!(!reads_instants("%Y-%m-%d %H:%M:%S %Z"));
        assert!(!reads_instants("%+ UTC"));
    }

    /// Each value of `cells` read with `formats`: (naive micros, instant micros).
    fn read(formats: &[&str], cells: &[&str]) -> Vec<(Option<i64>, Option<i64>)> {
        let formats: Vec<String> = formats.iter().map(|s| s.to_string()).collect();
        let mut df = df!("t" => cells).unwrap();
        let e = parse_columns(&mut df, &formats, &["t"]).unwrap();
        let out = df.lazy().select(e).collect().unwrap();
        let (n, o) = (
            micros(&out, "__n_t").unwrap(),
            micros(&out, "__o_t").unwrap(),
        );
        n.iter().zip(o.iter()).collect()
    }

    const TEN_UTC: i64 = 1_717_236_000_000_000; // 2024-06-01 10:00:00 UTC

    #[test]
    fn offsets_zulu_and_naive_values_in_one_column() {
        let h = 3_600_000_000;
        let got = read(
            &["%Y-%m-%dT%H:%M:%S%.f%:z", "%+", "%Y-%m-%d %H:%M:%S"],
            &[
                "2024-06-01T10:00:00+02:00",
                "2024-06-01T10:00:00.250-01:30",
                "2024-06-01T10:00:00Z",
                "2024-06-01 10:00:00",
                "soon",
            ],
        );
        assert_eq!(
            got,
            vec![
                (None, Some(TEN_UTC - 2 * h)),
                (None, Some(TEN_UTC + 3 * h / 2 + 250_000)),
                (None, Some(TEN_UTC)),
                (Some(TEN_UTC), None),
                (None, None),
            ]
        );
        // The first format reads every cell: the fast path gives the same.
        let zulu = read(
            &["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"],
            &["2024-06-01T10:00:00Z"],
        );
        assert_eq!(zulu, vec![(None, Some(TEN_UTC))]);
        let offset = read(&["%Y-%m-%dT%H:%M:%S%z"], &["2024-06-01T10:00:00+0000"]);
        assert_eq!(offset, vec![(None, Some(TEN_UTC))]);
    }

    #[test]
    fn formats_without_a_whole_date_or_with_unknown_specifiers_are_refused() {
        for ok in [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d",
            "%d/%m/%y %H:%M",
            "%Y-%m-%dT%H:%M:%S%.f%z",
            "%+",
            "%Y-%m-%dT%H:%M:%SZ",
        ] {
            assert_eq!(check_format(ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("%H:%M:%S", "year, month and day"),
            ("%m-%d %H:%M", "year, month and day"),
            ("%Y-%m-%d %Q", "does not know"),
            ("%Y-%m-%d %", "does not know"),
            ("%+ UTC", "whole format"),
        ] {
            let e = check_format(bad).unwrap_err();
            assert!(e.contains(bad) && e.contains(says), "{bad}: {e}");
        }
    }
}
