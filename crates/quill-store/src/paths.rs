use std::path::PathBuf;

/// Where the default models live: `$QUILL_MODELS`, else `<data dir>/quill/models`.
///
/// `scripts/fetch-models.sh` writes to the same place, so a fresh clone finds what it fetched.
pub fn models_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_MODELS").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".").join(".local/share")).join("quill").join("models")
}

/// The embedded default generator: SmolLM2-135M-Instruct, Q4_1 GGUF.
pub fn default_llm_path() -> PathBuf {
    models_dir().join("smollm2").join("SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// The embedded default embedder folder: all-MiniLM-L6-v2 (safetensors + tokenizer.json).
pub fn default_embedder_dir() -> PathBuf {
    models_dir().join("all-minilm-l6-v2")
}

/// Reference data from peer implementations used by parity tests and benchmarks:
/// `$QUILL_REFERENCE`, else `../shared/reference` next to the repository.
pub fn reference_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_REFERENCE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}
