//! A small deterministic random number generator with a state that fits in a checkpoint.
//!
//! Why our own: `--resume` must continue *exactly* where a killed run stopped, so every random
//! stream (adapter init, data order, dropout) must be reproducible from a few integers. Library
//! RNGs hide their state; xoshiro256++ is four `u64`s, and streams are derived from
//! `(seed, purpose, counter)` so most of them need no saved state at all.

use serde::{Deserialize, Serialize};

/// xoshiro256++ (Blackman & Vigna), seeded through SplitMix64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let s = [splitmix64(&mut x), splitmix64(&mut x), splitmix64(&mut x), splitmix64(&mut x)];
        Rng { s }
    }

    /// An independent stream for `(seed, purpose, counter)`: the data order of epoch 3 or the
    /// dropout masks of step 120 are recomputed on resume instead of being stored.
    pub fn stream(seed: u64, purpose: u64, counter: u64) -> Self {
        let mut x = seed ^ purpose.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let a = splitmix64(&mut x);
        let mut y = a ^ counter.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
        Rng::new(splitmix64(&mut y))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[0].wrapping_add(self.s[3]).rotate_left(23).wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 24 bits of precision.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next_f32()
    }

    /// Standard normal (Box–Muller), for random test models.
    pub fn normal(&mut self) -> f32 {
        let u1 = ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }

    /// Uniform integer in `0..n` (`n > 0`), without modulo bias worth worrying about at our sizes.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Stream purposes, so two uses of the same seed never share numbers.
pub mod purpose {
    /// LoRA A initialisation.
    pub const INIT: u64 = 1;
    /// Training data order, one stream per epoch.
    pub const SHUFFLE: u64 = 2;
    /// Dropout masks, one stream per micro-batch.
    pub const DROPOUT: u64 = 3;
    /// Train/validation split when no validation file is given.
    pub const SPLIT: u64 = 4;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_streams_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::stream(7, purpose::SHUFFLE, 0);
        let mut d = Rng::stream(7, purpose::SHUFFLE, 1);
        assert_ne!(c.next_u64(), d.next_u64());
    }

    #[test]
    fn uniform_in_range_and_shuffle_is_permutation() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let x = r.uniform(-0.5, 0.5);
            assert!((-0.5..0.5).contains(&x));
        }
        let mut v: Vec<usize> = (0..100).collect();
        r.shuffle(&mut v);
        let mut s = v.clone();
        s.sort();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_ne!(v, s);
    }
}
