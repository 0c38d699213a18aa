//! `quill kb …` end to end through the built binary, with the real embedding model.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn creator_docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/creator/docs")
}

fn require_model() {
    let dir = quill_store::default_embedder_dir();
    assert!(
        dir.join("model.safetensors").is_file(),
        "all-MiniLM-L6-v2 not found in {} — run scripts/fetch-models.sh",
        dir.display()
    );
}

struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new() -> Self {
        require_model();
        let dir = tempfile::tempdir().unwrap();
        cargo_bin_cmd!("quill").arg("init").arg(dir.path().join("ws")).assert().success();
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = cargo_bin_cmd!("quill");
        c.env_remove("QUILL_WORKSPACE").env("NO_COLOR", "1").arg("-C").arg(self.root());
        c
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").arg("kb").args(args).assert().success().get_output().stdout.clone();
        serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
    }
}

#[test]
fn add_search_list_rm_round_trip() {
    let ws = Ws::new();
    let docs = ws.dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for f in ["faq.md", "offer.md", "offer.html", "case-study.txt"] {
        std::fs::copy(creator_docs().join(f), docs.join(f)).unwrap();
    }
    std::fs::write(docs.join("broken.docx"), b"PK not really a zip").unwrap();

    let add = ws.json(&["add", docs.to_str().unwrap()]);
    assert_eq!(add["added"].as_array().unwrap().len(), 4, "{add}");
    assert_eq!(add["failed"].as_array().unwrap().len(), 1);
    assert!(add["failed"][0]["path"].as_str().unwrap().ends_with("broken.docx"));
    assert_eq!(add["embedded"], add["chunks"]);

    // --strict turns a skipped file into exit status 1; nothing changed, so nothing re-indexed.
    let out = ws.cmd().args(["kb", "add", "--strict"]).arg(&docs).assert().code(1).get_output().clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.docx"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 added, 0 updated, 4 unchanged"));

    let s = ws.json(&["search", "what's the price of the sprint?", "--k", "3"]);
    let hits = s["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0]["n"], 1);
    assert!(hits.iter().any(|h| h["text"].as_str().unwrap().contains("$9,500")), "{s}");
    for h in hits {
        assert!(h["heading_path"].is_array() && h["start_char"].as_u64().unwrap() < h["end_char"].as_u64().unwrap());
    }
    for mode in ["bm25", "dense", "hybrid"] {
        let r = ws.json(&["search", "refund \"guarantee\" AND (", "--mode", mode, "--mmr", "0.7"]);
        assert_eq!(r["mode"], mode);
        assert!(!r["hits"].as_array().unwrap().is_empty(), "{mode}: {r}");
    }
    let text = ws
        .cmd()
        .args(["kb", "search", "Northpaw overdue invoices", "-k", "1"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&text);
    assert!(text.starts_with("[1] CASE STUDY: NORTHPAW CREATIVE"), "{text}");
    assert!(text.contains("case-study.txt  chars "), "{text}");

    let list = ws.json(&["list"]);
    assert_eq!(list.as_array().unwrap().len(), 4);
    let rm = ws.json(&["rm", docs.join("faq.md").to_str().unwrap()]);
    assert_eq!(rm["removed"].as_array().unwrap().len(), 1);
    assert_eq!(ws.json(&["list"]).as_array().unwrap().len(), 3);
    ws.cmd().args(["kb", "rm", "9999"]).assert().code(1);

    let stats = ws.json(&["stats"]);
    assert_eq!(stats["documents"]["docs"], 3);
}

#[test]
fn eval_reports_every_mode() {
    let ws = Ws::new();
    ws.json(&["add", creator_docs().to_str().unwrap()]);
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("../quill-knowledge/tests/fixtures/retrieval.jsonl");
    let r = ws.json(&["eval", set.to_str().unwrap()]);
    let modes: Vec<&str> = r.as_array().unwrap().iter().map(|m| m["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["bm25", "dense", "hybrid"]);
    for m in r.as_array().unwrap() {
        let (r5, nd) = (m["recall_at_5"].as_f64().unwrap(), m["ndcg_at_10"].as_f64().unwrap());
        assert!((0.3..=1.0).contains(&r5) && (0.3..=1.0).contains(&nd), "{m}");
    }
}

#[test]
fn help_has_examples_and_bad_flags_are_clear() {
    let out = cargo_bin_cmd!("quill").args(["kb", "search", "--help"]).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&out).contains("Examples:"));
    let ws = Ws::new();
    let err = ws.cmd().args(["kb", "search", "x", "--mmr", "2"]).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&err).contains("--mmr takes"));
    let err = ws.cmd().args(["kb", "add", "/definitely/not/here"]).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&err).contains("no such file or folder"));
}
