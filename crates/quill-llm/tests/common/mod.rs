//! Shared helpers for the parity tests: locate the real model and the peer reference data.
//! Model-dependent tests FAIL (never skip) when the model is missing.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn models_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_MODELS").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/quill/models")
}

/// The SmolLM2 GGUF; panics with the fix when it is missing.
pub fn model_path() -> PathBuf {
    let p = models_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(p.is_file(), "model {} is missing: run scripts/fetch-models.sh", p.display());
    p
}

/// `$QUILL_REFERENCE`, else `../shared/reference` next to the workspace.
pub fn reference_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_REFERENCE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

pub fn reference_json(name: &str) -> serde_json::Value {
    let p = reference_dir().join("smollm2").join(name);
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("reference file {} unreadable ({e}); set QUILL_REFERENCE", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array().expect("id array").iter().map(|x| x.as_u64().expect("id") as u32).collect()
}
