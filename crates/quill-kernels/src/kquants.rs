//! K-quant (Q4_K, Q5_K, Q6_K) dot products against Q8_K activations.
//!
//! SmolLM2's Q4_1 file has no K-quant tensors, but other GGUFs (Q4_K_M mixes) do, and the
//! generic dequantize-to-f32 path costs ~8 instructions per weight. These follow ggml's
//! `ggml_vec_dot_q*_K_q8_K`: activations are quantized per 256-block to int8 with per-16
//! block sums (`bsums`), weight sub-block minimums/offsets are applied through those sums,
//! and the inner loop is integer `maddubs`/`madd` (AVX2) or plain integer arithmetic (scalar,
//! the reference). Integer results of both paths are identical; only the final f32
//! accumulation order differs.

use crate::dequant::{f16_at, scale_min_k4};
use crate::isa::Isa;
use crate::types::GgmlType;

/// Activations quantized per 256-block (ggml's `block_q8_K`, kept as planes).
#[derive(Debug, Default, Clone)]
pub(crate) struct Q8KAct {
    pub cols: usize,
    pub qs: Vec<i8>,
    pub d: Vec<f32>,
    /// Sum of each 16 consecutive values.
    pub bsums: Vec<i32>,
}

impl Q8KAct {
    /// Quantizes `n_tokens × cols` floats; `cols` must be a multiple of 256.
    pub fn quantize(x: &[f32], cols: usize, n_tokens: usize) -> Self {
        let n = cols * n_tokens;
        let nb = n / 256;
        let mut a = Q8KAct { cols, qs: vec![0; n], d: vec![0.0; nb], bsums: vec![0; n / 16] };
        for (b, xb) in x[..n].chunks_exact(256).enumerate() {
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            for (j, v) in xb.iter().enumerate() {
                a.qs[256 * b + j] = (v * id).round_ties_even().clamp(-127.0, 127.0) as i8;
            }
            a.d[b] = d;
            for s in 0..16 {
                a.bsums[16 * b + s] = a.qs[256 * b + 16 * s..256 * b + 16 * s + 16].iter().map(|q| *q as i32).sum();
            }
        }
        a
    }
}

/// Dot product of one weight row (`row` = raw ggml bytes) with token `tok` of `act`.
pub(crate) fn vec_dot(kind: GgmlType, isa: Isa, row: &[u8], act: &Q8KAct, tok: usize) -> f32 {
    let nb = act.cols / 256;
    let ts = kind.type_size();
    let mut sum = 0f32;
    for b in 0..nb {
        let blk = &row[b * ts..(b + 1) * ts];
        let ab = tok * nb + b;
        let xq = &act.qs[256 * ab..256 * ab + 256];
        let bs = &act.bsums[16 * ab..16 * ab + 16];
        let dx = act.d[ab];
        sum += match kind {
            GgmlType::Q4_K => {
                let (sumi, summ) = q4k_isums(isa, blk, xq, bs);
                f16_at(blk, 0) * dx * sumi as f32 - f16_at(blk, 2) * dx * summ as f32
            }
            GgmlType::Q5_K => {
                let (sumi, summ) = q5k_isums(blk, xq, bs);
                f16_at(blk, 0) * dx * sumi as f32 - f16_at(blk, 2) * dx * summ as f32
            }
            GgmlType::Q6_K => f16_at(blk, 208) * dx * q6k_isum(isa, blk, xq, bs) as f32,
            _ => 0.0,
        };
    }
    sum
}

fn scales_mins(blk: &[u8]) -> ([i32; 8], [i32; 8]) {
    let mut sc = [0i32; 8];
    let mut mn = [0i32; 8];
    for j in 0..8 {
        let (s, m) = scale_min_k4(j, &blk[4..16]);
        sc[j] = s as i32;
        mn[j] = m as i32;
    }
    (sc, mn)
}

/// Q4_K: `(Σ_j sc_j·Σ q·x, Σ_j m_j·Σ x)` over one 256-block.
pub(crate) fn q4k_isums(isa: Isa, blk: &[u8], xq: &[i8], bs: &[i32]) -> (i32, i32) {
    let (sc, mn) = scales_mins(blk);
    let summ: i32 = (0..8).map(|j| mn[j] * (bs[2 * j] + bs[2 * j + 1])).sum();
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Scalar {
        // SAFETY: every non-scalar tier implies AVX2; `blk` is one Q4_K block, `xq` 256 values.
        return (unsafe { x86::q4k_sumi(blk, xq, &sc) }, summ);
    }
    let _ = isa;
    let q = &blk[16..144];
    let mut sumi = 0i32;
    for c in 0..4 {
        let (mut lo, mut hi) = (0i32, 0i32);
        for l in 0..32 {
            lo += (q[32 * c + l] & 0xF) as i32 * xq[64 * c + l] as i32;
            hi += (q[32 * c + l] >> 4) as i32 * xq[64 * c + 32 + l] as i32;
        }
        sumi += sc[2 * c] * lo + sc[2 * c + 1] * hi;
    }
    (sumi, summ)
}

/// Q5_K: as Q4_K with a fifth bit per value (scalar only; rare in practice).
pub(crate) fn q5k_isums(blk: &[u8], xq: &[i8], bs: &[i32]) -> (i32, i32) {
    let (sc, mn) = scales_mins(blk);
    let summ: i32 = (0..8).map(|j| mn[j] * (bs[2 * j] + bs[2 * j + 1])).sum();
    let qh = &blk[16..48];
    let q = &blk[48..176];
    let mut sumi = 0i32;
    for c in 0..4 {
        let (u1, u2) = (1u8 << (2 * c), 2u8 << (2 * c));
        let (mut lo, mut hi) = (0i32, 0i32);
        for l in 0..32 {
            let v_lo = (q[32 * c + l] & 0xF) as i32 + if qh[l] & u1 != 0 { 16 } else { 0 };
            let v_hi = (q[32 * c + l] >> 4) as i32 + if qh[l] & u2 != 0 { 16 } else { 0 };
            lo += v_lo * xq[64 * c + l] as i32;
            hi += v_hi * xq[64 * c + 32 + l] as i32;
        }
        sumi += sc[2 * c] * lo + sc[2 * c + 1] * hi;
    }
    (sumi, summ)
}

/// Q6_K: `Σ_j sc_j·Σ (q − 32)·x` over one 256-block (the −32 goes through `bsums`).
pub(crate) fn q6k_isum(isa: Isa, blk: &[u8], xq: &[i8], bs: &[i32]) -> i32 {
    let sc: [i32; 16] = std::array::from_fn(|j| blk[192 + j] as i8 as i32);
    let offset: i32 = (0..16).map(|j| sc[j] * bs[j]).sum::<i32>() * 32;
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Scalar {
        // SAFETY: every non-scalar tier implies AVX2; `blk` is one Q6_K block.
        return unsafe { x86::q6k_sumi(blk, xq, &sc) } - offset;
    }
    let _ = isa;
    let mut sumi = 0i32;
    for h in 0..2 {
        let ql = &blk[64 * h..64 * h + 64];
        let qh = &blk[128 + 32 * h..128 + 32 * h + 32];
        let x = &xq[128 * h..128 * h + 128];
        let s = &sc[8 * h..8 * h + 8];
        for l in 0..32 {
            let is = l / 16;
            let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32;
            let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32;
            let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32;
            let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32;
            sumi += s[is] * q1 * x[l] as i32
                + s[is + 2] * q2 * x[l + 32] as i32
                + s[is + 4] * q3 * x[l + 64] as i32
                + s[is + 6] * q4 * x[l + 96] as i32;
        }
    }
    sumi - offset
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    fn hsum_i32(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01>(s));
        _mm_cvtsi128_si32(s)
    }

    /// Σ_j sc_j·Σ q·x for one Q4_K block: `maddubs` (nibble × int8) then `madd` by the
    /// sub-block scale, as in ggml's AVX2 kernel.
    ///
    /// # Safety
    /// Needs AVX2; `blk.len() >= 144`, `xq.len() >= 256`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn q4k_sumi(blk: &[u8], xq: &[i8], sc: &[i32; 8]) -> i32 {
        assert!(blk.len() >= 144 && xq.len() >= 256);
        let mask = _mm256_set1_epi8(0x0F);
        let mut acc = _mm256_setzero_si256();
        // SAFETY: offsets < 144 in `blk` and < 256 in `xq` (asserted).
        unsafe {
            for c in 0..4 {
                let q = _mm256_loadu_si256(blk.as_ptr().add(16 + 32 * c).cast());
                let lo = _mm256_and_si256(q, mask);
                let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(q), mask);
                let xl = _mm256_loadu_si256(xq.as_ptr().add(64 * c).cast());
                let xh = _mm256_loadu_si256(xq.as_ptr().add(64 * c + 32).cast());
                let pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_set1_epi16(sc[2 * c] as i16));
                let ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, xh), _mm256_set1_epi16(sc[2 * c + 1] as i16));
                acc = _mm256_add_epi32(acc, _mm256_add_epi32(pl, ph));
            }
        }
        hsum_i32(acc)
    }

    /// Σ_j sc_j·Σ q·x for one Q6_K block with q in 0..64 (the −32 is removed by the caller).
    ///
    /// # Safety
    /// Needs AVX2; `blk.len() >= 210`, `xq.len() >= 256`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn q6k_sumi(blk: &[u8], xq: &[i8], sc: &[i32; 16]) -> i32 {
        assert!(blk.len() >= 210 && xq.len() >= 256);
        let m4 = _mm256_set1_epi8(0x0F);
        let m2 = _mm256_set1_epi8(3);
        let mut acc = _mm256_setzero_si256();
        // Scale vector for a 32-value group whose halves use scales a and b.
        let sv = |a: i32, b: i32| _mm256_set_m128i(_mm_set1_epi16(b as i16), _mm_set1_epi16(a as i16));
        // SAFETY: offsets within the asserted lengths.
        unsafe {
            for h in 0..2 {
                let ql0 = _mm256_loadu_si256(blk.as_ptr().add(64 * h).cast());
                let ql1 = _mm256_loadu_si256(blk.as_ptr().add(64 * h + 32).cast());
                let qh = _mm256_loadu_si256(blk.as_ptr().add(128 + 32 * h).cast());
                let hb = |shift: i32| {
                    let v = match shift {
                        0 => qh,
                        2 => _mm256_srli_epi16::<2>(qh),
                        4 => _mm256_srli_epi16::<4>(qh),
                        _ => _mm256_srli_epi16::<6>(qh),
                    };
                    _mm256_slli_epi16::<4>(_mm256_and_si256(v, m2))
                };
                let q1 = _mm256_or_si256(_mm256_and_si256(ql0, m4), hb(0));
                let q2 = _mm256_or_si256(_mm256_and_si256(ql1, m4), hb(2));
                let q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16::<4>(ql0), m4), hb(4));
                let q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16::<4>(ql1), m4), hb(6));
                let x = xq.as_ptr().add(128 * h);
                let s = &sc[8 * h..8 * h + 8];
                for (k, qv) in [q1, q2, q3, q4].into_iter().enumerate() {
                    let xv = _mm256_loadu_si256(x.add(32 * k).cast());
                    let p = _mm256_maddubs_epi16(qv, xv);
                    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, sv(s[2 * k], s[2 * k + 1])));
                }
            }
        }
        hsum_i32(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{rand_blocks, rand_vec};

    #[test]
    fn simd_integer_sums_equal_scalar() {
        let x = rand_vec(1024, 3);
        let act = Q8KAct::quantize(&x, 1024, 1);
        for kind in [GgmlType::Q4_K, GgmlType::Q6_K] {
            let bytes = rand_blocks(kind, 1, 1024, 11);
            let ts = kind.type_size();
            for b in 0..4 {
                let blk = &bytes[b * ts..(b + 1) * ts];
                let xq = &act.qs[256 * b..256 * b + 256];
                let bs = &act.bsums[16 * b..16 * b + 16];
                for isa in Isa::available() {
                    if kind == GgmlType::Q4_K {
                        assert_eq!(q4k_isums(isa, blk, xq, bs), q4k_isums(Isa::Scalar, blk, xq, bs));
                    } else {
                        assert_eq!(q6k_isum(isa, blk, xq, bs), q6k_isum(Isa::Scalar, blk, xq, bs));
                    }
                }
            }
        }
    }
}
