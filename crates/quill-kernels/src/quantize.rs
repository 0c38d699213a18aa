//! Reference quantizers (ports of ggml's `quantize_row_*_ref`), f32 → ggml block bytes.
//!
//! Quill never quantizes weights at run time; these exist so tests and benchmarks can build
//! matrices in the exact byte layout a GGUF file carries, and so other crates (e.g. a LoRA
//! merge) can write ggml-compatible blocks.

use crate::KernelError;
use crate::types::{GgmlType, row_bytes};

fn f16_bytes(x: f32) -> [u8; 2] {
    half::f16::from_f32(x).to_bits().to_le_bytes()
}

/// Quantizes `x` into `kind` blocks. Supported: Q4_0, Q4_1, Q8_0, Q8_1, F32, F16, BF16.
pub fn quantize(kind: GgmlType, x: &[f32]) -> Result<Vec<u8>, KernelError> {
    let n = row_bytes(kind, x.len())?;
    let mut out = Vec::with_capacity(n);
    match kind {
        GgmlType::F32 => x.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        GgmlType::F16 => x.iter().for_each(|v| out.extend_from_slice(&f16_bytes(*v))),
        GgmlType::BF16 => {
            x.iter().for_each(|v| out.extend_from_slice(&half::bf16::from_f32(*v).to_bits().to_le_bytes()))
        }
        GgmlType::Q4_0 => {
            for b in x.chunks_exact(32) {
                let (mut amax, mut max) = (0f32, 0f32);
                for v in b {
                    if amax < v.abs() {
                        amax = v.abs();
                        max = *v;
                    }
                }
                let d = max / -8.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16_bytes(d));
                for j in 0..16 {
                    let x0 = ((b[j] * id + 8.5) as i8).min(15) as u8;
                    let x1 = ((b[j + 16] * id + 8.5) as i8).min(15) as u8;
                    out.push(x0 | (x1 << 4));
                }
            }
        }
        GgmlType::Q4_1 => {
            for b in x.chunks_exact(32) {
                let (mut min, mut max) = (f32::MAX, -f32::MAX);
                for v in b {
                    min = min.min(*v);
                    max = max.max(*v);
                }
                let d = (max - min) / 15.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16_bytes(d));
                out.extend_from_slice(&f16_bytes(min));
                for j in 0..16 {
                    let x0 = (((b[j] - min) * id + 0.5) as i8).min(15) as u8;
                    let x1 = (((b[j + 16] - min) * id + 0.5) as i8).min(15) as u8;
                    out.push(x0 | (x1 << 4));
                }
            }
        }
        GgmlType::Q8_0 | GgmlType::Q8_1 => {
            for b in x.chunks_exact(32) {
                let amax = b.iter().fold(0f32, |m, v| m.max(v.abs()));
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16_bytes(d));
                let qs: Vec<i8> = b.iter().map(|v| (v * id).round() as i8).collect();
                if kind == GgmlType::Q8_1 {
                    let sum: i32 = qs.iter().map(|q| *q as i32).sum();
                    out.extend_from_slice(&f16_bytes(sum as f32 * d));
                }
                out.extend(qs.iter().map(|q| *q as u8));
            }
        }
        other => {
            return Err(KernelError::Unsupported { what: "quantize", kind: other });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dequant::dequantize;

    #[test]
    fn round_trips_stay_within_half_a_step() {
        let x: Vec<f32> = (0..256).map(|i| ((i * 37 % 101) as f32 - 50.0) / 13.0).collect();
        for kind in [GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::Q8_1] {
            let q = quantize(kind, &x).unwrap();
            let mut y = vec![0f32; 256];
            dequantize(kind, &q, 256, &mut y).unwrap();
            for (b, (xb, yb)) in x.chunks(32).zip(y.chunks(32)).enumerate() {
                let range = xb.iter().fold(0f32, |m, v| m.max(v.abs())) * 2.0;
                // Q4_0 maps the extreme of one sign to −8 and clamps the other side at +7,
                // so its worst case is a whole step; the others round to half a step.
                let tol = match kind {
                    GgmlType::Q8_0 | GgmlType::Q8_1 => range / 254.0 * 0.51,
                    GgmlType::Q4_0 => range / 16.0 * 1.01,
                    _ => range / 15.0 * 0.51,
                };
                for (a, c) in xb.iter().zip(yb) {
                    assert!((a - c).abs() <= tol + 1e-3, "{kind} block {b}: {a} vs {c}");
                }
            }
            // Dequantize → quantize → dequantize reproduces the same floats for Q8_0/Q4_1.
            if matches!(kind, GgmlType::Q8_0) {
                let q2 = quantize(kind, &y).unwrap();
                let mut y2 = vec![0f32; 256];
                dequantize(kind, &q2, 256, &mut y2).unwrap();
                for (a, c) in y.iter().zip(&y2) {
                    assert!((a - c).abs() <= 1e-3 * a.abs().max(1.0));
                }
            }
        }
        for kind in [GgmlType::F32, GgmlType::F16, GgmlType::BF16] {
            let q = quantize(kind, &x).unwrap();
            let mut y = vec![0f32; 256];
            dequantize(kind, &q, 256, &mut y).unwrap();
            for (a, c) in x.iter().zip(&y) {
                assert!((a - c).abs() <= a.abs() * 1e-2);
            }
        }
    }
}
