//! Memory accounting (Redis's zmalloc.c): the global allocator counts the bytes it hands out,
//! so INFO's `used_memory`, the `maxmemory` limit and eviction (`crate::evict`) work from
//! what the process really allocated rather than from an estimate.
//!
//! [`Zmalloc`] wraps jemalloc. Every allocation adds the size of the jemalloc *size class*
//! it lands in ([`usable_size`]) to one counter and every free subtracts it, which is what
//! Redis's `zmalloc_size` / `used_memory` counts (it asks jemalloc for the usable size of
//! each block). The size class is computed from the requested size with a few instructions
//! instead of asking jemalloc (`sallocx` is a radix-tree lookup on every free), and because
//! it depends only on the layout, an allocation and its free always move the counter by
//! the same amount.
//!
//! The counter is a relaxed atomic, as in Redis 7.0: the event loop is the only thread that
//! allocates in earnest, but the logger and the std runtime may allocate elsewhere, and
//! their bytes belong to the process too. A forked child (BGSAVE) gets its own copy of the
//! counter, and its allocations never show in the parent.
//!
//! The binary installs it in `main.rs`; a library test binary runs on the system allocator,
//! where [`used_memory`] stays 0.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes currently allocated through [`Zmalloc`], in jemalloc size classes.
static USED_MEMORY: AtomicUsize = AtomicUsize::new(0);

/// The global allocator: jemalloc, with every block counted in [`USED_MEMORY`]. Installed
/// once, by `main.rs`, for the whole life of the process.
pub struct Zmalloc;

/// The smallest jemalloc size class, in bytes.
const MIN_CLASS: usize = 8;

/// Up to this size (bytes) jemalloc's classes are the multiples of its 16-byte quantum;
/// above it each doubling of size is split into four classes.
const QUANTUM_SPACED_MAX: usize = 128;

/// The size of the jemalloc size class a request of `layout` is served from: 8, then
/// multiples of 16 up to 128, then four classes per power of two (160, 192, 224, 256, 320,
/// ...), the spacing jemalloc 5 uses for small and large sizes alike. An alignment above
/// the size rounds the size up first (jemalloc serves it from a class of at least that
/// size).
pub fn usable_size(layout: Layout) -> usize {
    let size = layout.size().max(layout.align());
    if size <= MIN_CLASS {
        return MIN_CLASS;
    }
    if size <= QUANTUM_SPACED_MAX {
        return (size + 15) & !15;
    }
    // The class spacing is a quarter of the power of two just below the size.
    let lg = usize::BITS - 1 - (size - 1).leading_zeros();
    let delta = 1usize << (lg - 2);
    (size + delta - 1) & !(delta - 1)
}

/// Bytes the process holds through the allocator right now (Redis's zmalloc_used_memory).
pub fn used_memory() -> u64 {
    USED_MEMORY.load(Ordering::Relaxed) as u64
}

// SAFETY: every method forwards to jemalloc with the caller's own layout, and only adds
// bookkeeping on a separate counter; the pointers returned are jemalloc's.
unsafe impl GlobalAlloc for Zmalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = tikv_jemallocator::Jemalloc.alloc(layout);
        if !p.is_null() {
            USED_MEMORY.fetch_add(usable_size(layout), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = tikv_jemallocator::Jemalloc.alloc_zeroed(layout);
        if !p.is_null() {
            USED_MEMORY.fetch_add(usable_size(layout), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        USED_MEMORY.fetch_sub(usable_size(layout), Ordering::Relaxed);
        tikv_jemallocator::Jemalloc.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size);
        if !p.is_null() {
            let old = usable_size(layout);
            // A valid layout, since `realloc`'s contract says `new_size` with this
            // alignment is one.
            let new = usable_size(Layout::from_size_align_unchecked(new_size, layout.align()));
            if new >= old {
                USED_MEMORY.fetch_add(new - old, Ordering::Relaxed);
            } else {
                USED_MEMORY.fetch_sub(old - new, Ordering::Relaxed);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(size: usize) -> usize {
        usable_size(Layout::from_size_align(size, 1).unwrap_or(Layout::new::<u8>()))
    }

    /// jemalloc 5's size classes (`malloc_usable_size` of malloc(n) on the jemalloc Redis
    /// ships gives the same numbers).
    #[test]
    fn size_classes_match_jemalloc() {
        let cases = [
            (0, 8),
            (1, 8),
            (8, 8),
            (9, 16),
            (17, 32),
            (100, 112),
            (128, 128),
            (129, 160),
            (160, 160),
            (161, 192),
            (256, 256),
            (257, 320),
            (1000, 1024),
            (1025, 1280),
            (4097, 5120),
            (16385, 20480),
            (1 << 20, 1 << 20),
            ((1 << 20) + 1, 1280 * 1024),
        ];
        for (size, expected) in cases {
            assert_eq!(class(size), expected, "size {size}");
        }
        assert_eq!(
            usable_size(Layout::from_size_align(8, 64).unwrap_or(Layout::new::<u8>())),
            64
        );
    }
}
