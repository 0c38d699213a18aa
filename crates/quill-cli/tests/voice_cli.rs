//! `quill voice profile|score|habits|learn` end to end on the sample creator: import her
//! library, build the profile (stylometric, so no model is needed), score her held-out posts
//! above the generic ones, find no habits in her own posts, and turn her rewrites into rules
//! that `quill lint` then runs.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn creator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/creator")
}

fn quill(ws: &Path) -> assert_cmd::Command {
    let mut c = cargo_bin_cmd!("quill");
    c.env_remove("QUILL_WORKSPACE").env("NO_COLOR", "1").arg("-C").arg(ws);
    c
}

fn json(ws: &Path, args: &[&str]) -> Value {
    let out = quill(ws).arg("--json").args(args).assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("quill").arg("init").arg(dir.path()).assert().success();
    let lib = creator().join("library");
    quill(dir.path()).args(["library", "import", lib.to_str().unwrap()]).assert().success();
    dir
}

#[test]
fn score_needs_a_profile_first() {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("quill").arg("init").arg(dir.path()).assert().success();
    let held = creator().join("heldout");
    let out = quill(dir.path())
        .args(["voice", "score", held.to_str().unwrap()])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("quill voice profile"));
}

#[test]
fn profile_score_habits_learn_and_lint() {
    let dir = workspace();
    let ws = dir.path();
    let p = json(ws, &["voice", "profile", "--no-embed"]);
    assert!(p["texts"].as_u64().unwrap() >= 50, "{p:#}");
    assert!(p["embedder"].is_null());
    let sentence = p["scalars"].as_array().unwrap().iter().find(|s| s["key"] == "sentence_words").unwrap()["mean"]
        .as_f64()
        .unwrap();
    assert!(sentence < 9.0, "her sentences are short: {sentence}");
    assert_eq!(p["closers"][0]["example"], "Run lean. — M.");

    let held = creator().join("heldout");
    let generic = creator().join("generic");
    let s = json(ws, &["voice", "score", held.to_str().unwrap(), generic.to_str().unwrap()]);
    let results = s["results"].as_array().unwrap();
    let scores = |part: &str| -> Vec<f64> {
        results
            .iter()
            .filter(|r| r["path"].as_str().unwrap().contains(part))
            .map(|r| r["score"]["score"].as_f64().unwrap())
            .collect()
    };
    let (own, gen_) = (scores("heldout"), scores("generic"));
    assert_eq!((own.len(), gen_.len()), (6, 6));
    let min_own = own.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(gen_.iter().all(|g| *g < min_own), "own {own:?} generic {gen_:?}");
    let reasons: Vec<String> = results
        .iter()
        .filter(|r| r["path"].as_str().unwrap().contains("generic"))
        .flat_map(|r| {
            r["score"]["reasons"].as_array().unwrap().iter().map(|x| x["message"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(reasons.iter().any(|r| r.contains("which you never use")), "{reasons:#?}");

    let h = json(ws, &["voice", "habits", held.to_str().unwrap()]);
    assert_eq!(h["habits"].as_array().unwrap().len(), 0, "{h:#}");
    let a = h["amplification"].as_f64().unwrap();
    assert!((0.7..=1.3).contains(&a), "{a}");

    let l = json(ws, &["voice", "learn"]);
    let props = l["proposals"].as_array().unwrap();
    let utilize = props.iter().find(|p| p["proposal"]["from"] == "utilize").expect("utilize proposal");
    let id = utilize["proposal"]["id"].as_str().unwrap().to_string();
    assert!(props.iter().all(|p| p["proposal"]["from"] != "agencies"), "words she uses are not proposed");
    let l = json(ws, &["voice", "learn", "--accept", &id]);
    assert_eq!(l["written"].as_array().unwrap().len(), 1);
    assert!(ws.join(".quill/styles/Learned/NoUtilize.yml").is_file());
    let l = json(ws, &["voice", "learn"]);
    assert!(
        l["proposals"].as_array().unwrap().iter().any(|p| p["proposal"]["id"] == id.as_str() && p["accepted"] == true)
    );

    let draft = ws.join("draft.md");
    std::fs::write(&draft, "We utilize calendars.\n").unwrap();
    let out = quill(ws).args(["--json", "lint", draft.to_str().unwrap()]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let rules: Vec<&str> =
        v["files"][0]["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"Learned.NoUtilize"), "{rules:?}");
    assert!(rules.contains(&"Library.Replace"), "banned phrases come from the library: {rules:?}");

    let bad = quill(ws).args(["voice", "learn", "--accept", "nope"]).assert().failure().get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&bad).contains("no proposal with id"));
}
