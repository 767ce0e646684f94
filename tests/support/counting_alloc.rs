//! A global allocator that counts the allocations made by each thread, so
//! that tests running in parallel on other threads do not disturb a count.
//!
//! Shared by `tests/retry.rs` and `benches/retry.rs`, each of which includes
//! it with `#[path = "..."] mod counting_alloc;`.

use std::cell::Cell;

/// Counts the allocations made by the current thread.
struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// The only `unsafe` in the crate's targets: a global allocator cannot be
// written without it, and this one only forwards to `System` and counts.
#[allow(unsafe_code)]
// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counter does not allocate.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// The number of allocations the current thread has made so far.
pub fn count() -> usize {
    ALLOCS.with(Cell::get)
}
