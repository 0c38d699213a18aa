//! RoPE angles for GGUF's interleaved layout.
//!
//! llama.cpp's rope type NORM (used for arch `llama`) rotates adjacent pairs `(x[2i], x[2i+1])`
//! by `pos · base^(-2i/d)`. Because GGUF stores q/k rows permuted, this is the same function as
//! Hugging Face's `rotate_half` on the original rows. Frequencies are computed the way
//! transformers does (f32 `1 / base^(2i/d)`, angle = f32 pos × f32 freq) so the PyTorch parity
//! run and ours see the same rotations.

/// Precomputed `cos`/`sin` per (position, pair).
#[derive(Debug, Clone)]
pub struct RopeTable {
    /// Pairs per head (`head_dim / 2`).
    pub half: usize,
    /// `cos[pos * half + i]`.
    pub cos: Vec<f32>,
    /// `sin[pos * half + i]`.
    pub sin: Vec<f32>,
}

impl RopeTable {
    /// Angles for positions `0..max_pos`.
    pub fn new(head_dim: usize, base: f32, max_pos: usize) -> Self {
        let half = head_dim / 2;
        let inv: Vec<f32> =
            (0..half).map(|i| (1.0f64 / (base as f64).powf((2 * i) as f64 / head_dim as f64)) as f32).collect();
        let mut cos = Vec::with_capacity(max_pos * half);
        let mut sin = Vec::with_capacity(max_pos * half);
        for p in 0..max_pos {
            for &f in &inv {
                let a = p as f32 * f;
                cos.push((a as f64).cos() as f32);
                sin.push((a as f64).sin() as f32);
            }
        }
        RopeTable { half, cos, sin }
    }

    /// Number of positions covered.
    pub fn max_pos(&self) -> usize {
        self.cos.len() / self.half.max(1)
    }
}
