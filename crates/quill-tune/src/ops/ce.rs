//! LM head + weighted cross-entropy in one chunked pass (Liger-Kernel's order).
//!
//! The full logits of a 4×256 batch over a 49,152-token vocabulary are 201 MB, and their
//! gradient another 201 MB. Here up to [`CHUNK`] trained positions at a time get their
//! logits, which are turned in place into `(softmax − onehot)·w/norm` and multiplied back by
//! the head to give the hidden-state gradient — all during the forward pass, so no logits are
//! kept for the backward pass, which only scales the stored gradient. Positions with weight 0
//! (prompts, padding) never touch the head at all. Chunks are large and the two GEMMs use every
//! thread, so the 113 MB head streams through the cache a handful of times per step, not once
//! per small tile.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::math::{exp_shift_sum, max};
use super::{F32View, input, out_tensor};
use crate::gemm::{Op, Threads, sgemm};

/// Positions per chunk: 256 × 49,152 f32 logits is 50 MB (a quarter of the full logits).
const CHUNK: usize = 256;

pub(crate) struct LmHeadLoss {
    /// Head `(vocab, d)`.
    pub w: Tensor,
    pub vocab: usize,
    pub d: usize,
    pub targets: Vec<u32>,
    pub weights: Vec<f32>,
    pub norm: f32,
    /// Whether to compute the hidden-state gradient (off for validation).
    pub need_grad: bool,
    /// `dLoss/dh`, `n × d`, computed by the forward pass.
    pub grad: Mutex<Option<Vec<f32>>>,
}

impl LmHeadLoss {
    /// Loss contribution and hidden-state gradients of the trained positions in `rows`;
    /// `logits` is a reusable buffer of at least `rows.len() × vocab`.
    fn chunk(&self, h: &[f32], w: &[f32], rows: &[usize], logits: &mut [f32]) -> (f64, Vec<f32>) {
        let (d, v) = (self.d, self.vocab);
        let c = rows.len();
        let mut hc = vec![0.0f32; c * d];
        for (k, &i) in rows.iter().enumerate() {
            hc[k * d..(k + 1) * d].copy_from_slice(&h[i * d..(i + 1) * d]);
        }
        let logits = &mut logits[..c * v];
        sgemm(c, v, d, &hc, Op::N, w, Op::T, logits, false, Threads::Pool);
        let per_row: Vec<f64> = logits
            .par_chunks_mut(v)
            .zip(rows.par_iter())
            .map(|(row, &i)| {
                let tgt = self.targets[i] as usize;
                let z_t = row[tgt];
                let m = max(row);
                let sum = exp_shift_sum(row, m);
                let lse = m + sum.ln();
                let wt = self.weights[i];
                if self.need_grad {
                    let g = wt / self.norm;
                    let inv = g / sum;
                    row.iter_mut().for_each(|x| *x *= inv);
                    row[tgt] -= g;
                }
                wt as f64 * (lse - z_t) as f64
            })
            .collect();
        let loss = per_row.iter().sum();
        if !self.need_grad {
            return (loss, Vec::new());
        }
        let mut dh = vec![0.0f32; c * d];
        sgemm(c, d, v, logits, Op::N, w, Op::N, &mut dh, false, Threads::Pool);
        (loss, dh)
    }
}

impl CustomOp1 for LmHeadLoss {
    fn name(&self) -> &'static str {
        "quill-lm-head-loss"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(4, || {
            let h = input(s, l, "lm-head h")?;
            let d = self.d;
            let n = h.len() / d;
            if self.targets.len() != n || self.weights.len() != n {
                candle_core::bail!("lm-head loss: {} targets for {n} positions", self.targets.len());
            }
            let trained: Vec<usize> = (0..n).filter(|&i| self.weights[i] != 0.0).collect();
            let wv = F32View::new(&self.w)?;
            let w = wv.as_slice();
            let mut logits = vec![0.0f32; CHUNK.min(trained.len()) * self.vocab];
            let parts: Vec<(f64, Vec<f32>)> =
                trained.chunks(CHUNK).map(|rows| self.chunk(h, w, rows, &mut logits)).collect();
            let mut grad = vec![0.0f32; n * d];
            let mut loss = 0.0f64;
            for (rows, (l, dh)) in trained.chunks(CHUNK).zip(parts) {
                loss += l;
                if dh.is_empty() {
                    continue;
                }
                for (k, &i) in rows.iter().enumerate() {
                    grad[i * d..(i + 1) * d].copy_from_slice(&dh[k * d..(k + 1) * d]);
                }
            }
            match self.grad.lock() {
                Ok(mut g) => *g = Some(grad),
                Err(_) => candle_core::bail!("lm-head loss: state lock poisoned"),
            }
            let loss = (loss / self.norm as f64) as f32;
            Ok((CpuStorage::F32(vec![loss]), Shape::from(())))
        })
    }

    fn bwd(&self, h: &Tensor, _res: &Tensor, d_loss: &Tensor) -> candle_core::Result<Option<Tensor>> {
        super::profile::time(4, || {
            let scale = d_loss.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()?;
            let grad = match self.grad.lock() {
                Ok(mut g) => g.take(),
                Err(_) => candle_core::bail!("lm-head loss: state lock poisoned"),
            };
            let Some(mut grad) = grad else {
                candle_core::bail!("lm-head loss: backward called twice or before forward");
            };
            if scale != 1.0 {
                grad.iter_mut().for_each(|g| *g *= scale);
            }
            Ok(Some(out_tensor(grad, h.shape().clone())?))
        })
    }
}
