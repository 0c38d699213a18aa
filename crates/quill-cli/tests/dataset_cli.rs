//! `quill dataset build|validate` and `quill bench dataset` end to end on the sample creator.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn quill(ws: &Path) -> Command {
    let mut c = Command::cargo_bin("quill").unwrap();
    c.env("QUILL_WORKSPACE", ws).env("NO_COLOR", "1");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample_workspace(dir: &Path) -> PathBuf {
    let ws = dir.join("ws");
    quill(&ws).args(["init"]).arg(&ws).args(["--name", "Maya Okafor"]).assert().success();
    quill(&ws).args(["library", "import"]).arg(repo().join("examples/creator/library")).assert().success();
    ws
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn build_all_formats_then_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = sample_workspace(tmp.path());
    let out = tmp.path().join("ds");
    let o = quill(&ws).args(["dataset", "build", "--format", "all", "--json", "-o"]).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = json(&o.stdout);
    assert_eq!(m["manifest"]["files"].as_array().unwrap().len(), 12);
    for f in ["openai", "sharegpt", "alpaca", "completion"] {
        assert!(out.join(f).join("train.jsonl").is_file());
    }
    // Same command, same bytes.
    let again = tmp.path().join("ds2");
    quill(&ws).args(["dataset", "build", "--format", "all", "-o"]).arg(&again).assert().success();
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), std::fs::read(again.join("manifest.json")).unwrap());
    assert_eq!(
        std::fs::read(out.join("alpaca/train.jsonl")).unwrap(),
        std::fs::read(again.join("alpaca/train.jsonl")).unwrap()
    );

    // Validate (text): notebook section, beyond-the-notebook checks and a verdict with reasons.
    let o = quill(&ws).args(["dataset", "validate"]).arg(out.join("openai/train.jsonl")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "The cookbook notebook",
        "would crash at line 1: TypeError",
        " p90 ",
        "test-split leakage",
        "into the few-shot pool: 0",
        "Verdict: USABLE",
        "size:",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // JSON.
    let o = quill(&ws)
        .args(["dataset", "validate", "--json", "--encoding", "o200k_base"])
        .arg(out.join("sharegpt/train.jsonl"))
        .output()
        .unwrap();
    let r = json(&o.stdout);
    assert_eq!(r["tokens"]["encoding"], "o200k_base");
    assert_eq!(r["formats"]["sharegpt"].as_u64(), r["lines"].as_u64());
    assert_eq!(r["verdict"]["level"], "usable");
    assert_eq!(r["notebook_input"], "converted to OpenAI chat");
}

#[test]
fn validate_reports_bad_lines_with_numbers_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../quill-dataset/tests/fixtures/broken_format.jsonl");
    let o = quill(tmp.path()).args(["dataset", "validate"]).arg(&fixture).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("line 2: the line is not a JSON object (data_type)"), "{text}");
    assert!(text.contains("line 7: messages[0] has role \"bot\""), "{text}");
    assert!(text.contains("Verdict: NOT YET"), "{text}");
    let o = quill(tmp.path()).args(["dataset", "validate", "--json"]).arg(&fixture).output().unwrap();
    let r = json(&o.stdout);
    assert_eq!(r["issue_counts"]["data_type"], 1);
    assert_eq!(r["notebook"]["warnings"]["status"], "crashed");
}

#[test]
fn build_from_a_file_without_a_workspace_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("in.jsonl");
    std::fs::write(&src, "{\"instruction\": \"Say it plainly.\", \"output\": \"Plainly: less.\"}\n{\"bad\": 1}\n")
        .unwrap();
    let o = quill(tmp.path())
        .args(["dataset", "build", "--from"])
        .arg(&src)
        .args(["-o"])
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2: not a known format"), "{err}");
    let o = quill(tmp.path())
        .args(["dataset", "build", "--from", "workflows", "-o"])
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn bench_dataset_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let o = quill(tmp.path())
        .args(["bench", "dataset", "--lines", "500", "--runs", "1", "--no-peer", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json(&o.stdout);
    assert_eq!(r["lines"], 500);
    assert!(r["quill_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(r["notebook_cells_ok"], true);
}
