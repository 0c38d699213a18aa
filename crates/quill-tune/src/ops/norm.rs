//! RMSNorm with a frozen gain, and SwiGLU's `silu(g)·u`: one pass forward, one pass backward,
//! rows in parallel.
//!
//! candle's fused `rms_norm` has no backward at all; the built-in composition allocates five
//! temporaries per call. Here the per-row statistics are recomputed in the backward pass
//! instead of being stored.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::math::{dot, exp};
use super::{F32View, input, out_tensor};

/// Rows per parallel task for row-wise work.
const ROWS_PER_TASK: usize = 16;
/// Elements per parallel task for element-wise work.
const ELEMS_PER_TASK: usize = 16 * 1024;

fn rstd(row: &[f32], eps: f32) -> f32 {
    let ms = dot(row, row) / row.len() as f32;
    1.0 / (ms + eps).sqrt()
}

/// `y = x / √(mean(x²) + ε) ⊙ g` over rows of length `g.len()`.
pub(crate) fn rms_forward(x: &[f32], g: &[f32], eps: f32) -> Vec<f32> {
    let d = g.len();
    let mut y = vec![0.0f32; x.len()];
    y.par_chunks_mut(d * ROWS_PER_TASK).zip(x.par_chunks(d * ROWS_PER_TASK)).for_each(|(yc, xc)| {
        for (yr, xr) in yc.chunks_exact_mut(d).zip(xc.chunks_exact(d)) {
            let r = rstd(xr, eps);
            for ((o, &xv), &gv) in yr.iter_mut().zip(xr).zip(g) {
                *o = (xv * r) * gv;
            }
        }
    });
    y
}

/// Backward of [`rms_forward`]: `dx += r·(gy − x̂·mean(gy·x̂))` with `gy = dy ⊙ g`, `x̂ = x·r`.
pub(crate) fn rms_backward_acc(x: &[f32], g: &[f32], dy: &[f32], eps: f32, dx: &mut [f32]) {
    let d = g.len();
    dx.par_chunks_mut(d * ROWS_PER_TASK)
        .zip(x.par_chunks(d * ROWS_PER_TASK))
        .zip(dy.par_chunks(d * ROWS_PER_TASK))
        .for_each(|((dxc, xc), dyc)| {
            let mut gy = vec![0.0f32; d];
            for ((dxr, xr), dyr) in dxc.chunks_exact_mut(d).zip(xc.chunks_exact(d)).zip(dyc.chunks_exact(d)) {
                let r = rstd(xr, eps);
                for ((o, &a), &b) in gy.iter_mut().zip(dyr).zip(g) {
                    *o = a * b;
                }
                let c = dot(&gy, xr) * r / d as f32;
                for ((o, &gyv), &xv) in dxr.iter_mut().zip(&gy).zip(xr) {
                    *o += r * (gyv - xv * r * c);
                }
            }
        });
}

/// SwiGLU forward: `silu(g) ⊙ u`.
pub(crate) fn swiglu_forward(g: &[f32], u: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; g.len()];
    y.par_chunks_mut(ELEMS_PER_TASK).zip(g.par_chunks(ELEMS_PER_TASK)).zip(u.par_chunks(ELEMS_PER_TASK)).for_each(
        |((yc, gc), uc)| {
            for ((o, &gv), &uv) in yc.iter_mut().zip(gc).zip(uc) {
                *o = gv / (1.0 + exp(-gv)) * uv;
            }
        },
    );
    y
}

/// SwiGLU backward: `(dg, du)` for output gradient `dy`.
pub(crate) fn swiglu_backward(g: &[f32], u: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let mut dg = vec![0.0f32; g.len()];
    let mut du = vec![0.0f32; g.len()];
    dg.par_chunks_mut(ELEMS_PER_TASK)
        .zip(du.par_chunks_mut(ELEMS_PER_TASK))
        .zip(g.par_chunks(ELEMS_PER_TASK))
        .zip(u.par_chunks(ELEMS_PER_TASK))
        .zip(dy.par_chunks(ELEMS_PER_TASK))
        .for_each(|((((dgc, duc), gc), uc), dyc)| {
            for ((((dgv, duv), &x), &uu), &d) in dgc.iter_mut().zip(duc.iter_mut()).zip(gc).zip(uc).zip(dyc) {
                let s = 1.0 / (1.0 + exp(-x));
                *duv = d * x * s;
                *dgv = d * uu * s * (1.0 + x * (1.0 - s));
            }
        });
    (dg, du)
}

/// RMSNorm as a candle op (the model's final norm before the LM head).
pub(crate) struct RmsNorm {
    pub g: Tensor,
    pub eps: f32,
}

impl CustomOp1 for RmsNorm {
    fn name(&self) -> &'static str {
        "quill-rms-norm"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(2, || {
            let x = input(s, l, "rms-norm x")?;
            let g = F32View::new(&self.g)?;
            Ok((CpuStorage::F32(rms_forward(x, g.as_slice(), self.eps)), l.shape().clone()))
        })
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, dy: &Tensor) -> candle_core::Result<Option<Tensor>> {
        super::profile::time(3, || {
            let (x, dy) = (x.contiguous()?, dy.contiguous()?);
            let (xv, dyv, gv) = (F32View::new(&x)?, F32View::new(&dy)?, F32View::new(&self.g)?);
            let mut dx = vec![0.0f32; xv.as_slice().len()];
            rms_backward_acc(xv.as_slice(), gv.as_slice(), dyv.as_slice(), self.eps, &mut dx);
            Ok(Some(out_tensor(dx, x.shape().clone())?))
        })
    }
}
