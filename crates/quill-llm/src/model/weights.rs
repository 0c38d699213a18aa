//! Loading the Llama weights from a GGUF file into [`QMatrix`] handles.
//!
//! The weights are copied (and repacked for the fast kernels) out of the memory map, so the map
//! can be dropped after loading and the resident set holds one copy of the model.

use crate::config::LlamaConfig;
use crate::error::{KernelContext, LlmError};
use crate::gguf::{GgmlType, GgufFile};
use quill_kernels::QMatrix;

/// One transformer block. Matrices are `rows × cols` = (out features × in features), in GGUF
/// row order (q/k rows permuted for llama.cpp's interleaved RoPE, as stored).
#[derive(Debug, Clone)]
pub struct LayerWeights {
    pub attn_norm: Vec<f32>,
    pub wq: QMatrix,
    pub wk: QMatrix,
    pub wv: QMatrix,
    pub wo: QMatrix,
    pub ffn_norm: Vec<f32>,
    pub w_gate: QMatrix,
    pub w_up: QMatrix,
    pub w_down: QMatrix,
}

/// All weights of a Llama model plus its config. The training crate reads these (through
/// [`crate::Model::weights`]) and dequantizes them to build its own differentiable graph.
#[derive(Debug, Clone)]
pub struct ModelWeights {
    pub config: LlamaConfig,
    /// `n_vocab × n_embd`; also the output head when `config.tied_output`.
    pub token_embd: QMatrix,
    pub layers: Vec<LayerWeights>,
    pub output_norm: Vec<f32>,
    /// `None` when the head is tied to `token_embd`.
    pub output: Option<QMatrix>,
}

impl ModelWeights {
    /// The output head (`output.weight`, or the embedding matrix when tied).
    pub fn output(&self) -> &QMatrix {
        self.output.as_ref().unwrap_or(&self.token_embd)
    }

    /// Bytes held by the weight matrices (after repacking).
    pub fn weight_bytes(&self) -> usize {
        let mut n = self.token_embd.weight_bytes() + self.output.as_ref().map_or(0, |o| o.weight_bytes());
        for l in &self.layers {
            n += [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down]
                .iter()
                .map(|m| m.weight_bytes())
                .sum::<usize>();
            n += (l.attn_norm.len() + l.ffn_norm.len()) * 4;
        }
        n
    }

    /// Reads every tensor the Llama forward pass needs, checking names, shapes and types.
    pub fn load(f: &GgufFile, config: LlamaConfig) -> Result<Self, LlmError> {
        let c = &config;
        let token_embd = matrix(f, "token_embd.weight", c.n_vocab, c.n_embd)?;
        let output = if c.tied_output { None } else { Some(matrix(f, "output.weight", c.n_vocab, c.n_embd)?) };
        let output_norm = vector(f, "output_norm.weight", c.n_embd)?;
        let mut layers = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            layers.push(LayerWeights {
                attn_norm: vector(f, &n("attn_norm"), c.n_embd)?,
                wq: matrix(f, &n("attn_q"), c.q_dim(), c.n_embd)?,
                wk: matrix(f, &n("attn_k"), c.kv_dim(), c.n_embd)?,
                wv: matrix(f, &n("attn_v"), c.kv_dim(), c.n_embd)?,
                wo: matrix(f, &n("attn_output"), c.n_embd, c.q_dim())?,
                ffn_norm: vector(f, &n("ffn_norm"), c.n_embd)?,
                w_gate: matrix(f, &n("ffn_gate"), c.n_ff, c.n_embd)?,
                w_up: matrix(f, &n("ffn_up"), c.n_ff, c.n_embd)?,
                w_down: matrix(f, &n("ffn_down"), c.n_embd, c.n_ff)?,
            });
        }
        Ok(ModelWeights { config, token_embd, layers, output_norm, output })
    }
}

fn matrix(f: &GgufFile, name: &str, rows: usize, cols: usize) -> Result<QMatrix, LlmError> {
    let (info, bytes) = f.tensor(name)?;
    if info.dims.len() != 2 || info.dims[0] as usize != cols || info.dims[1] as usize != rows {
        return Err(f.error(format!("tensor {name} has dims {:?}, expected [{cols}, {rows}]", info.dims)).into());
    }
    let kind = quill_kernels::GgmlType::from_id(info.ggml_type.id()).map_err(|_| {
        f.error(format!(
            "tensor {name} is {}, a quantization Quill cannot compute with (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K)",
            info.ggml_type
        ))
    })?;
    let m = QMatrix::new(kind, rows, cols, bytes).ctx(|| format!("{}: tensor {name}", f.path().display()))?;
    f.release_tensor(info);
    Ok(m)
}

fn vector(f: &GgufFile, name: &str, n: usize) -> Result<Vec<f32>, LlmError> {
    let (info, bytes) = f.tensor(name)?;
    if info.n_elements() as usize != n || info.dims.len() != 1 {
        return Err(f.error(format!("tensor {name} has dims {:?}, expected [{n}]", info.dims)).into());
    }
    let mut out = vec![0f32; n];
    match info.ggml_type {
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
            let kind = quill_kernels::GgmlType::from_id(info.ggml_type.id())
                .ctx(|| format!("{}: tensor {name}", f.path().display()))?;
            quill_kernels::dequantize(kind, bytes, n, &mut out)
                .ctx(|| format!("{}: tensor {name}", f.path().display()))?;
        }
        other => {
            return Err(f.error(format!("norm tensor {name} is {other}; expected F32, F16 or BF16")).into());
        }
    }
    Ok(out)
}
