//! A byte buffer whose start is 64-byte aligned.
//!
//! Repacked weight tiles are sized in multiples of 64 bytes so that every 512-bit load in the
//! kernels starts on a cache line: an unaligned zmm load that straddles two lines costs a
//! second cache access, and decode streams ~100 MB of such loads per token.

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// Zero-initialised, 64-byte-aligned bytes.
#[derive(Clone)]
pub(crate) struct AlignedBytes {
    lines: Vec<Line>,
    len: usize,
}

impl AlignedBytes {
    pub fn zeroed(len: usize) -> Self {
        AlignedBytes {
            lines: vec![Line([0; 64]); len.div_ceil(64)],
            len,
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `lines` is `len.div_ceil(64)` contiguous `[u8; 64]` (repr(C), no padding),
        // so its first `len` bytes are initialised and in bounds.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<u8>(), self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<u8>(), self.len) }
    }
}

impl std::fmt::Debug for AlignedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedBytes({} bytes)", self.len)
    }
}
