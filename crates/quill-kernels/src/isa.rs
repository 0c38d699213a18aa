//! Which instruction set the kernels use, detected once at runtime.
//!
//! The crate is compiled for baseline x86-64 (or aarch64) so one binary runs everywhere; the
//! fast kernels are compiled with `#[target_feature]` and chosen here. `QUILL_KERNELS=avx2`
//! or `=scalar` forces a lower tier (for comparing paths on one machine).

use std::sync::OnceLock;

/// A kernel tier, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512 F/BW/VL + VNNI (Ice Lake, Zen 4 and later): 512-bit `vpdpbusd` kernels.
    Avx512Vnni,
    /// AVX2 + FMA + F16C (Haswell, Zen 1 and later): `maddubs`/`madd` kernels.
    Avx2,
    /// Portable Rust, for other CPUs (and as the test reference).
    Scalar,
}

impl Isa {
    /// The best tier this CPU supports (cached), lowered by `QUILL_KERNELS` if set.
    pub fn detect() -> Isa {
        static ISA: OnceLock<Isa> = OnceLock::new();
        *ISA.get_or_init(|| {
            let best = Self::best_supported();
            match std::env::var("QUILL_KERNELS").ok().as_deref() {
                Some("scalar") => Isa::Scalar,
                Some("avx2") if best != Isa::Scalar => Isa::Avx2,
                _ => best,
            }
        })
    }

    /// Every tier this CPU can run, best first (tests run all of them).
    pub fn available() -> Vec<Isa> {
        let mut v = Vec::new();
        let best = Self::best_supported();
        if best == Isa::Avx512Vnni {
            v.push(Isa::Avx512Vnni);
        }
        if best != Isa::Scalar {
            v.push(Isa::Avx2);
        }
        v.push(Isa::Scalar);
        v
    }

    fn best_supported() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512vnni") {
                return Isa::Avx512Vnni;
            }
            if has!("avx2") && has!("fma") && has!("f16c") {
                return Isa::Avx2;
            }
        }
        Isa::Scalar
    }
}
