//! Bit-exact ports of ggml's `dequantize_row_*` (`ggml/src/ggml-quants.c`).
//!
//! These are the ground truth for every faster path in this crate: the repacked matmul
//! kernels are tested against matrices decoded here, and the training path and the embedding
//! lookup use them directly. They are written for clarity, not speed, and follow ggml's
//! arithmetic order exactly (no fused multiply-add), so `dequantize` reproduces llama.cpp's
//! floats bit for bit.

use crate::KernelError;
use crate::types::{GgmlType, row_bytes};

/// f16 stored little-endian at `b[0..2]`, widened exactly to f32.
#[inline(always)]
pub(crate) fn f16_at(b: &[u8], at: usize) -> f32 {
    half::f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

/// Decodes `n_elements` values of type `kind` from `bytes` into `out[..n_elements]`.
///
/// `bytes` must hold exactly `row_bytes(kind, n_elements)` bytes and `out` at least
/// `n_elements` floats; anything else is an error rather than a panic because both usually
/// come straight from a GGUF header.
pub fn dequantize(kind: GgmlType, bytes: &[u8], n_elements: usize, out: &mut [f32]) -> Result<(), KernelError> {
    let need = row_bytes(kind, n_elements)?;
    if bytes.len() != need {
        return Err(KernelError::SizeMismatch { what: "quantized data", kind, expected: need, got: bytes.len() });
    }
    if out.len() < n_elements {
        return Err(KernelError::BufferTooSmall { what: "dequantize output", expected: n_elements, got: out.len() });
    }
    let out = &mut out[..n_elements];
    let bs = kind.block_size();
    let ts = kind.type_size();
    match kind {
        GgmlType::F32 => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        GgmlType::F16 => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = f16_at(bytes, 2 * i);
            }
        }
        GgmlType::BF16 => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16);
            }
        }
        _ => {
            for (o, b) in out.chunks_exact_mut(bs).zip(bytes.chunks_exact(ts)) {
                dequantize_block(kind, b, o);
            }
        }
    }
    Ok(())
}

/// Decodes one block. `b` is exactly one block of `kind`, `y` exactly `kind.block_size()`.
pub(crate) fn dequantize_block(kind: GgmlType, b: &[u8], y: &mut [f32]) {
    match kind {
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
            // Block size 1: route through the slice decoder.
            let _ = dequantize(kind, b, 1, y);
        }
        GgmlType::Q4_0 => {
            let d = f16_at(b, 0);
            let qs = &b[2..18];
            for j in 0..16 {
                let x0 = (qs[j] & 0x0F) as i32 - 8;
                let x1 = (qs[j] >> 4) as i32 - 8;
                y[j] = x0 as f32 * d;
                y[j + 16] = x1 as f32 * d;
            }
        }
        GgmlType::Q4_1 => {
            let d = f16_at(b, 0);
            let m = f16_at(b, 2);
            let qs = &b[4..20];
            for j in 0..16 {
                let x0 = (qs[j] & 0x0F) as f32;
                let x1 = (qs[j] >> 4) as f32;
                y[j] = x0 * d + m;
                y[j + 16] = x1 * d + m;
            }
        }
        GgmlType::Q8_0 => {
            let d = f16_at(b, 0);
            for j in 0..32 {
                y[j] = b[2 + j] as i8 as f32 * d;
            }
        }
        GgmlType::Q8_1 => {
            let d = f16_at(b, 0);
            for j in 0..32 {
                y[j] = b[4 + j] as i8 as f32 * d;
            }
        }
        GgmlType::Q8_K => {
            let d = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            for j in 0..256 {
                y[j] = d * b[4 + j] as i8 as f32;
            }
        }
        GgmlType::Q4_K => dequantize_q4_k(b, y),
        GgmlType::Q5_K => dequantize_q5_k(b, y),
        GgmlType::Q6_K => dequantize_q6_k(b, y),
    }
}

/// ggml's `get_scale_min_k4`: unpacks the j-th 6-bit (scale, min) pair of a Q4_K/Q5_K block.
#[inline(always)]
pub(crate) fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }
}

fn dequantize_q4_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let min = f16_at(b, 2);
    let scales = &b[4..16];
    let qs = &b[16..144];
    for (blk, j) in (0..256).step_by(64).enumerate() {
        let q = &qs[32 * blk..32 * blk + 32];
        let is = 2 * blk;
        let (sc, m) = scale_min_k4(is, scales);
        let d1 = d * sc as f32;
        let m1 = min * m as f32;
        let (sc, m) = scale_min_k4(is + 1, scales);
        let d2 = d * sc as f32;
        let m2 = min * m as f32;
        for l in 0..32 {
            y[j + l] = d1 * (q[l] & 0xF) as f32 - m1;
            y[j + 32 + l] = d2 * (q[l] >> 4) as f32 - m2;
        }
    }
}

fn dequantize_q5_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let min = f16_at(b, 2);
    let scales = &b[4..16];
    let qh = &b[16..48];
    let qs = &b[48..176];
    let (mut u1, mut u2) = (1u8, 2u8);
    for (blk, j) in (0..256).step_by(64).enumerate() {
        let ql = &qs[32 * blk..32 * blk + 32];
        let is = 2 * blk;
        let (sc, m) = scale_min_k4(is, scales);
        let d1 = d * sc as f32;
        let m1 = min * m as f32;
        let (sc, m) = scale_min_k4(is + 1, scales);
        let d2 = d * sc as f32;
        let m2 = min * m as f32;
        for l in 0..32 {
            let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
            let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
            y[j + l] = d1 * ((ql[l] & 0xF) + h1) as f32 - m1;
            y[j + 32 + l] = d2 * ((ql[l] >> 4) + h2) as f32 - m2;
        }
        u1 <<= 2;
        u2 <<= 2;
    }
}

fn dequantize_q6_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 208);
    for half_blk in 0..2 {
        let ql = &b[64 * half_blk..64 * half_blk + 64];
        let qh = &b[128 + 32 * half_blk..128 + 32 * half_blk + 32];
        let sc = &b[192 + 8 * half_blk..192 + 8 * half_blk + 8];
        let y = &mut y[128 * half_blk..128 * half_blk + 128];
        for l in 0..32 {
            let is = l / 16;
            let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32 - 32;
            let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
            let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
            let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
            y[l] = d * sc[is] as i8 as f32 * q1 as f32;
            y[l + 32] = d * sc[is + 2] as i8 as f32 * q2 as f32;
            y[l + 64] = d * sc[is + 4] as i8 as f32 * q3 as f32;
            y[l + 96] = d * sc[is + 6] as i8 as f32 * q4 as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(x: f32) -> [u8; 2] {
        half::f16::from_f32(x).to_bits().to_le_bytes()
    }

    #[test]
    fn q4_0_block_by_hand() {
        // d = 0.5; byte j holds element j (low nibble) and element j + 16 (high nibble).
        let mut b = Vec::new();
        b.extend_from_slice(&h(0.5));
        for j in 0..16u8 {
            b.push(j | ((15 - j) << 4));
        }
        let mut y = [0f32; 32];
        dequantize(GgmlType::Q4_0, &b, 32, &mut y).unwrap();
        for j in 0..16 {
            assert_eq!(y[j], (j as f32 - 8.0) * 0.5);
            assert_eq!(y[j + 16], (7.0 - j as f32) * 0.5);
        }
    }

    #[test]
    fn q4_1_block_by_hand() {
        let mut b = Vec::new();
        b.extend_from_slice(&h(0.25));
        b.extend_from_slice(&h(-1.0));
        for j in 0..16u8 {
            b.push(j | (3 << 4));
        }
        let mut y = [0f32; 32];
        dequantize(GgmlType::Q4_1, &b, 32, &mut y).unwrap();
        for j in 0..16 {
            assert_eq!(y[j], j as f32 * 0.25 - 1.0);
            assert_eq!(y[j + 16], 3.0 * 0.25 - 1.0);
        }
    }

    #[test]
    fn q8_0_and_floats_by_hand() {
        let mut b = Vec::new();
        b.extend_from_slice(&h(2.0));
        for j in 0..32i8 {
            b.push((j - 16) as u8);
        }
        let mut y = [0f32; 32];
        dequantize(GgmlType::Q8_0, &b, 32, &mut y).unwrap();
        for j in 0..32 {
            assert_eq!(y[j], (j as f32 - 16.0) * 2.0);
        }
        let mut y = [0f32; 2];
        dequantize(GgmlType::BF16, &[0x80, 0x3f, 0x00, 0xc0], 2, &mut y).unwrap();
        assert_eq!(y, [1.0, -2.0]);
        dequantize(GgmlType::F16, &[0x00, 0x3c, 0x00, 0xb8], 2, &mut y).unwrap();
        assert_eq!(y, [1.0, -0.5]);
        dequantize(GgmlType::F32, &[0, 0, 0x80, 0x3f, 0, 0, 0, 0x40], 2, &mut y).unwrap();
        assert_eq!(y, [1.0, 2.0]);
    }

    #[test]
    fn q4_k_block_by_hand() {
        // d = 1, dmin = 0.5; sub-block s has scale s+1 and min s (both < 16, so the simple
        // 6-bit packing applies for s < 4 and the split packing for s >= 4).
        let mut scales = [0u8; 12];
        for s in 0..8u8 {
            let (sc, m) = (s + 1, s);
            if s < 4 {
                scales[s as usize] = sc;
                scales[s as usize + 4] = m;
            } else {
                scales[s as usize + 4] = (sc & 0xF) | ((m & 0xF) << 4);
            }
        }
        let mut b = Vec::new();
        b.extend_from_slice(&h(1.0));
        b.extend_from_slice(&h(0.5));
        b.extend_from_slice(&scales);
        for l in 0..128u8 {
            b.push((l % 16) | (((l + 1) % 16) << 4));
        }
        let mut y = vec![0f32; 256];
        dequantize(GgmlType::Q4_K, &b, 256, &mut y).unwrap();
        for chunk in 0..4 {
            for l in 0..32 {
                let byte = (32 * chunk + l) as u8;
                let lo = (byte % 16) as f32;
                let hi = ((byte + 1) % 16) as f32;
                let s0 = 2 * chunk as u8;
                let s1 = s0 + 1;
                assert_eq!(y[64 * chunk + l], (s0 + 1) as f32 * lo - 0.5 * s0 as f32);
                assert_eq!(y[64 * chunk + 32 + l], (s1 + 1) as f32 * hi - 0.5 * s1 as f32);
            }
        }
    }

    #[test]
    fn q6_k_block_by_hand() {
        // All 6-bit values = 33 (→ +1 after the −32 offset), scales 1..16, d = 0.5.
        let mut b = vec![0u8; 210];
        for l in 0..128 {
            b[l] = 0x11; // low nibbles 1
        }
        for l in 0..64 {
            b[128 + l] = 0b1010_1010; // high pairs 2 → 1 + 2·16 = 33
        }
        for s in 0..16 {
            b[192 + s] = (s as i8 + 1) as u8;
        }
        b[208..210].copy_from_slice(&h(0.5));
        let mut y = vec![0f32; 256];
        dequantize(GgmlType::Q6_K, &b, 256, &mut y).unwrap();
        for (i, v) in y.iter().enumerate() {
            let sc = (i / 16 + 1) as f32;
            assert_eq!(*v, 0.5 * sc, "element {i}");
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        let mut y = [0f32; 64];
        assert!(dequantize(GgmlType::Q4_1, &[0u8; 19], 32, &mut y).is_err());
        assert!(dequantize(GgmlType::Q4_1, &[0u8; 20], 33, &mut y).is_err());
        assert!(dequantize(GgmlType::Q4_1, &[0u8; 60], 96, &mut y).is_err());
    }
}
