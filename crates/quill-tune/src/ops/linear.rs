//! Frozen linear layers, with and without a LoRA adapter.
//!
//! candle's `matmul` backward always computes the weight gradient too — for a frozen
//! `W (out×in)` that is a third of the step's FLOPs thrown away. These ops compute only what
//! training needs: `dX` through `W`, and `dX`, `dA`, `dB` through the adapter.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, CustomOp3, Layout, Shape, Tensor};

use super::{F32View, input, out_tensor};
use crate::gemm::{Op, Threads, sgemm};

/// `y = x·Wᵀ` with `W` frozen; backward gives `dX = dY·W` only.
pub(crate) struct FrozenLinear {
    pub w: Tensor,
    pub n_out: usize,
    pub n_in: usize,
}

impl CustomOp1 for FrozenLinear {
    fn name(&self) -> &'static str {
        "quill-frozen-linear"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(0, || {
            let x = input(s, l, "frozen-linear x")?;
            let n = x.len() / self.n_in;
            let mut y = vec![0.0f32; n * self.n_out];
            let w = F32View::new(&self.w)?;
            sgemm(
                n,
                self.n_out,
                self.n_in,
                x,
                Op::N,
                w.as_slice(),
                Op::T,
                &mut y,
                false,
                Threads::Pool,
            );
            Ok((CpuStorage::F32(y), Shape::from((n, self.n_out))))
        })
    }

    fn bwd(&self, _x: &Tensor, _res: &Tensor, dy: &Tensor) -> candle_core::Result<Option<Tensor>> {
        super::profile::time(1, || {
            let dy = dy.contiguous()?;
            let n = dy.elem_count() / self.n_out;
            let mut dx = vec![0.0f32; n * self.n_in];
            let (dyv, w) = (F32View::new(&dy)?, F32View::new(&self.w)?);
            sgemm(
                n,
                self.n_in,
                self.n_out,
                dyv.as_slice(),
                Op::N,
                w.as_slice(),
                Op::N,
                &mut dx,
                false,
                Threads::Pool,
            );
            Ok(Some(out_tensor(dx, (n, self.n_in))?))
        })
    }
}

/// `y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ` with `W` frozen and `A (r×in)`, `B (out×r)` trainable.
pub(crate) struct LoraLinear {
    pub w: Tensor,
    pub n_out: usize,
    pub n_in: usize,
    pub rank: usize,
    pub scale: f32,
    /// Dropout keep-mask (already scaled by `1/(1-p)`), `n × in`, or `None`.
    pub mask: Option<Arc<Vec<f32>>>,
}

impl LoraLinear {
    fn dropped<'a>(&self, x: &'a [f32]) -> std::borrow::Cow<'a, [f32]> {
        match &self.mask {
            Some(m) => {
                std::borrow::Cow::Owned(x.iter().zip(m.iter()).map(|(a, b)| a * b).collect())
            }
            None => std::borrow::Cow::Borrowed(x),
        }
    }
}

impl CustomOp3 for LoraLinear {
    fn name(&self) -> &'static str {
        "quill-lora-linear"
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sa: &CpuStorage,
        la: &Layout,
        sb: &CpuStorage,
        lb: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(2, || {
            let x = input(sx, lx, "lora-linear x")?;
            let a = input(sa, la, "lora A")?;
            let b = input(sb, lb, "lora B")?;
            let (n_in, n_out, r) = (self.n_in, self.n_out, self.rank);
            let n = x.len() / n_in;
            let mut y = vec![0.0f32; n * n_out];
            let w = F32View::new(&self.w)?;
            sgemm(
                n,
                n_out,
                n_in,
                x,
                Op::N,
                w.as_slice(),
                Op::T,
                &mut y,
                false,
                Threads::Pool,
            );
            let xd = self.dropped(x);
            let mut u = vec![0.0f32; n * r];
            sgemm(
                n,
                r,
                n_in,
                &xd,
                Op::N,
                a,
                Op::T,
                &mut u,
                false,
                Threads::Pool,
            );
            u.iter_mut().for_each(|v| *v *= self.scale);
            sgemm(
                n,
                n_out,
                r,
                &u,
                Op::N,
                b,
                Op::T,
                &mut y,
                true,
                Threads::Pool,
            );
            Ok((CpuStorage::F32(y), Shape::from((n, n_out))))
        })
    }

    fn bwd(
        &self,
        x: &Tensor,
        a: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        super::profile::time(3, || {
            let (n_in, n_out, r) = (self.n_in, self.n_out, self.rank);
            let (dy, x, a, b) = (
                dy.contiguous()?,
                x.contiguous()?,
                a.contiguous()?,
                b.contiguous()?,
            );
            let (dy, x, a, b, w) = (
                F32View::new(&dy)?,
                F32View::new(&x)?,
                F32View::new(&a)?,
                F32View::new(&b)?,
                F32View::new(&self.w)?,
            );
            let (dy, x, a, b, w) = (
                dy.as_slice(),
                x.as_slice(),
                a.as_slice(),
                b.as_slice(),
                w.as_slice(),
            );
            let n = dy.len() / n_out;
            // dX through the frozen weight.
            let mut dx = vec![0.0f32; n * n_in];
            sgemm(
                n,
                n_in,
                n_out,
                dy,
                Op::N,
                w,
                Op::N,
                &mut dx,
                false,
                Threads::Pool,
            );
            // du = s · dY·B   (n×r)
            let mut du = vec![0.0f32; n * r];
            sgemm(
                n,
                r,
                n_out,
                dy,
                Op::N,
                b,
                Op::N,
                &mut du,
                false,
                Threads::Pool,
            );
            du.iter_mut().for_each(|v| *v *= self.scale);
            // dX += (du·A) ⊙ mask
            match &self.mask {
                None => sgemm(
                    n,
                    n_in,
                    r,
                    &du,
                    Op::N,
                    a,
                    Op::N,
                    &mut dx,
                    true,
                    Threads::Pool,
                ),
                Some(m) => {
                    let mut t = vec![0.0f32; n * n_in];
                    sgemm(
                        n,
                        n_in,
                        r,
                        &du,
                        Op::N,
                        a,
                        Op::N,
                        &mut t,
                        false,
                        Threads::Pool,
                    );
                    for ((d, t), m) in dx.iter_mut().zip(&t).zip(m.iter()) {
                        *d += t * m;
                    }
                }
            }
            let xd = self.dropped(x);
            // dA = duᵀ·drop(x)   (r×in)
            let mut da = vec![0.0f32; r * n_in];
            sgemm(
                r,
                n_in,
                n,
                &du,
                Op::T,
                &xd,
                Op::N,
                &mut da,
                false,
                Threads::Pool,
            );
            // dB = s · dYᵀ·(drop(x)·Aᵀ)   (out×r)
            let mut u = vec![0.0f32; n * r];
            sgemm(
                n,
                r,
                n_in,
                &xd,
                Op::N,
                a,
                Op::T,
                &mut u,
                false,
                Threads::Pool,
            );
            u.iter_mut().for_each(|v| *v *= self.scale);
            let mut db = vec![0.0f32; n_out * r];
            sgemm(
                n_out,
                r,
                n,
                dy,
                Op::T,
                &u,
                Op::N,
                &mut db,
                false,
                Threads::Pool,
            );
            Ok((
                Some(out_tensor(dx, (n, n_in))?),
                Some(out_tensor(da, (r, n_in))?),
                Some(out_tensor(db, (n_out, r))?),
            ))
        })
    }
}
