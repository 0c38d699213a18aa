//! Weight memory: 64-byte aligned, carved from 2 MiB-aligned arenas backed by huge pages.
//!
//! Why: decode streams ~96 MB of repacked weights per token. With 4 KiB pages that is ~24k
//! TLB misses per token (Zen's L2 TLB covers ~12 MB), and the hardware prefetchers stop at
//! every 4 KiB boundary. The ~210 matrices of a model are each smaller than a 2 MiB huge page,
//! so one allocation per matrix could never use huge pages; instead matrices are carved
//! one after another out of 32 MiB arenas that are `madvise(MADV_HUGEPAGE)`d (Linux with
//! transparent huge pages in `madvise` or `always` mode). An arena is unmapped when the last
//! matrix carved from it is dropped. `QUILL_HUGEPAGES=0` falls back to ordinary allocations.
//!
//! Every buffer starts on a 64-byte boundary and is zero-initialised, so each 512-bit load
//! in the kernels stays within one cache line.

use std::sync::{Arc, Mutex};

/// Arena size; matrices of at least half this get an arena of their own.
const ARENA: usize = 32 << 20;
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// One mapping (or heap block) that buffers are carved from.
struct Region {
    ptr: *mut u8,
    len: usize,
    /// Set for heap-backed regions (the fallback): how to free them.
    heap: Option<std::alloc::Layout>,
}

// SAFETY: a `Region` is plain memory; access to its bytes is governed by the `AlignedBytes`
// that carve disjoint ranges from it.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    /// `len` zeroed bytes, 2 MiB aligned where huge pages are used, else 64-byte aligned.
    fn new(len: usize) -> Region {
        #[cfg(target_os = "linux")]
        if hugepages_enabled()
            && let Some(r) = Self::mmap_huge(len)
        {
            return r;
        }
        let layout = match std::alloc::Layout::from_size_align(len.max(64), 64) {
            Ok(l) => l,
            // Larger than the address space: treat like any failed allocation (abort).
            Err(_) => std::alloc::handle_alloc_error(std::alloc::Layout::new::<u8>()),
        };
        // SAFETY: the layout has non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Region { ptr, len, heap: Some(layout) }
    }

    #[cfg(target_os = "linux")]
    fn mmap_huge(len: usize) -> Option<Region> {
        let map_len = len.div_ceil(HUGE_PAGE) * HUGE_PAGE + HUGE_PAGE;
        // SAFETY: anonymous private mapping; no existing memory is affected.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return None;
        }
        let base = raw as usize;
        let aligned = base.div_ceil(HUGE_PAGE) * HUGE_PAGE;
        let head = aligned - base;
        let tail = map_len - head - len.div_ceil(HUGE_PAGE) * HUGE_PAGE;
        let body = len.div_ceil(HUGE_PAGE) * HUGE_PAGE;
        // SAFETY: unmapping the unaligned head and the unused tail of our own fresh mapping;
        // then advising the aligned body. Failure of madvise only loses the speed-up.
        unsafe {
            if head > 0 {
                libc::munmap(raw, head);
            }
            if tail > 0 {
                libc::munmap((aligned + body) as *mut libc::c_void, tail);
            }
            libc::madvise(aligned as *mut libc::c_void, body, libc::MADV_HUGEPAGE);
        }
        Some(Region { ptr: aligned as *mut u8, len: body, heap: None })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        match self.heap {
            // SAFETY: allocated in `new` with exactly this layout.
            Some(layout) => unsafe { std::alloc::dealloc(self.ptr, layout) },
            None => {
                #[cfg(target_os = "linux")]
                // SAFETY: `ptr..ptr+len` is the aligned body of our own mapping.
                unsafe {
                    libc::munmap(self.ptr.cast(), self.len);
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn hugepages_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("QUILL_HUGEPAGES").map(|v| v != "0").unwrap_or(true))
}

/// The arena currently being filled and how many bytes of it are used.
static CURRENT: Mutex<Option<(Arc<Region>, usize)>> = Mutex::new(None);

/// Zero-initialised, 64-byte-aligned bytes carved from a shared [`Region`].
pub(crate) struct AlignedBytes {
    region: Arc<Region>,
    offset: usize,
    len: usize,
}

impl AlignedBytes {
    pub fn zeroed(len: usize) -> Self {
        let padded = len.div_ceil(64).max(1) * 64;
        if padded >= ARENA / 2 {
            return AlignedBytes { region: Arc::new(Region::new(padded)), offset: 0, len };
        }
        let mut cur = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        let fits = matches!(&*cur, Some((r, used)) if used + padded <= r.len);
        if !fits {
            *cur = Some((Arc::new(Region::new(ARENA)), 0));
        }
        if let Some((region, used)) = cur.as_mut() {
            let offset = *used;
            *used += padded;
            return AlignedBytes { region: Arc::clone(region), offset, len };
        }
        AlignedBytes { region: Arc::new(Region::new(padded)), offset: 0, len }
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `offset..offset+len` lies inside the region (checked when carved), is
        // zero-initialised, and is handed out to this buffer only.
        unsafe { std::slice::from_raw_parts(self.region.ptr.add(self.offset), self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` makes the access exclusive because no other
        // buffer overlaps this range.
        unsafe { std::slice::from_raw_parts_mut(self.region.ptr.add(self.offset), self.len) }
    }
}

impl Clone for AlignedBytes {
    fn clone(&self) -> Self {
        let mut c = AlignedBytes::zeroed(self.len);
        c.as_mut_slice().copy_from_slice(self.as_slice());
        c
    }
}

impl std::fmt::Debug for AlignedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedBytes({} bytes)", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_aligned_zeroed_and_disjoint() {
        let mut a = AlignedBytes::zeroed(100);
        let mut b = AlignedBytes::zeroed(ARENA); // own region
        let c = AlignedBytes::zeroed(0);
        for buf in [&a, &b, &c] {
            assert_eq!(buf.as_slice().as_ptr() as usize % 64, 0);
            assert!(buf.as_slice().iter().all(|v| *v == 0));
        }
        a.as_mut_slice().fill(1);
        b.as_mut_slice()[0] = 2;
        let d = AlignedBytes::zeroed(64);
        assert!(d.as_slice().iter().all(|v| *v == 0));
        assert!(a.as_slice().iter().all(|v| *v == 1));
        assert_eq!(a.clone().as_slice(), a.as_slice());
    }
}
