//! `quill lint` from the command line: file:line:column output, JSON, stdin, exit codes,
//! platform limits from front matter, Vale style folders and rule docs.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn quill() -> assert_cmd::Command {
    let mut c = cargo_bin_cmd!("quill");
    c.env_remove("QUILL_WORKSPACE").env("NO_COLOR", "1");
    c
}

#[test]
fn text_output_has_location_rule_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("post.md");
    std::fs::write(&f, "Hello.\nLet's delve into why we utilize calendars.\n").unwrap();
    let out = quill()
        .current_dir(dir.path())
        .args(["lint", "--no-workspace", "post.md"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("post.md:2:7: warning AI001 AITells.Delve 'delve'"), "{text}");
    assert!(text.contains("→ use: use"), "{text}");
}

#[test]
fn errors_set_the_exit_code_and_json_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let long = "word ".repeat(70);
    let f = dir.path().join("x.md");
    std::fs::write(&f, format!("---\nplatform: x\n---\n{long}\n")).unwrap();
    let out = quill()
        .args(["--json", "lint", "--no-workspace", f.to_str().unwrap()])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let d = &v["files"][0]["diagnostics"];
    assert!(
        d.as_array().unwrap().iter().any(|d| d["code"] == "PL001" && d["level"] == "error" && d["line"] == 4),
        "{v:#}"
    );
    assert_eq!(v["summary"]["errors"], 1);
    // Without the platform, the X limit does not apply.
    let g = dir.path().join("plain.md");
    std::fs::write(&g, format!("{long}\n")).unwrap();
    quill().args(["lint", "--no-workspace", g.to_str().unwrap()]).assert().success();
}

#[test]
fn stdin_and_platform_flag() {
    let out = quill()
        .args(["--json", "lint", "--no-workspace", "-", "--platform", "linkedin"])
        .write_stdin("#a #b #c #d #e #f #g\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["files"][0]["path"], "<stdin>");
    assert!(v["files"][0]["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "PL005"));
}

#[test]
fn vale_style_folder_runs_and_unsupported_rules_are_noted() {
    let styles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../quill-voice/tests/vale/styles");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../quill-voice/tests/vale/sample.md");
    let out = quill()
        .args(["--json", "lint", "--no-workspace", "--ignore", "AITells,Hype,Hedges,Inspiration", "--style"])
        .arg(&styles)
        .arg(&sample)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let rules: Vec<&str> =
        v["files"][0]["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"WriteGood.Passive") && rules.contains(&"Docs.Acronyms"), "{rules:?}");
    assert_eq!(v["unsupported"].as_array().unwrap().len(), 3);
    quill().args(["lint", "--no-workspace", "--style", "/no/such/dir", "x.md"]).assert().failure();
}

#[test]
fn explain_prints_rule_docs() {
    let out =
        quill().args(["lint", "--no-workspace", "--explain", "AI006"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("## Why") && text.contains("Use instead:"), "{text}");
    quill().args(["lint", "--no-workspace", "--explain", "ZZ999"]).assert().failure();
}
