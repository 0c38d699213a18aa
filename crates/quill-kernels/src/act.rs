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
    pub fn quantize(&mut self, x: &[f32], cols: usize, n_tokens: usize) {
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
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is present (checked just above).
                unsafe { quantize_avx2(x, &mut self.qs, &mut self.d, &mut self.isum, &mut self.s) };
                return;
            }
        }
        quantize_blocks(x, &mut self.qs, &mut self.d, &mut self.isum, &mut self.s);
    }

    /// The int8 values of token `t`.
    #[inline]
    pub fn token_qs(&self, t: usize) -> &[i8] {
        &self.qs[t * self.cols..(t + 1) * self.cols]
    }
}

/// Quantizes whole 32-blocks; written so LLVM vectorizes it under any target feature set.
/// Rounding is to nearest-even, as ggml's SIMD `quantize_row_q8_*` do.
#[inline(always)]
fn quantize_blocks(x: &[f32], qs: &mut [i8], d: &mut [f32], isum: &mut [i32], s: &mut [f32]) {
    for (b, (xb, qb)) in x.chunks_exact(32).zip(qs.chunks_exact_mut(32)).enumerate() {
        let mut amax = 0f32;
        for v in xb {
            amax = amax.max(v.abs());
        }
        let db = amax / 127.0;
        let id = if db != 0.0 { 1.0 / db } else { 0.0 };
        let mut sum = 0i32;
        for (q, v) in qb.iter_mut().zip(xb) {
            let r = (v * id).round_ties_even().clamp(-127.0, 127.0) as i32;
            *q = r as i8;
            sum += r;
        }
        d[b] = db;
        isum[b] = sum;
        s[b] = db * sum as f32;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn quantize_avx2(x: &[f32], qs: &mut [i8], d: &mut [f32], isum: &mut [i32], s: &mut [f32]) {
    quantize_blocks(x, qs, d, isum, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizes_like_ggml_q8() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) * 0.1).collect();
        let mut a = QuantAct::default();
        a.quantize(&x, 64, 1);
        assert_eq!(a.nb, 2);
        for b in 0..2 {
            let xb = &x[32 * b..32 * b + 32];
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert_eq!(a.d[b], amax / 127.0);
            let mut sum = 0;
            for j in 0..32 {
                let q = a.qs[32 * b + j] as f32;
                assert!((q * a.d[b] - xb[j]).abs() <= a.d[b] * 0.5 + 1e-6);
                sum += a.qs[32 * b + j] as i32;
            }
            assert_eq!(a.isum[b], sum);
        }
        // A zero block quantizes to zeros with d = 0.
        a.quantize(&[0.0; 32], 32, 1);
        assert_eq!(a.d[0], 0.0);
        assert!(a.qs.iter().all(|q| *q == 0));
    }
}
