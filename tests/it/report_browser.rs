//! The reports in a real browser (issue 6): headless Chromium from Debian's packages, driven
//! by playwright-core from npm, opens the committed sample index and a service page, and the
//! hostile-text fixture's pages. It checks that the pages render (text, charts, a screenshot
//! with content), that no dialog fires and nothing is requested, and that `--print-to-pdf`
//! makes a PDF. `.ci/run` installs Chromium and sets TICKETLAKE_REQUIRE_BROWSER=1, so in CI
//! the test cannot skip; elsewhere it says why it skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

struct Browser {
    chromium: PathBuf,
    playwright: PathBuf,
}

fn browser() -> Option<Browser> {
    let chromium = PathBuf::from(
        std::env::var("TICKETLAKE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    let playwright = std::env::var("TICKETLAKE_NODE_MODULES")
        .ok()
        .map(|d| PathBuf::from(d).join("playwright-core"));
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let why = if !chromium.exists() {
        format!(
            "{} not found (apt-get install chromium)",
            chromium.display()
        )
    } else if !node {
        "node not found".into()
    } else if !playwright.as_ref().is_some_and(|p| p.exists()) {
        "playwright-core not installed (tests/run installs it into TICKETLAKE_NODE_MODULES)".into()
    } else {
        return Some(Browser {
            chromium,
            playwright: playwright.unwrap(),
        });
    };
    if std::env::var("TICKETLAKE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("the browser test must run here: {why}");
    }
    eprintln!("skipping the browser test: {why}");
    None
}

fn open(b: &Browser, out: &Path, pages: &[PathBuf]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check.cjs");
    let o = Command::new("node")
        .arg(script)
        .arg(out)
        .args(pages)
        .env("PLAYWRIGHT_CORE", &b.playwright)
        .env("CHROMIUM", &b.chromium)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<Vec<Value>>(&o.stdout).unwrap()
}

#[test]
fn reports_render_inertly_in_headless_chromium_and_print_to_pdf() {
    let Some(b) = browser() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("reports/example/2026-10");
    let xss = super::report::xss_project();
    let hostile = xss.path("out/2026-10");
    let out = tempfile::tempdir().unwrap();
    let pages = vec![
        example.join("index.html"),
        example.join("service-email.html"),
        hostile.join("index.html"),
        hostile.join("service-script-alert-1-script.html"),
        hostile.join("service-img-src-x-onerror-alert-1.html"),
    ];
    for r in open(&b, out.path(), &pages) {
        let page = r["page"].as_str().unwrap();
        assert_eq!(r["dialogs"], Value::Array(vec![]), "{page}: a dialog fired");
        assert_eq!(
            r["requests"],
            Value::Array(vec![]),
            "{page}: a request was attempted"
        );
        assert_eq!(r["errors"], Value::Array(vec![]), "{page}: script errors");
        assert_eq!(r["scripts"], 0, "{page}: a script element exists");
        assert!(
            r["text"].as_u64().unwrap() > 500,
            "{page}: little visible text"
        );
        assert!(
            r["charts"].as_u64().unwrap() >= 1,
            "{page}: no chart rendered"
        );
        let shot = std::fs::read(r["screenshot"].as_str().unwrap()).unwrap();
        assert!(
            shot.starts_with(b"\x89PNG") && shot.len() > 30_000,
            "{page}: the screenshot is (nearly) empty"
        );
    }
    let pdf = out.path().join("service.pdf");
    let o = Command::new(&b.chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            out.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!(
            "file://{}",
            example.join("service-email.html").display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 10_000,
        "not a real PDF ({} bytes)",
        bytes.len()
    );
    let pages = String::from_utf8_lossy(&bytes)
        .matches("/Type /Page")
        .count()
        + String::from_utf8_lossy(&bytes)
            .matches("/Type/Page")
            .count();
    assert!(pages >= 2, "the A4 print has {pages} page(s)");
}
