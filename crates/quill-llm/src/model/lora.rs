//! LoRA deltas applied at inference time: `y = W·x + scale · B·(A·x)` on any of the seven linear
//! layers of a block. The fine-tuning crate trains A and B; this hook lets the fast quantized
//! path run the result without merging or re-quantizing.

use crate::config::LlamaConfig;
use crate::error::LlmError;

/// The seven linear projections of a Llama block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proj {
    Q,
    K,
    V,
    O,
    Gate,
    Up,
    Down,
}

impl Proj {
    pub const ALL: [Proj; 7] = [Proj::Q, Proj::K, Proj::V, Proj::O, Proj::Gate, Proj::Up, Proj::Down];

    /// Index in [`LoraAdapter::layers`] entries.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The GGUF tensor base name (`blk.N.<name>.weight`), used by llama.cpp adapter files.
    pub fn gguf_name(self) -> &'static str {
        match self {
            Proj::Q => "attn_q",
            Proj::K => "attn_k",
            Proj::V => "attn_v",
            Proj::O => "attn_output",
            Proj::Gate => "ffn_gate",
            Proj::Up => "ffn_up",
            Proj::Down => "ffn_down",
        }
    }

    /// The PEFT / Hugging Face module name.
    pub fn hf_name(self) -> &'static str {
        match self {
            Proj::Q => "self_attn.q_proj",
            Proj::K => "self_attn.k_proj",
            Proj::V => "self_attn.v_proj",
            Proj::O => "self_attn.o_proj",
            Proj::Gate => "mlp.gate_proj",
            Proj::Up => "mlp.up_proj",
            Proj::Down => "mlp.down_proj",
        }
    }

    /// (out features, in features) of this projection.
    pub fn shape(self, c: &LlamaConfig) -> (usize, usize) {
        match self {
            Proj::Q => (c.q_dim(), c.n_embd),
            Proj::K | Proj::V => (c.kv_dim(), c.n_embd),
            Proj::O => (c.n_embd, c.q_dim()),
            Proj::Gate | Proj::Up => (c.n_ff, c.n_embd),
            Proj::Down => (c.n_embd, c.n_ff),
        }
    }
}

/// One low-rank delta. `a` is `rank × in` and `b` is `out × rank`, both row-major f32, in GGUF
/// row order (for q/k, B's rows are permuted like the GGUF weights; see the research notes).
#[derive(Debug, Clone, PartialEq)]
pub struct LoraPair {
    pub rank: usize,
    pub a: Vec<f32>,
    pub b: Vec<f32>,
    /// Usually `alpha / rank`.
    pub scale: f32,
}

/// Deltas for any subset of (layer, projection).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoraAdapter {
    /// `layers[i][proj.index()]`.
    pub layers: Vec<[Option<LoraPair>; 7]>,
}

impl LoraAdapter {
    /// An empty adapter for `n_layer` layers.
    pub fn new(n_layer: usize) -> Self {
        LoraAdapter { layers: (0..n_layer).map(|_| Default::default()).collect() }
    }

    pub fn set(&mut self, layer: usize, proj: Proj, pair: LoraPair) {
        if layer >= self.layers.len() {
            self.layers.resize_with(layer + 1, Default::default);
        }
        self.layers[layer][proj.index()] = Some(pair);
    }

    pub fn get(&self, layer: usize, proj: Proj) -> Option<&LoraPair> {
        self.layers.get(layer).and_then(|l| l[proj.index()].as_ref())
    }

    /// Largest rank (sizes the scratch buffer).
    pub fn max_rank(&self) -> usize {
        self.layers.iter().flat_map(|l| l.iter().flatten()).map(|p| p.rank).max().unwrap_or(0)
    }

    /// Checks every pair against the model's shapes.
    pub fn validate(&self, c: &LlamaConfig) -> Result<(), LlmError> {
        if self.layers.len() > c.n_layer {
            return Err(LlmError::InvalidInput(format!(
                "LoRA adapter has {} layers, the model has {}",
                self.layers.len(),
                c.n_layer
            )));
        }
        for (i, l) in self.layers.iter().enumerate() {
            for p in Proj::ALL {
                let Some(pair) = &l[p.index()] else { continue };
                let (out, inp) = p.shape(c);
                if pair.rank == 0
                    || pair.rank > 4096
                    || pair.a.len() != pair.rank * inp
                    || pair.b.len() != out * pair.rank
                    || !pair.scale.is_finite()
                {
                    return Err(LlmError::InvalidInput(format!(
                        "LoRA layer {i} {}: rank {} with A of {} values and B of {} values does not fit ({out} × {inp})",
                        p.gguf_name(),
                        pair.rank,
                        pair.a.len(),
                        pair.b.len()
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `y[t] += scale · B · (A · x[t])` for `n` tokens. `tmp` holds at least `n · rank` floats.
pub(crate) fn apply(
    pair: &LoraPair,
    x: &[f32],
    n: usize,
    in_dim: usize,
    y: &mut [f32],
    out_dim: usize,
    tmp: &mut [f32],
) {
    let r = pair.rank;
    for t in 0..n {
        let xt = &x[t * in_dim..(t + 1) * in_dim];
        let ht = &mut tmp[t * r..(t + 1) * r];
        for (j, h) in ht.iter_mut().enumerate() {
            let row = &pair.a[j * in_dim..(j + 1) * in_dim];
            *h = quill_kernels::vecops::dot(row, xt).unwrap_or(0.0) * pair.scale;
        }
        let yt = &mut y[t * out_dim..(t + 1) * out_dim];
        for (o, yv) in yt.iter_mut().enumerate() {
            let brow = &pair.b[o * r..(o + 1) * r];
            let mut s = 0.0f32;
            for k in 0..r {
                s += brow[k] * ht[k];
            }
            *yv += s;
        }
    }
}
