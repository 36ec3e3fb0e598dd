//! "What to look at" in the reports (issue 19): the findings of `build`'s `insights` table on
//! the portfolio and the service pages, with a chart and the table behind each, in
//! `summary.json` too; `[report] insights` limits or hides them; a dataset built before the
//! table existed still reports, and says it needs `ticketlake build`.

use serde_json::Value;

use crate::support::{Project, fixture};

/// insight-bench's flag 1 ingested as its README says, built, and reported with `extra`
/// config; returns the project and the report's folder (`out/2024-01`).
fn flag_1(extra: &str) -> (Project, std::path::PathBuf) {
    let p = Project::new();
    p.write(
        "ticketlake.toml",
        format!("[ingest]\ntimezone = \"UTC\"\n{extra}"),
    );
    let csv = fixture("insight-bench/flag-1.csv");
    let (code, _, err) = p.ingest(&[
        "--source",
        "servicenow",
        "--tz",
        "UTC",
        "--resolved-from-closed",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let o = p.run(&["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    report(&p);
    let dir = p.path("out/2024-01");
    (p, dir)
}

fn report(p: &Project) {
    let o = p.run(&["report", "--period", "2024-01", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The "What to look at" section of a page, up to the next section.
fn section(html: &str) -> &str {
    let start = html.find("What to look at</h2>").expect("the section");
    let rest = &html[start..];
    &rest[..rest[20..].find("<h2").map_or(rest.len(), |i| i + 20)]
}

#[test]
fn the_portfolio_shows_the_desks_findings_with_charts_tables_and_summary_json() {
    let (p, dir) = flag_1("");
    let findings = p.run(&[
        "sql",
        "--format",
        "json",
        "SELECT * FROM insights WHERE service IS NULL ORDER BY rank",
    ]);
    let table: Value = serde_json::from_slice(&findings.stdout).unwrap();
    let table = table.as_array().unwrap();
    assert!(
        table.len() > 5,
        "flag 1 has more findings than the default 5"
    );

    let index = read(&dir, "index.html");
    let look = section(&index);
    // The five strongest, in rank order, with their sentences and evidence.
    let mut at = 0;
    for row in &table[..5] {
        let sentence = row["sentence"].as_str().unwrap();
        let i = look[at..]
            .find(sentence)
            .unwrap_or_else(|| panic!("{sentence} missing or out of order in\n{look}"));
        at += i;
    }
    assert!(!look.contains(table[5]["sentence"].as_str().unwrap()));
    assert!(look.contains("Hardware accounts for 67 % of the incidents (308 of 459)"));
    assert!(
        look.contains(
            "concentration · share · category · 8.2× the others · n = 308 · q &lt; 0.001"
        )
    );
    for rank in 1..=5 {
        let name = format!("portfolio-insight-{rank}");
        assert!(look.contains(&format!("tables/{name}.csv")), "{name}");
        let svg = read(&dir, &format!("charts/{name}.svg"));
        let doc = roxmltree::Document::parse(&svg).expect("the chart is XML");
        assert!(doc.descendants().any(|n| n.has_tag_name("title")));
    }
    // The category finding's table: the dimension's values by incidents, Hardware first.
    let category = table
        .iter()
        .find(|r| r["dimension"] == "category" && r["value"] == "Hardware")
        .unwrap();
    let csv = read(
        &dir,
        &format!("tables/portfolio-insight-{}.csv", category["rank"]),
    );
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("value,incidents,share_pct,resolved,median_ttr_h")
    );
    assert!(
        lines.next().unwrap().starts_with("Hardware,308,67.1,"),
        "{csv}"
    );
    // The recurring candidate's chart: its incidents per month of the window.
    let recurring = table.iter().find(|r| r["kind"] == "recurring").unwrap();
    let csv = read(
        &dir,
        &format!("tables/portfolio-insight-{}.csv", recurring["rank"]),
    );
    assert_eq!(csv.lines().next(), Some("month,incidents"));
    assert_eq!(csv.lines().count(), 13, "12 months of the window: {csv}");

    // summary.json: the same five with every column of the table, and the window.
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let carried = summary["insights"].as_array().unwrap();
    assert_eq!(carried.len(), 5);
    for (c, t) in carried.iter().zip(table) {
        for (k, v) in t.as_object().unwrap() {
            assert_eq!(&c[k], v, "summary.json insights {k}");
        }
        assert_eq!(c.as_object().unwrap().len(), t.as_object().unwrap().len());
    }
    let w = &summary["insights_window"];
    assert_eq!(
        (
            &w["state"],
            &w["first_month"],
            &w["last_month"],
            &w["months"]
        ),
        (
            &Value::from("shown"),
            &Value::from("2023-02"),
            &Value::from("2024-01"),
            &Value::from(12)
        )
    );
    // flag 1 has no service: its one unit (none) was not examined on its own.
    assert_eq!(summary["units"][0]["insights"], Value::Array(vec![]));
    let page = read(&dir, "service-none.html");
    assert!(
        section(&page).contains("Not examined on its own"),
        "{}",
        section(&page)
    );
}

#[test]
fn report_insights_limits_the_findings_and_0_hides_the_section() {
    let (p, dir) = flag_1("[report]\ninsights = 2\n");
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    assert_eq!(summary["insights"].as_array().unwrap().len(), 2);
    assert!(dir.join("charts/portfolio-insight-2.svg").exists());
    assert!(!section(&read(&dir, "index.html")).contains("3. </b>"));

    p.write(
        "ticketlake.toml",
        "[ingest]\ntimezone = \"UTC\"\n[report]\ninsights = 0\n",
    );
    std::fs::remove_dir_all(p.path("out")).unwrap();
    report(&p);
    assert!(!read(&dir, "index.html").contains("id=\"what-to-look-at\""));
    assert!(!read(&dir, "service-none.html").contains("id=\"what-to-look-at\""));
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    assert_eq!(summary["insights"], Value::Array(vec![]));
    assert_eq!(summary["insights_window"]["state"], "hidden");
}

#[test]
fn a_dataset_built_before_the_insights_table_still_reports_and_asks_for_a_build() {
    let (p, dir) = flag_1("");
    // The current manifest as an older build wrote it: no insights table, no window.
    let manifests = p.dataset().join("_manifest");
    let mut names: Vec<_> = std::fs::read_dir(&manifests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let latest = names.last().unwrap();
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(latest).unwrap()).unwrap();
    m["tables"].as_object_mut().unwrap().remove("insights");
    let build = m["build"].as_object_mut().unwrap();
    build.remove("insights");
    build.remove("insights_window");
    std::fs::write(latest, serde_json::to_string_pretty(&m).unwrap()).unwrap();

    std::fs::remove_dir_all(p.path("out")).unwrap();
    report(&p);
    let look = read(&dir, "index.html");
    let look = section(&look);
    assert!(look.contains("Run <b>ticketlake build</b>"), "{look}");
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    assert_eq!(summary["insights"], Value::Array(vec![]));
    assert_eq!(summary["insights_window"]["state"], "not_built");
}

#[test]
fn a_hostile_value_in_a_finding_stays_inert_in_the_page_chart_and_table() {
    let p = Project::new();
    let payload = "<script>alert(1)</script>";
    let mut csv = String::from(
        "number,short_description,priority,state,opened_at,resolved_at,sys_updated_on,category\n",
    );
    for i in 0..80 {
        let category = match i % 8 {
            0 => "Network",
            1 => "Email",
            2 => "Software",
            _ if i % 8 == 3 && i < 40 => "Network",
            _ => payload,
        };
        let (month, day) = (1 + i % 12, 1 + i % 27);
        csv.push_str(&format!(
            "INC{i:03},Ticket {i},3 - Moderate,Resolved,2025-{month:02}-{day:02} 09:00:00,\
             2025-{month:02}-{day:02} 15:00:00,2025-{month:02}-{day:02} 15:00:00,\"{category}\"\n"
        ));
    }
    csv.push_str("INC999,Last,3 - Moderate,Resolved,2026-01-05 09:00:00,2026-01-05 10:00:00,2026-01-05 10:00:00,Email\n");
    p.write("exports/incident.csv", csv);
    p.write("ticketlake.toml", "[ingest]\ntimezone = \"UTC\"\n");
    let (code, _, err) = p.ingest(&["--source", "servicenow", "exports/incident.csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(p.run(&["build"]).status.success());
    let o = p.run(&["report", "--period", "2025-12", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = p.path("out/2025-12");
    let index = read(&dir, "index.html");
    let look = section(&index);
    assert!(
        look.contains("&lt;script&gt;alert(1)&lt;/script&gt; accounts for"),
        "{look}"
    );
    assert!(!index.contains("<script"));
    let summary: Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let finding = summary["insights"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == payload)
        .expect("the payload's concentration");
    let name = format!("portfolio-insight-{}", finding["rank"]);
    let svg = read(&dir, &format!("charts/{name}.svg"));
    roxmltree::Document::parse(&svg).expect("the chart is XML");
    assert!(!svg.contains("<script"));
    let table = read(&dir, &format!("tables/{name}.csv"));
    assert!(table.contains("<script>alert(1)</script>,"), "{table}");
}
