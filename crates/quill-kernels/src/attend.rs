//! Causal attention for one (token, KV head): the group's query rows against `len` cached
//! positions, `O = softmax(scale·Q·Kᵀ)·V`.
//!
//! # Why a hand-written kernel
//! A general GEMM library picks its blocking from the cache sizes it detects, and its
//! summation order with it: the same binary then gives slightly different scores on a Zen 4
//! and a Zen 5, and the int8 activation quantization downstream turns those last-bit
//! differences into visibly different logits. Here every sum has one fixed order, written
//! down in [`attend_scalar`] and reproduced lane for lane by the AVX2 body, so the result is
//! bit-identical on every x86-64 CPU (and between the two bodies, which the tests check).
//!
//! Order: a dot product keeps 8 lane sums (`lane = i mod 8`, each a chain of fused
//! multiply-adds over `i` ascending), then reduces them as `((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7))`.
//! An output element is a chain of fused multiply-adds over positions ascending.

use crate::KernelError;
use crate::vecops::softmax_inplace;

/// One (token, KV head) attention problem. Rows of `k` and `v` are `stride` floats apart (the
/// cache's KV width), so the caller passes the cache slice starting at the head's offset.
#[derive(Debug, Clone, Copy)]
pub struct HeadGroup<'a> {
    /// `group × head_dim` query rows, contiguous.
    pub q: &'a [f32],
    /// Keys: position `t` is `k[t·stride .. t·stride + head_dim]`.
    pub k: &'a [f32],
    /// Values, laid out like `k`.
    pub v: &'a [f32],
    /// Distance between consecutive positions in `k` and `v`.
    pub stride: usize,
    /// Query rows sharing this KV head.
    pub group: usize,
    /// Values per head.
    pub head_dim: usize,
    /// Positions attended to (the causal prefix, including the token itself).
    pub len: usize,
    /// Score scale, usually `1/√head_dim`.
    pub scale: f32,
}

/// Computes the group's attention output into `out` (`group × head_dim`), using `scores`
/// (at least `group × len`) as scratch. The scores left there are the softmax probabilities.
pub fn attend(p: &HeadGroup<'_>, scores: &mut [f32], out: &mut [f32]) -> Result<(), KernelError> {
    check(p, scores.len(), out.len())?;
    let (hd, len, group) = (p.head_dim, p.len, p.group);
    let (scores, out) = (&mut scores[..group * len], &mut out[..group * hd]);
    if has_simd(hd) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX2 and FMA are present (has_simd); `check` verified every bound used.
        unsafe {
            x86::dots(p, scores);
            for row in scores.chunks_exact_mut(len) {
                softmax_inplace(row);
            }
            x86::mix(p, scores, out);
        }
    } else {
        dots_scalar(p, scores);
        for row in scores.chunks_exact_mut(len) {
            softmax_inplace(row);
        }
        mix_scalar(p, scores, out);
    }
    Ok(())
}

fn has_simd(head_dim: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        head_dim.is_multiple_of(8)
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = head_dim;
        false
    }
}

fn check(p: &HeadGroup<'_>, scores: usize, out: usize) -> Result<(), KernelError> {
    let bad =
        |what: &'static str, expected: usize, got: usize| Err(KernelError::BufferTooSmall { what, expected, got });
    let qn = p.group * p.head_dim;
    if p.q.len() < qn {
        return bad("attention queries", qn, p.q.len());
    }
    if out < qn {
        return bad("attention output", qn, out);
    }
    if scores < p.group * p.len {
        return bad("attention scores", p.group * p.len, scores);
    }
    if p.len > 0 {
        let kv = (p.len - 1) * p.stride + p.head_dim;
        if p.k.len() < kv {
            return bad("attention keys", kv, p.k.len());
        }
        if p.v.len() < kv {
            return bad("attention values", kv, p.v.len());
        }
    }
    Ok(())
}

/// Scaled scores of every query row against every position (`scores[j·len + t]`), in the
/// reference order (see the module docs); also the body for CPUs without AVX2.
pub(crate) fn dots_scalar(p: &HeadGroup<'_>, scores: &mut [f32]) {
    let (hd, len) = (p.head_dim, p.len);
    for j in 0..p.group {
        let q = &p.q[j * hd..(j + 1) * hd];
        for t in 0..len {
            let k = &p.k[t * p.stride..t * p.stride + hd];
            let mut lanes = [0f32; 8];
            for (i, (a, b)) in q.iter().zip(k).enumerate() {
                lanes[i % 8] = a.mul_add(*b, lanes[i % 8]);
            }
            let l = lanes;
            scores[j * len + t] = (((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))) * p.scale;
        }
    }
}

/// `out[j] = Σ_t w[j·len + t]·v[t]`, positions ascending, in the reference order.
pub(crate) fn mix_scalar(p: &HeadGroup<'_>, w: &[f32], out: &mut [f32]) {
    let (hd, len) = (p.head_dim, p.len);
    for j in 0..p.group {
        let o = &mut out[j * hd..(j + 1) * hd];
        o.fill(0.0);
        for t in 0..len {
            let wt = w[j * len + t];
            for (oi, vi) in o.iter_mut().zip(&p.v[t * p.stride..t * p.stride + hd]) {
                *oi = wt.mul_add(*vi, *oi);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::HeadGroup;
    use std::arch::x86_64::*;

    /// Reduces four lane-sum vectors to their four dot products, each in the documented order:
    /// `hadd` pairs (l0+l1, l2+l3, …), a second `hadd` the pairs of pairs, and the final add
    /// joins the low (lanes 0–3) and high (4–7) halves.
    #[target_feature(enable = "avx2,fma")]
    fn reduce4(a: __m256, b: __m256, c: __m256, d: __m256) -> __m128 {
        let ab = _mm256_hadd_ps(a, b);
        let cd = _mm256_hadd_ps(c, d);
        let abcd = _mm256_hadd_ps(ab, cd);
        _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps::<1>(abcd))
    }

    /// Positions per block: a block of keys or values (at most 32 × 128 floats) stays in L1
    /// while every query row of the group uses it, so the cache is streamed once per task.
    const BLOCK: usize = 32;

    /// Scaled scores of every query row (see [`super::dots_scalar`] for the order).
    ///
    /// # Safety
    /// Needs AVX2 and FMA; `head_dim % 8 == 0`; bounds as checked by `super::check`, and
    /// `scores.len() >= group·len`.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn dots(p: &HeadGroup<'_>, scores: &mut [f32]) {
        let (hd, len, stride) = (p.head_dim, p.len, p.stride);
        let chunks = hd / 8;
        let kp = p.k.as_ptr();
        let scale = _mm_set1_ps(p.scale);
        // SAFETY: positions t < len read `k[t·stride + 8c .. +8]`, c < hd/8, and query rows
        // j < group, all inside the checked bounds; `scores` holds group·len values.
        unsafe {
            let sp = scores.as_mut_ptr();
            let mut t0 = 0;
            while t0 < len {
                let t1 = (t0 + BLOCK).min(len);
                for j in 0..p.group {
                    let q = p.q.as_ptr().add(j * hd);
                    let srow = sp.add(j * len);
                    let mut t = t0;
                    while t + 4 <= t1 {
                        let mut acc = [_mm256_setzero_ps(); 4];
                        for c in 0..chunks {
                            let qv = _mm256_loadu_ps(q.add(8 * c));
                            for (u, a) in acc.iter_mut().enumerate() {
                                *a = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp.add((t + u) * stride + 8 * c)), *a);
                            }
                        }
                        _mm_storeu_ps(srow.add(t), _mm_mul_ps(reduce4(acc[0], acc[1], acc[2], acc[3]), scale));
                        t += 4;
                    }
                    while t < t1 {
                        let mut a = _mm256_setzero_ps();
                        for c in 0..chunks {
                            let k = _mm256_loadu_ps(kp.add(t * stride + 8 * c));
                            a = _mm256_fmadd_ps(_mm256_loadu_ps(q.add(8 * c)), k, a);
                        }
                        // Same tree as `reduce4`, with copies as the other three inputs.
                        *srow.add(t) = _mm_cvtss_f32(reduce4(a, a, a, a)) * p.scale;
                        t += 1;
                    }
                }
                t0 = t1;
            }
        }
    }

    /// `out[j] = Σ_t w[j·len + t]·v[t]` (see [`super::mix_scalar`]): per block of positions,
    /// each row's running sums (up to 8 registers, 64 values, at a time) are loaded, extended
    /// over the block in position order, and stored back, so the chain per element is the
    /// scalar one.
    ///
    /// # Safety
    /// As for [`dots`]; `w.len() >= group·len`, `out.len() >= group·head_dim`.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn mix(p: &HeadGroup<'_>, w: &[f32], out: &mut [f32]) {
        let (hd, len, stride) = (p.head_dim, p.len, p.stride);
        let chunks = hd / 8;
        let vp = p.v.as_ptr();
        out[..p.group * hd].fill(0.0);
        // SAFETY: value rows t < len, columns < hd, inside the checked bounds; `out` holds
        // group·hd values and `w` group·len.
        unsafe {
            let op = out.as_mut_ptr();
            let wp = w.as_ptr();
            let mut t0 = 0;
            while t0 < len {
                let t1 = (t0 + BLOCK).min(len);
                for j in 0..p.group {
                    let o = op.add(j * hd);
                    let mut c0 = 0;
                    while c0 < chunks {
                        let n = (chunks - c0).min(8);
                        let mut acc = [_mm256_setzero_ps(); 8];
                        for (c, a) in acc.iter_mut().enumerate().take(n) {
                            *a = _mm256_loadu_ps(o.add(8 * (c0 + c)));
                        }
                        for t in t0..t1 {
                            let wv = _mm256_set1_ps(*wp.add(j * len + t));
                            let vrow = vp.add(t * stride + 8 * c0);
                            for (c, a) in acc.iter_mut().enumerate().take(n) {
                                *a = _mm256_fmadd_ps(wv, _mm256_loadu_ps(vrow.add(8 * c)), *a);
                            }
                        }
                        for (c, a) in acc.iter().enumerate().take(n) {
                            _mm256_storeu_ps(o.add(8 * (c0 + c)), *a);
                        }
                        c0 += n;
                    }
                }
                t0 = t1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rnd(n: usize, seed: u64) -> Vec<f32> {
        crate::tests::rand_vec(n, seed)
    }

    fn naive(p: &HeadGroup<'_>) -> Vec<f64> {
        let (hd, len) = (p.head_dim, p.len);
        let mut out = vec![0f64; p.group * hd];
        for j in 0..p.group {
            let s: Vec<f64> = (0..len)
                .map(|t| {
                    (0..hd).map(|i| p.q[j * hd + i] as f64 * p.k[t * p.stride + i] as f64).sum::<f64>() * p.scale as f64
                })
                .collect();
            let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = s.iter().map(|x| (x - m).exp()).collect();
            let z: f64 = e.iter().sum();
            for t in 0..len {
                for i in 0..hd {
                    out[j * hd + i] += e[t] / z * p.v[t * p.stride + i] as f64;
                }
            }
        }
        out
    }

    /// The result equals a float64 reference, and the AVX2 body equals the scalar one bit for
    /// bit in both halves (so its order really is the documented one), for odd lengths and
    /// wide heads.
    #[test]
    fn matches_reference_and_is_bit_identical_across_bodies() {
        for (group, hd, len, stride) in
            [(3, 64, 1, 192), (3, 64, 7, 192), (1, 8, 5, 8), (4, 128, 37, 512), (2, 64, 130, 64)]
        {
            let q = rnd(group * hd, 1);
            let k = rnd(len * stride, 2);
            let v = rnd(len * stride, 3);
            let p = HeadGroup { q: &q, k: &k, v: &v, stride, group, head_dim: hd, len, scale: 0.125 };
            let want = naive(&p);
            let mut s1 = vec![0.0; group * len];
            let mut o1 = vec![0.0; group * hd];
            attend(&p, &mut s1, &mut o1).unwrap();
            for (g, w) in o1.iter().zip(&want) {
                assert!((*g as f64 - w).abs() < 1e-5, "{group}x{hd} len {len}: {g} vs {w}");
            }
            #[cfg(target_arch = "x86_64")]
            if has_simd(hd) {
                let (mut a, mut b) = (vec![0.0; group * len], vec![0.0; group * len]);
                dots_scalar(&p, &mut a);
                // SAFETY: features checked by has_simd; shapes valid (checked above).
                unsafe { x86::dots(&p, &mut b) };
                assert_eq!(a, b, "scores");
                let (mut oa, mut ob) = (vec![0.0; group * hd], vec![0.0; group * hd]);
                mix_scalar(&p, &s1, &mut oa);
                // SAFETY: as above.
                unsafe { x86::mix(&p, &s1, &mut ob) };
                assert_eq!(oa, ob, "output");
            }
        }
    }

    #[test]
    fn short_buffers_are_errors() {
        let q = vec![0.0; 64];
        let k = vec![0.0; 64];
        let p = HeadGroup { q: &q, k: &k, v: &k, stride: 64, group: 1, head_dim: 64, len: 2, scale: 1.0 };
        assert!(attend(&p, &mut [0.0; 2], &mut [0.0; 64]).is_err());
        let p = HeadGroup { len: 1, ..p };
        assert!(attend(&p, &mut [0.0; 0], &mut [0.0; 64]).is_err());
        assert!(attend(&p, &mut [0.0; 1], &mut [0.0; 63]).is_err());
        assert!(attend(&p, &mut [0.0; 1], &mut [0.0; 64]).is_ok());
    }
}
