//! Q4_1 and Q4_0 weights in 16-row interleaved tiles, with VNNI / AVX2 / scalar kernels.
//!
//! # Why this layout
//! ggml's x86 `vec_dot_q4_1_q8_1` works one row at a time: per 32-block it unpacks 16 bytes of
//! nibbles into a ymm, does one 256-bit `dpbusd`, converts four f16 scales and reduces
//! horizontally — about 20 instructions per 32 multiply-adds, so at two threads decode is
//! limited by instructions, not memory. Here 16 rows are interleaved so one zmm holds 4
//! consecutive k-values of 16 rows, one per 32-bit lane. A `vpdpbusd` against a broadcast
//! activation quad then does 64 MACs with each lane accumulating its own row, and no
//! horizontal reduction is ever needed: per block and tile it is 4 loads, 12 mask/shift ops,
//! 8 `vpdpbusd` (activation quad broadcast from memory), two `vcvtph2ps` and three FP ops —
//! about 30 instructions per 512 MACs.
//!
//! Per tile (16 rows) and 32-column block `b` the tile stores, in this order:
//! * `nb × 256` bytes of nibbles. Group `g` (0..4) of block `b` is 64 bytes; lane `r`'s 4 bytes
//!   are bytes `4g..4g+4` of row `r`'s ggml `qs`. ggml puts element `j` in the low nibble of
//!   byte `j` and element `j + 16` in the high nibble, so the low nibbles of group `g` are
//!   k = 4g..4g+4 and the high nibbles k = 16+4g..16+4g+4: the repack is a pure byte
//!   transpose, and each activation quad is used as-is.
//! * `nb × 16` f16 scales `d` (per block, 16 rows), then `nb × 16` f16 offsets `m`.
//!
//! That is 20 bytes per row per block, the same as ggml, so decode streams no extra memory.
//! Q4_0 (value `d·(q − 8)`) is stored as Q4_1 with `m = −8·d` (exact in f16 unless it would
//! overflow, in which case the matrix falls back to the generic path), so it shares the kernels.
//!
//! The result for row `r` is `Σ_b d_w·d_x·Σ_k q·x_q + m_w·s_x` where `s_x = d_x·Σ x_q`: the same
//! decomposition ggml uses with Q8_1 activations.

use crate::KernelError;
use crate::act::QuantAct;
use crate::aligned::AlignedBytes;
use crate::dequant::f16_at;
use crate::isa::Isa;
use crate::types::GgmlType;

/// Rows per tile: one per 32-bit lane of a zmm.
pub(crate) const TILE: usize = 16;
/// Nibble bytes per tile and block.
const QBYTES: usize = TILE * 16;
/// Bytes per tile and block in total (nibbles + d + m).
const BLOCK_TILE_BYTES: usize = QBYTES + 2 * 2 * TILE;

/// A Q4_0/Q4_1 matrix repacked into 16-row tiles (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Q4Tiles {
    pub kind: GgmlType,
    pub cols: usize,
    pub nb: usize,
    pub n_tiles: usize,
    data: AlignedBytes,
}

impl Q4Tiles {
    /// Repacks ggml bytes (`rows` rows of `cols / 32` blocks). Returns `Ok(None)` for a Q4_0
    /// matrix whose `−8·d` would overflow f16 (then the caller uses the generic path).
    pub fn from_ggml(kind: GgmlType, rows: usize, cols: usize, bytes: &[u8]) -> Result<Option<Self>, KernelError> {
        debug_assert!(matches!(kind, GgmlType::Q4_0 | GgmlType::Q4_1));
        let nb = cols / 32;
        let ts = kind.type_size();
        let n_tiles = rows.div_ceil(TILE);
        let tile_bytes = nb * BLOCK_TILE_BYTES;
        let total = n_tiles.checked_mul(tile_bytes).ok_or(KernelError::TooLarge { what: "matrix" })?;
        let mut data = AlignedBytes::zeroed(total);
        let out = data.as_mut_slice();
        for r in 0..rows {
            let (tile, lane) = (r / TILE, r % TILE);
            let t = &mut out[tile * tile_bytes..(tile + 1) * tile_bytes];
            let (q, rest) = t.split_at_mut(nb * QBYTES);
            let (dd, mm) = rest.split_at_mut(nb * 2 * TILE);
            for b in 0..nb {
                let blk = &bytes[(r * nb + b) * ts..(r * nb + b + 1) * ts];
                let (d_bits, m_bits, qs) = if kind == GgmlType::Q4_1 {
                    let m = [blk[2], blk[3]];
                    ([blk[0], blk[1]], m, &blk[4..20])
                } else {
                    let d = half::f16::from_bits(u16::from_le_bytes([blk[0], blk[1]]));
                    let m = half::f16::from_f32(-8.0 * d.to_f32());
                    if !m.is_finite() || m.to_f32() != -8.0 * d.to_f32() {
                        return Ok(None);
                    }
                    ([blk[0], blk[1]], m.to_bits().to_le_bytes(), &blk[2..18])
                };
                for g in 0..4 {
                    let at = b * QBYTES + g * 64 + lane * 4;
                    q[at..at + 4].copy_from_slice(&qs[4 * g..4 * g + 4]);
                }
                let at = (b * TILE + lane) * 2;
                dd[at..at + 2].copy_from_slice(&d_bits);
                mm[at..at + 2].copy_from_slice(&m_bits);
            }
        }
        Ok(Some(Q4Tiles { kind, cols, nb, n_tiles, data }))
    }

    #[inline]
    fn tile_bytes(&self) -> usize {
        self.nb * BLOCK_TILE_BYTES
    }

    /// The bytes of tile `t`.
    #[inline]
    pub fn tile(&self, t: usize) -> &[u8] {
        debug_assert!(t < self.n_tiles);
        let tb = self.tile_bytes();
        &self.data.as_slice()[t * tb..(t + 1) * tb]
    }

    /// Bytes actually streamed by a full pass over the weights.
    pub fn weight_bytes(&self) -> usize {
        self.data.as_slice().len()
    }

    /// Dequantizes row `r` into `out[..cols]`, bit-identical to ggml's `dequantize_row_q4_*`.
    pub fn dequant_row(&self, r: usize, out: &mut [f32]) {
        let (tile, lane) = (r / TILE, r % TILE);
        let t = self.tile(tile);
        let nb = self.nb;
        for b in 0..nb {
            let d = f16_at(t, nb * QBYTES + (b * TILE + lane) * 2);
            let m = f16_at(t, nb * QBYTES + nb * 2 * TILE + (b * TILE + lane) * 2);
            let y = &mut out[32 * b..32 * b + 32];
            for g in 0..4 {
                for j in 0..4 {
                    let byte = t[b * QBYTES + g * 64 + lane * 4 + j];
                    let (lo, hi) = (byte & 0xF, byte >> 4);
                    let k = 4 * g + j;
                    if self.kind == GgmlType::Q4_1 {
                        y[k] = lo as f32 * d + m;
                        y[k + 16] = hi as f32 * d + m;
                    } else {
                        y[k] = (lo as i32 - 8) as f32 * d;
                        y[k + 16] = (hi as i32 - 8) as f32 * d;
                    }
                }
            }
        }
    }

    /// Computes tile `tile` against tokens `t0..t0 + out.len()`; `out[i]` receives the 16 row
    /// results for token `t0 + i` (lanes past `rows` are zero-padding rows).
    pub fn tile_matmul(&self, isa: Isa, tile: usize, act: &QuantAct, t0: usize, out: &mut [[f32; TILE]]) {
        let t = self.tile(tile);
        assert!(act.cols == self.cols && t0 + out.len() <= act.n_tokens);
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vnni => {
                let mut i = 0;
                while i < out.len() {
                    let left = out.len() - i;
                    // SAFETY: the ISA was detected at runtime; `t` is one full tile and the
                    // activation holds tokens t0+i.. (asserted above); kernels stay in bounds.
                    unsafe {
                        if left >= 8 {
                            x86::gemm_avx512::<8>(t, self.nb, act, t0 + i, &mut out[i..i + 8]);
                            i += 8;
                        } else if left >= 4 {
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

/// Integer dot products of one tile block with one token's block: the exact sums every SIMD
/// kernel must reproduce.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn block_isums_scalar(t: &[u8], b: usize, xq: &[i8]) -> [i32; TILE] {
    let mut s = [0i32; TILE];
    for (lane, sl) in s.iter_mut().enumerate() {
        for g in 0..4 {
            for j in 0..4 {
                let byte = t[b * QBYTES + g * 64 + lane * 4 + j];
                *sl += (byte & 0xF) as i32 * xq[32 * b + 4 * g + j] as i32;
                *sl += (byte >> 4) as i32 * xq[32 * b + 16 + 4 * g + j] as i32;
            }
        }
    }
    s
}

/// Portable reference kernel (and the fallback on CPUs without AVX2).
pub(crate) fn gemv_scalar(t: &[u8], nb: usize, act: &QuantAct, tok: usize, out: &mut [f32; TILE]) {
    let xq = act.token_qs(tok);
    let xd = &act.d[tok * nb..(tok + 1) * nb];
    let xs = &act.s[tok * nb..(tok + 1) * nb];
    let mut acc_d = [0f32; TILE];
    let mut acc_m = [0f32; TILE];
    for b in 0..nb {
        let mut isum = [0i32; TILE];
        for g in 0..4 {
            let q = &t[b * QBYTES + g * 64..b * QBYTES + g * 64 + 64];
            let lo_x = &xq[32 * b + 4 * g..32 * b + 4 * g + 4];
            let hi_x = &xq[32 * b + 16 + 4 * g..32 * b + 16 + 4 * g + 4];
            for (lane, s) in isum.iter_mut().enumerate() {
                for j in 0..4 {
                    let byte = q[lane * 4 + j];
                    *s += (byte & 0xF) as i32 * lo_x[j] as i32 + (byte >> 4) as i32 * hi_x[j] as i32;
                }
            }
        }
        for lane in 0..TILE {
            let d = f16_at(t, nb * QBYTES + (b * TILE + lane) * 2);
            let m = f16_at(t, nb * QBYTES + nb * 2 * TILE + (b * TILE + lane) * 2);
            // Fused, like the SIMD bodies' `fmadd`: every tier gives the same bits.
            acc_d[lane] = (isum[lane] as f32).mul_add(d * xd[b], acc_d[lane]);
            acc_m[lane] = m.mul_add(xs[b], acc_m[lane]);
        }
    }
    for lane in 0..TILE {
        out[lane] = acc_d[lane] + acc_m[lane];
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86 {
    use super::{QBYTES, TILE};
    use crate::act::QuantAct;
    use std::arch::x86_64::*;

    /// How far ahead of the current block the decode kernels prefetch, in bytes. Decode
    /// streams ~96 MB per token from DRAM; without explicit prefetch one core reached
    /// ~17 GB/s, with 16 KiB ahead ~26 GB/s (measured on the Zen 4/5 target, 8–64 KiB tried).
    pub(crate) const PREFETCH_AHEAD: usize = 16 * 1024;

    /// Prefetches one cache line into L1 (a hint: never faults, any address is allowed).
    #[inline(always)]
    pub(crate) fn prefetch(p: *const u8) {
        // SAFETY: `prefetcht0` is a hint that never faults, whatever the address; SSE is
        // part of the x86-64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
    }

    /// `NT` tokens against one tile: each block's nibbles are unpacked once into 8 registers
    /// and reused for all `NT` tokens (prompt processing); `NT = 1` is the decode GEMV.
    ///
    /// # Safety
    /// Needs AVX-512F/BW/VNNI. `t` must be a whole tile of `nb` blocks, `act` must hold
    /// tokens `tok0..tok0 + NT` with `act.nb == nb`, and `out.len() == NT`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(crate) unsafe fn gemm_avx512<const NT: usize>(
        t: &[u8],
        nb: usize,
        act: &QuantAct,
        tok0: usize,
        out: &mut [[f32; TILE]],
    ) {
        debug_assert!(t.len() >= nb * (QBYTES + 64) && out.len() == NT);
        debug_assert!(act.nb == nb && tok0 + NT <= act.n_tokens);
        let cols = act.cols;
        let q = t.as_ptr();
        // SAFETY (whole body): every pointer offset below is within `t` (nb blocks of
        // QBYTES nibbles, then nb·32 bytes of d and nb·32 of m) or within the activation
        // planes of tokens tok0..tok0+NT, as the caller guarantees.
        unsafe {
            let dptr = q.add(nb * QBYTES);
            let mptr = dptr.add(nb * 2 * TILE);
            let mask = _mm512_set1_epi8(0x0F);
            let mut acc_d = [_mm512_setzero_ps(); NT];
            let mut acc_m = [_mm512_setzero_ps(); NT];
            for b in 0..nb {
                let w = q.add(b * QBYTES);
                if NT == 1 {
                    // Decode streams weights from DRAM; ask for them a few blocks early.
                    let pf = w.wrapping_add(PREFETCH_AHEAD);
                    for l in 0..4 {
                        prefetch(pf.wrapping_add(64 * l));
                    }
                }
                let v0 = _mm512_loadu_si512(w.cast());
                let v1 = _mm512_loadu_si512(w.add(64).cast());
                let v2 = _mm512_loadu_si512(w.add(128).cast());
                let v3 = _mm512_loadu_si512(w.add(192).cast());
                let l0 = _mm512_and_si512(v0, mask);
                let l1 = _mm512_and_si512(v1, mask);
                let l2 = _mm512_and_si512(v2, mask);
                let l3 = _mm512_and_si512(v3, mask);
                let h0 = _mm512_and_si512(_mm512_srli_epi16::<4>(v0), mask);
                let h1 = _mm512_and_si512(_mm512_srli_epi16::<4>(v1), mask);
                let h2 = _mm512_and_si512(_mm512_srli_epi16::<4>(v2), mask);
                let h3 = _mm512_and_si512(_mm512_srli_epi16::<4>(v3), mask);
                let dw = _mm512_cvtph_ps(_mm256_loadu_si256(dptr.add(b * 32).cast()));
                let mw = _mm512_cvtph_ps(_mm256_loadu_si256(mptr.add(b * 32).cast()));
                for i in 0..NT {
                    let tok = tok0 + i;
                    let x = act.qs.as_ptr().add(tok * cols + 32 * b).cast::<i32>();
                    let bc = |k: usize| _mm512_set1_epi32(x.add(k).read_unaligned());
                    let z = _mm512_setzero_si512();
                    let mut s0 = _mm512_dpbusd_epi32(z, l0, bc(0));
                    let mut s1 = _mm512_dpbusd_epi32(z, h0, bc(4));
                    s0 = _mm512_dpbusd_epi32(s0, l1, bc(1));
                    s1 = _mm512_dpbusd_epi32(s1, h1, bc(5));
                    s0 = _mm512_dpbusd_epi32(s0, l2, bc(2));
                    s1 = _mm512_dpbusd_epi32(s1, h2, bc(6));
                    s0 = _mm512_dpbusd_epi32(s0, l3, bc(3));
                    s1 = _mm512_dpbusd_epi32(s1, h3, bc(7));
                    let isum = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
                    let xd = _mm512_set1_ps(*act.d.get_unchecked(tok * nb + b));
                    let xs = _mm512_set1_ps(*act.s.get_unchecked(tok * nb + b));
                    acc_d[i] = _mm512_fmadd_ps(isum, _mm512_mul_ps(dw, xd), acc_d[i]);
                    acc_m[i] = _mm512_fmadd_ps(mw, xs, acc_m[i]);
                }
            }
            for i in 0..NT {
                _mm512_storeu_ps(out[i].as_mut_ptr(), _mm512_add_ps(acc_d[i], acc_m[i]));
            }
        }
    }

    /// The 16 exact integer sums of one block, via `vpdpbusd` (for tests).
    ///
    /// # Safety
    /// Needs AVX-512F/BW/VNNI; `t` holds block `b`, `xq` holds 32 values of block `b`.
    #[cfg(test)]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(crate) unsafe fn block_isums_avx512(t: &[u8], b: usize, xq: &[i8]) -> [i32; TILE] {
        assert!(t.len() >= (b + 1) * QBYTES && xq.len() >= 32 * (b + 1));
        let mut out = [0i32; TILE];
        // SAFETY: bounds asserted above.
        unsafe {
            let mask = _mm512_set1_epi8(0x0F);
            let x = xq.as_ptr().add(32 * b).cast::<i32>();
            let mut s = _mm512_setzero_si512();
            for g in 0..4 {
                let v = _mm512_loadu_si512(t.as_ptr().add(b * QBYTES + 64 * g).cast());
                let lo = _mm512_and_si512(v, mask);
                let hi = _mm512_and_si512(_mm512_srli_epi16::<4>(v), mask);
                s = _mm512_dpbusd_epi32(s, lo, _mm512_set1_epi32(x.add(g).read_unaligned()));
                s = _mm512_dpbusd_epi32(s, hi, _mm512_set1_epi32(x.add(4 + g).read_unaligned()));
            }
            _mm512_storeu_si512(out.as_mut_ptr().cast(), s);
        }
        out
    }

    /// AVX2 fallback on the same layout: each 64-byte group is two ymm halves (rows 0–7 and
    /// 8–15); `maddubs` products of nibbles (≤ 15) and int8 (≤ 127) fit in i16 even when all
    /// eight per block are summed, so one `madd` per half finishes the block.
    ///
    /// # Safety
    /// Needs AVX2, FMA and F16C; same bounds as [`gemm_avx512`] with one token.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(crate) unsafe fn gemv_avx2(t: &[u8], nb: usize, act: &QuantAct, tok: usize, out: &mut [f32; TILE]) {
        debug_assert!(t.len() >= nb * (QBYTES + 64) && act.nb == nb && tok < act.n_tokens);
        // SAFETY: offsets within `t` and token `tok`'s activation planes, as the caller
        // guarantees.
        unsafe {
            let q = t.as_ptr();
            let dptr = q.add(nb * QBYTES);
            let mptr = dptr.add(nb * 2 * TILE);
            let mask = _mm256_set1_epi8(0x0F);
            let ones = _mm256_set1_epi16(1);
            // Separate d and m sums per half, added at the end, exactly as the AVX-512 body.
            let mut acc_d = [_mm256_setzero_ps(); 2];
            let mut acc_m = [_mm256_setzero_ps(); 2];
            let xbase = act.qs.as_ptr().add(tok * act.cols);
            for b in 0..nb {
                let pf = q.wrapping_add(b * QBYTES + PREFETCH_AHEAD);
                for l in 0..4 {
                    prefetch(pf.wrapping_add(64 * l));
                }
                let x = xbase.add(32 * b).cast::<i32>();
                let xd = _mm256_set1_ps(*act.d.get_unchecked(tok * nb + b));
                let xs = _mm256_set1_ps(*act.s.get_unchecked(tok * nb + b));
                for h in 0..2 {
                    let mut p = _mm256_setzero_si256();
                    for g in 0..4 {
                        let v = _mm256_loadu_si256(q.add(b * QBYTES + g * 64 + h * 32).cast());
                        let lo = _mm256_and_si256(v, mask);
                        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), mask);
                        let xl = _mm256_set1_epi32(x.add(g).read_unaligned());
                        let xh = _mm256_set1_epi32(x.add(4 + g).read_unaligned());
                        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(lo, xl));
                        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(hi, xh));
                    }
                    let isum = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
                    let off = (b * TILE + h * 8) * 2;
                    let dw = _mm256_cvtph_ps(_mm_loadu_si128(dptr.add(off).cast()));
                    let mw = _mm256_cvtph_ps(_mm_loadu_si128(mptr.add(off).cast()));
                    acc_d[h] = _mm256_fmadd_ps(isum, _mm256_mul_ps(dw, xd), acc_d[h]);
                    acc_m[h] = _mm256_fmadd_ps(mw, xs, acc_m[h]);
                }
            }
            _mm256_storeu_ps(out.as_mut_ptr(), _mm256_add_ps(acc_d[0], acc_m[0]));
            _mm256_storeu_ps(out.as_mut_ptr().add(8), _mm256_add_ps(acc_d[1], acc_m[1]));
        }
    }
}
