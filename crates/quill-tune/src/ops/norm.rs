//! RMSNorm with a frozen gain, and SwiGLU's `silu(g)·u`, each one pass forward and one pass
//! backward over rows in parallel.
//!
//! candle's fused `rms_norm` has no backward at all; the built-in composition allocates five
//! temporaries per call. These recompute the per-row statistics in the backward pass instead
//! of storing them.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::math::{dot, exp};
use super::{F32View, input, out_tensor};

/// Rows per parallel task for element-wise work.
const ROWS_PER_TASK: usize = 16;

/// `y = x / √(mean(x²) + ε) ⊙ g` over the last dimension, `g` frozen.
pub(crate) struct RmsNorm {
    pub g: Tensor,
    pub dim: usize,
    pub eps: f32,
}

impl RmsNorm {
    fn rstd(&self, row: &[f32]) -> f32 {
        let ms = dot(row, row) / self.dim as f32;
        1.0 / (ms + self.eps).sqrt()
    }
}

impl CustomOp1 for RmsNorm {
    fn name(&self) -> &'static str {
        "quill-rms-norm"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(4, || {
            let x = input(s, l, "rms-norm x")?;
            let d = self.dim;
            let gv = F32View::new(&self.g)?;
            let g = gv.as_slice();
            let mut y = vec![0.0f32; x.len()];
            y.par_chunks_mut(d * ROWS_PER_TASK)
                .zip(x.par_chunks(d * ROWS_PER_TASK))
                .for_each(|(yc, xc)| {
                    for (yr, xr) in yc.chunks_exact_mut(d).zip(xc.chunks_exact(d)) {
                        let r = self.rstd(xr);
                        for ((o, &xv), &gv) in yr.iter_mut().zip(xr).zip(g) {
                            *o = (xv * r) * gv;
                        }
                    }
                });
            Ok((CpuStorage::F32(y), l.shape().clone()))
        })
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, dy: &Tensor) -> candle_core::Result<Option<Tensor>> {
        super::profile::time(5, || {
            let d = self.dim;
            let (x, dy) = (x.contiguous()?, dy.contiguous()?);
            let (xv, dyv, gv) = (
                F32View::new(&x)?,
                F32View::new(&dy)?,
                F32View::new(&self.g)?,
            );
            let (xs, dys, g) = (xv.as_slice(), dyv.as_slice(), gv.as_slice());
            let mut dx = vec![0.0f32; xs.len()];
            dx.par_chunks_mut(d * ROWS_PER_TASK)
                .zip(xs.par_chunks(d * ROWS_PER_TASK))
                .zip(dys.par_chunks(d * ROWS_PER_TASK))
                .for_each(|((dxc, xc), dyc)| {
                    let mut gy = vec![0.0f32; d];
                    for ((dxr, xr), dyr) in dxc
                        .chunks_exact_mut(d)
                        .zip(xc.chunks_exact(d))
                        .zip(dyc.chunks_exact(d))
                    {
                        let r = self.rstd(xr);
                        for ((o, &a), &b) in gy.iter_mut().zip(dyr).zip(g) {
                            *o = a * b;
                        }
                        // dx = r·(gy − x̂·mean(gy·x̂)),  x̂ = x·r
                        let c = dot(&gy, xr) * r / d as f32;
                        for ((o, &gyv), &xv) in dxr.iter_mut().zip(&gy).zip(xr) {
                            *o = r * (gyv - xv * r * c);
                        }
                    }
                });
            Ok(Some(out_tensor(dx, x.shape().clone())?))
        })
    }
}

/// SwiGLU: `y = silu(g) ⊙ u`.
pub(crate) struct SwiGlu;

/// Elements per parallel task.
const ELEMS_PER_TASK: usize = 16 * 1024;

impl CustomOp2 for SwiGlu {
    fn name(&self) -> &'static str {
        "quill-swiglu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(8, || {
            let g = input(s1, l1, "swiglu gate")?;
            let u = input(s2, l2, "swiglu up")?;
            if g.len() != u.len() {
                candle_core::bail!("swiglu: gate and up differ in size");
            }
            let mut y = vec![0.0f32; g.len()];
            y.par_chunks_mut(ELEMS_PER_TASK)
                .zip(g.par_chunks(ELEMS_PER_TASK))
                .zip(u.par_chunks(ELEMS_PER_TASK))
                .for_each(|((yc, gc), uc)| {
                    for ((o, &gv), &uv) in yc.iter_mut().zip(gc).zip(uc) {
                        *o = gv / (1.0 + exp(-gv)) * uv;
                    }
                });
            Ok((CpuStorage::F32(y), l1.shape().clone()))
        })
    }

    fn bwd(
        &self,
        g: &Tensor,
        u: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        super::profile::time(8, || {
            let (g, u, dy) = (g.contiguous()?, u.contiguous()?, dy.contiguous()?);
            let (gv, uv, dyv) = (F32View::new(&g)?, F32View::new(&u)?, F32View::new(&dy)?);
            let (gs, us, dys) = (gv.as_slice(), uv.as_slice(), dyv.as_slice());
            let mut dg = vec![0.0f32; gs.len()];
            let mut du = vec![0.0f32; gs.len()];
            dg.par_chunks_mut(ELEMS_PER_TASK)
                .zip(du.par_chunks_mut(ELEMS_PER_TASK))
                .zip(gs.par_chunks(ELEMS_PER_TASK))
                .zip(us.par_chunks(ELEMS_PER_TASK))
                .zip(dys.par_chunks(ELEMS_PER_TASK))
                .for_each(|((((dgc, duc), gc), uc), dyc)| {
                    for ((((dgv, duv), &x), &uu), &d) in
                        dgc.iter_mut().zip(duc.iter_mut()).zip(gc).zip(uc).zip(dyc)
                    {
                        let s = 1.0 / (1.0 + exp(-x));
                        *duv = d * x * s;
                        *dgv = d * uu * s * (1.0 + x * (1.0 - s));
                    }
                });
            let shape = g.shape().clone();
            Ok((
                Some(out_tensor(dg, shape.clone())?),
                Some(out_tensor(du, shape)?),
            ))
        })
    }
}
