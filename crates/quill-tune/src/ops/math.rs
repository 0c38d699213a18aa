//! Branch-free scalar math the compiler can vectorise, plus small row helpers.
//!
//! A training step evaluates ~200 million exponentials (softmax over 49,152 logits for every
//! trained token, attention probabilities, SiLU). libm's `expf` is a scalar call; this
//! Cephes-style polynomial (≈2 ulp) inlines into the loops and vectorises.

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const ROUND_MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23

/// `e^x` for f32, clamped so it never overflows to infinity nor produces NaN for finite `x`;
/// very negative inputs give (near) 0.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // n = round(x / ln 2) via the magic-number trick (no SSE4.1 round instruction needed).
    let t = x * LOG2E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    let ni = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let y = p * r * r + r + 1.0;
    let scale = f32::from_bits(((ni + 127) as u32) << 23);
    y * scale
}

/// Maximum of a slice (−∞ for an empty one).
#[inline]
pub fn max(xs: &[f32]) -> f32 {
    // Eight independent lanes so the loop vectorises without a fast-math reduction.
    let mut m = [f32::NEG_INFINITY; 8];
    let mut chunks = xs.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            m[i] = m[i].max(c[i]);
        }
    }
    let mut out = chunks.remainder().iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    for v in m {
        out = out.max(v);
    }
    out
}

/// `xs[i] = exp(xs[i] - shift)` and returns their sum (f32 lanes, summed in a fixed order so the
/// result is deterministic).
#[inline]
pub fn exp_shift_sum(xs: &mut [f32], shift: f32) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut chunks = xs.chunks_exact_mut(8);
    for c in &mut chunks {
        for i in 0..8 {
            let e = exp(c[i] - shift);
            c[i] = e;
            acc[i] += e;
        }
    }
    let mut tail = 0.0;
    for v in chunks.into_remainder() {
        *v = exp(*v - shift);
        tail += *v;
    }
    acc.iter().sum::<f32>() + tail
}

/// Dot product with eight independent accumulators.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -80.0f32;
        while x < 80.0 {
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 5e-7, "relative error {worst}");
        assert_eq!(exp(-1e30), exp(-87.0));
        assert!(exp(-200.0) < 1e-37);
        assert!(exp(1e30).is_finite());
    }

    #[test]
    fn helpers_match_plain_loops() {
        let xs: Vec<f32> = (0..37).map(|i| ((i * 7) % 11) as f32 - 3.0).collect();
        assert_eq!(max(&xs), 7.0);
        let mut ys = xs.clone();
        let s = exp_shift_sum(&mut ys, 7.0);
        let want: f32 = xs.iter().map(|&x| (x - 7.0).exp()).sum();
        assert!((s - want).abs() < 1e-5 * want);
        assert!((dot(&xs, &xs) - xs.iter().map(|x| x * x).sum::<f32>()).abs() < 1e-3);
    }
}
