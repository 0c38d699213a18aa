//! `QMatrix`: a weight matrix in whatever layout makes its matmul fast.
//!
//! Q4_1, Q4_0 and Q8_0 (every projection and the output head of SmolLM2's Q4_1 GGUF) are
//! repacked at load into 16-row tiles for the integer kernels in [`crate::q4`] and
//! [`crate::q8`]. Every other type keeps its GGUF bytes and goes through a generic path that
//! dequantizes one row at a time into f32 and uses SIMD dot products: correct for anything
//! `dequantize` understands, and fast enough for the rare tensors that use it.

use std::cell::RefCell;
use std::ops::Range;

use crate::KernelError;
use crate::act::QuantAct;
use crate::dequant::dequantize;
use crate::isa::Isa;
use crate::kquants::{self, Q8KAct};
use crate::pool::Pool;
use crate::q4::Q4Tiles;
use crate::q8::Q8Tiles;
use crate::types::{GgmlType, row_bytes};
use crate::vecops::dot_unchecked;

/// Rows handled per unit of work; matches the tile height of the integer kernels.
const UNIT_ROWS: usize = 16;
/// Matrices one `matmul_many` job handles (q/k/v is 3, gate/up 2); more are done in groups.
const MAX_FUSED: usize = 8;
/// Below this much weight traffic (bytes × tokens) a matmul runs on the calling thread only.
const SERIAL_BYTES: usize = 96 * 1024;
/// Tokens computed per kernel call in prompt processing (results are buffered on the stack).
const TOKEN_CHUNK: usize = 64;

#[derive(Debug, Clone)]
enum Repr {
    Q4(Q4Tiles),
    Q8(Q8Tiles),
    /// Original GGUF bytes, decoded row by row.
    Raw(Vec<u8>),
}

/// A `rows × cols` weight matrix (rows = output features, cols = input features), as stored in
/// a GGUF tensor with dims `[cols, rows]`.
#[derive(Debug, Clone)]
pub struct QMatrix {
    kind: GgmlType,
    rows: usize,
    cols: usize,
    repr: Repr,
}

thread_local! {
    /// The calling thread's activation buffer, reused so decode allocates nothing per matmul.
    static ACT: RefCell<QuantAct> = RefCell::new(QuantAct::default());
}

/// Where each thread writes its rows. Rows of different units never overlap, so the threads'
/// writes are disjoint even though they interleave in memory (token-major output).
#[derive(Clone, Copy)]
struct OutPtr {
    ptr: *mut f32,
    len: usize,
    rows: usize,
}
// SAFETY: used only to write disjoint row ranges from different threads during `Pool::run`,
// while the `&mut [f32]` it came from is borrowed by the caller.
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// Writes `vals` to rows `r0..r0 + vals.len()` of token `t`.
    ///
    /// # Safety
    /// No other thread may write these rows concurrently; `t·rows + r0 + vals.len() ≤ len`.
    #[inline]
    unsafe fn write(&self, t: usize, r0: usize, vals: &[f32]) {
        let at = t * self.rows + r0;
        debug_assert!(at + vals.len() <= self.len);
        // SAFETY: in bounds (caller) and exclusive for these rows (caller).
        unsafe { std::ptr::copy_nonoverlapping(vals.as_ptr(), self.ptr.add(at), vals.len()) };
    }
}

/// One matmul's input in every form the kernels want.
#[derive(Clone, Copy)]
struct Inputs<'a> {
    /// f32 rows (generic path).
    x: &'a [f32],
    /// 32-block int8 quantization (Q4_0/Q4_1/Q8_0 tiles).
    act: &'a QuantAct,
    /// 256-block int8 quantization (K-quants), when any matrix needs it.
    k8: Option<&'a Q8KAct>,
    n_tokens: usize,
}

impl QMatrix {
    /// Builds a matrix from the raw bytes of a GGUF tensor (`rows` rows of `cols` elements).
    ///
    /// Checks that `cols` is a whole number of blocks and that `bytes` has exactly the right
    /// length, then repacks the types that have fast kernels. Repacking costs about one pass
    /// over the bytes; the original bytes are not kept.
    pub fn new(kind: GgmlType, rows: usize, cols: usize, bytes: &[u8]) -> Result<Self, KernelError> {
        let rb = row_bytes(kind, cols)?;
        let need = rb.checked_mul(rows).ok_or(KernelError::TooLarge { what: "matrix" })?;
        if bytes.len() != need {
            return Err(KernelError::SizeMismatch { what: "matrix data", kind, expected: need, got: bytes.len() });
        }
        if rows == 0 || cols == 0 {
            return Err(KernelError::Empty { rows, cols });
        }
        let repr = match kind {
            GgmlType::Q4_0 | GgmlType::Q4_1 => match Q4Tiles::from_ggml(kind, rows, cols, bytes)? {
                Some(t) => Repr::Q4(t),
                None => Repr::Raw(bytes.to_vec()),
            },
            GgmlType::Q8_0 => Repr::Q8(Q8Tiles::from_ggml(rows, cols, bytes)?),
            _ => Repr::Raw(bytes.to_vec()),
        };
        Ok(QMatrix { kind, rows, cols, repr })
    }

    /// Whether matmuls use the K-quant integer kernels (Q8_K activations).
    fn uses_q8k(&self) -> bool {
        matches!(self.kind, GgmlType::Q4_K | GgmlType::Q5_K | GgmlType::Q6_K)
    }

    /// Output features.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input features.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The GGUF storage type this matrix was built from.
    pub fn kind(&self) -> GgmlType {
        self.kind
    }

    /// Bytes of weight data a full matmul streams (after repacking, including tile padding).
    pub fn weight_bytes(&self) -> usize {
        match &self.repr {
            Repr::Q4(t) => t.weight_bytes(),
            Repr::Q8(t) => t.weight_bytes(),
            Repr::Raw(b) => b.len(),
        }
    }

    /// Dequantizes row `i` into `out[..cols]`, bit-identical to ggml (used for the embedding
    /// lookup, where the tied output head doubles as the token-embedding table).
    pub fn row(&self, i: usize, out: &mut [f32]) -> Result<(), KernelError> {
        if i >= self.rows {
            return Err(KernelError::RowOutOfRange { row: i, rows: self.rows });
        }
        if out.len() < self.cols {
            return Err(KernelError::BufferTooSmall { what: "row output", expected: self.cols, got: out.len() });
        }
        let out = &mut out[..self.cols];
        match &self.repr {
            Repr::Q4(t) => t.dequant_row(i, out),
            Repr::Q8(t) => t.dequant_row(i, out),
            Repr::Raw(b) => {
                let rb = b.len() / self.rows;
                dequantize(self.kind, &b[i * rb..(i + 1) * rb], self.cols, out)?;
            }
        }
        Ok(())
    }

    /// The whole matrix as f32, row-major in the original GGUF order (for the training path).
    pub fn dequantize_all(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        for (i, r) in out.chunks_exact_mut(self.cols).enumerate() {
            // Cannot fail: `i < rows` and `r.len() == cols`.
            let _ = self.row(i, r);
        }
        out
    }

    /// `out[t·rows + r] = Σ_c W[r, c] · x[t·cols + c]` for `t < n_tokens`.
    ///
    /// `n_tokens == 1` is the decode GEMV; larger is prompt processing, where each weight
    /// block is decoded once and reused across up to 8 tokens. `x` must hold at least
    /// `n_tokens·cols` floats and `out` at least `n_tokens·rows` (extra space is untouched).
    pub fn matmul(&self, x: &[f32], n_tokens: usize, out: &mut [f32], pool: &Pool) -> Result<(), KernelError> {
        Self::matmul_many(&[self], x, n_tokens, &mut [out], pool)
    }

    /// Several matrices with the same input, e.g. q/k/v or gate/up: the input is quantized
    /// once and all of them run in a single parallel job (one barrier instead of three).
    ///
    /// `outs[i]` receives matrix `i`'s result in the layout of [`QMatrix::matmul`]. All
    /// matrices must have the same `cols`.
    pub fn matmul_many(
        mats: &[&QMatrix],
        x: &[f32],
        n_tokens: usize,
        outs: &mut [&mut [f32]],
        pool: &Pool,
    ) -> Result<(), KernelError> {
        let Some(first) = mats.first() else {
            return Ok(());
        };
        if mats.len() != outs.len() {
            return Err(KernelError::LengthMismatch {
                what: "matmul_many: outputs per matrix",
                expected: mats.len(),
                got: outs.len(),
            });
        }
        let cols = first.cols;
        for m in mats {
            if m.cols != cols {
                return Err(KernelError::LengthMismatch {
                    what: "matmul_many: cols of every matrix",
                    expected: cols,
                    got: m.cols,
                });
            }
        }
        if n_tokens == 0 {
            return Ok(());
        }
        let nx = n_tokens.checked_mul(cols).ok_or(KernelError::TooLarge { what: "input" })?;
        if x.len() < nx {
            return Err(KernelError::BufferTooSmall { what: "matmul input", expected: nx, got: x.len() });
        }
        for (m, o) in mats.iter().zip(outs.iter()) {
            let need = n_tokens.checked_mul(m.rows).ok_or(KernelError::TooLarge { what: "output" })?;
            if o.len() < need {
                return Err(KernelError::BufferTooSmall { what: "matmul output", expected: need, got: o.len() });
            }
        }
        if mats.len() > MAX_FUSED {
            // Rare: more matrices than the fixed-size bookkeeping holds; do them in groups.
            for (ms, os) in mats.chunks(MAX_FUSED).zip(outs.chunks_mut(MAX_FUSED)) {
                Self::matmul_many(ms, x, n_tokens, os, pool)?;
            }
            return Ok(());
        }
        // Fixed-size bookkeeping: decode makes ~120 of these calls per token, none allocates.
        let mut out_ptrs = [OutPtr { ptr: std::ptr::null_mut(), len: 0, rows: 0 }; MAX_FUSED];
        for ((p, m), o) in out_ptrs.iter_mut().zip(mats).zip(outs.iter_mut()) {
            *p = OutPtr { ptr: o.as_mut_ptr(), len: o.len(), rows: m.rows };
        }
        let outs = &out_ptrs[..mats.len()];
        let needs_act = mats.iter().any(|m| !matches!(m.repr, Repr::Raw(_)));
        let x = &x[..nx];
        // K-quants use their own 256-block activation format (rare types: built per call).
        let k8 = mats.iter().any(|m| m.uses_q8k()).then(|| Q8KAct::quantize(x, cols, n_tokens));
        let k8 = k8.as_ref();
        let run = |act: &QuantAct| {
            let isa = Isa::detect();
            let mut starts = [0usize; MAX_FUSED + 1];
            let mut total = 0usize;
            for (i, m) in mats.iter().enumerate() {
                starts[i] = total;
                total += m.rows.div_ceil(UNIT_ROWS);
            }
            starts[mats.len()] = total;
            let inputs = Inputs { x, act, k8, n_tokens };
            let job = |range: Range<usize>, _tid: usize| {
                for (i, m) in mats.iter().enumerate() {
                    let lo = range.start.max(starts[i]);
                    let hi = range.end.min(starts[i + 1]);
                    if lo < hi {
                        m.run_units(isa, (lo - starts[i])..(hi - starts[i]), &inputs, outs[i]);
                    }
                }
            };
            // Tiny jobs (a lone k/v projection) finish faster on one core than the
            // ~0.3–0.7 µs it takes to hand half of them to another core and wait.
            let work: usize = mats.iter().map(|m| m.weight_bytes()).sum::<usize>() * n_tokens;
            if work < SERIAL_BYTES {
                job(0..total, 0);
            } else {
                pool.run(total, job);
            }
        };
        if needs_act {
            ACT.with(|cell| match cell.try_borrow_mut() {
                Ok(mut act) => {
                    act.quantize(x, cols, n_tokens, pool);
                    run(&act);
                }
                Err(_) => {
                    let mut act = QuantAct::default();
                    act.quantize(x, cols, n_tokens, pool);
                    run(&act);
                }
            });
        } else {
            run(&QuantAct::default());
        }
        Ok(())
    }

    /// Computes row units `units` (16 rows each) for all tokens.
    fn run_units(&self, isa: Isa, units: Range<usize>, inputs: &Inputs<'_>, out: OutPtr) {
        let Inputs { x, act, k8, n_tokens } = *inputs;
        let mut buf = [[0f32; UNIT_ROWS]; TOKEN_CHUNK];
        match &self.repr {
            Repr::Q4(_) | Repr::Q8(_) => {
                for u in units {
                    let r0 = u * UNIT_ROWS;
                    let nr = UNIT_ROWS.min(self.rows - r0);
                    let mut t0 = 0;
                    while t0 < n_tokens {
                        let nt = TOKEN_CHUNK.min(n_tokens - t0);
                        match &self.repr {
                            Repr::Q4(t) => t.tile_matmul(isa, u, act, t0, &mut buf[..nt]),
                            Repr::Q8(t) => t.tile_matmul(isa, u, act, t0, &mut buf[..nt]),
                            Repr::Raw(_) => {}
                        }
                        for (i, vals) in buf[..nt].iter().enumerate() {
                            // SAFETY: unit `u` (rows r0..r0+nr) belongs to this thread alone;
                            // bounds were checked in `matmul_many`.
                            unsafe { out.write(t0 + i, r0, &vals[..nr]) };
                        }
                        t0 += nt;
                    }
                }
            }
            Repr::Raw(bytes) if self.uses_q8k() && k8.is_some() => {
                let rb = bytes.len() / self.rows;
                let Some(k8) = k8 else { return };
                let mut col = [0f32; 1];
                for u in units {
                    let r0 = u * UNIT_ROWS;
                    for r in r0..(r0 + UNIT_ROWS).min(self.rows) {
                        let row = &bytes[r * rb..(r + 1) * rb];
                        for t in 0..n_tokens {
                            col[0] = kquants::vec_dot(self.kind, isa, row, k8, t);
                            // SAFETY: row `r` belongs to this thread's unit; bounds checked.
                            unsafe { out.write(t, r, &col) };
                        }
                    }
                }
            }
            Repr::Raw(bytes) => {
                let rb = bytes.len() / self.rows;
                let mut row = vec![0f32; self.cols];
                let mut col = [0f32; 1];
                for u in units {
                    let r0 = u * UNIT_ROWS;
                    for r in r0..(r0 + UNIT_ROWS).min(self.rows) {
                        // Lengths were validated in `new`, so this cannot fail.
                        let _ = dequantize(self.kind, &bytes[r * rb..(r + 1) * rb], self.cols, &mut row);
                        for t in 0..n_tokens {
                            col[0] = dot_unchecked(&row, &x[t * self.cols..(t + 1) * self.cols]);
                            // SAFETY: row `r` belongs to this thread's unit; bounds checked.
                            unsafe { out.write(t, r, &col) };
                        }
                    }
                }
            }
        }
    }
}
