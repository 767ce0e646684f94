//! [`Tally`]: the exact `granted` and `refused` counts of a limiter,
//! without a locked read-modify-write on the check's hot path.
//!
//! A `fetch_add` per check cost about as much as the rest of an uncontended
//! `try_acquire` on the fast clock (measured: 20 ns with the two counters'
//! adds removed against 33 ns with them). So each thread that uses a limiter
//! counts in a slot of its own: a slot has one writer, which adds with a
//! plain load and store; a snapshot sums the slots. A thread holds its slot
//! index (shared by every limiter) until it exits, when the index goes back
//! to a free list for the next thread; threads beyond [`SLOTS`] live at once
//! share one more slot with `fetch_add`. Either way no count is lost.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Threads with a slot of their own at once.
const SLOTS: usize = 8;

/// One thread's counts, on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Slot {
    granted: AtomicU64,
    refused: AtomicU64,
}

/// Per-thread counts of grants and refusals (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    slots: [Slot; SLOTS],
    /// For threads without a slot of their own: many writers, `fetch_add`.
    shared: Slot,
}

impl Tally {
    #[inline]
    pub(crate) fn granted(&self, n: u64) {
        self.add(n, |slot| &slot.granted);
    }

    #[inline]
    pub(crate) fn refused(&self) {
        self.add(1, |slot| &slot.refused);
    }

    #[inline]
    fn add(&self, n: u64, counter: impl Fn(&Slot) -> &AtomicU64) {
        match own_slot() {
            Some(i) => {
                // Slot `i` has no other writer while this thread lives (and
                // the previous owner's last store happened before the index
                // was freed), so a plain load and store add exactly.
                let c = counter(&self.slots[i]);
                c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
            }
            None => {
                counter(&self.shared).fetch_add(n, Relaxed);
            }
        }
    }

    /// `(granted, refused)`: every count whose add happened before this
    /// call.
    pub(crate) fn sum(&self) -> (u64, u64) {
        self.slots
            .iter()
            .chain([&self.shared])
            .fold((0, 0), |(g, r), slot| {
                (
                    g.wrapping_add(slot.granted.load(Relaxed)),
                    r.wrapping_add(slot.refused.load(Relaxed)),
                )
            })
    }
}

/// Slot indexes below `NEXT` that threads have freed.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// Slot indexes never handed out start here.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// This thread's claim on a slot index, given back when the thread exits.
struct Claim(Cell<Option<Option<usize>>>);

impl Claim {
    fn index(&self) -> Option<usize> {
        if let Some(index) = self.0.get() {
            return index;
        }
        let index = free().pop().or_else(|| {
            NEXT.fetch_update(Relaxed, Relaxed, |n| (n < SLOTS).then_some(n + 1))
                .ok()
        });
        self.0.set(Some(index));
        index
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(Some(index)) = self.0.get() {
            free().push(index);
        }
    }
}

/// The free list, locked (a panic cannot leave it half-changed).
fn free() -> MutexGuard<'static, Vec<usize>> {
    FREE.lock().unwrap_or_else(PoisonError::into_inner)
}

thread_local! {
    static CLAIM: Claim = const { Claim(Cell::new(None)) };
}

/// This thread's slot index, if it has one (claimed on first use).
#[inline]
fn own_slot() -> Option<usize> {
    // `try_with` fails only while the thread's locals are being destroyed:
    // then it counts in the shared slot.
    CLAIM.try_with(Claim::index).ok().flatten()
}
