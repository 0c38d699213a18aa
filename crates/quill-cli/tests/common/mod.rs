//! Shared by the CLI tests that need a real `quill serve` child process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub fn quill() -> PathBuf {
    assert_cmd::cargo::cargo_bin("quill")
}

/// The fetched default model; a missing one fails the test with the fix.
pub fn model() -> PathBuf {
    let p = quill_store::default_llm_path();
    assert!(p.is_file(), "the default model {} is missing: run scripts/fetch-models.sh", p.display());
    p
}

/// A `quill serve` child that is killed when dropped.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT/v1`, as printed in the server's JSON banner.
    pub base_url: String,
}

impl Serve {
    /// Starts the server on a free loopback port with the default model; `extra` adds flags.
    pub fn start(extra: &[&str]) -> Self {
        model();
        let mut child = Command::new(quill())
            .args(["serve", "--addr", "127.0.0.1:0", "--json", "--threads", "1", "--ctx", "2048"])
            .args(extra)
            .env_remove("QUILL_WORKSPACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting quill serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("reading the serve banner");
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("quill serve printed {line:?} ({e})"));
        let base_url = v["base_url"].as_str().expect("base_url").to_string();
        Serve { child, base_url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh workspace whose `quill.toml` names the server as backend `served` (key from
/// `$QUILL_TEST_SERVE_KEY`).
pub fn workspace(base_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(quill()).args(["init"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    add_backend(dir.path(), base_url);
    dir
}

/// Appends `[backends.served]` pointing at `base_url` to the workspace's `quill.toml`.
pub fn add_backend(ws: &std::path::Path, base_url: &str) {
    let cfg = ws.join("quill.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "\n[backends.served]\nkind = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"smollm2\"\napi_key_env = \"QUILL_TEST_SERVE_KEY\"\nread_timeout_secs = 120\n"
    ));
    std::fs::write(&cfg, text).unwrap();
}
