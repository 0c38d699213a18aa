//! End-to-end checks of `quill tune` on the real default model and a small sample dataset
//! (`crates/quill-tune/tests/fixtures/maya`): train, list, export, and a run killed with
//! SIGKILL then resumed ending bit-for-bit where an uninterrupted run ends. They FAIL (never
//! skip) when the model is missing: run scripts/fetch-models.sh.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn model() -> PathBuf {
    let dir = std::env::var_os("QUILL_MODELS").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share/quill/models")
    });
    let p = dir.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(p.is_file(), "model {} is missing: run scripts/fetch-models.sh", p.display());
    p
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../quill-tune/tests/fixtures/maya")
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = quill().args(["init"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn quill() -> Command {
    Command::cargo_bin("quill").expect("quill binary")
}

/// Flags of a short, fully checkpointed run.
fn train_args(name: &str) -> Vec<String> {
    let mut v: Vec<String> = ["tune", "--data"].iter().map(|s| s.to_string()).collect();
    v.push(data().to_string_lossy().into_owned());
    for s in [
        "--name",
        name,
        "--max-steps",
        "5",
        "--batch",
        "2",
        "--epochs",
        "1",
        "--lr",
        "5e-4",
        "--save-every",
        "1",
        "--eval-every",
        "2",
        "--threads",
        "2",
        "--json",
    ] {
        v.push(s.to_string());
    }
    v
}

fn run_json(ws: &Path, args: &[String]) -> serde_json::Value {
    let out = quill().arg("-C").arg(ws).args(args).arg("--base").arg(model()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn train_list_and_export() {
    let ws = workspace();
    let v = run_json(ws.path(), &train_args("maya"));
    assert_eq!(v["status"], "completed");
    assert_eq!(v["steps"], 5);
    let curve = v["curve"].as_array().unwrap();
    assert_eq!(curve.len(), 5);
    assert!(curve.iter().any(|p| p.get("val_loss").is_some()));
    let adapter_dir = PathBuf::from(v["adapter_dir"].as_str().unwrap());
    for f in ["adapter.safetensors", "loss.svg", "run.json", "checkpoints/last.safetensors"] {
        assert!(adapter_dir.join(f).is_file(), "{f} missing");
    }
    assert!(adapter_dir.starts_with(ws.path().canonicalize().unwrap().join(".quill/adapters")));

    // Same name again: refused with a hint.
    let out = quill().arg("-C").arg(ws.path()).args(train_args("maya")).arg("--base").arg(model()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));

    let out = quill().arg("-C").arg(ws.path()).args(["tune", "list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(runs[0]["name"], "maya");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["steps_done"], 5);
    let out = quill().arg("-C").arg(ws.path()).args(["tune", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("maya"));

    let exp = ws.path().join("out");
    let out = quill()
        .arg("-C")
        .arg(ws.path())
        .args(["tune", "export", "maya", "--format", "all", "-o"])
        .arg(&exp)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["exported"]["template_mismatches"], serde_json::json!([]));
    for f in ["peft/adapter_config.json", "peft/adapter_model.safetensors", "maya.gguf", "Modelfile"] {
        assert!(exp.join(f).is_file(), "{f} missing");
    }
    let mf = std::fs::read_to_string(exp.join("Modelfile")).unwrap();
    assert!(mf.contains("ADAPTER ./maya.gguf") && mf.contains("PARAMETER stop \"<|im_end|>\""), "{mf}");

    let out = quill().arg("-C").arg(ws.path()).args(["tune", "export", "nope", "-o"]).arg(&exp).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("quill tune list"));
}

#[test]
fn a_killed_run_resumes_to_the_same_result() {
    // Uninterrupted reference run.
    let ws_a = workspace();
    let a = run_json(ws_a.path(), &train_args("r"));

    // Same run, SIGKILLed once it has checkpointed step 2, then resumed.
    let ws_b = workspace();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("quill"))
        .arg("-C")
        .arg(ws_b.path())
        .args(train_args("r"))
        .arg("--base")
        .arg(model())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        assert!(t0.elapsed() < Duration::from_secs(600), "the run never reached step 2");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before it could be killed");
        }
        let steps = checkpoint_step(&ws_b.path().join(".quill/adapters/r/checkpoints/last.safetensors"));
        if steps.is_some_and(|s| s >= 2) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let out = quill().arg("-C").arg(ws_b.path()).args(["tune", "list", "--json"]).output().unwrap();
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(runs[0]["status"], "interrupted", "a killed run is reported as interrupted");

    let out = quill().arg("-C").arg(ws_b.path()).args(["tune", "--resume", "r", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let b: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(b["status"], "completed");
    assert_eq!(a["steps"], b["steps"]);
    assert_eq!(a["final_loss"], b["final_loss"], "final loss differs after resume");
    assert_eq!(a["curve"], b["curve"], "loss curve differs after resume");
    let fa = std::fs::read(ws_a.path().join(".quill/adapters/r/adapter.safetensors")).unwrap();
    let fb = std::fs::read(ws_b.path().join(".quill/adapters/r/adapter.safetensors")).unwrap();
    assert!(fa == fb, "the resumed adapter differs from the uninterrupted one");
}

/// The step recorded in a checkpoint's header (checkpoints are replaced atomically, so a read
/// sees a whole file).
fn checkpoint_step(p: &Path) -> Option<u64> {
    let bytes = std::fs::read(p).ok()?;
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header: serde_json::Value = serde_json::from_slice(bytes.get(8..8 + n)?).ok()?;
    let state: serde_json::Value = serde_json::from_str(header["__metadata__"]["quill.state"].as_str()?).ok()?;
    state["step"].as_u64()
}
