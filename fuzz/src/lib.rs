//! Shared support for the fuzz targets.
//!
//! Every target links this crate, so the global allocator below applies to all of them: any
//! single allocation above [`MAX_ALLOCATION`] aborts the process, which libFuzzer reports as a
//! crash. Hostile input must never make a parser reserve memory because a peer announced a
//! large size (`{4294967295}`, `BDAT 999999999999`, `SIZE=`), and this turns such a bug into a
//! finding instead of a slow run.

use std::alloc::{GlobalAlloc, Layout, System};

/// The largest single allocation a target may make: 64 MiB.
pub const MAX_ALLOCATION: usize = 64 << 20;

struct CappedAllocator;

// SAFETY: every method forwards to the system allocator after a size check; the check never
// changes what is allocated or freed.
unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        // No allocation may happen here: write with the raw fd and abort.
        eprintln!("fuzz: single allocation of {size} bytes exceeds the 64 MiB cap");
        std::process::abort();
    }
}

#[global_allocator]
static ALLOCATOR: CappedAllocator = CappedAllocator;

/// Splits `data` into chunks whose sizes are taken from `sizes` (cycled), so a target can feed
/// a machine the same bytes in arbitrary pieces.
pub fn chunks<'a>(data: &'a [u8], sizes: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = data;
    let mut i = 0usize;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = match sizes.get(i % sizes.len().max(1)) {
            Some(&s) => usize::from(s).max(1),
            None => rest.len(),
        };
        i += 1;
        let (head, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        Some(head)
    })
}
