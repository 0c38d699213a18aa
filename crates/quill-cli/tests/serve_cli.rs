//! `quill serve` as a child process, used by `quill generate --backend NAME` and by the official
//! OpenAI Python client. Uses the real default model: a missing model fails the test with the fix.

mod common;

use common::{Serve, model, quill, workspace};
use std::path::{Path, PathBuf};
use std::process::Command;

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn generate_with_backend_against_quill_serve() {
    let serve = Serve::start(&["--token", "s3cret"]);
    let ws = workspace(&serve.base_url);
    let args = ["generate", "--temperature", "0", "--max-tokens", "12", "--threads", "1", "--json", "Name a colour."];
    let remote = Command::new(quill())
        .arg("-C")
        .arg(ws.path())
        .args(["generate", "--backend", "served"])
        .args(&args[1..])
        .env("QUILL_TEST_SERVE_KEY", "s3cret")
        .output()
        .unwrap();
    let r = json_of(&remote);
    assert_eq!(r["backend"], "served");
    assert_eq!(r["model"], "smollm2");
    let text = r["text"].as_str().unwrap();
    assert!(!text.trim().is_empty(), "{r}");
    assert!(r["completion_tokens"].as_u64().unwrap() <= 12);
    assert!(r["prompt_tokens"].as_u64().unwrap() > 3);

    // Greedy decoding through the server equals the local model's own answer.
    let local = Command::new(quill()).args(args).output().unwrap();
    let l = json_of(&local);
    assert_eq!(l["text"].as_str().unwrap(), text, "server and local disagree");

    // Streaming to the terminal (no --json) prints the text on stdout.
    let streamed = Command::new(quill())
        .arg("-C")
        .arg(ws.path())
        .args(["generate", "--backend", "served", "--temperature", "0", "--max-tokens", "12", "Name a colour."])
        .env("QUILL_TEST_SERVE_KEY", "s3cret")
        .output()
        .unwrap();
    assert!(streamed.status.success(), "{}", String::from_utf8_lossy(&streamed.stderr));
    assert_eq!(String::from_utf8_lossy(&streamed.stdout).trim_end(), text.trim_end());

    // A wrong key is a clear error naming the variable; so is a missing one and an unknown name.
    let bad = Command::new(quill())
        .arg("-C")
        .arg(ws.path())
        .args(["generate", "--backend", "served", "hi"])
        .env("QUILL_TEST_SERVE_KEY", "wrong")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("rejected the API key") && err.contains("$QUILL_TEST_SERVE_KEY"), "{err}");
    let missing = Command::new(quill())
        .arg("-C")
        .arg(ws.path())
        .args(["generate", "--backend", "served", "hi"])
        .env_remove("QUILL_TEST_SERVE_KEY")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("QUILL_TEST_SERVE_KEY is not set"));
    let unknown =
        Command::new(quill()).arg("-C").arg(ws.path()).args(["generate", "--backend", "nope", "hi"]).output().unwrap();
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("no backend named \"nope\"") && err.contains("local, served"), "{err}");
}

/// A venv with the official `openai` package, made once per target folder.
fn openai_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openai-venv");
    let py = venv.join("bin").join("python");
    let ready = py.is_file()
        && Command::new(&py).args(["-c", "import openai"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !ready {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let st = Command::new(&python).args(["-m", "venv"]).arg(&venv).status().expect("python3 -m venv");
        assert!(st.success(), "creating a venv failed: install python3 with the venv module");
        let out = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "openai"])
            .output()
            .expect("pip install openai");
        assert!(out.status.success(), "pip install openai failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    py
}

#[test]
fn official_openai_python_client_streams_from_quill_serve() {
    let py = openai_python();
    let serve = Serve::start(&["--token", "py-key"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../quill-serve/tests/openai_stream.py");
    let out = Command::new(&py).arg(&script).args([&serve.base_url, "py-key", "smollm2"]).output().unwrap();
    assert!(
        out.status.success(),
        "the OpenAI client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["chunks"].as_u64().unwrap() > 1, "{v}");
    assert_eq!(v["roles"], serde_json::json!(["assistant"]));
    let streamed = v["streamed"].as_str().unwrap();
    assert!(!streamed.trim().is_empty());
    assert_eq!(v["whole"].as_str().unwrap(), streamed, "greedy: streamed and whole answers match");
    assert!(["stop", "length"].contains(&v["finish_reason"].as_str().unwrap()));
    assert_eq!(v["usage"]["completion_tokens"], v["whole_usage"]["completion_tokens"]);
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() > 3);
    assert_eq!(v["models"], serde_json::json!(["smollm2"]));
    assert_eq!(v["errors"], serde_json::json!({"not_found": 404, "auth": 401, "bad_request": 400}));
}

#[test]
fn serve_refuses_a_public_address_without_a_token() {
    let out = Command::new(quill()).args(["serve", "--addr", "0.0.0.0:0", "--model"]).arg(model()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without a token") && err.contains("--token"), "{err}");
}
