//! Rung 2 end to end on the sample creator: the prompt linter on the seed's two prompts, a brief
//! assembled into a prompt (examples, cited passages, voice rules, inside the budget), and a real
//! draft from the local model that is checked and logged.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn quill(ws: &Path) -> assert_cmd::Command {
    let mut c = cargo_bin_cmd!("quill");
    c.env_remove("QUILL_WORKSPACE").arg("-C").arg(ws);
    c
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

fn require_models() {
    for p in [quill_store::default_llm_path(), quill_store::default_embedder_dir().join("model.safetensors")] {
        assert!(p.exists(), "{} is missing: run scripts/fetch-models.sh", p.display());
    }
}

/// A workspace with the sample creator's library and documents.
fn creator_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("quill").arg("init").arg(dir.path()).args(["--name", "Maya Okafor"]).assert().success();
    quill(dir.path()).args(["library", "import"]).arg(repo().join("examples/creator/library")).assert().success();
    quill(dir.path()).args(["kb", "add"]).arg(repo().join("examples/creator/docs")).assert().success();
    dir
}

#[test]
fn seed_prompts_lint_as_expected() {
    let fx = repo().join("crates/quill-prompt/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let out = quill(dir.path())
        .arg("--json")
        .args(["prompt", "lint"])
        .arg(fx.join("lazy.txt"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let lazy = json(&out);
    assert_eq!(lazy["grade"], "lazy");
    let missing: Vec<&str> =
        lazy["missing"].as_array().unwrap().iter().map(|m| m["element"].as_str().unwrap()).collect();
    for el in ["audience", "tone", "main_point", "examples", "cta", "avoid"] {
        assert!(missing.contains(&el), "{el} should be reported missing: {lazy:#}");
    }
    let out = quill(dir.path())
        .arg("--json")
        .args(["prompt", "lint"])
        .arg(fx.join("structured.txt"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let strong = json(&out);
    assert_eq!(strong["grade"], "strong", "{strong:#}");
    assert!(strong["score"].as_u64().unwrap() >= 90);
}

#[test]
fn brief_becomes_a_grounded_prompt_and_a_logged_draft() {
    require_models();
    let ws = creator_workspace();
    let brief = repo().join("examples/creator/briefs/linkedin-onboarding.toml");

    let out = quill(ws.path())
        .arg("--json")
        .arg("prompt")
        .arg("--brief")
        .arg(&brief)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    let p = &v["prompt"];
    let examples = p["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 3, "{v:#}");
    for e in examples {
        assert_eq!(e["platform"], "linkedin");
        assert!(e["why"].as_str().unwrap().contains("relevance"), "{e}");
    }
    assert!(!p["passages"].as_array().unwrap().is_empty(), "the brief turns knowledge on: {v:#}");
    let user = p["user"].as_str().unwrap();
    assert!(user.contains("[1]") && user.contains("### Example 1"), "{user}");
    let system = p["system"].as_str().unwrap();
    assert!(system.contains("Never use these phrases") && system.contains("leverage"), "{system}");
    assert!(p["tokens"].as_u64().unwrap() <= p["budget"].as_u64().unwrap());

    // A tight context forces trimming, and the trimming is reported.
    let out = quill(ws.path())
        .arg("--json")
        .arg("prompt")
        .arg("--brief")
        .arg(&brief)
        .args(["--context", "1200"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let tight = json(&out);
    assert!(!tight["prompt"]["trimmed"].as_array().unwrap().is_empty(), "{tight:#}");
    assert!(tight["prompt"]["tokens"].as_u64().unwrap() <= tight["prompt"]["budget"].as_u64().unwrap());

    // A real draft from the local model: streamed, checked against the brief, logged.
    let out = quill(ws.path())
        .arg("--json")
        .arg("draft")
        .arg("--brief")
        .arg(&brief)
        .args(["-n", "1", "--max-tokens", "24", "--seed", "3"])
        .assert()
        .get_output()
        .stdout
        .clone();
    let d = json(&out);
    let drafts = d["drafts"].as_array().unwrap();
    assert_eq!(drafts.len(), 1, "{d:#}");
    assert!(!drafts[0]["text"].as_str().unwrap().trim().is_empty());
    let checks = drafts[0]["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["name"] == "max_chars"), "{d:#}");
    assert!(checks.iter().any(|c| c["name"] == "must_include"), "{d:#}");
    for c in checks {
        assert!(c["name"] != "banned_phrase" || c["status"] != "fail", "a banned phrase survived repair: {d:#}");
    }
    let out = quill(ws.path()).arg("--json").arg("logs").assert().success().get_output().stdout.clone();
    let logs = json(&out);
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["command"], "draft");
    assert_eq!(logs[0]["backend"], "local");
    assert!(logs[0]["prompt"].as_str().unwrap().contains("### Example"));
    assert!(logs[0]["completion_tokens"].as_u64().unwrap() > 0);
}

/// The same brief drafted through the HTTP backend against a real `quill serve`: variants come
/// back checked against the brief, and the log names the remote backend and model.
#[test]
fn draft_with_the_http_backend_against_quill_serve() {
    require_models();
    let serve = common::Serve::start(&["--token", "k3y"]);
    let ws = creator_workspace();
    common::add_backend(ws.path(), &serve.base_url);
    let brief = repo().join("examples/creator/briefs/linkedin-onboarding.toml");
    let out = quill(ws.path())
        .env("QUILL_TEST_SERVE_KEY", "k3y")
        .arg("--json")
        .arg("draft")
        .arg("--brief")
        .arg(&brief)
        .args(["--backend", "served", "-n", "2", "--max-tokens", "32", "--seed", "5"])
        .assert()
        .get_output()
        .clone();
    let d = json(&out.stdout);
    let drafts = d["drafts"].as_array().unwrap_or_else(|| panic!("{d:#}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(drafts.len(), 2, "{d:#}");
    for draft in drafts {
        assert!(!draft["text"].as_str().unwrap().trim().is_empty(), "{d:#}");
        let checks = draft["checks"].as_array().unwrap();
        assert!(checks.iter().any(|c| c["name"] == "max_chars"), "{d:#}");
        for c in checks {
            assert!(c["name"] != "banned_phrase" || c["status"] != "fail", "a banned phrase survived repair: {d:#}");
        }
    }
    let out = quill(ws.path()).arg("--json").arg("logs").assert().success().get_output().stdout.clone();
    let logs = json(&out);
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 2, "one log row per variant: {logs:#?}");
    for row in logs {
        assert_eq!(row["command"], "draft");
        assert_eq!(row["backend"], "served");
        assert_eq!(row["model"], "smollm2");
        assert!(row["prompt"].as_str().unwrap().contains("### Example"));
        assert!(row["completion_tokens"].as_u64().unwrap() > 0, "{row}");
    }
}
