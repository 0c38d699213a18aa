//! Frozen linear layers, with and without a LoRA adapter, forward and backward on slices.
//!
//! candle's `matmul` backward always computes the weight gradient too — for a frozen
//! `W (out×in)` that is a third of the step's FLOPs thrown away. These kernels compute only
//! what training needs: `dX` through `W`, and `dX`, `dA`, `dB` through the adapter. The
//! rank-`r` products are arranged so the GEMM's output is wide (`dBᵀ = uᵀ·dY`, then
//! transposed), which is several times faster than the skinny `dB = dYᵀ·u`.

use crate::gemm::{Op, Threads, sgemm};

/// One adapter's matrices and scale, borrowed from the layer's flat parameters.
#[derive(Clone, Copy)]
pub(crate) struct Lora<'a> {
    /// `A`, `rank × n_in`.
    pub a: &'a [f32],
    /// `B`, `n_out × rank`.
    pub b: &'a [f32],
    pub rank: usize,
    pub scale: f32,
}

/// Shapes of one projection.
#[derive(Clone, Copy)]
pub(crate) struct Dims {
    /// Tokens.
    pub n: usize,
    pub n_in: usize,
    pub n_out: usize,
}

/// `x ⊙ mask`, or `x` itself without dropout.
pub(crate) fn dropped<'a>(x: &'a [f32], mask: Option<&[f32]>) -> std::borrow::Cow<'a, [f32]> {
    match mask {
        Some(m) => std::borrow::Cow::Owned(x.iter().zip(m).map(|(a, b)| a * b).collect()),
        None => std::borrow::Cow::Borrowed(x),
    }
}

/// `y = x·Wᵀ [+ s·(drop(x)·Aᵀ)·Bᵀ]`; also returns `u = s·drop(x)·Aᵀ` (`n × rank`, empty
/// without an adapter), which the backward pass reuses.
pub(crate) fn forward(
    x: &[f32],
    w: &[f32],
    lora: Option<Lora<'_>>,
    mask: Option<&[f32]>,
    d: Dims,
) -> (Vec<f32>, Vec<f32>) {
    let mut y = vec![0.0f32; d.n * d.n_out];
    sgemm(d.n, d.n_out, d.n_in, x, Op::N, w, Op::T, &mut y, false, Threads::Pool);
    let Some(l) = lora else { return (y, Vec::new()) };
    let xd = dropped(x, mask);
    let mut u = vec![0.0f32; d.n * l.rank];
    sgemm(d.n, l.rank, d.n_in, &xd, Op::N, l.a, Op::T, &mut u, false, Threads::Pool);
    u.iter_mut().for_each(|v| *v *= l.scale);
    sgemm(d.n, d.n_out, l.rank, &u, Op::N, l.b, Op::T, &mut y, true, Threads::Pool);
    (y, u)
}

/// Backward of [`forward`]: `dx += dY·W [+ (s·dY·B·A) ⊙ mask]` (into `dx` when given; the first
/// layer's input needs no gradient), and with an adapter `dA = (s·dY·B)ᵀ·drop(x)`,
/// `dB = dYᵀ·u` written to `da`/`db`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward(
    dy: &[f32],
    x: &[f32],
    w: &[f32],
    lora: Option<Lora<'_>>,
    u: &[f32],
    mask: Option<&[f32]>,
    d: Dims,
    dx: Option<&mut [f32]>,
    da: &mut [f32],
    db: &mut [f32],
) {
    let mut dx = dx;
    if let Some(dx) = dx.as_deref_mut() {
        sgemm(d.n, d.n_in, d.n_out, dy, Op::N, w, Op::N, dx, true, Threads::Pool);
    }
    let Some(l) = lora else { return };
    let r = l.rank;
    // du = s · dY·B   (n × r)
    let mut du = vec![0.0f32; d.n * r];
    sgemm(d.n, r, d.n_out, dy, Op::N, l.b, Op::N, &mut du, false, Threads::Pool);
    du.iter_mut().for_each(|v| *v *= l.scale);
    if let Some(dx) = dx {
        match mask {
            None => sgemm(d.n, d.n_in, r, &du, Op::N, l.a, Op::N, dx, true, Threads::Pool),
            Some(m) => {
                let mut t = vec![0.0f32; d.n * d.n_in];
                sgemm(d.n, d.n_in, r, &du, Op::N, l.a, Op::N, &mut t, false, Threads::Pool);
                for ((o, t), m) in dx.iter_mut().zip(&t).zip(m) {
                    *o += t * m;
                }
            }
        }
    }
    // dA = duᵀ · drop(x)   (r × in)
    let xd = dropped(x, mask);
    sgemm(r, d.n_in, d.n, &du, Op::T, &xd, Op::N, da, false, Threads::Pool);
    // dBᵀ = uᵀ · dY   (r × out), u already carries the scale; then transpose into out × r.
    let mut dbt = vec![0.0f32; r * d.n_out];
    sgemm(r, d.n_out, d.n, u, Op::T, dy, Op::N, &mut dbt, false, Threads::Pool);
    for o in 0..d.n_out {
        for k in 0..r {
            db[o * r + k] = dbt[k * d.n_out + o];
        }
    }
}
