//! ggml tensor types: numeric ids, block sizes and bytes per block.
//!
//! GGUF files name each tensor's storage type by ggml's numeric id, and every quantized type
//! stores a fixed number of elements ("block") in a fixed number of bytes. Everything that
//! reads weights needs these three facts, so they live in one place and match
//! `ggml/src/ggml.c`'s `type_traits` table exactly.

use crate::KernelError;

/// A ggml storage type, with ggml's numeric id as the discriminant.
///
/// Only the types Quill can decode are listed; [`GgmlType::from_id`] turns any other id into a
/// [`KernelError::UnsupportedType`] naming it, so a GGUF with an exotic quantization fails
/// loudly at load time instead of producing garbage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[allow(non_camel_case_types)] // ggml's own names, so they grep the same as in llama.cpp
pub enum GgmlType {
    /// IEEE single precision, one element per "block".
    F32 = 0,
    /// IEEE half precision.
    F16 = 1,
    /// 32 elements: f16 scale `d`, 16 bytes of nibbles; value = d·(q − 8).
    Q4_0 = 2,
    /// 32 elements: f16 `d`, f16 `m`, 16 bytes of nibbles; value = d·q + m.
    Q4_1 = 3,
    /// 32 elements: f16 `d`, 32 int8; value = d·q.
    Q8_0 = 8,
    /// 32 elements: f16 `d`, f16 `s` (= d·Σq), 32 int8. ggml's activation format for Q4_1.
    Q8_1 = 9,
    /// 256 elements: f16 `d`/`dmin`, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles.
    Q4_K = 12,
    /// 256 elements: like Q4_K plus 32 bytes of fifth bits.
    Q5_K = 13,
    /// 256 elements: 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, f16 `d`.
    Q6_K = 14,
    /// 256 elements: f32 `d`, 256 int8, 16 int16 block sums. ggml's activation format for K-quants.
    Q8_K = 15,
    /// bfloat16: the top half of an f32.
    BF16 = 30,
}

impl GgmlType {
    /// Every type this crate understands, in id order.
    pub const ALL: [GgmlType; 11] = [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q8_0,
        GgmlType::Q8_1,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::Q8_K,
        GgmlType::BF16,
    ];

    /// The type with ggml's numeric id `id` (as stored in GGUF tensor infos).
    pub fn from_id(id: u32) -> Result<Self, KernelError> {
        Self::ALL.iter().copied().find(|t| *t as u32 == id).ok_or(KernelError::UnsupportedType(id))
    }

    /// ggml's numeric id.
    pub fn id(self) -> u32 {
        self as u32
    }

    /// ggml's name for the type (`"q4_1"`, `"f32"`, ...), as llama.cpp prints it.
    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "f32",
            GgmlType::F16 => "f16",
            GgmlType::Q4_0 => "q4_0",
            GgmlType::Q4_1 => "q4_1",
            GgmlType::Q8_0 => "q8_0",
            GgmlType::Q8_1 => "q8_1",
            GgmlType::Q4_K => "q4_K",
            GgmlType::Q5_K => "q5_K",
            GgmlType::Q6_K => "q6_K",
            GgmlType::Q8_K => "q8_K",
            GgmlType::BF16 => "bf16",
        }
    }

    /// Elements per block (1 for the float types).
    pub fn block_size(self) -> usize {
        match self {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => 1,
            GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q8_0 | GgmlType::Q8_1 => 32,
            GgmlType::Q4_K | GgmlType::Q5_K | GgmlType::Q6_K | GgmlType::Q8_K => 256,
        }
    }

    /// Bytes per block (ggml's `type_size`).
    pub fn type_size(self) -> usize {
        match self {
            GgmlType::F32 => 4,
            GgmlType::F16 | GgmlType::BF16 => 2,
            GgmlType::Q4_0 => 18,
            GgmlType::Q4_1 => 20,
            GgmlType::Q8_0 => 34,
            GgmlType::Q8_1 => 36,
            GgmlType::Q4_K => 144,
            GgmlType::Q5_K => 176,
            GgmlType::Q6_K => 210,
            GgmlType::Q8_K => 292,
        }
    }
}

impl std::fmt::Display for GgmlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Bytes that `n` elements of `kind` occupy.
///
/// Errors if `n` is not a whole number of blocks: a GGUF row that is not block-aligned cannot
/// be decoded, and silently truncating it would shift every following row.
pub fn row_bytes(kind: GgmlType, n: usize) -> Result<usize, KernelError> {
    let block = kind.block_size();
    if !n.is_multiple_of(block) {
        return Err(KernelError::NotBlockMultiple { kind, n, block });
    }
    (n / block).checked_mul(kind.type_size()).ok_or(KernelError::TooLarge { what: "row" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_fail() {
        for t in GgmlType::ALL {
            assert_eq!(GgmlType::from_id(t.id()).ok(), Some(t));
        }
        assert!(matches!(GgmlType::from_id(6), Err(KernelError::UnsupportedType(6))));
    }

    #[test]
    fn row_bytes_matches_ggml() {
        assert_eq!(row_bytes(GgmlType::Q4_1, 576).ok(), Some(18 * 20));
        assert_eq!(row_bytes(GgmlType::Q8_0, 576).ok(), Some(18 * 34));
        assert_eq!(row_bytes(GgmlType::F32, 7).ok(), Some(28));
        assert_eq!(row_bytes(GgmlType::Q6_K, 512).ok(), Some(420));
        assert!(matches!(row_bytes(GgmlType::Q4_K, 576), Err(KernelError::NotBlockMultiple { block: 256, .. })));
    }
}
