//! Small f32 vector helpers for the runtime's per-token glue (norms, activations, softmax).
//!
//! These run on 576–49152 floats a few hundred times per token; each is microseconds, but a
//! scalar `expf` over 49152 logits or an unvectorized reduction would show up next to
//! 40 µs matmuls. Each function has an AVX2+FMA body chosen at runtime and a portable scalar
//! body (used on other CPUs and as the test reference). Mismatched lengths are a caller bug,
//! so the functions return [`KernelError::LengthMismatch`] instead of panicking or truncating.

use crate::KernelError;

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::LengthMismatch { what, expected, got });
    }
    Ok(())
}

/// Σ a[i]·b[i].
pub fn dot(a: &[f32], b: &[f32]) -> Result<f32, KernelError> {
    check_len("dot: b", a.len(), b.len())?;
    Ok(dot_unchecked(a, b))
}

/// `dot` for callers that already know the lengths match (uses the shorter length).
#[inline]
pub(crate) fn dot_unchecked(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime.
        return unsafe { x86::dot(a, b) };
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// y[i] += a·x[i].
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) -> Result<(), KernelError> {
    check_len("axpy: y", x.len(), y.len())?;
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime; lengths are equal.
        unsafe { x86::axpy(a, x, y) };
        return Ok(());
    }
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
    Ok(())
}

/// y[i] += x[i] (residual connections).
pub fn add_assign(y: &mut [f32], x: &[f32]) -> Result<(), KernelError> {
    axpy(1.0, x, y)
}

/// `out = x / sqrt(mean(x²) + eps) · w` (llama's RMSNorm; the sum of squares is accumulated
/// in f64 at the end like ggml's `ggml_float`).
pub fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) -> Result<(), KernelError> {
    check_len("rms_norm: weight", x.len(), w.len())?;
    check_len("rms_norm: out", x.len(), out.len())?;
    if x.is_empty() {
        return Ok(());
    }
    let ss = sum_squares(x);
    let mean = (ss / x.len() as f64) as f32;
    let scale = 1.0 / (mean + eps).sqrt();
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime; lengths are equal.
        unsafe { x86::scale_mul(x, w, scale, out) };
        return Ok(());
    }
    for ((o, xi), wi) in out.iter_mut().zip(x).zip(w) {
        *o = xi * scale * wi;
    }
    Ok(())
}

fn sum_squares(x: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime.
        return unsafe { x86::sum_squares(x) };
    }
    x.iter().map(|v| (*v as f64) * (*v as f64)).sum()
}

/// `out = silu(gate) · up` where `silu(g) = g / (1 + e^−g)` (the SwiGLU feed-forward).
pub fn silu_mul(gate: &[f32], up: &[f32], out: &mut [f32]) -> Result<(), KernelError> {
    check_len("silu_mul: up", gate.len(), up.len())?;
    check_len("silu_mul: out", gate.len(), out.len())?;
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime; lengths are equal.
        unsafe { x86::silu_mul(gate, up, out) };
        return Ok(());
    }
    for ((o, g), u) in out.iter_mut().zip(gate).zip(up) {
        *o = g / (1.0 + (-g).exp()) * u;
    }
    Ok(())
}

/// x[i] = e^x[i], in place (relative error ≈ 2e-7; −∞ and very negative inputs give 0).
pub fn exp_inplace(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime.
        unsafe { x86::exp_sub_sum(x, 0.0) };
        return;
    }
    for v in x.iter_mut() {
        *v = v.exp();
    }
}

/// Numerically stable softmax in place (subtracts the max first). An empty slice is a no-op;
/// a slice that is all −∞ becomes all zeros rather than NaN.
pub fn softmax_inplace(x: &mut [f32]) {
    if x.is_empty() {
        return;
    }
    let max = max_of(x);
    if max == f32::NEG_INFINITY {
        x.fill(0.0);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at runtime.
        let sum = unsafe { x86::exp_sub_sum(x, max) };
        let inv = 1.0 / sum;
        // SAFETY: as above.
        unsafe { x86::scale(x, inv) };
        return;
    }
    let mut sum = 0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// The largest element (−∞ for an empty slice; NaNs are ignored).
pub fn max_of(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    /// e^x for 8 lanes: Cephes `expf` range reduction and polynomial; inputs below −87.3
    /// (including −∞) give exactly 0, above 88.7 give +∞.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn exp8(x: __m256) -> __m256 {
        let hi = _mm256_set1_ps(88.722_83);
        let lo = _mm256_set1_ps(-87.336_55);
        let xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
        let fx = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
            xc,
            _mm256_set1_ps(std::f32::consts::LOG2_E),
        ));
        let r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693_359_4), xc);
        let r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.121_944_4e-4), r);
        let mut y = _mm256_set1_ps(1.987_569_1e-4);
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.398_199_9e-3));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.333_452e-3));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.166_579_6e-2));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.666_666_5e-1));
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(0.5));
        let r2 = _mm256_mul_ps(r, r);
        y = _mm256_fmadd_ps(y, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0)));
        // 2^fx via the exponent field; fx is in [-126, 128] after clamping, so split the
        // scaling in two halves to keep each factor a normal float.
        let n = _mm256_cvtps_epi32(fx);
        let n1 = _mm256_srai_epi32::<1>(n);
        let n2 = _mm256_sub_epi32(n, n1);
        let bias = _mm256_set1_epi32(127);
        let p1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n1, bias)));
        let p2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n2, bias)));
        let res = _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
        // Below the clamp: exactly zero.
        let under = _mm256_cmp_ps::<_CMP_LT_OQ>(x, lo);
        let res = _mm256_andnot_ps(under, res);
        // Above the clamp: +inf; NaN stays NaN.
        let over = _mm256_cmp_ps::<_CMP_GT_OQ>(x, hi);
        let res = _mm256_blendv_ps(res, _mm256_set1_ps(f32::INFINITY), over);
        let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x);
        _mm256_blendv_ps(res, x, nan)
    }

    /// # Safety
    /// Needs AVX2+FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: every load is at an index < n.
        unsafe {
            while i + 32 <= n {
                for (k, ak) in acc.iter_mut().enumerate() {
                    let x = _mm256_loadu_ps(pa.add(i + 8 * k));
                    let y = _mm256_loadu_ps(pb.add(i + 8 * k));
                    *ak = _mm256_fmadd_ps(x, y, *ak);
                }
                i += 32;
            }
            while i + 8 <= n {
                acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc[0]);
                i += 8;
            }
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut r = hsum(s);
        for j in i..n {
            r += a[j] * b[j];
        }
        r
    }

    /// # Safety
    /// Needs AVX2+FMA; `x.len() == y.len()`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
        let n = x.len().min(y.len());
        let av = _mm256_set1_ps(a);
        let mut i = 0;
        // SAFETY: indices < n.
        unsafe {
            while i + 8 <= n {
                let p = y.as_mut_ptr().add(i);
                _mm256_storeu_ps(p, _mm256_fmadd_ps(av, _mm256_loadu_ps(x.as_ptr().add(i)), _mm256_loadu_ps(p)));
                i += 8;
            }
        }
        for j in i..n {
            y[j] += a * x[j];
        }
    }

    /// # Safety
    /// Needs AVX2+FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum_squares(x: &[f32]) -> f64 {
        let n = x.len();
        let mut acc = [_mm256_setzero_ps(); 2];
        let mut i = 0;
        // SAFETY: indices < n.
        unsafe {
            while i + 16 <= n {
                let a = _mm256_loadu_ps(x.as_ptr().add(i));
                let b = _mm256_loadu_ps(x.as_ptr().add(i + 8));
                acc[0] = _mm256_fmadd_ps(a, a, acc[0]);
                acc[1] = _mm256_fmadd_ps(b, b, acc[1]);
                i += 16;
            }
        }
        let mut r = hsum(_mm256_add_ps(acc[0], acc[1])) as f64;
        for v in &x[i..] {
            r += (*v as f64) * (*v as f64);
        }
        r
    }

    /// out = x·s·w.
    ///
    /// # Safety
    /// Needs AVX2+FMA; equal lengths.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn scale_mul(x: &[f32], w: &[f32], s: f32, out: &mut [f32]) {
        let n = x.len().min(w.len()).min(out.len());
        let sv = _mm256_set1_ps(s);
        let mut i = 0;
        // SAFETY: indices < n.
        unsafe {
            while i + 8 <= n {
                let v = _mm256_mul_ps(_mm256_loadu_ps(x.as_ptr().add(i)), sv);
                _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm256_mul_ps(v, _mm256_loadu_ps(w.as_ptr().add(i))));
                i += 8;
            }
        }
        for j in i..n {
            out[j] = x[j] * s * w[j];
        }
    }

    /// # Safety
    /// Needs AVX2+FMA; equal lengths.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn silu_mul(g: &[f32], u: &[f32], out: &mut [f32]) {
        let n = g.len().min(u.len()).min(out.len());
        let one = _mm256_set1_ps(1.0);
        let mut i = 0;
        // SAFETY: indices < n.
        unsafe {
            while i + 8 <= n {
                let gv = _mm256_loadu_ps(g.as_ptr().add(i));
                let e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), gv));
                let s = _mm256_div_ps(gv, _mm256_add_ps(one, e));
                _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm256_mul_ps(s, _mm256_loadu_ps(u.as_ptr().add(i))));
                i += 8;
            }
        }
        for j in i..n {
            out[j] = g[j] / (1.0 + (-g[j]).exp()) * u[j];
        }
    }

    /// x = e^(x − m) in place; returns the sum.
    ///
    /// # Safety
    /// Needs AVX2+FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn exp_sub_sum(x: &mut [f32], m: f32) -> f32 {
        let n = x.len();
        let mv = _mm256_set1_ps(m);
        let mut acc = _mm256_setzero_ps();
        let mut i = 0;
        // SAFETY: indices < n.
        unsafe {
            while i + 8 <= n {
                let p = x.as_mut_ptr().add(i);
                let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p), mv));
                _mm256_storeu_ps(p, e);
                acc = _mm256_add_ps(acc, e);
                i += 8;
            }
        }
        let mut sum = hsum(acc);
        if i < n {
            // Tail through the same polynomial so every element gets the same rounding.
            let mut buf = [f32::NEG_INFINITY; 8];
            buf[..n - i].copy_from_slice(&x[i..]);
            // SAFETY: `buf` holds 8 floats.
            let e = exp8(_mm256_sub_ps(unsafe { _mm256_loadu_ps(buf.as_ptr()) }, mv));
            // SAFETY: as above.
            unsafe { _mm256_storeu_ps(buf.as_mut_ptr(), e) };
            x[i..].copy_from_slice(&buf[..n - i]);
            sum += buf[..n - i].iter().sum::<f32>();
        }
        sum
    }

    /// x *= s.
    ///
    /// # Safety
    /// Needs AVX2+FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn scale(x: &mut [f32], s: f32) {
        let sv = _mm256_set1_ps(s);
        let n = x.len();
        let mut i = 0;
        // SAFETY: indices < n.
        unsafe {
            while i + 8 <= n {
                let p = x.as_mut_ptr().add(i);
                _mm256_storeu_ps(p, _mm256_mul_ps(_mm256_loadu_ps(p), sv));
                i += 8;
            }
        }
        for v in &mut x[i..] {
            *v *= s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 8.0 - 4.0
            })
            .collect()
    }

    #[test]
    fn dot_axpy_norm_match_scalar() {
        for n in [0usize, 1, 7, 8, 33, 576, 1537] {
            let a = data(n, 1);
            let b = data(n, 2);
            let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            let got = dot(&a, &b).unwrap() as f64;
            assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "n={n}");
            let mut y = b.clone();
            axpy(0.5, &a, &mut y).unwrap();
            for i in 0..n {
                assert!((y[i] - (b[i] + 0.5 * a[i])).abs() < 1e-6);
            }
            if n > 0 {
                let mut out = vec![0.0; n];
                rms_norm(&a, &b, 1e-5, &mut out).unwrap();
                let ms: f64 = a.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / n as f64;
                let sc = 1.0 / (ms + 1e-5).sqrt();
                for i in 0..n {
                    let w = a[i] as f64 * sc * b[i] as f64;
                    assert!((out[i] as f64 - w).abs() < 1e-5 * (1.0 + w.abs()));
                }
            }
        }
        assert!(dot(&[1.0], &[1.0, 2.0]).is_err());
        assert!(rms_norm(&[1.0], &[1.0], 1e-5, &mut []).is_err());
    }

    #[test]
    fn exp_softmax_silu_are_accurate() {
        let mut x = data(1000, 3).iter().map(|v| v * 20.0).collect::<Vec<_>>();
        x.push(f32::NEG_INFINITY);
        x.push(-100.0);
        let orig = x.clone();
        exp_inplace(&mut x);
        for (e, o) in x.iter().zip(&orig) {
            let want = (*o as f64).exp();
            assert!(((*e as f64) - want).abs() <= 3e-7 * want + 1e-38, "exp({o}) = {e}, want {want}");
        }
        let mut s = orig.clone();
        softmax_inplace(&mut s);
        let total: f32 = s.iter().sum();
        assert!((total - 1.0).abs() < 1e-5);
        assert_eq!(s[1000], 0.0);
        let mut allneg = [f32::NEG_INFINITY; 3];
        softmax_inplace(&mut allneg);
        assert_eq!(allneg, [0.0; 3]);

        let g = data(100, 4);
        let u = data(100, 5);
        let mut out = vec![0.0; 100];
        silu_mul(&g, &u, &mut out).unwrap();
        for i in 0..100 {
            let w = g[i] as f64 / (1.0 + (-g[i] as f64).exp()) * u[i] as f64;
            assert!((out[i] as f64 - w).abs() < 1e-5 * (1.0 + w.abs()));
        }
    }
}
