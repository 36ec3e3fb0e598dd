//! Property tests: row conservation over arbitrary mixes of good and broken rows.

use proptest::prelude::*;

use crate::support::*;

#[derive(Debug, Clone)]
enum Row {
    Good(u8),
    BadPriority,
    BadTime,
    Short,
    Long,
    Gap,
}

fn row_strategy() -> impl Strategy<Value = Row> {
    prop_oneof![
        4 => (0u8..20).prop_map(Row::Good),
        1 => Just(Row::BadPriority),
        1 => Just(Row::BadTime),
        1 => Just(Row::Short),
        1 => Just(Row::Long),
        1 => Just(Row::Gap),
    ]
}

fn render(i: usize, r: &Row) -> String {
    match r {
        Row::Good(id) => format!(
            "INC{id:04},\"title, {i}\",3 - Moderate,New,2024-01-0{} 10:00:00,,2024-01-09 1{}:00:00",
            1 + i % 8,
            i % 10
        ),
        Row::BadPriority => format!("INC9{i:03},t,P9,New,2024-01-01 10:00:00,,2024-01-01 10:00:00"),
        Row::BadTime => format!("INC9{i:03},t,3 - Moderate,New,yesterday,,2024-01-01 10:00:00"),
        Row::Short => format!("INC9{i:03},t"),
        Row::Long => {
            format!("INC9{i:03},t,3 - Moderate,New,2024-01-01 10:00:00,,2024-01-01 10:00:00,x,y")
        }
        Row::Gap => {
            format!("INC9{i:03},t,3 - Moderate,New,2024-03-10 02:30:00,,2024-03-10 02:30:00")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn read_equals_loaded_plus_rejected_and_tickets_are_unique(rows in prop::collection::vec(row_strategy(), 0..40)) {
        let p = Project::new();
        let lines: Vec<String> = rows.iter().enumerate().map(|(i, r)| render(i, r)).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let f = p.write("a.csv", list_csv(&refs));
        let (code, v, err) = p.ingest_any(&["--source", "servicenow", "--tz", "America/New_York", f.to_str().unwrap()]);
        prop_assert_eq!(code, 0, "{}", err);
        let f0 = file0(&v);
        let (read, loaded, rejected, superseded) = (
            f0["records_read"].as_u64().unwrap(), f0["loaded"].as_u64().unwrap(),
            f0["rejected"].as_u64().unwrap(), f0["superseded"].as_u64().unwrap(),
        );
        prop_assert_eq!(read, rows.len() as u64);
        prop_assert_eq!(read, loaded + rejected);
        let good = rows.iter().filter(|r| matches!(r, Row::Good(_))).count() as u64;
        prop_assert_eq!(loaded, good);
        let distinct: std::collections::BTreeSet<u8> = rows.iter().filter_map(|r| if let Row::Good(id) = r { Some(*id) } else { None }).collect();
        prop_assert_eq!(p.table("tickets").height() as u64, distinct.len() as u64);
        prop_assert_eq!(loaded - superseded, distinct.len() as u64);
        if read > 0 {
            prop_assert_eq!(p.rejects().len() as u64, rejected);
        }
    }
}

fn field_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("é"),
            Just(","),
            Just("\""),
            Just("\n"),
            Just("\r\n"),
            Just(" "),
            Just("x1")
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
    // A lone space is trimmed to a null by design; keep the property about bytes.
    .prop_filter("non-blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The structural reader reports each record's physical start line and keeps every field
    /// byte for byte, whatever the line terminator (LF, CRLF, CR) and the quoted CR/LF inside
    /// fields.
    ///
    /// The first value of each row has no digits: a quoted line break followed by a value of
    /// the first value's shape and a delimiter reads as a stray quote, by design (see
    /// `csv_lines`), and with three columns no line is a whole row by its delimiters alone.
    #[test]
    fn csv_reader_keeps_bytes_and_physical_lines(
        rows in prop::collection::vec(
            (field_strategy().prop_filter("no digits", |s| !s.contains('1')), field_strategy(), field_strategy())
                .prop_map(|(a, b, c)| vec![a, b, c]),
            0..12,
        ),
        term in prop_oneof![Just(csv::Terminator::CRLF), Just(csv::Terminator::Any(b'\n')), Just(csv::Terminator::Any(b'\r'))],
    ) {
        let mut w = csv::WriterBuilder::new().terminator(term).quote_style(csv::QuoteStyle::Necessary).from_writer(vec![]);
        w.write_record(["a", "b", "c"]).unwrap();
        let mut starts = Vec::new();
        for r in &rows {
            w.flush().unwrap();
            // Lines end at `\n`, `\r\n` or a lone `\r`.
            let text = String::from_utf8(w.get_ref().clone()).unwrap().replace("\r\n", "\n");
            let so_far = text.matches(['\n', '\r']).count() as u64;
            starts.push(so_far + 1);
            w.write_record(r).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let opts = ticketlake::ingest::csv_reader::CsvOptions {
            delimiter: b',', encoding: Default::default(), null_values: vec![], max_field_bytes: 1 << 20,
        };
        let t = ticketlake::ingest::csv_reader::read_csv(std::path::Path::new("p.csv"), bytes, &opts).unwrap();
        prop_assert!(t.rejects.is_empty(), "{:?}", t.rejects);
        prop_assert_eq!(t.records_read, rows.len() as u64);
        let lines: Vec<u64> = t.lines.iter().map(|l| l.unwrap()).collect();
        prop_assert_eq!(lines, starts);
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                prop_assert_eq!(t.columns[c].get(i), Some(v.as_str()));
            }
        }
    }
}

/// Pieces of CSV text for [`csv_chunks_read_like_the_whole_file`]: well-formed and malformed
/// records, quoted line breaks, blank lines, both terminators, non-ASCII text.
fn piece_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1,a,b\n".to_string()),
        Just("2,é,\"x,\ny\"\r\n".to_string()),
        Just("3,\"q\"\"q\",z\n".to_string()),
        Just("4,only-two\n".to_string()),
        Just("5,a,b,c,d\n".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("6,\"multi\r\nline\nfield\",ü\n".to_string()),
        Just("11,cr,only\r".to_string()),
        Just("12,\"cr\rinside\",x\r".to_string()),
        // A stray quote, and records shaped like its key that it may swallow.
        Just("T13,\"stray,b\n".to_string()),
        Just("T14,\"q\",b\n".to_string()),
        "[a-z]{0,40}".prop_map(|s| format!("7,{s},{s}\n")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Read in pieces of any size, a CSV export gives exactly the rows, lines, record
    /// numbers, raw text and rejects of reading it whole (row conservation across pieces),
    /// in UTF-8 with a BOM and in Windows-1252, with LF, CRLF and CR line ends and stray
    /// quotes.
    #[test]
    fn csv_chunks_read_like_the_whole_file(
        pieces in prop::collection::vec(piece_strategy(), 0..30),
        tail in prop_oneof![Just(""), Just("8,\"never closed\n9,a,b\n"), Just("10,a,b")],
        block in 1usize..200,
        bom in any::<bool>(),
        cp1252 in any::<bool>(),
    ) {
        use ticketlake::ingest::csv_reader::{CsvChunks, CsvOptions, read_csv};
        use ticketlake::ingest::mapping::Encoding;
        let text = format!("id,x,y\n{}{tail}", pieces.concat());
        let bytes: Vec<u8> = if cp1252 {
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        } else if bom {
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()
        } else {
            text.into_bytes()
        };
        let opts = CsvOptions {
            delimiter: b',',
            encoding: if cp1252 { Encoding::Windows1252 } else { Encoding::Utf8 },
            null_values: vec![],
            max_field_bytes: 1 << 20,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.csv");
        std::fs::write(&path, &bytes).unwrap();
        let whole = read_csv(&path, bytes, &opts).unwrap();
        let mut chunks = CsvChunks::open(&path, opts, block).unwrap();
        let (mut cells, mut lines, mut records, mut raws, mut rejects, mut read) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0);
        let mut n = 0;
        while let Some(t) = chunks.next_table().unwrap() {
            n += 1;
            prop_assert_eq!(&t.headers, &whole.headers);
            for i in 0..t.len() {
                cells.push((0..3).map(|c| t.columns[c].get(i).map(String::from)).collect::<Vec<_>>());
                raws.push(t.raw.get(i));
            }
            lines.extend(t.lines.iter().copied());
            records.extend(t.records.iter().copied());
            rejects.extend(t.rejects.iter().cloned());
            read += t.records_read;
        }
        prop_assert!(n >= 1);
        let want: Vec<Vec<Option<String>>> = (0..whole.len())
            .map(|i| (0..3).map(|c| whole.columns[c].get(i).map(String::from)).collect())
            .collect();
        prop_assert_eq!(cells, want);
        prop_assert_eq!(lines, whole.lines.clone());
        prop_assert_eq!(records, whole.records.clone());
        prop_assert_eq!(raws, (0..whole.len()).map(|i| whole.raw.get(i)).collect::<Vec<_>>());
        prop_assert_eq!(rejects, whole.rejects.clone());
        prop_assert_eq!(read, whole.records_read);
    }
}

/// A valid list export of `titles.len()` incidents `INC0001…` (titles quoted when they hold a
/// comma or a line break): its text, and each record's (id, first line, last line).
fn valid_export(titles: &[String]) -> (String, Vec<(String, u64, u64)>) {
    let mut text = format!("{HEADER}\n");
    let (mut line, mut records) = (2u64, Vec::new());
    for (i, title) in titles.iter().enumerate() {
        let id = format!("INC{:04}", i + 1);
        let title = if title.contains([',', '\n']) {
            format!("\"{title}\"")
        } else {
            title.clone()
        };
        text.push_str(&format!(
            "{id},{title},3 - Moderate,New,2024-01-05 10:00:00,,2024-01-05 1{}:00:00\n",
            i % 10
        ));
        let last = line + title.matches('\n').count() as u64;
        records.push((id, line, last));
        line = last + 1;
    }
    (text, records)
}

fn title_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}( [a-z]{1,8})?",
        "[a-z]{1,8}, [a-z]{1,8}",
        "[a-z]{1,8}\n[a-z]{1,8}( [a-z]{1,8})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// One stray quote anywhere in a valid export never makes a ticket disappear: every
    /// record is loaded from its own line (with its own id and title, unless the quote went
    /// into that record) or a reject names one of its lines, and read = loaded + rejected.
    #[test]
    fn a_stray_quote_never_loses_a_ticket(
        titles in prop::collection::vec(title_strategy(), 1..12),
        at in any::<prop::sample::Index>(),
    ) {
        let (mut text, records) = valid_export(&titles);
        let start = HEADER.len() + 1;
        let pos = start + at.index(text.len() - start);
        text.insert(pos, '"');
        let p = Project::new();
        let f = p.write("a.csv", &text);
        let (code, v, err) = p.ingest_any(&["--source", "servicenow", "--tz", "UTC", f.to_str().unwrap()]);
        prop_assert_eq!(code, 0, "{}", err);
        let f0 = file0(&v);
        prop_assert_eq!(
            f0["records_read"].as_u64().unwrap(),
            f0["loaded"].as_u64().unwrap() + f0["rejected"].as_u64().unwrap()
        );
        let t = p.table("tickets");
        let col = |c: &str| strings(&t, c).into_iter().map(Option::unwrap_or_default);
        let loaded: Vec<(String, String, String)> = col("ticket_id")
            .zip(col("source_line"))
            .zip(col("title"))
            .map(|((i, l), t)| (i, l, t))
            .collect();
        let reject_lines: Vec<u64> = if f0["rejected"] == 0 {
            Vec::new()
        } else {
            p.rejects().iter().map(|r| r["line"].as_u64().unwrap()).collect()
        };
        // The record the quote went into: the last one starting at or before it.
        let hit_line = text[..pos].matches('\n').count() as u64 + 1;
        for ((id, first, last), title) in records.iter().zip(&titles) {
            let hit = (*first..=*last).contains(&hit_line);
            // Loaded from its own line: under its own id and title, unless the quote is in it.
            let own = loaded.iter().any(|(i, l, t)| {
                *l == first.to_string() && (hit || (i == id && t == title))
            });
            let rejected = reject_lines.iter().any(|l| (*first..=*last).contains(l));
            prop_assert!(own || rejected, "{} (lines {}-{}) lost; text:\n{}\nloaded {:?}, rejects at {:?}", id, first, last, text, loaded, reject_lines);
        }
    }
}
