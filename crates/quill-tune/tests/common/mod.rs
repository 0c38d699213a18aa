//! Shared helpers of the model-dependent tests: they fail (never skip) when the model or the
//! reference data is missing.
#![allow(dead_code)]

use std::path::PathBuf;

/// The default SmolLM2 GGUF; panics with the fix when it is missing.
pub fn model_path() -> PathBuf {
    let p = quill_store::default_llm_path();
    assert!(
        p.is_file(),
        "the default model {} is missing: run scripts/fetch-models.sh (or set QUILL_MODELS)",
        p.display()
    );
    p
}

/// `../shared/reference/torch-lora`; panics with the fix when it is missing.
pub fn torch_lora_dir() -> PathBuf {
    let p = quill_store::reference_dir().join("torch-lora");
    assert!(
        p.join("reference.json").is_file(),
        "the PyTorch LoRA reference {} is missing: set QUILL_REFERENCE to the shared reference folder",
        p.display()
    );
    p
}
