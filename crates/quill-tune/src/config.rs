//! The architecture numbers of a Llama-family base model, read from GGUF metadata.
//!
//! Kept small and local so the trainer depends only on the GGUF reader; when the runtime's
//! `LlamaConfig` covers the same keys this can become a thin conversion.

use std::path::Path;

use quill_llm::gguf::GgufFile;
use serde::{Deserialize, Serialize};

use crate::{Result, TuneError};

/// Shapes and constants of a Llama-architecture model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// `general.architecture` (only `llama` is trainable here).
    pub arch: String,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Hidden size.
    pub n_embd: usize,
    /// Feed-forward (SwiGLU) inner size.
    pub n_ff: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads (GQA when smaller than `n_head`).
    pub n_head_kv: usize,
    /// Size of one head (`n_embd / n_head`).
    pub head_dim: usize,
    /// Vocabulary size.
    pub vocab: usize,
    /// RoPE base frequency.
    pub rope_base: f32,
    /// RMSNorm epsilon.
    pub rms_eps: f32,
    /// Trained context length (upper bound for `--max-seq`).
    pub context_length: usize,
}

impl ModelConfig {
    /// Reads the config from a GGUF file, refusing architectures and RoPE variants this trainer
    /// would silently get wrong.
    pub fn from_gguf(f: &GgufFile) -> Result<Self> {
        let path = f.path();
        let arch = f
            .get_str("general.architecture")
            .ok_or_else(|| TuneError::model(path, "missing general.architecture"))?
            .to_string();
        if arch != "llama" {
            return Err(TuneError::model(
                path,
                format!(
                    "architecture {arch:?} is not supported for fine-tuning (only Llama-architecture GGUF models, \
                     e.g. SmolLM2, Llama 2/3, Mistral converted as llama)"
                ),
            ));
        }
        let key = |k: &str| format!("{arch}.{k}");
        let req = |k: &str| -> Result<usize> {
            f.get_u64(&key(k))
                .map(|v| v as usize)
                .ok_or_else(|| TuneError::model(path, format!("missing metadata key {}", key(k))))
        };
        let n_layer = req("block_count")?;
        let n_embd = req("embedding_length")?;
        let n_ff = req("feed_forward_length")?;
        let n_head = req("attention.head_count")?;
        let n_head_kv = f.get_u64(&key("attention.head_count_kv")).map(|v| v as usize).unwrap_or(n_head);
        let context_length = f.get_u64(&key("context_length")).map(|v| v as usize).unwrap_or(2048);
        let rope_base = f.get_f64(&key("rope.freq_base")).unwrap_or(10000.0) as f32;
        let rms_eps = f.get_f64(&key("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5) as f32;
        if let Some(kind) = f.get_str(&key("rope.scaling.type")).filter(|k| *k != "none") {
            return Err(TuneError::model(path, format!("RoPE scaling {kind:?} is not supported for fine-tuning yet")));
        }
        if n_head == 0 || n_head_kv == 0 || n_embd % n_head != 0 || n_head % n_head_kv != 0 || n_layer == 0 {
            return Err(TuneError::model(
                path,
                format!("inconsistent shapes: {n_embd} hidden, {n_head} heads, {n_head_kv} kv heads"),
            ));
        }
        let head_dim = n_embd / n_head;
        if let Some(d) = f.get_u64(&key("rope.dimension_count"))
            && d as usize != head_dim
        {
            return Err(TuneError::model(
                path,
                format!("partial RoPE ({d} of {head_dim} dims) is not supported for fine-tuning"),
            ));
        }
        if head_dim % 2 != 0 {
            return Err(TuneError::model(path, format!("head size {head_dim} is odd")));
        }
        let vocab = match f.get_u64(&key("vocab_size")) {
            Some(v) => v as usize,
            None => f
                .tensor_info("token_embd.weight")
                .map(|t| t.n_rows() as usize)
                .ok_or_else(|| TuneError::model(path, "tensor token_embd.weight is missing"))?,
        };
        Ok(ModelConfig {
            arch,
            n_layer,
            n_embd,
            n_ff,
            n_head,
            n_head_kv,
            head_dim,
            vocab,
            rope_base,
            rms_eps,
            context_length,
        })
    }

    /// Output rows of a projection (`q` has `n_embd`, `k`/`v` have `n_head_kv * head_dim`, ...).
    pub fn out_features(&self, t: crate::Target) -> usize {
        use crate::Target::*;
        match t {
            Q | O | Down => self.n_embd,
            K | V => self.n_head_kv * self.head_dim,
            Gate | Up => self.n_ff,
        }
    }

    /// Input columns of a projection.
    pub fn in_features(&self, t: crate::Target) -> usize {
        use crate::Target::*;
        match t {
            Q | K | V | Gate | Up => self.n_embd,
            O => self.n_head * self.head_dim,
            Down => self.n_ff,
        }
    }

    /// A tiny random-model config for tests (GQA, several layers, even head size).
    pub fn tiny() -> Self {
        ModelConfig {
            arch: "llama".into(),
            n_layer: 2,
            n_embd: 16,
            n_ff: 24,
            n_head: 4,
            n_head_kv: 2,
            head_dim: 4,
            vocab: 37,
            rope_base: 10000.0,
            rms_eps: 1e-5,
            context_length: 64,
        }
    }

    /// Reads the config of the GGUF file at `path`.
    pub fn from_path(path: &Path) -> Result<Self> {
        Self::from_gguf(&GgufFile::open(path)?)
    }
}
