//! The in-place engine shared by [`Gather`](super::Gather) and
//! [`TryGather`](super::TryGather).
//!
//! # Design
//!
//! The engine owns at most `limit` *slots*. Each slot has a waker made once
//! (an `Arc<SlotWaker>`) and reused by every future that occupies the slot,
//! so a future costs one allocation (its `Box::pin`) and no per-future waker
//! or task object. A new future is polled at once when it is placed in a
//! slot; a future that is ready on that first poll frees its slot
//! immediately.
//!
//! Waking a slot pushes its index onto a shared ready list (once: the
//! `queued` flag deduplicates) and wakes the task that awaits the engine.
//! Each poll of the engine drains the ready list and polls only those slots,
//! so the work per wake-up is O(1) whatever the number of futures, and
//! 10^5 futures cost O(10^5) polls in total (no scan over all futures, no
//! quadratic re-polling).
//!
//! # Invariants
//!
//! - `in_flight <= limit`, where `in_flight` counts the occupied slots.
//! - A slot's `queued` flag is cleared right before the slot is polled (or
//!   filled), so a wake-up that happens during or after that poll queues the
//!   slot again: no wake-up is lost. A stale wake-up from an earlier
//!   occupant at most causes one spurious poll of the current one.
//! - The awaiting task's waker is registered before the ready list is
//!   drained, so a wake-up that arrives after the drain wakes it again.
//! - Fairness, two ways. Each output spends one unit of tokio's cooperative
//!   budget, so a long run of futures that finish at once still gives the
//!   runtime a turn (tokio wakes the task again); the slots not polled yet
//!   go back on the ready list first, their `queued` flags still set. And
//!   once the futures already in flight have been polled `limit` times in
//!   one call without finishing (futures that keep waking themselves), the
//!   engine wakes itself and returns `Pending`.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
// `Arc` is std's even under loom: `Wake` needs it. What it points to is
// loom-aware, so `tests/loom.rs` checks the wake-up protocol.
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::{AtomicBool, AtomicWaker, Mutex, Ordering, lock};

/// The most outputs the results are sized for up front; more grow as they
/// come.
const MAX_PRESIZE: usize = 1024;

/// What the awaiting task and the slot wakers share.
struct ReadyList {
    /// Indices of the slots woken since the last drain (may hold an index
    /// twice, or one of an empty slot, after a stale wake-up; both are
    /// harmless).
    queue: Mutex<Vec<usize>>,
    /// The task awaiting the engine.
    parent: AtomicWaker,
}

struct SlotWaker {
    index: usize,
    /// `true` while `index` sits in the ready list (cleared before polling).
    queued: AtomicBool,
    ready: Arc<ReadyList>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            lock(&self.ready.queue).push(self.index);
            self.ready.parent.wake();
        }
    }
}

struct GatherSlot<F> {
    /// The occupant and its input position, or `None` if free.
    fut: Option<(Pin<Box<F>>, usize)>,
    shared: Arc<SlotWaker>,
    waker: Waker,
}

/// Pulls input futures lazily and keeps at most `limit` of them in flight.
pub(crate) struct Core<I, F> {
    /// The remaining input; `None` once it returned `None` (it is never
    /// called again after that, so it need not be fused).
    iter: Option<I>,
    slots: Vec<GatherSlot<F>>,
    /// Indices of free slots in `slots`.
    free: Vec<usize>,
    ready: Arc<ReadyList>,
    /// The ready list, swapped out to be processed without the lock.
    scratch: Vec<usize>,
    in_flight: usize,
    limit: usize,
    /// How many futures were taken from `iter` so far (the next index).
    started: usize,
}

impl<I, F> Core<I, F>
where
    I: Iterator,
    I::Item: IntoFuture<IntoFuture = F>,
    F: Future,
{
    #[track_caller]
    pub(crate) fn new(limit: usize, iter: I, what: &str) -> Self {
        assert!(
            limit > 0,
            "{what}: the concurrency limit must be at least 1 (a limit of 0 could never make progress)"
        );
        Core {
            iter: Some(iter),
            slots: Vec::new(),
            free: Vec::new(),
            ready: Arc::new(ReadyList {
                queue: Mutex::new(Vec::new()),
                parent: AtomicWaker::new(),
            }),
            scratch: Vec::new(),
            in_flight: 0,
            limit,
            started: 0,
        }
    }

    /// A lower bound on the number of input futures, to size the results;
    /// capped at [`MAX_PRESIZE`], since the hint of an endless input (`0..`,
    /// read until `try_gather` meets an error) is `usize::MAX` and memory
    /// must follow the outputs actually collected.
    pub(crate) fn size_hint(&self) -> usize {
        self.iter
            .as_ref()
            .map_or(0, |it| it.size_hint().0)
            .min(MAX_PRESIZE)
    }

    /// Returns a free slot, creating one (and its waker) if needed.
    fn free_slot(&mut self) -> usize {
        if let Some(index) = self.free.pop() {
            return index;
        }
        let index = self.slots.len();
        let shared = Arc::new(SlotWaker {
            index,
            queued: AtomicBool::new(false),
            ready: Arc::clone(&self.ready),
        });
        let waker = Waker::from(Arc::clone(&shared));
        self.slots.push(GatherSlot {
            fut: None,
            shared,
            waker,
        });
        index
    }

    /// Drives the futures: hands each output to `sink` with its input index
    /// (`sink` returns `false` to stop everything), and returns `Ready(())`
    /// once the input is exhausted and nothing is in flight, or `sink` asked
    /// to stop.
    pub(crate) fn poll_drive(
        &mut self,
        cx: &mut Context<'_>,
        mut sink: impl FnMut(usize, F::Output) -> bool,
    ) -> Poll<()> {
        self.ready.parent.register(cx.waker());
        let mut pending_polls = 0;
        loop {
            // Fill free slots, polling each new future once right away.
            while self.in_flight < self.limit {
                let Some(next) = self.iter.as_mut().map(Iterator::next) else {
                    break;
                };
                let Some(fut) = next else {
                    self.iter = None;
                    break;
                };
                let position = self.started;
                self.started += 1;
                let mut fut = Box::pin(fut.into_future());
                let index = self.free_slot();
                let slot = &mut self.slots[index];
                slot.shared.queued.store(false, Ordering::Release);
                match fut.as_mut().poll(&mut Context::from_waker(&slot.waker)) {
                    Poll::Ready(out) => {
                        self.free.push(index);
                        if !sink(position, out) {
                            return Poll::Ready(());
                        }
                        if !spend_budget(cx) {
                            return Poll::Pending;
                        }
                    }
                    Poll::Pending => {
                        slot.fut = Some((fut, position));
                        self.in_flight += 1;
                    }
                }
            }

            std::mem::swap(&mut self.scratch, &mut lock(&self.ready.queue));
            if self.scratch.is_empty() {
                if self.in_flight == 0 && self.iter.is_none() {
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            for i in 0..self.scratch.len() {
                let index = self.scratch[i];
                let slot = &mut self.slots[index];
                let Some((fut, position)) = slot.fut.as_mut() else {
                    continue;
                };
                slot.shared.queued.store(false, Ordering::Release);
                match fut.as_mut().poll(&mut Context::from_waker(&slot.waker)) {
                    Poll::Ready(out) => {
                        let position = *position;
                        slot.fut = None;
                        self.free.push(index);
                        self.in_flight -= 1;
                        if !sink(position, out) {
                            self.scratch.clear();
                            return Poll::Ready(());
                        }
                        if !spend_budget(cx) {
                            // Not polled yet: back on the ready list.
                            lock(&self.ready.queue).extend(self.scratch.drain(i + 1..));
                            self.scratch.clear();
                            return Poll::Pending;
                        }
                    }
                    Poll::Pending => pending_polls += 1,
                }
            }
            self.scratch.clear();
            if pending_polls >= self.limit {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }

    /// Drops every future in flight and the rest of the input.
    pub(crate) fn cancel(&mut self) {
        self.iter = None;
        for slot in &mut self.slots {
            slot.fut = None;
        }
        self.in_flight = 0;
    }
}

/// Spends one unit of tokio's cooperative budget on an output just handed
/// out. False when the budget is used up: tokio then has the task polled
/// again once it has yielded, and the caller returns `Pending`. Outside a
/// tokio runtime the budget is unlimited.
fn spend_budget(cx: &mut Context<'_>) -> bool {
    match tokio::task::coop::poll_proceed(cx) {
        Poll::Ready(restore) => {
            restore.made_progress();
            true
        }
        Poll::Pending => false,
    }
}

/// Puts the output of input future `index` in place, growing `results` with
/// `None` for the futures before it that have not finished yet.
pub(crate) fn store<T>(results: &mut Vec<Option<T>>, index: usize, value: T) {
    if index >= results.len() {
        results.resize_with(index + 1, || None);
    }
    results[index] = Some(value);
}

impl<I, F> fmt::Debug for Core<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("limit", &self.limit)
            .field("in_flight", &self.in_flight)
            .field("started", &self.started)
            .field("input_exhausted", &self.iter.is_none())
            .finish()
    }
}
