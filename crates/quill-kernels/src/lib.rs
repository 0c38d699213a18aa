//! Hand-written CPU kernels (quantized dot products, GEMV/GEMM) that make local generation as
//! fast as llama.cpp.
//!
//! * [`GgmlType`], [`row_bytes`], [`dequantize`]: ggml's block formats, decoded bit-exactly.
//! * [`QMatrix`]: a weight matrix built from GGUF bytes; `matmul` is the decode GEMV
//!   (`n_tokens == 1`) and the prompt GEMM (`n_tokens > 1`). Q4_0/Q4_1/Q8_0 are repacked into
//!   16-row tiles for AVX-512 VNNI (with AVX2 and scalar fallbacks); other types use a
//!   generic dequantize-and-dot path.
//! * [`Pool`]: one persistent spin-then-park thread pool shared by every kernel.
//! * [`attend`]: causal attention for one KV head, in one fixed summation order.
//! * [`vecops`]: RMSNorm, SiLU·mul, softmax, exp, dot, axpy.
//!
//! See `API.md` in this crate for a usage example.

// Kernels index lanes, blocks and tokens explicitly, mirroring ggml's C and the SIMD lane
// layout; iterator rewrites of those loops obscure which element goes where.
#![allow(clippy::needless_range_loop)]

mod act;
mod aligned;
pub mod attend;
mod dequant;
mod isa;
mod kquants;
mod matrix;
mod pool;
mod q4;
mod q8;
mod quantize;
mod types;
pub mod vecops;

#[cfg(test)]
mod tests;

pub use dequant::dequantize;
pub use isa::Isa;
pub use matrix::QMatrix;
pub use pool::Pool;
pub use quantize::quantize;
pub use types::{GgmlType, row_bytes};

/// Everything that can go wrong in this crate. Sizes usually come from a GGUF header, so each
/// variant says what was expected and what was found.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// A GGUF tensor type id this crate cannot decode.
    #[error(
        "ggml tensor type id {0} is not supported by quill-kernels (supported: f32, f16, bf16, \
         q4_0, q4_1, q8_0, q4_K, q5_K, q6_K); re-quantize the model to one of these"
    )]
    UnsupportedType(u32),
    /// An operation that does not exist for this type.
    #[error("{what} is not implemented for {kind}")]
    Unsupported {
        /// The operation.
        what: &'static str,
        /// The type.
        kind: GgmlType,
    },
    /// A row length that is not a whole number of blocks.
    #[error("{kind} stores {block} elements per block, but a row has {n} elements (not a multiple)")]
    NotBlockMultiple {
        /// The type.
        kind: GgmlType,
        /// The row length.
        n: usize,
        /// The type's block size.
        block: usize,
    },
    /// Raw data of the wrong length.
    #[error("{what}: {kind} data should be {expected} bytes, got {got} (truncated or mislabelled tensor?)")]
    SizeMismatch {
        /// What was being read.
        what: &'static str,
        /// The type.
        kind: GgmlType,
        /// Bytes expected from the shape.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// An output or input buffer that is too short.
    #[error("{what}: buffer holds {got} floats, needs at least {expected}")]
    BufferTooSmall {
        /// Which buffer.
        what: &'static str,
        /// Floats needed.
        expected: usize,
        /// Floats given.
        got: usize,
    },
    /// Two lengths that must be equal are not.
    #[error("{what}: expected length {expected}, got {got}")]
    LengthMismatch {
        /// Which length.
        what: &'static str,
        /// Expected value.
        expected: usize,
        /// Actual value.
        got: usize,
    },
    /// A row index past the end of the matrix.
    #[error("row {row} is out of range for a matrix with {rows} rows")]
    RowOutOfRange {
        /// Requested row.
        row: usize,
        /// Rows in the matrix.
        rows: usize,
    },
    /// A matrix with no rows or no columns.
    #[error("a {rows}x{cols} matrix is empty")]
    Empty {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// A size whose byte count overflows `usize`.
    #[error("{what} is too large to address")]
    TooLarge {
        /// What overflowed.
        what: &'static str,
    },
    /// The thread pool could not be configured or started.
    #[error("thread pool: {0}")]
    Pool(String),
}
