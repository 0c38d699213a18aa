//! Rotary position embedding in llama.cpp's "normal" layout (adjacent pairs `x[2i], x[2i+1]`),
//! which is what the llama GGUF converter's q/k row permutation targets.
//!
//! The angles are computed exactly like ggml's `ggml_rope_cache_init` (f32, `theta *=
//! theta_scale` per pair), so positions far into the context rotate identically to llama.cpp.

use crate::config::{LlamaConfig, RopeScaling};

#[derive(Debug, Clone)]
pub(crate) struct Rope {
    dim: usize,
    theta_scale: f32,
    freq_scale: f32,
    factors: Option<Vec<f32>>,
}

impl Rope {
    pub fn new(c: &LlamaConfig) -> Self {
        let (freq_scale, factors) = match &c.rope_scaling {
            RopeScaling::None => (1.0, None),
            RopeScaling::Linear { factor } => (1.0 / factor, None),
            RopeScaling::FreqFactors(f) => (1.0, Some(f.clone())),
        };
        Rope { dim: c.rope_dim, theta_scale: c.rope_freq_base.powf(-2.0 / c.rope_dim as f32), freq_scale, factors }
    }

    /// Number of floats [`Rope::fill`] writes: a (cos, sin) pair per rotated pair.
    pub fn table_len(&self) -> usize {
        self.dim
    }

    /// Writes `[cos θ0, sin θ0, cos θ1, sin θ1, …]` for position `pos`.
    pub fn fill(&self, pos: usize, cs: &mut [f32]) {
        let mut theta = pos as f32;
        for i in 0..self.dim / 2 {
            let ff = self.factors.as_ref().map_or(1.0, |f| f[i]);
            let t = self.freq_scale * (theta / ff);
            cs[2 * i] = t.cos();
            cs[2 * i + 1] = t.sin();
            theta *= self.theta_scale;
        }
    }

    /// Rotates one head vector in place with a table from [`Rope::fill`].
    #[inline]
    pub fn apply(&self, cs: &[f32], x: &mut [f32]) {
        for i in 0..self.dim / 2 {
            let (c, s) = (cs[2 * i], cs[2 * i + 1]);
            let (x0, x1) = (x[2 * i], x[2 * i + 1]);
            x[2 * i] = x0 * c - x1 * s;
            x[2 * i + 1] = x0 * s + x1 * c;
        }
    }
}
