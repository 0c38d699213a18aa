//! Shared by the integration tests: the real model, loaded once per test binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use quill_knowledge::Embedder;

/// The model folder; the test fails (never skips) when it is missing.
pub fn model_dir() -> PathBuf {
    let dir = quill_store::default_embedder_dir();
    assert!(
        dir.join("model.safetensors").is_file() && dir.join("tokenizer.json").is_file(),
        "all-MiniLM-L6-v2 not found in {} — run scripts/fetch-models.sh (or set QUILL_MODELS)",
        dir.display()
    );
    dir
}

/// A fresh embedder (cheap enough: ~0.1 s).
pub fn embedder() -> Embedder {
    match Embedder::load(&model_dir()) {
        Ok(e) => e,
        Err(e) => panic!("loading the embedder: {e}\n  hint: run scripts/fetch-models.sh"),
    }
}

/// One shared embedder for read-only use.
pub fn shared() -> &'static Embedder {
    static E: OnceLock<Embedder> = OnceLock::new();
    E.get_or_init(embedder)
}
