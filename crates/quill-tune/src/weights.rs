//! The frozen base model: every weight dequantized to f32, held as plain tensors.
//!
//! Plain `Tensor`s (not `Var`s) are what keeps them frozen: candle only accumulates gradients
//! for variables, and the fused ops in [`crate::ops`] never compute a weight gradient for them.
//! Layout is GGUF's: linear weights are (out, in) row-major and q/k rows are permuted for
//! llama.cpp's interleaved RoPE, which [`crate::ops`] and the reference graph both assume.

use std::path::Path;

use candle_core::{Device, Tensor};
use quill_llm::gguf::GgufFile;
use rayon::prelude::*;

use crate::config::ModelConfig;
use crate::dequant::dequantize_tensor;
use crate::rng::Rng;
use crate::{Result, Target, TuneError};

/// One transformer block's frozen weights.
#[derive(Debug, Clone)]
pub struct LayerWeights {
    /// RMSNorm gain before attention, `(n_embd,)`.
    pub attn_norm: Tensor,
    /// Query projection `(n_head*head_dim, n_embd)`, rows in GGUF (permuted) order.
    pub wq: Tensor,
    /// Key projection `(n_head_kv*head_dim, n_embd)`, rows in GGUF (permuted) order.
    pub wk: Tensor,
    /// Value projection.
    pub wv: Tensor,
    /// Attention output projection.
    pub wo: Tensor,
    /// RMSNorm gain before the feed-forward.
    pub ffn_norm: Tensor,
    /// SwiGLU gate projection.
    pub w_gate: Tensor,
    /// SwiGLU up projection.
    pub w_up: Tensor,
    /// Feed-forward down projection.
    pub w_down: Tensor,
}

impl LayerWeights {
    /// The frozen weight a LoRA target adapts.
    pub fn weight(&self, t: Target) -> &Tensor {
        match t {
            Target::Q => &self.wq,
            Target::K => &self.wk,
            Target::V => &self.wv,
            Target::O => &self.wo,
            Target::Gate => &self.w_gate,
            Target::Up => &self.w_up,
            Target::Down => &self.w_down,
        }
    }
}

/// All frozen weights of a Llama model.
#[derive(Debug, Clone)]
pub struct BaseWeights {
    /// Architecture numbers.
    pub cfg: ModelConfig,
    /// Token embedding `(vocab, n_embd)`.
    pub tok_embd: Tensor,
    /// Blocks, first to last.
    pub layers: Vec<LayerWeights>,
    /// Final RMSNorm gain.
    pub out_norm: Tensor,
    /// LM head `(vocab, n_embd)`; the same tensor as `tok_embd` when the model ties them.
    pub output: Tensor,
}

fn tensor(values: Vec<f32>, rows: usize, cols: usize) -> Result<Tensor> {
    Ok(if rows == 1 {
        Tensor::from_vec(values, cols, &Device::Cpu)?
    } else {
        Tensor::from_vec(values, (rows, cols), &Device::Cpu)?
    })
}

impl BaseWeights {
    /// Loads and dequantizes a GGUF model (about 0.55 GB of f32 for SmolLM2-135M).
    pub fn load(path: &Path) -> Result<Self> {
        let file = GgufFile::open(path)?;
        Self::from_gguf(&file)
    }

    /// Loads from an already opened GGUF file.
    pub fn from_gguf(file: &GgufFile) -> Result<Self> {
        let cfg = ModelConfig::from_gguf(file)?;
        let mut names = vec!["token_embd.weight".to_string(), "output_norm.weight".to_string()];
        let tied = file.tensor_info("output.weight").is_none();
        if !tied {
            names.push("output.weight".into());
        }
        const PER_LAYER: [&str; 9] =
            ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"];
        for i in 0..cfg.n_layer {
            for p in PER_LAYER {
                names.push(format!("blk.{i}.{p}.weight"));
            }
        }
        let decoded: Vec<_> = names.par_iter().map(|n| dequantize_tensor(file, n)).collect::<Result<Vec<_>>>()?;
        let mut it = decoded.into_iter();
        let mut next = |expect_rows: usize, expect_cols: usize, name: &str| -> Result<Tensor> {
            let d = it.next().ok_or_else(|| TuneError::model(file.path(), "internal: tensor list exhausted"))?;
            if d.rows != expect_rows || d.cols != expect_cols {
                return Err(TuneError::model(
                    file.path(),
                    format!("tensor {name} has shape {}x{}, expected {expect_rows}x{expect_cols}", d.rows, d.cols),
                ));
            }
            tensor(d.values, d.rows, d.cols)
        };
        let (d, kv) = (cfg.n_embd, cfg.n_head_kv * cfg.head_dim);
        let tok_embd = next(cfg.vocab, d, "token_embd.weight")?;
        let out_norm = next(1, d, "output_norm.weight")?;
        let output = if tied { tok_embd.clone() } else { next(cfg.vocab, d, "output.weight")? };
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let n = |p: &str| format!("blk.{i}.{p}.weight");
            layers.push(LayerWeights {
                attn_norm: next(1, d, &n("attn_norm"))?,
                wq: next(cfg.n_head * cfg.head_dim, d, &n("attn_q"))?,
                wk: next(kv, d, &n("attn_k"))?,
                wv: next(kv, d, &n("attn_v"))?,
                wo: next(d, cfg.n_head * cfg.head_dim, &n("attn_output"))?,
                ffn_norm: next(1, d, &n("ffn_norm"))?,
                w_gate: next(cfg.n_ff, d, &n("ffn_gate"))?,
                w_up: next(cfg.n_ff, d, &n("ffn_up"))?,
                w_down: next(d, cfg.n_ff, &n("ffn_down"))?,
            });
        }
        Ok(BaseWeights { cfg, tok_embd, layers, out_norm, output })
    }

    /// A random model for tests (gradient checks, overfitting): weights ~ N(0, 1/in), norms near 1.
    pub fn random(cfg: &ModelConfig, seed: u64) -> Result<Self> {
        let mut rng = Rng::new(seed);
        let mut mat = |rows: usize, cols: usize, std: f32| -> Result<Tensor> {
            let v: Vec<f32> = (0..rows * cols).map(|_| rng.normal() * std).collect();
            tensor(v, rows, cols)
        };
        let (d, kv, q) = (cfg.n_embd, cfg.n_head_kv * cfg.head_dim, cfg.n_head * cfg.head_dim);
        let s_d = 1.0 / (d as f32).sqrt();
        let s_ff = 1.0 / (cfg.n_ff as f32).sqrt();
        let tok_embd = mat(cfg.vocab, d, 1.0)?;
        let mut layers = Vec::new();
        for _ in 0..cfg.n_layer {
            layers.push(LayerWeights {
                attn_norm: (mat(1, d, 0.1)? + 1.0)?,
                wq: mat(q, d, s_d)?,
                wk: mat(kv, d, s_d)?,
                wv: mat(kv, d, s_d)?,
                wo: mat(d, q, s_d)?,
                ffn_norm: (mat(1, d, 0.1)? + 1.0)?,
                w_gate: mat(cfg.n_ff, d, s_d)?,
                w_up: mat(cfg.n_ff, d, s_d)?,
                w_down: mat(d, cfg.n_ff, s_ff)?,
            });
        }
        let out_norm = (mat(1, d, 0.1)? + 1.0)?;
        let output = mat(cfg.vocab, d, s_d)?;
        Ok(BaseWeights { cfg: cfg.clone(), tok_embd, layers, out_norm, output })
    }
}
