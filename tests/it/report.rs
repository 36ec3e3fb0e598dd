//! Monthly reports, `run` and `check` (issue 6): snapshots of summary.json and a service page
//! for the hand-made fixture, inert output under hostile ticket text, the exit codes and
//! JUnit of `check`, the lock held through a whole `run`, and the committed example report.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{BIN, Project, fixture};

/// The sqllogictest fixture (18 hand-checked tickets) as a project, with `extra` config.
fn slt_project(extra: &str) -> Project {
    let p = Project::new();
    let dir = fixture("../slt/fixture");
    p.copy_files(&dir);
    let cfg = std::fs::read_to_string(dir.join("ticketlake.toml")).unwrap();
    p.write("ticketlake.toml", cfg + extra);
    p
}

const TARGETS: &str = r#"
[targets]
attainment-pct = 90
mttr-median = "8h"
reopen-pct = 20

[[improvements]]
name = "Cut P3 MTTR on Email"
service = "Email"
metric = "mttr_median"
priority = 3
baseline = "2026-09"
target = "24h"
due = "2027-03"
"#;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn the_fixture_report_matches_its_snapshots_and_run_exits_1_on_a_missed_target() {
    let p = slt_project(TARGETS);
    let o = p.run(&["run", "--period", "2026-10", "--out", "out", "--json"]);
    // Email's P1 resolution attainment is 1 of 2 (INC2 took 6 h against 4 h): below 90 %.
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exit_code"], 1);
    let missed = v["report"]["missed"].to_string();
    assert!(
        missed.contains("Email") && missed.contains("P1 resolution attainment"),
        "{missed}"
    );

    let dir = p.path("out/2026-10");
    let names: Vec<String> = files_under(&dir)
        .iter()
        .map(|f| f.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    for must in [
        "index.html",
        "summary.json",
        "service-email.html",
        "service-vpn.html",
        "charts/service-email-attainment-trend.svg",
        "charts/service-email-mttr-trend.svg",
        "charts/service-email-weekly-flow.svg",
        "charts/service-email-aging.svg",
        "charts/service-email-breaches-by-priority.svg",
        "tables/service-email-weekly-flow.csv",
        "tables/service-email-top-breaches.csv",
        "data-quality.html",
    ] {
        assert!(
            names.iter().any(|n| n == must),
            "{must} missing from {names:?}"
        );
    }
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    insta::with_settings!({filters => vec![(r#""generated_at": "[^"]+""#, r#""generated_at": "[time]""#)]}, {
        insta::assert_snapshot!("fixture_summary_json", summary);
    });
    let html = std::fs::read_to_string(dir.join("service-email.html")).unwrap();
    insta::with_settings!({filters => vec![
        (r"(?s)<svg.*?</svg>", "[svg]"),
        (r"Generated [0-9TZ:-]+", "Generated [time]"),
    ]}, {
        insta::assert_snapshot!("fixture_service_email_html", html);
    });
    // Worst attainment first on the index.
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let email = index.find("service-email.html").unwrap();
    let printing = index.find("service-printing.html").unwrap();
    assert!(email < printing, "Email (50 %) must come before Printing");
    // 18 tickets show no pattern: a correct answer, said as such.
    assert!(
        index.contains("<p>Nothing stands out in the last 12 months (2025-11 to 2026-10).</p>")
    );
}

#[test]
fn check_exit_codes_and_junit_name_the_failing_service() {
    let p = slt_project("");
    assert!(
        p.run(&["run", "--period", "2026-10", "--out", "out"])
            .status
            .success()
    );
    let o = p.run(&["check", "--period", "2026-10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--min-attainment"));

    let o = p.run(&[
        "check",
        "--period",
        "2026-10",
        "--min-attainment",
        "90",
        "--format",
        "junit",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8(o.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit is XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failed: Vec<String> = cases
        .iter()
        .filter(|c| c.children().any(|k| k.has_tag_name("failure")))
        .map(|c| {
            format!(
                "{} / {}",
                c.attribute("classname").unwrap(),
                c.attribute("name").unwrap()
            )
        })
        .collect();
    let json = p.run(&[
        "check",
        "--period",
        "2026-10",
        "--min-attainment",
        "90",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(cases.len(), rows.len(), "one testcase per service × SLA");
    let email_p1 = rows
        .iter()
        .find(|r| r["scope"] == "Email" && r["sla_name"] == "P1 resolution")
        .unwrap();
    assert_eq!(email_p1["attainment_pct"], 50.0);
    assert!(
        failed.contains(&"service.Email / P1 resolution".to_string()),
        "{failed:?}"
    );
    assert_eq!(failed.len() as u64, v["failures"].as_u64().unwrap());
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("failures"),
        Some(failed.len().to_string().as_str())
    );

    // The same data passes a lower bar, and markdown/text say the same.
    let o = p.run(&["check", "--period", "2026-10", "--min-attainment", "0"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let md = p.run(&[
        "check",
        "--period",
        "2026-10",
        "--min-attainment",
        "90",
        "--format",
        "markdown",
    ]);
    assert!(
        String::from_utf8_lossy(&md.stdout)
            .contains("| Email | P1 resolution | 1 | 2 | 50.00 % | 90.0 % | **fail** |")
    );
    let by_prio = p.run(&[
        "check",
        "--period",
        "2026-10",
        "--min-attainment",
        "90",
        "--by",
        "priority",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&by_prio.stdout).unwrap();
    assert!(
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["scope"].as_str().unwrap().starts_with('P'))
    );
}

/// Payloads from the XSS acceptance list, with C0 controls and a formula.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</style><script>alert(2)</script>",
    "javascript:alert(3)",
    "line\u{2028}break",
    "ctl\u{1}\u{7}\u{1b}x",
    "=HYPERLINK(\"http://evil.example\")",
    "../../etc/passwd",
];

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A project whose titles, groups, services and categories are all hostile.
pub fn xss_project() -> Project {
    let p = Project::new();
    let mut csv = String::from(
        "number,short_description,priority,state,opened_at,resolved_at,sys_updated_on,assignment_group,business_service,category\n",
    );
    for (i, payload) in PAYLOADS.iter().enumerate() {
        for (j, day) in [(0, "09-10"), (1, "10-07"), (2, "10-21")] {
            csv.push_str(&format!(
                "INC{i}{j},{t},2 - High,Resolved,2026-{day} 09:00:00,2026-{day} 15:00:00,2026-{day} 15:00:00,{g},{s},{c}\n",
                t = csv_field(payload),
                g = csv_field(PAYLOADS[(i + 1) % PAYLOADS.len()]),
                s = csv_field(payload),
                c = csv_field(PAYLOADS[(i + 2) % PAYLOADS.len()]),
            ));
        }
    }
    p.write("exports/incident.csv", csv);
    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"UTC\"\n[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"exports/incident.csv\"]\n\
         [targets]\nattainment-pct = 95\n\
         [[sla]]\nname = \"P2 resolution\"\nmetric = \"resolution\"\ntarget = \"1h\"\nwhen = { kind = [\"incident\"], priority = [2] }\n",
    );
    let o = p.run(&["run", "--period", "2026-10", "--out", "out"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "every service breaches: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    p
}

#[test]
fn hostile_ticket_text_stays_inert_in_html_svg_and_csv() {
    let p = xss_project();
    let dir = p.path("out/2026-10");
    let files = files_under(&dir);
    let pages: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(
        pages
            .iter()
            .filter(|f| f
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("service-"))
            .count(),
        PAYLOADS.len()
    );
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap().to_str().unwrap();
        assert!(
            rel.is_ascii() && !rel.contains(".."),
            "unsafe file name {rel}"
        );
    }
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        let name = page.display();
        assert!(!html.contains("<script"), "{name}: live script");
        assert!(!html.contains("<img"), "{name}: live img");
        assert_eq!(
            html.matches("<style").count(),
            1,
            "{name}: a payload opened a style element"
        );
        assert_eq!(
            html.matches("</style>").count(),
            1,
            "{name}: a payload closed the style element"
        );
        assert!(
            !js_url_in_attribute(&html),
            "{name}: javascript: URL in an attribute"
        );
        assert!(html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        ));
        assert!(
            !html
                .chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{2028}'),
            "{name}: control characters or U+2028 in the output"
        );
        assert_only_known_markup(&html, &name.to_string());
        // Every inline SVG is well-formed XML.
        let mut rest = html.as_str();
        while let Some(start) = rest.find("<svg") {
            let end = rest[start..].find("</svg>").unwrap() + start + 6;
            roxmltree::Document::parse(&rest[start..end])
                .unwrap_or_else(|e| panic!("{name}: inline SVG is not XML: {e}"));
            rest = &rest[end..];
        }
    }
    let escaped = std::fs::read_to_string(dir.join("service-script-alert-1-script.html")).unwrap();
    assert!(
        escaped.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the text is shown, escaped"
    );
    for svg in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
    {
        let text = std::fs::read_to_string(svg).unwrap();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", svg.display()));
        assert!(!text.contains("<script"));
    }
    let mut formula_seen = false;
    for csv in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
    {
        let mut r = csv::Reader::from_path(csv).unwrap();
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '@']),
                    "{}: formula cell {cell}",
                    csv.display()
                );
                formula_seen |= cell.starts_with("'=HYPERLINK");
            }
        }
    }
    assert!(formula_seen, "the formula title is exported, guarded");
}

/// Elements the report templates and plotters write; anything else came from ticket text.
const ELEMENTS: &[&str] = &[
    "!doctype",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "p",
    "a",
    "h1",
    "h2",
    "h3",
    "div",
    "span",
    "small",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "dl",
    "dt",
    "dd",
    "b",
    "br",
    "figure",
    "figcaption",
    "details",
    "summary",
    "svg",
    "desc",
    "g",
    "rect",
    "circle",
    "polyline",
    "polygon",
    "line",
    "text",
    "path",
];

/// Escaped text never contains `<`, so every `<` opens a real tag: check each tag's name and
/// attributes (no event handlers, nothing that loads, links only to sibling pages).
fn assert_only_known_markup(html: &str, name: &str) {
    for (i, _) in html.match_indices('<') {
        let tag = &html[i + 1..i + html[i..].find('>').expect("closed tag")];
        let tag = tag.trim_start_matches('/');
        let el = tag.split([' ', '\n']).next().unwrap().to_ascii_lowercase();
        assert!(
            ELEMENTS.contains(&el.as_str()),
            "{name}: unexpected element <{el}>"
        );
        let lower = tag.to_ascii_lowercase();
        for attr in lower.split_whitespace().skip(1) {
            let key = attr.split('=').next().unwrap();
            assert!(
                !key.starts_with("on") && key != "src" && key != "srcdoc",
                "{name}: attribute {key} in <{tag}>"
            );
        }
        if let Some(h) = lower.find("href=\"") {
            let target = &lower[h + 6..];
            let target = &target[..target.find('"').unwrap()];
            assert!(
                target.ends_with(".html") && !target.contains(':') && !target.contains('/'),
                "{name}: link to {target}"
            );
        }
        assert!(!lower.contains("url("), "{name}: url() in <{tag}>");
    }
}

/// Whether `javascript:` appears right after an `=` (an attribute value).
fn js_url_in_attribute(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower
        .match_indices("javascript:")
        .any(|(i, _)| lower[..i].trim_end_matches([' ', '"', '\'']).ends_with('='))
}

#[test]
fn run_holds_the_dataset_lock_until_its_reports_are_written() {
    let p = slt_project("");
    let mut child = p
        .cmd()
        .args(["run", "--period", "2026-10", "--out", "out"])
        .env("TICKETLAKE_FAULT_PAUSE", "report")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 && !line.contains("paused at fault point") {
        line.clear();
    }
    assert!(line.contains("paused at fault point report"), "{line}");
    // Ingest and build are done; a second writer is still refused.
    let o = p.run(&["build"]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("lock"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Once the holder is gone, running again completes.
    let o = p.run(&["run", "--period", "2026-10", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn run_accepts_a_sources_list_with_globs_and_refuses_an_empty_glob() {
    let p = slt_project("");
    let cfg = std::fs::read_to_string(p.path("ticketlake.toml")).unwrap();
    let cfg = cfg
        .replace(
            "[sources.itsm]\nadapter = \"servicenow\"\nfiles = [\"itsm.csv\"]\n",
            "[[sources]]\nname = \"all\"\nadapter = \"servicenow\"\nfiles = [\"exports/*.csv\"]\n",
        )
        .replace(
            "[sources.evlog]\nadapter = \"servicenow\"\nfiles = [\"evlog.csv\"]\n",
            "",
        )
        .replace(
            "[sources.cmdb]\nadapter = \"servicenow\"\nfiles = [\"cmdb_ci.csv\", \"cmdb_rel_ci.csv\"]\n",
            "",
        );
    p.write("ticketlake.toml", &cfg);
    std::fs::create_dir_all(p.path("exports")).unwrap();
    std::fs::rename(p.path("itsm.csv"), p.path("exports/a-itsm.csv")).unwrap();
    std::fs::rename(p.path("evlog.csv"), p.path("exports/b-evlog.csv")).unwrap();
    let o = p.run(&["run", "--period", "2026-10", "--out", "out", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sources"][0]["name"], "all");
    assert_eq!(
        v["sources"][0]["ingest"]["files"].as_array().unwrap().len(),
        2
    );
    p.write(
        "ticketlake.toml",
        cfg.replace("exports/*.csv", "nowhere/*.csv"),
    );
    let o = p.run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nowhere/*.csv") && err.contains("matches no file"),
        "{err}"
    );
}

#[test]
fn the_committed_example_report_regenerates_identically() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = Project::new();
    let o = std::process::Command::new(BIN)
        .current_dir(p.dir.path())
        .env_remove("TICKETLAKE_FAULT_PAUSE")
        .args([
            "--config",
            root.join("sample-data/ticketlake.toml").to_str().unwrap(),
        ])
        .args([
            "--dataset",
            "ds",
            "-q",
            "run",
            "--period",
            "2026-10",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let committed = root.join("reports/example/2026-10");
    let fresh = p.path("out/2026-10");
    let list = |d: &Path| -> Vec<String> {
        files_under(d)
            .iter()
            .map(|f| f.strip_prefix(d).unwrap().display().to_string())
            .filter(|n| !n.starts_with("data-quality."))
            .collect()
    };
    let how = "regenerate it: see reports/README.md";
    assert_eq!(
        list(&committed),
        list(&fresh),
        "the set of report files changed; {how}"
    );
    let volatile = |l: &&str| l.contains("data-volatile") || l.contains("\"generated_at\"");
    for name in list(&committed) {
        let a = std::fs::read_to_string(committed.join(&name)).unwrap();
        let b = std::fs::read_to_string(fresh.join(&name)).unwrap();
        let (a, b): (Vec<&str>, Vec<&str>) = (
            a.lines().filter(|l| !volatile(l)).collect(),
            b.lines().filter(|l| !volatile(l)).collect(),
        );
        if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            panic!(
                "{name} line {}: committed {:?} vs fresh {:?}; {how}",
                i + 1,
                a.get(i),
                b.get(i)
            );
        }
    }
}
