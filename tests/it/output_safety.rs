//! Output safety (issue 18): report files are written by rename, so a planted symlink is
//! replaced rather than followed, and bidirectional controls in ticket text are shown as
//! their codes in HTML and escaped in JSON.

use crate::support::Project;

/// A project whose one service and ticket title carry a right-to-left override.
fn project() -> Project {
    let p = Project::new();
    p.write(
        "m.toml",
        r#"source = "desk"
timezone = "UTC"
timestamp-formats = ["%Y-%m-%d %H:%M"]
kind = "incident"
[columns]
ticket_id = "id"
opened_at = "opened"
resolved_at = "resolved"
title = "title"
service = "service"
"#,
    );
    p.write(
        "x.csv",
        "id,opened,resolved,title,service\n\
         X1,2026-01-05 10:00,2026-01-05 12:00,invoice\u{202E}fdp.exe,Mail\u{202E}liaM\n\
         X2,2026-01-06 10:00,2026-01-06 11:00,printer,Mail\u{202E}liaM\n",
    );
    p.write(
        "ticketlake.toml",
        "[sources.desk]\nadapter = \"generic\"\nmapping = \"m.toml\"\nfiles = [\"x.csv\"]\n\n\
         [[sla]]\nname = \"res\"\nmetric = \"resolution\"\ntarget = \"8h\"\n\n[report]\nout = \"out\"\n",
    );
    p
}

fn run(p: &Project) {
    let o = p.run(&["--config", "ticketlake.toml", "run", "--period", "2026-01"]);
    assert_ne!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_symlink_planted_in_the_output_is_replaced_not_followed() {
    let p = project();
    run(&p);
    let victim = p.write("outside.txt", "keep me");
    let index = p.path("out/2026-01/index.html");
    std::fs::remove_file(&index).unwrap();
    std::os::unix::fs::symlink(&victim, &index).unwrap();
    run(&p);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let meta = std::fs::symlink_metadata(&index).unwrap();
    assert!(meta.file_type().is_file(), "index.html is still a symlink");
    assert!(std::fs::read_to_string(&index).unwrap().contains("<html"));
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(p.path("out/2026-01"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bidi_controls_are_shown_in_html_and_escaped_in_json() {
    let p = project();
    run(&p);
    let dir = p.path("out/2026-01");
    let mut html_files = 0;
    for e in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".html") || name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        assert!(!text.contains('\u{202E}'), "{name} carries a raw U+202E");
        if name.ends_with(".html") && text.contains("liaM") {
            html_files += 1;
            assert!(text.contains("Mail\\u202EliaM"), "{name}");
        }
    }
    assert!(html_files > 0, "no page shows the service");
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\\u202e"), "summary.json escapes it");
    // The escape is the same character to a JSON reader.
    let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert!(v.to_string().contains('\u{202E}'));
    // Machine output on stdout too.
    let o = p.run(&[
        "--config",
        "ticketlake.toml",
        "sql",
        "SELECT title FROM tickets ORDER BY ticket_id",
        "--format",
        "json",
    ]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        !out.contains('\u{202E}') && out.contains("\\u202e"),
        "{out}"
    );
}
