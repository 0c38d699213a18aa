//! `LlamaConfig`: the hyper-parameters of a Llama-architecture model, read from GGUF metadata.
//!
//! Only architectures whose forward pass is exactly Llama's are accepted; anything else is an
//! error naming the architecture, because a "mostly compatible" model silently produces garbage.

use crate::gguf::{GgufError, GgufFile};

/// Architectures whose tensors and forward pass are Llama's (GQA, RoPE NORM, RMSNorm, SwiGLU).
pub const SUPPORTED_ARCHS: &[&str] = &["llama"];

/// How RoPE positions are scaled beyond the training context.
#[derive(Debug, Clone, PartialEq)]
pub enum RopeScaling {
    None,
    /// Positions divided by `factor` (`rope.scaling.type = linear`).
    Linear {
        factor: f32,
    },
    /// Per-dimension frequency factors (Llama 3.1 style), stored by llama.cpp's converter as the
    /// `rope_freqs.weight` tensor: `theta_i = pos · base^(-2i/d) / factors[i]`.
    FreqFactors(Vec<f32>),
}

/// Model hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    pub arch: String,
    /// Hidden size (`embedding_length`).
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    /// Per-head size (`attention.key_length`, default `n_embd / n_head`).
    pub head_dim: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
    /// Training context length (SmolLM2: 8192); the runtime context defaults to it.
    pub n_ctx_train: usize,
    pub rope_dim: usize,
    pub rope_freq_base: f32,
    pub rope_scaling: RopeScaling,
    pub rms_eps: f32,
    /// True when there is no `output.weight` and the embedding matrix doubles as the head.
    pub tied_output: bool,
}

impl LlamaConfig {
    /// Reads and validates the config. `n_vocab` comes from `{arch}.vocab_size`, else the
    /// tokenizer's token list, else `token_embd.weight`.
    pub fn from_gguf(f: &GgufFile) -> Result<Self, GgufError> {
        let arch =
            f.get_str("general.architecture").ok_or_else(|| f.error("general.architecture is missing"))?.to_string();
        if !SUPPORTED_ARCHS.contains(&arch.as_str()) {
            return Err(f.error(format!(
                "architecture {arch:?} is not supported (Quill runs Llama-architecture models: {})",
                SUPPORTED_ARCHS.join(", ")
            )));
        }
        if let Some(t) = f.get_str("general.type")
            && t != "model"
        {
            return Err(f.error(format!("general.type is {t:?}: this file is not a model (an adapter?)")));
        }
        let req = |k: &str| -> Result<usize, GgufError> {
            let key = format!("{arch}.{k}");
            let v = f.get_u64(&key).ok_or_else(|| f.error(format!("{key} is missing or not an integer")))?;
            usize::try_from(v).map_err(|_| f.error(format!("{key} = {v} is too large")))
        };
        let opt = |k: &str| f.get_u64(&format!("{arch}.{k}")).and_then(|v| usize::try_from(v).ok());
        let optf = |k: &str| f.get_f64(&format!("{arch}.{k}"));

        let n_embd = req("embedding_length")?;
        let n_layer = req("block_count")?;
        let n_head = req("attention.head_count")?;
        let n_head_kv = opt("attention.head_count_kv").unwrap_or(n_head);
        let n_ff = req("feed_forward_length")?;
        let n_ctx_train = opt("context_length").unwrap_or(4096);
        let rms_eps = optf("attention.layer_norm_rms_epsilon").unwrap_or(1e-5) as f32;
        let rope_freq_base = optf("rope.freq_base").unwrap_or(10000.0) as f32;

        let bound = |name: &str, v: usize, lo: usize, hi: usize| -> Result<(), GgufError> {
            if v < lo || v > hi {
                return Err(f.error(format!("{arch}.{name} = {v} is out of range ({lo}..={hi})")));
            }
            Ok(())
        };
        bound("embedding_length", n_embd, 1, 1 << 16)?;
        bound("block_count", n_layer, 1, 1024)?;
        bound("attention.head_count", n_head, 1, 1024)?;
        bound("attention.head_count_kv", n_head_kv, 1, n_head)?;
        bound("feed_forward_length", n_ff, 1, 1 << 18)?;
        bound("context_length", n_ctx_train, 1, 1 << 24)?;
        if n_head % n_head_kv != 0 {
            return Err(f.error(format!("{arch}: head_count {n_head} is not a multiple of head_count_kv {n_head_kv}")));
        }
        let head_dim = match opt("attention.key_length") {
            Some(k) => k,
            None => {
                if n_embd % n_head != 0 {
                    return Err(
                        f.error(format!("{arch}: embedding_length {n_embd} is not divisible by head_count {n_head}"))
                    );
                }
                n_embd / n_head
            }
        };
        if let Some(v) = opt("attention.value_length")
            && v != head_dim
        {
            return Err(f.error(format!("{arch}: key_length {head_dim} != value_length {v} is not supported")));
        }
        bound("attention.key_length", head_dim, 2, 1024)?;
        let rope_dim = opt("rope.dimension_count").unwrap_or(head_dim);
        if rope_dim > head_dim || rope_dim % 2 != 0 || rope_dim == 0 {
            return Err(f.error(format!(
                "{arch}.rope.dimension_count = {rope_dim} must be even and at most the head size {head_dim}"
            )));
        }
        if !(rms_eps > 0.0 && rms_eps < 1.0 && rope_freq_base > 0.0 && rope_freq_base.is_finite()) {
            return Err(f.error(format!("{arch}: rms epsilon {rms_eps} or rope base {rope_freq_base} is invalid")));
        }

        let scaling_type = f.get_str(&format!("{arch}.rope.scaling.type"));
        let factor = optf("rope.scaling.factor").or_else(|| optf("rope.scale_linear")).map(|x| x as f32);
        let mut rope_scaling = match (scaling_type, factor) {
            (Some("none"), _) | (None, None) => RopeScaling::None,
            (Some("linear") | None, Some(fac)) => {
                if !(fac > 0.0 && fac.is_finite()) {
                    return Err(f.error(format!("{arch}.rope.scaling.factor = {fac} is invalid")));
                }
                if fac == 1.0 { RopeScaling::None } else { RopeScaling::Linear { factor: fac } }
            }
            (Some("linear"), None) => RopeScaling::None,
            (Some(other), _) => {
                return Err(f.error(format!(
                    "{arch}.rope.scaling.type {other:?} is not supported (Quill supports none, linear and llama3-style frequency factors)"
                )));
            }
        };
        if let Some(info) = f.tensor_info("rope_freqs.weight") {
            let (info, bytes) = (info.clone(), f.tensor_bytes(info));
            if info.ggml_type != crate::gguf::GgmlType::F32 || info.n_elements() as usize != rope_dim / 2 {
                return Err(f.error(format!(
                    "rope_freqs.weight must be F32 with {} elements (found {} {:?})",
                    rope_dim / 2,
                    info.ggml_type,
                    info.dims
                )));
            }
            let factors: Vec<f32> =
                bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            if factors.iter().any(|x| !(*x > 0.0 && x.is_finite())) {
                return Err(f.error("rope_freqs.weight holds a non-positive factor"));
            }
            rope_scaling = RopeScaling::FreqFactors(factors);
        }

        let embd = f.tensor_info("token_embd.weight").ok_or_else(|| f.error("tensor token_embd.weight is missing"))?;
        let n_vocab = match opt("vocab_size") {
            Some(v) => v,
            None => match f.get_array("tokenizer.ggml.tokens") {
                Some(a) => a.len(),
                None => embd.n_rows() as usize,
            },
        };
        if embd.dims.len() != 2 || embd.dims[0] as usize != n_embd || embd.dims[1] as usize != n_vocab {
            return Err(f.error(format!("token_embd.weight has dims {:?}, expected [{n_embd}, {n_vocab}]", embd.dims)));
        }
        let tied_output = f.tensor_info("output.weight").is_none();
        Ok(LlamaConfig {
            arch,
            n_embd,
            n_layer,
            n_head,
            n_head_kv,
            head_dim,
            n_ff,
            n_vocab,
            n_ctx_train,
            rope_dim,
            rope_freq_base,
            rope_scaling,
            rms_eps,
            tied_output,
        })
    }

    /// Size of one position's K (or V) for one layer: `n_head_kv · head_dim`.
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Query size: `n_head · head_dim` (equals `n_embd` for classic Llama).
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }
}
