//! Q8_0 weights in 16-row interleaved tiles (the tied 49152×576 output head).
//!
//! # Why
//! The output head is a third of the bytes a decoded token reads (30 MB of 96), and ggml has
//! no repacked Q8_0 path on x86. `vpdpbusd` multiplies *unsigned* by signed bytes, so the
//! weights are stored offset by +128 (`w ^ 0x80`, range 0..=255): then
//! `Σ (w + 128)·x = Σ w·x + 128·Σ x`, and the correction `128·Σ x` is one integer subtract
//! per block using the activation's exact block sum. No unpacking is needed at all: per block
//! and tile it is 8 loads, 8 `vpdpbusd`, one subtract and three FP ops for 512 MACs.
//!
//! Per tile (16 rows): `nb × 512` bytes of values (block `b`, group `g` of 64 bytes, lane `r`
//! holds row `r`'s values `4g..4g+4` of the block, xor 0x80), then `nb × 16` f16 scales.
//! 34 bytes per row per block, as in ggml.

use crate::KernelError;
use crate::act::QuantAct;
use crate::aligned::AlignedBytes;
use crate::dequant::f16_at;
use crate::isa::Isa;

pub(crate) const TILE: usize = 16;
const QBYTES: usize = TILE * 32;
const BLOCK_TILE_BYTES: usize = QBYTES + 2 * TILE;

/// A Q8_0 matrix repacked into 16-row tiles (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Q8Tiles {
    pub cols: usize,
    pub nb: usize,
    pub n_tiles: usize,
    data: AlignedBytes,
}

impl Q8Tiles {
    pub fn from_ggml(rows: usize, cols: usize, bytes: &[u8]) -> Result<Self, KernelError> {
        let nb = cols / 32;
        let n_tiles = rows.div_ceil(TILE);
        let tile_bytes = nb * BLOCK_TILE_BYTES;
        let total = n_tiles.checked_mul(tile_bytes).ok_or(KernelError::TooLarge { what: "matrix" })?;
        let mut data = AlignedBytes::zeroed(total);
        let out = data.as_mut_slice();
        for r in 0..rows {
            let (tile, lane) = (r / TILE, r % TILE);
            let t = &mut out[tile * tile_bytes..(tile + 1) * tile_bytes];
            let (q, dd) = t.split_at_mut(nb * QBYTES);
            for b in 0..nb {
                let blk = &bytes[(r * nb + b) * 34..(r * nb + b + 1) * 34];
                for g in 0..8 {
                    let at = b * QBYTES + g * 64 + lane * 4;
                    for j in 0..4 {
                        q[at + j] = blk[2 + 4 * g + j] ^ 0x80;
                    }
                }
                let at = (b * TILE + lane) * 2;
                dd[at..at + 2].copy_from_slice(&blk[0..2]);
            }
        }
        Ok(Q8Tiles { cols, nb, n_tiles, data })
    }

    #[inline]
    fn tile_bytes(&self) -> usize {
        self.nb * BLOCK_TILE_BYTES
    }

    #[inline]
    pub fn tile(&self, t: usize) -> &[u8] {
        debug_assert!(t < self.n_tiles);
        let tb = self.tile_bytes();
        &self.data.as_slice()[t * tb..(t + 1) * tb]
    }

    pub fn weight_bytes(&self) -> usize {
        self.data.as_slice().len()
    }

    /// Row `r`, bit-identical to ggml's `dequantize_row_q8_0`.
    pub fn dequant_row(&self, r: usize, out: &mut [f32]) {
        let (tile, lane) = (r / TILE, r % TILE);
        let t = self.tile(tile);
        let nb = self.nb;
        for b in 0..nb {
            let d = f16_at(t, nb * QBYTES + (b * TILE + lane) * 2);
            for g in 0..8 {
                for j in 0..4 {
                    let w = (t[b * QBYTES + g * 64 + lane * 4 + j] ^ 0x80) as i8;
                    out[32 * b + 4 * g + j] = w as f32 * d;
                }
            }
        }
    }

    /// Tile `tile` against tokens `t0..t0 + out.len()` (see `Q4Tiles::tile_matmul`).
    pub fn tile_matmul(&self, isa: Isa, tile: usize, act: &QuantAct, t0: usize, out: &mut [[f32; TILE]]) {
        let t = self.tile(tile);
        assert!(act.cols == self.cols && t0 + out.len() <= act.n_tokens);
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vnni => {
                let mut i = 0;
                while i < out.len() {
                    let left = out.len() - i;
                    // SAFETY: ISA detected at runtime; `t` is a whole tile; tokens in range.
                    unsafe {
                        if left >= 4 {
                            x86::gemm_avx512::<4>(t, self.nb, act, t0 + i, &mut out[i..i + 4]);
                            i += 4;
                        } else {
                            x86::gemm_avx512::<1>(t, self.nb, act, t0 + i, &mut out[i..i + 1]);
                            i += 1;
                        }
                    }
                }
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                for (i, o) in out.iter_mut().enumerate() {
                    // SAFETY: AVX2/FMA/F16C detected at runtime; bounds as above.
                    unsafe { x86::gemv_avx2(t, self.nb, act, t0 + i, o) };
                }
            }
            _ => {
                for (i, o) in out.iter_mut().enumerate() {
                    gemv_scalar(t, self.nb, act, t0 + i, o);
                }
            }
        }
    }
}

/// Exact integer block sums (signed weights × signed activations), the SIMD reference.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn block_isums_scalar(t: &[u8], b: usize, xq: &[i8]) -> [i32; TILE] {
    let mut s = [0i32; TILE];
    for (lane, sl) in s.iter_mut().enumerate() {
        for g in 0..8 {
            for j in 0..4 {
                let w = (t[b * QBYTES + g * 64 + lane * 4 + j] ^ 0x80) as i8;
                *sl += w as i32 * xq[32 * b + 4 * g + j] as i32;
            }
        }
    }
    s
}

pub(crate) fn gemv_scalar(t: &[u8], nb: usize, act: &QuantAct, tok: usize, out: &mut [f32; TILE]) {
    let xq = act.token_qs(tok);
    let mut acc = [0f32; TILE];
    for b in 0..nb {
        let xd = act.d[tok * nb + b];
        let mut isum = [0i32; TILE];
        for g in 0..8 {
            let q = &t[b * QBYTES + g * 64..b * QBYTES + g * 64 + 64];
            let x = &xq[32 * b + 4 * g..32 * b + 4 * g + 4];
            for (lane, s) in isum.iter_mut().enumerate() {
                for j in 0..4 {
                    *s += ((q[lane * 4 + j] ^ 0x80) as i8) as i32 * x[j] as i32;
                }
            }
        }
        for lane in 0..TILE {
            let d = f16_at(t, nb * QBYTES + (b * TILE + lane) * 2);
            // Fused, like the SIMD bodies' `fmadd`: every tier gives the same bits.
            acc[lane] = (isum[lane] as f32).mul_add(d * xd, acc[lane]);
        }
    }
    *out = acc;
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86 {
    use super::{QBYTES, TILE};
    use crate::act::QuantAct;
    use crate::q4::x86::{PREFETCH_AHEAD, prefetch};
    use std::arch::x86_64::*;

    /// `NT` tokens against one tile (`NT = 1`: decode GEMV).
    ///
    /// # Safety
    /// Needs AVX-512F/BW/VNNI. `t` is a whole tile of `nb` blocks; `act` holds tokens
    /// `tok0..tok0 + NT` with `act.nb == nb`; `out.len() == NT`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(crate) unsafe fn gemm_avx512<const NT: usize>(
        t: &[u8],
        nb: usize,
        act: &QuantAct,
        tok0: usize,
        out: &mut [[f32; TILE]],
    ) {
        debug_assert!(t.len() >= nb * (QBYTES + 32) && out.len() == NT);
        debug_assert!(act.nb == nb && tok0 + NT <= act.n_tokens);
        let cols = act.cols;
        // SAFETY: all offsets are inside the tile or inside tokens tok0..tok0+NT.
        unsafe {
            let q = t.as_ptr();
            let dptr = q.add(nb * QBYTES);
            let mut acc = [_mm512_setzero_ps(); NT];
            for b in 0..nb {
                let w = q.add(b * QBYTES);
                if NT == 1 {
                    // Decode streams the head from DRAM; ask for it a few blocks early.
                    let pf = w.wrapping_add(PREFETCH_AHEAD);
                    for l in 0..8 {
                        prefetch(pf.wrapping_add(64 * l));
                    }
                }
                let dw = _mm512_cvtph_ps(_mm256_loadu_si256(dptr.add(b * 32).cast()));
                let mut v = [_mm512_setzero_si512(); 8];
                for (g, vg) in v.iter_mut().enumerate() {
                    *vg = _mm512_loadu_si512(w.add(64 * g).cast());
                }
                for i in 0..NT {
                    let tok = tok0 + i;
                    let x = act.qs.as_ptr().add(tok * cols + 32 * b).cast::<i32>();
                    let bc = |k: usize| _mm512_set1_epi32(x.add(k).read_unaligned());
                    let z = _mm512_setzero_si512();
                    let mut s0 = _mm512_dpbusd_epi32(z, v[0], bc(0));
                    let mut s1 = _mm512_dpbusd_epi32(z, v[1], bc(1));
                    s0 = _mm512_dpbusd_epi32(s0, v[2], bc(2));
                    s1 = _mm512_dpbusd_epi32(s1, v[3], bc(3));
                    s0 = _mm512_dpbusd_epi32(s0, v[4], bc(4));
                    s1 = _mm512_dpbusd_epi32(s1, v[5], bc(5));
                    s0 = _mm512_dpbusd_epi32(s0, v[6], bc(6));
                    s1 = _mm512_dpbusd_epi32(s1, v[7], bc(7));
                    let corr = _mm512_set1_epi32(*act.isum.get_unchecked(tok * nb + b) << 7);
                    let isum = _mm512_sub_epi32(_mm512_add_epi32(s0, s1), corr);
                    let xd = _mm512_set1_ps(*act.d.get_unchecked(tok * nb + b));
                    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw, xd), acc[i]);
                }
            }
            for i in 0..NT {
                _mm512_storeu_ps(out[i].as_mut_ptr(), acc[i]);
            }
        }
    }

    /// Exact block sums via `vpdpbusd` and the +128 correction (for tests).
    ///
    /// # Safety
    /// Needs AVX-512F/BW/VNNI.
    #[cfg(test)]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(crate) unsafe fn block_isums_avx512(t: &[u8], b: usize, xq: &[i8]) -> [i32; TILE] {
        assert!(t.len() >= (b + 1) * QBYTES && xq.len() >= 32 * (b + 1));
        let mut out = [0i32; TILE];
        let xsum: i32 = xq[32 * b..32 * b + 32].iter().map(|v| *v as i32).sum();
        // SAFETY: bounds asserted above.
        unsafe {
            let x = xq.as_ptr().add(32 * b).cast::<i32>();
            let mut s = _mm512_setzero_si512();
            for g in 0..8 {
                let v = _mm512_loadu_si512(t.as_ptr().add(b * QBYTES + 64 * g).cast());
                s = _mm512_dpbusd_epi32(s, v, _mm512_set1_epi32(x.add(g).read_unaligned()));
            }
            s = _mm512_sub_epi32(s, _mm512_set1_epi32(xsum << 7));
            _mm512_storeu_si512(out.as_mut_ptr().cast(), s);
        }
        out
    }

    /// AVX2 fallback: undo the +128 offset and use the `sign` trick so `maddubs` sees an
    /// unsigned left operand (|w| ≤ 128, |x| ≤ 127: a pair sum fits in i16).
    ///
    /// # Safety
    /// Needs AVX2, FMA and F16C; bounds as for [`gemm_avx512`] with one token.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(crate) unsafe fn gemv_avx2(t: &[u8], nb: usize, act: &QuantAct, tok: usize, out: &mut [f32; TILE]) {
        debug_assert!(t.len() >= nb * (QBYTES + 32) && act.nb == nb && tok < act.n_tokens);
        // SAFETY: offsets within the tile and token `tok`'s activations.
        unsafe {
            let q = t.as_ptr();
            let dptr = q.add(nb * QBYTES);
            let flip = _mm256_set1_epi8(0x80u8 as i8);
            let ones = _mm256_set1_epi16(1);
            let mut acc = [_mm256_setzero_ps(); 2];
            let xbase = act.qs.as_ptr().add(tok * act.cols);
            for b in 0..nb {
                let pf = q.wrapping_add(b * QBYTES + PREFETCH_AHEAD);
                for l in 0..8 {
                    prefetch(pf.wrapping_add(64 * l));
                }
                let x = xbase.add(32 * b).cast::<i32>();
                let xd = _mm256_set1_ps(*act.d.get_unchecked(tok * nb + b));
                for (h, a) in acc.iter_mut().enumerate() {
                    let mut s = _mm256_setzero_si256();
                    for g in 0..8 {
                        let u = _mm256_loadu_si256(q.add(b * QBYTES + g * 64 + h * 32).cast());
                        let w = _mm256_xor_si256(u, flip);
                        let xv = _mm256_set1_epi32(x.add(g).read_unaligned());
                        let p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xv, w));
                        s = _mm256_add_epi32(s, _mm256_madd_epi16(p, ones));
                    }
                    let dw = _mm256_cvtph_ps(_mm_loadu_si128(dptr.add((b * TILE + h * 8) * 2).cast()));
                    *a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, xd), *a);
                }
            }
            _mm256_storeu_ps(out.as_mut_ptr(), acc[0]);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), acc[1]);
        }
    }
}
