//! Causal self-attention with interleaved RoPE and GQA, forward and backward by hand.
//!
//! Inputs are the q/k/v projections in token-major layout (`n × heads·head_dim`, rows in GGUF's
//! permuted order, so RoPE rotates adjacent pairs). Attention is causal and restricted to the
//! token's own segment (packed examples never see each other). The forward pass keeps only the
//! log-sum-exp of each score row; the backward pass recomputes the probabilities from q and k
//! (as FlashAttention does), so memory stays `O(n)` per layer instead of `O(n·t)`. Rows are
//! processed in blocks of 64 against only the keys they can see, which skips most of the
//! masked upper triangle.

use std::sync::Arc;

use rayon::prelude::*;

use super::math::{dot, exp, exp_shift_sum, max};
use crate::gemm::{Op, Threads, sgemm};
use crate::rope::RopeTable;

const BLOCK: usize = 64;

#[derive(Clone)]
pub(crate) struct Attention {
    pub b: usize,
    pub t: usize,
    pub nh: usize,
    pub nkv: usize,
    pub hd: usize,
    pub rope: Arc<RopeTable>,
    pub positions: Arc<Vec<u32>>,
    /// Per token: index (within its row) of the first token of its segment.
    pub seg_start: Arc<Vec<u32>>,
}

/// Copies head columns `col..col+hd` of rows `r*t..(r+1)*t` of an `n × stride` matrix.
fn load_head(src: &[f32], stride: usize, col: usize, r: usize, t: usize, hd: usize, out: &mut [f32]) {
    for i in 0..t {
        let s = (r * t + i) * stride + col;
        out[i * hd..(i + 1) * hd].copy_from_slice(&src[s..s + hd]);
    }
}

fn store_head(dst: &mut [f32], stride: usize, col: usize, r: usize, t: usize, hd: usize, src: &[f32]) {
    for i in 0..t {
        let d = (r * t + i) * stride + col;
        dst[d..d + hd].copy_from_slice(&src[i * hd..(i + 1) * hd]);
    }
}

impl Attention {
    /// Rotates a `t × hd` head in place (`inverse` rotates back: the RoPE backward pass).
    fn rope(&self, buf: &mut [f32], r: usize, inverse: bool) {
        let (t, hd, half) = (self.t, self.hd, self.hd / 2);
        for i in 0..t {
            let p = self.positions[r * t + i] as usize;
            let cos = &self.rope.cos[p * half..(p + 1) * half];
            let sin = &self.rope.sin[p * half..(p + 1) * half];
            let row = &mut buf[i * hd..(i + 1) * hd];
            for k in 0..half {
                let (x0, x1) = (row[2 * k], row[2 * k + 1]);
                let (c, s) = (cos[k], if inverse { -sin[k] } else { sin[k] });
                row[2 * k] = x0 * c - x1 * s;
                row[2 * k + 1] = x0 * s + x1 * c;
            }
        }
    }

    fn scale(&self) -> f32 {
        1.0 / (self.hd as f32).sqrt()
    }

    /// Block `[i0, i1)` sees keys `[j0, i1)`; row `i` sees `[seg_start(i), i]`.
    fn key_start(&self, r: usize, i0: usize) -> usize {
        self.seg_start[r * self.t + i0] as usize
    }

    /// Turns raw scores of a block into probabilities in place; returns nothing, writes each
    /// row's log-sum-exp when `lse_out` is given, or uses `lse_in` to recompute them.
    #[allow(clippy::too_many_arguments)]
    fn probs(
        &self,
        s: &mut [f32],
        r: usize,
        i0: usize,
        i1: usize,
        j0: usize,
        lse_out: Option<&mut [f32]>,
        lse_in: Option<&[f32]>,
    ) {
        let bj = i1 - j0;
        let scale = self.scale();
        let mut lse_out = lse_out;
        for (ii, i) in (i0..i1).enumerate() {
            let row = &mut s[ii * bj..(ii + 1) * bj];
            let lo = self.seg_start[r * self.t + i] as usize - j0;
            let hi = i - j0 + 1;
            row[..lo].fill(0.0);
            row[hi..].fill(0.0);
            let valid = &mut row[lo..hi];
            valid.iter_mut().for_each(|v| *v *= scale);
            match lse_in {
                Some(l) => {
                    let l = l[i];
                    valid.iter_mut().for_each(|v| *v = exp(*v - l));
                }
                None => {
                    let m = max(valid);
                    let sum = exp_shift_sum(valid, m);
                    let inv = 1.0 / sum;
                    valid.iter_mut().for_each(|v| *v *= inv);
                    if let Some(out) = lse_out.as_deref_mut() {
                        out[i] = m + sum.ln();
                    }
                }
            }
        }
    }

    /// Forward for batch row `r`, kv head `g` (and its query heads): outputs per local head and
    /// their log-sum-exps.
    fn forward_task(&self, q: &[f32], k: &[f32], v: &[f32], r: usize, g: usize) -> (Vec<f32>, Vec<f32>) {
        let (t, hd, nh, nkv) = (self.t, self.hd, self.nh, self.nkv);
        let rep = nh / nkv;
        let mut kh = vec![0.0f32; t * hd];
        let mut vh = vec![0.0f32; t * hd];
        load_head(k, nkv * hd, g * hd, r, t, hd, &mut kh);
        load_head(v, nkv * hd, g * hd, r, t, hd, &mut vh);
        self.rope(&mut kh, r, false);
        let mut outs = vec![0.0f32; rep * t * hd];
        let mut lses = vec![0.0f32; rep * t];
        let mut qh = vec![0.0f32; t * hd];
        let mut s = vec![0.0f32; BLOCK * t];
        for hl in 0..rep {
            let h = g * rep + hl;
            load_head(q, nh * hd, h * hd, r, t, hd, &mut qh);
            self.rope(&mut qh, r, false);
            let out = &mut outs[hl * t * hd..(hl + 1) * t * hd];
            let lse = &mut lses[hl * t..(hl + 1) * t];
            for i0 in (0..t).step_by(BLOCK) {
                let i1 = (i0 + BLOCK).min(t);
                let j0 = self.key_start(r, i0);
                let (bi, bj) = (i1 - i0, i1 - j0);
                let sb = &mut s[..bi * bj];
                sgemm(bi, bj, hd, &qh[i0 * hd..i1 * hd], Op::N, &kh[j0 * hd..i1 * hd], Op::T, sb, false, Threads::One);
                self.probs(sb, r, i0, i1, j0, Some(lse), None);
                sgemm(
                    bi,
                    hd,
                    bj,
                    sb,
                    Op::N,
                    &vh[j0 * hd..i1 * hd],
                    Op::N,
                    &mut out[i0 * hd..i1 * hd],
                    false,
                    Threads::One,
                );
            }
        }
        (outs, lses)
    }

    #[allow(clippy::too_many_arguments)]
    fn backward_task(
        &self,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        d_out: &[f32],
        lse: &[f32],
        r: usize,
        g: usize,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (t, hd, nh, nkv) = (self.t, self.hd, self.nh, self.nkv);
        let rep = nh / nkv;
        let scale = self.scale();
        let mut kh = vec![0.0f32; t * hd];
        let mut vh = vec![0.0f32; t * hd];
        load_head(k, nkv * hd, g * hd, r, t, hd, &mut kh);
        load_head(v, nkv * hd, g * hd, r, t, hd, &mut vh);
        self.rope(&mut kh, r, false);
        let mut dk = vec![0.0f32; t * hd];
        let mut dv = vec![0.0f32; t * hd];
        let mut dqs = vec![0.0f32; rep * t * hd];
        let mut qh = vec![0.0f32; t * hd];
        let mut doh = vec![0.0f32; t * hd];
        let mut p = vec![0.0f32; BLOCK * t];
        let mut dp = vec![0.0f32; BLOCK * t];
        for hl in 0..rep {
            let h = g * rep + hl;
            load_head(q, nh * hd, h * hd, r, t, hd, &mut qh);
            self.rope(&mut qh, r, false);
            load_head(d_out, nh * hd, h * hd, r, t, hd, &mut doh);
            let lse_h = &lse[(r * nh + h) * t..(r * nh + h + 1) * t];
            let dq = &mut dqs[hl * t * hd..(hl + 1) * t * hd];
            for i0 in (0..t).step_by(BLOCK) {
                let i1 = (i0 + BLOCK).min(t);
                let j0 = self.key_start(r, i0);
                let (bi, bj) = (i1 - i0, i1 - j0);
                let pb = &mut p[..bi * bj];
                let dpb = &mut dp[..bi * bj];
                let q_blk = &qh[i0 * hd..i1 * hd];
                let do_blk = &doh[i0 * hd..i1 * hd];
                sgemm(bi, bj, hd, q_blk, Op::N, &kh[j0 * hd..i1 * hd], Op::T, pb, false, Threads::One);
                self.probs(pb, r, i0, i1, j0, None, Some(lse_h));
                sgemm(bi, bj, hd, do_blk, Op::N, &vh[j0 * hd..i1 * hd], Op::T, dpb, false, Threads::One);
                sgemm(bj, hd, bi, pb, Op::T, do_blk, Op::N, &mut dv[j0 * hd..i1 * hd], true, Threads::One);
                // dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale   (written over dP)
                for ii in 0..bi {
                    let pr = &pb[ii * bj..(ii + 1) * bj];
                    let dr = &mut dpb[ii * bj..(ii + 1) * bj];
                    let di = dot(pr, dr);
                    for (d, &pv) in dr.iter_mut().zip(pr) {
                        *d = pv * (*d - di) * scale;
                    }
                }
                sgemm(
                    bi,
                    hd,
                    bj,
                    dpb,
                    Op::N,
                    &kh[j0 * hd..i1 * hd],
                    Op::N,
                    &mut dq[i0 * hd..i1 * hd],
                    false,
                    Threads::One,
                );
                sgemm(bj, hd, bi, dpb, Op::T, q_blk, Op::N, &mut dk[j0 * hd..i1 * hd], true, Threads::One);
            }
            self.rope(dq, r, true);
        }
        self.rope(&mut dk, r, true);
        (dqs, dk, dv)
    }
}

impl Attention {
    /// Attention output (`n × heads·head_dim`, token-major) and the log-sum-exp of every score
    /// row (`[row][head][i]`), which [`Attention::backward`] needs.
    pub(crate) fn forward(&self, q: &[f32], k: &[f32], v: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (b, t, nh, nkv, hd) = (self.b, self.t, self.nh, self.nkv, self.hd);
        let n = b * t;
        let rep = nh / nkv;
        let tasks: Vec<(usize, usize)> = (0..b).flat_map(|r| (0..nkv).map(move |g| (r, g))).collect();
        let results: Vec<_> = tasks.par_iter().map(|&(r, g)| self.forward_task(q, k, v, r, g)).collect();
        let mut out = vec![0.0f32; n * nh * hd];
        let mut lse = vec![0.0f32; b * nh * t];
        for (&(r, g), (outs, lses)) in tasks.iter().zip(results) {
            for hl in 0..rep {
                let h = g * rep + hl;
                store_head(&mut out, nh * hd, h * hd, r, t, hd, &outs[hl * t * hd..(hl + 1) * t * hd]);
                lse[(r * nh + h) * t..(r * nh + h + 1) * t].copy_from_slice(&lses[hl * t..(hl + 1) * t]);
            }
        }
        (out, lse)
    }

    /// Gradients `(dq, dk, dv)` for the output gradient `d_out`.
    pub(crate) fn backward(
        &self,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        d_out: &[f32],
        lse: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (b, t, nh, nkv, hd) = (self.b, self.t, self.nh, self.nkv, self.hd);
        let n = b * t;
        let rep = nh / nkv;
        let tasks: Vec<(usize, usize)> = (0..b).flat_map(|r| (0..nkv).map(move |g| (r, g))).collect();
        let results: Vec<_> = tasks.par_iter().map(|&(r, g)| self.backward_task(q, k, v, d_out, lse, r, g)).collect();
        let mut dq = vec![0.0f32; n * nh * hd];
        let mut dk = vec![0.0f32; n * nkv * hd];
        let mut dv = vec![0.0f32; n * nkv * hd];
        for (&(r, g), (dqs, dkh, dvh)) in tasks.iter().zip(results) {
            for hl in 0..rep {
                let h = g * rep + hl;
                store_head(&mut dq, nh * hd, h * hd, r, t, hd, &dqs[hl * t * hd..(hl + 1) * t * hd]);
            }
            store_head(&mut dk, nkv * hd, g * hd, r, t, hd, &dkh);
            store_head(&mut dv, nkv * hd, g * hd, r, t, hd, &dvh);
        }
        (dq, dk, dv)
    }
}
