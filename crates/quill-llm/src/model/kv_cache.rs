//! The key/value cache: one preallocated buffer per layer for K and for V, position-major
//! (`[n_ctx][n_head_kv · head_dim]`), written in place at each new position.
//!
//! The buffers are zero-allocated (`calloc`), so the operating system commits memory only for
//! the positions actually written: a model loaded with SmolLM2's full 8192-token context costs
//! nothing extra until a long conversation uses it.
//!
//! F32 is the default: it is the exact computation, needs no conversion in the attention loop,
//! and lands closer to llama.cpp's reference logits than an F16 cache does (measured: mean
//! |Δlogit| 0.105 vs 0.144 on the fixed prompt; llama.cpp itself moves by 0.08 between its own
//! F16 and F32 caches). F16 halves the memory of long contexts.

use half::f16;
use half::slice::HalfFloatSliceExt;

/// Element type of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvType {
    /// Half precision (llama.cpp's default cache type): half the memory.
    F16,
    /// Full precision (our default).
    #[default]
    F32,
}

#[derive(Debug)]
enum Store {
    F16(Vec<u16>),
    F32(Vec<f32>),
}

impl Store {
    fn new(kind: KvType, n: usize) -> Self {
        match kind {
            // `vec![0; n]` of a primitive uses a zeroed allocation: pages are committed lazily.
            KvType::F16 => Store::F16(vec![0u16; n]),
            KvType::F32 => Store::F32(vec![0f32; n]),
        }
    }

    fn write(&mut self, at: usize, src: &[f32]) {
        match self {
            Store::F16(v) => {
                let dst: &mut [f16] = half::slice::HalfBitsSliceExt::reinterpret_cast_mut(&mut v[at..at + src.len()]);
                dst.convert_from_f32_slice(src);
            }
            Store::F32(v) => v[at..at + src.len()].copy_from_slice(src),
        }
    }

    /// Writes `dst.len()` values at `at` into `dst` as f32.
    fn read_into(&self, at: usize, dst: &mut [f32]) {
        match self {
            Store::F16(v) => {
                let src: &[f16] = half::slice::HalfBitsSliceExt::reinterpret_cast(&v[at..at + dst.len()]);
                src.convert_to_f32_slice(dst);
            }
            Store::F32(v) => dst.copy_from_slice(&v[at..at + dst.len()]),
        }
    }
}

/// K and V for every layer and position.
#[derive(Debug)]
pub struct KvCache {
    kind: KvType,
    kv_dim: usize,
    k: Vec<Store>,
    v: Vec<Store>,
}

impl KvCache {
    pub fn new(kind: KvType, n_layer: usize, n_ctx: usize, kv_dim: usize) -> Self {
        let n = n_ctx * kv_dim;
        KvCache {
            kind,
            kv_dim,
            k: (0..n_layer).map(|_| Store::new(kind, n)).collect(),
            v: (0..n_layer).map(|_| Store::new(kind, n)).collect(),
        }
    }

    pub fn kind(&self) -> KvType {
        self.kind
    }

    /// Stores K and V rows (`kv_dim` each) for `n` consecutive positions starting at `pos0`.
    pub fn store(&mut self, layer: usize, pos0: usize, k: &[f32], v: &[f32]) {
        let at = pos0 * self.kv_dim;
        self.k[layer].write(at, k);
        self.v[layer].write(at, v);
    }

    /// The whole K and V buffers of a layer when the cache is F32 (`[n_ctx][kv_dim]`), for
    /// matrix-product attention.
    pub fn f32_layer(&self, layer: usize) -> Option<(&[f32], &[f32])> {
        match (&self.k[layer], &self.v[layer]) {
            (Store::F32(k), Store::F32(v)) => Some((k, v)),
            _ => None,
        }
    }

    /// Copies K and V of `layer` at `pos`, values `off..off + k.len()` of the row, as f32.
    pub fn copy_rows(&self, layer: usize, pos: usize, off: usize, k: &mut [f32], v: &mut [f32]) {
        let at = pos * self.kv_dim + off;
        self.k[layer].read_into(at, k);
        self.v[layer].read_into(at, v);
    }
}
