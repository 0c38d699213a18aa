//! Activation quantization: f32 inputs → int8 blocks of 32, once per matmul.
//!
//! The integer kernels multiply 4-bit or 8-bit weights by 8-bit activations (`vpdpbusd`), so
//! the input vector has to be quantized first. ggml does this per matmul into Q8_1 (for Q4_1)
//! or Q8_0 (for Q4_0/Q8_0). We use one format for all of them, kept in separate planes rather
//! than interleaved blocks so kernels can broadcast 4-byte quads straight from memory:
//!
//! * `qs`: the int8 values, `cols` per token;
//! * `d`: the f32 scale of each 32-block (`amax / 127`), f32 rather than ggml's f16 because it
//!   costs nothing here and loses less precision;
//! * `isum`: the exact integer sum of each block's values. Q8_0 weights are stored offset by
//!   +128 (unsigned, for `vpdpbusd`) and Q4_0 nibbles by +8; both offsets are removed exactly
//!   with this sum. `s = d·isum` is Q8_1's `s` and carries Q4_1's `m` term.

use crate::pool::Pool;

/// One matmul input, quantized. Reused across calls to avoid per-token allocation.
#[derive(Debug, Default, Clone)]
pub(crate) struct QuantAct {
    pub cols: usize,
    pub n_tokens: usize,
    /// Blocks per token (`cols / 32`).
    pub nb: usize,
    pub qs: Vec<i8>,
    pub d: Vec<f32>,
    pub isum: Vec<i32>,
    /// `d · isum`, the block sum of the dequantized activations.
    pub s: Vec<f32>,
}

impl QuantAct {
    /// Quantizes `x` (`n_tokens × cols`, row-major). `cols` must be a multiple of 32 (checked
    /// by the caller).
    pub fn quantize(&mut self, x: &[f32], cols: usize, n_tokens: usize, pool: &Pool) {
        let nb = cols / 32;
        self.cols = cols;
        self.n_tokens = n_tokens;
        self.nb = nb;
        let n = cols * n_tokens;
        self.qs.resize(n, 0);
        self.d.resize(nb * n_tokens, 0.0);
        self.isum.resize(nb * n_tokens, 0);
        self.s.resize(nb * n_tokens, 0.0);
        let x = &x[..n];
        // A 512-token prompt is 300k–800k floats: worth splitting across the pool. One
        // decode token is not (a few hundred nanoseconds).
        if n_tokens < 8 || pool.threads() == 1 {
            quantize_blocks(x, &mut self.qs, &mut self.d, &mut self.isum, &mut self.s);
            return;
        }
        let planes = Planes {
            qs: self.qs.as_mut_ptr(),
            d: self.d.as_mut_ptr(),
            isum: self.isum.as_mut_ptr(),
            s: self.s.as_mut_ptr(),
        };
        // Borrow the whole struct: the closure must capture `Planes` (Sync), not its fields.
        let planes = &planes;
        pool.run(n_tokens, |tokens, _| {
            let (b0, b1) = (tokens.start * nb, tokens.end * nb);
            // SAFETY: each thread gets a disjoint token range, so these sub-slices of the
            // four planes (sized above for all n_tokens) never overlap between threads, and
            // `self` stays mutably borrowed for the whole `run`.
            let (qs, d, isum, s) = unsafe {
                (
                    std::slice::from_raw_parts_mut(planes.qs.add(b0 * 32), (b1 - b0) * 32),
                    std::slice::from_raw_parts_mut(planes.d.add(b0), b1 - b0),
                    std::slice::from_raw_parts_mut(planes.isum.add(b0), b1 - b0),
                    std::slice::from_raw_parts_mut(planes.s.add(b0), b1 - b0),
                )
            };
            quantize_blocks(&x[b0 * 32..b1 * 32], qs, d, isum, s);
        });
    }

    /// The int8 values of token `t`.
    #[inline]
    pub fn token_qs(&self, t: usize) -> &[i8] {
        &self.qs[t * self.cols..(t + 1) * self.cols]
    }
}

/// Raw plane pointers shared with pool threads that write disjoint token ranges.
#[derive(Clone, Copy)]
struct Planes {
    qs: *mut i8,
    d: *mut f32,
    isum: *mut i32,
    s: *mut f32,
}
// SAFETY: only used inside `QuantAct::quantize`, where threads write disjoint ranges.
unsafe impl Send for Planes {}
// SAFETY: as above.
unsafe impl Sync for Planes {}

/// Quantizes whole 32-blocks with the best available instructions.
fn quantize_blocks(x: &[f32], qs: &mut [i8], d: &mut [f32], isum: &mut [i32], s: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above); all slices hold the same block count.
        unsafe { x86::quantize_avx2(x, qs, d, isum, s) };
        return;
    }
    quantize_blocks_scalar(x, qs, d, isum, s)
}

/// Portable version. Rounding is to nearest-even, as ggml's SIMD `quantize_row_q8_*` do.
fn quantize_blocks_scalar(x: &[f32], qs: &mut [i8], d: &mut [f32], isum: &mut [i32], s: &mut [f32]) {
    for (b, (xb, qb)) in x.chunks_exact(32).zip(qs.chunks_exact_mut(32)).enumerate() {
        let mut amax = 0f32;
        for v in xb {
            amax = amax.max(v.abs());
        }
        let d32 = amax / 127.0;
        let db = half::f16::from_f32(d32).to_f32();
        let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
        let mut sum = 0i32;
        for (q, v) in qb.iter_mut().zip(xb) {
            let r = (v * id).round_ties_even().clamp(-127.0, 127.0) as i32;
            *q = r as i8;
            sum += r;
        }
        d[b] = db;
        isum[b] = sum;
        s[b] = half::f16::from_f32(d32 * sum as f32).to_f32();
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 32 floats per block in four ymm: abs-max, scale, round-to-nearest-even convert, pack
    /// to int8 (restoring order after the lane-wise packs) and sum, as ggml's AVX2
    /// `quantize_row_q8_1`.
    ///
    /// # Safety
    /// Needs AVX2. `x.len() == 32·n`, `qs.len() == 32·n`, the other planes hold `n`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn quantize_avx2(x: &[f32], qs: &mut [i8], d: &mut [f32], isum: &mut [i32], s: &mut [f32]) {
        let n = (x.len() / 32).min(qs.len() / 32).min(d.len()).min(isum.len()).min(s.len());
        let sign = _mm256_set1_ps(-0.0);
        let perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for b in 0..n {
            // SAFETY: block b < n is in bounds of every plane.
            unsafe {
                let p = x.as_ptr().add(32 * b);
                let v = [
                    _mm256_loadu_ps(p),
                    _mm256_loadu_ps(p.add(8)),
                    _mm256_loadu_ps(p.add(16)),
                    _mm256_loadu_ps(p.add(24)),
                ];
                let a01 = _mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1]));
                let a23 = _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3]));
                let m = _mm256_max_ps(a01, a23);
                let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
                let m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
                let m1 = _mm_max_ss(m2, _mm_movehdup_ps(m2));
                let amax = _mm_cvtss_f32(m1);
                let d32 = amax / 127.0;
                let db = half::f16::from_f32(d32).to_f32();
                let id = _mm256_set1_ps(if amax != 0.0 { 127.0 / amax } else { 0.0 });
                let q: [__m256i; 4] = std::array::from_fn(|k| {
                    _mm256_cvtps_epi32(_mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
                        _mm256_mul_ps(v[k], id),
                    ))
                });
                let sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
                let s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256::<1>(sum));
                let s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
                let s1 = _mm_add_epi32(s2, _mm_shuffle_epi32::<0b01>(s2));
                let total = _mm_cvtsi128_si32(s1);
                let p16a = _mm256_packs_epi32(q[0], q[1]);
                let p16b = _mm256_packs_epi32(q[2], q[3]);
                let p8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p16a, p16b), perm);
                _mm256_storeu_si256(qs.as_mut_ptr().add(32 * b).cast(), p8);
                *d.get_unchecked_mut(b) = db;
                *isum.get_unchecked_mut(b) = total;
                *s.get_unchecked_mut(b) = half::f16::from_f32(d32 * total as f32).to_f32();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizes_like_ggml_q8() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) * 0.1).collect();
        let mut a = QuantAct::default();
        a.quantize(&x, 64, 1, &Pool::new(1).unwrap());
        assert_eq!(a.nb, 2);
        for b in 0..2 {
            let xb = &x[32 * b..32 * b + 32];
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert_eq!(a.d[b], half::f16::from_f32(amax / 127.0).to_f32(), "d is rounded through f16 like ggml");
            let mut sum = 0;
            for j in 0..32 {
                let q = a.qs[32 * b + j] as f32;
                // q comes from the exact scale; d is its f16 rounding, which adds at most 127·|Δd|.
                let slack = 127.0 * (a.d[b] - amax / 127.0).abs();
                assert!((q * a.d[b] - xb[j]).abs() <= a.d[b] * 0.5 + slack + 1e-6);
                sum += a.qs[32 * b + j] as i32;
            }
            assert_eq!(a.isum[b], sum);
        }
        // A zero block quantizes to zeros with d = 0.
        a.quantize(&[0.0; 32], 32, 1, &Pool::new(1).unwrap());
        assert_eq!(a.d[0], 0.0);
        assert!(a.qs.iter().all(|q| *q == 0));
    }

    #[test]
    fn simd_parallel_and_scalar_quantization_agree() {
        let x: Vec<f32> = (0..576 * 20).map(|i| ((i * 7919 % 2001) as f32 - 1000.0) / 77.0).collect();
        let mut a = QuantAct::default();
        a.quantize(&x, 576, 20, &Pool::new(2).unwrap());
        let n = x.len() / 32;
        let (mut qs, mut d, mut isum, mut s) = (vec![0i8; x.len()], vec![0f32; n], vec![0i32; n], vec![0f32; n]);
        quantize_blocks_scalar(&x, &mut qs, &mut d, &mut isum, &mut s);
        assert_eq!((a.qs, a.d, a.isum, a.s), (qs, d, isum, s));
    }
}
