//! The generator's hand-off slot: where a [`Yield`](super::Yield) leaves its
//! item for the generator stream that is polling it.
//!
//! # How an item gets across
//!
//! The slot is a plain field of the generator stream ([`Slot`]). While the
//! stream polls its producer, [`poll_lent`] publishes a [`Frame`] on the
//! stack (the generator's [`Id`] and a raw pointer to its slot) in the
//! thread-local `CURRENT`, linked to the frame of the generator being polled
//! further out, if any. A `Yield` polled inside that poll walks the chain
//! from the innermost frame to the one with its `Yielder`'s id and writes the
//! item through the pointer ([`hand_over`]). The usual case (the innermost
//! frame is the right one) costs one thread-local read, one compare and the
//! write: no allocation, no type check, no borrow flag.
//!
//! # Why the unsafe code is sound
//!
//! - **The pointers are live.** A frame is a local of a [`poll_lent`] call,
//!   published only for the duration of that call, and its slot pointer is
//!   derived from the `&mut` slot that call holds. Frames leave `CURRENT` in
//!   the reverse order they entered it (the call restores the outer frame
//!   before it returns, and a drop guard does on unwind), so every frame reachable from `CURRENT` belongs
//!   to a `poll_lent` call still on this thread's stack. A `Yielder` that
//!   escaped its generator (kept after it was dropped, moved into an
//!   unrelated generator or task, or used between two polls) finds no frame
//!   with its id and panics: it never reaches a stale slot.
//! - **Nothing else touches the slot meanwhile.** The stream's `poll_next`
//!   holds the only `&mut` to it and does not use it until the producer's
//!   poll returns. The only other way in is a `Yield` of the generator's one
//!   `Yielder`, which is not `Clone`, and each `Yield` borrows it mutably:
//!   at most one `Yield` can reach the slot, so no reference to it ever
//!   overlaps another (not even if a waker's `clone` runs arbitrary code).
//! - **The item has the slot's type.** Ids come from a 64-bit counter that
//!   does not wrap in practice, and a `Yielder<T>` is made only by the call
//!   that makes the stream of `T` with the same id: the `Yielder` of an outer
//!   generator used inside a nested one (async-stream#106) writes into its own
//!   generator's slot, not into the innermost one. Up to lifetimes, that is:
//!   a `Yielder` is contravariant in `T` and the streams are covariant, so the
//!   type a `Yielder` may be coerced to is a subtype of the slot's as the
//!   consumer sees it. An item lives at least as long as the consumer is told
//!   (async-stream#107 let a shorter-lived item into a longer-lived slot), and
//!   items need not be `'static`.
//!
//! # Why no thread can race it (and there are no loom models)
//!
//! `CURRENT` is thread-local and a frame is published only on the thread
//! running the generator's poll. A `Yielder` moved to another thread finds no
//! frame with its id there (its generator cannot be mid-poll on that thread:
//! the stream is mutably borrowed by the one poll on the first thread), so its
//! `Yield` panics. An item therefore moves only within one thread's call
//! stack; the only state shared between threads is the id counter, an atomic
//! increment whose sole duty is uniqueness. The tests under Miri
//! (`tests/generate_miri.rs` and this module's) include a `Yielder` used from
//! another thread during its generator's poll.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

/// A generator's identity, shared by its stream and its `Yielder`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Id(u64);

impl Id {
    /// A fresh id; never repeats (2^64 generators would take centuries).
    pub(super) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Id(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A generator's hand-off slot.
///
/// Normally it holds at most one item, in `first`. More queue up only if a
/// `Yield` was dropped after handing its item over and the producer sent
/// again in the same poll: a polled `send` always delivers, in order.
/// Invariants: `first` is older than everything in `more`; while the
/// producer is polled, `more` is empty whenever `first` is `None` (so a
/// hand-over checks `first` only); between polls `first` is `None` unless
/// `unusual` is set, and `unusual` is set whenever `more` or `resume` holds
/// anything or the generator has `ended` (so the usual poll checks that one
/// flag before it resumes the producer).
pub(super) struct Slot<T> {
    first: Option<T>,
    more: VecDeque<T>,
    /// The waker of a `Yield` polled with another waker than its generator's
    /// poll (under a combinator with wakers of its own), woken at the
    /// generator's next poll (see [`poll_lent`]).
    resume: Option<Waker>,
    unusual: bool,
    /// The producer finished (or panicked): it is not polled again.
    ended: bool,
}

/// What a generator's poll does before resuming its producer
/// ([`Slot::before_poll`]).
pub(super) enum Before<T> {
    /// Resume the producer: the usual case.
    Resume,
    /// Hand out this item, queued by an earlier poll, instead.
    Queued(T),
    /// Nothing is queued and the producer has ended.
    Ended,
}

impl<T> Slot<T> {
    pub(super) const fn new() -> Self {
        Slot {
            first: None,
            more: VecDeque::new(),
            resume: None,
            unusual: false,
            ended: false,
        }
    }

    /// At the start of a generator's poll: an item queued by an earlier
    /// poll, if any, else whether the producer may be resumed. Also wakes a
    /// kept `resume` waker. On [`Before::Resume`], `first` and `more` are
    /// empty.
    #[inline]
    pub(super) fn before_poll(&mut self) -> Before<T> {
        if self.unusual {
            self.attend()
        } else {
            Before::Resume
        }
    }

    /// Right after the producer's poll: the item it handed over first, if
    /// any (the rest wait for [`before_poll`](Self::before_poll)).
    #[inline]
    pub(super) fn take(&mut self) -> Option<T> {
        self.first.take()
    }

    /// The producer finished: it is not resumed again, and the next polls
    /// hand out what is left, then [`Before::Ended`].
    #[cold]
    pub(super) fn end(&mut self) {
        self.ended = true;
        self.unusual = true;
    }

    /// Whether the producer has ended and every item has been handed out.
    pub(super) fn is_drained(&self) -> bool {
        self.ended && self.first.is_none() && self.more.is_empty()
    }

    #[cold]
    #[inline(never)]
    fn attend(&mut self) -> Before<T> {
        if let Some(waker) = self.resume.take() {
            waker.wake();
        }
        if self.first.is_none() {
            self.first = self.more.pop_front();
        }
        self.unusual = self.ended || !self.more.is_empty();
        match self.first.take() {
            Some(item) => Before::Queued(item),
            None if self.ended => Before::Ended,
            None => Before::Resume,
        }
    }

    /// A hand-over of `item` by a `Yield` polled with `waker`, when the
    /// generator's poll has waker `own`, and either `first` is taken (a
    /// `Yield` dropped after its hand-over, then another one) or the wakers
    /// differ (a `Yield` under a combinator that polls with wakers of its
    /// own): both rare, so out of line.
    #[cold]
    #[inline(never)]
    fn receive_unusual(&mut self, item: T, waker: &Waker, own: &Waker) {
        if !waker.will_wake(own) {
            match &self.resume {
                Some(kept) if kept.will_wake(waker) => {}
                _ => self.resume = Some(waker.clone()),
            }
            self.unusual = true;
        }
        if self.first.is_none() {
            self.first = Some(item);
        } else {
            self.more.push_back(item);
            self.unusual = true;
        }
    }
}

/// A generator being polled on this thread: where its `Yield`s find its slot.
struct Frame {
    id: Id,
    /// The generator's `Slot<T>`, borrowed for the `poll_lent` call that owns
    /// this frame.
    slot: NonNull<()>,
    /// The waker of the generator's poll.
    waker: NonNull<Waker>,
    /// The frame of the generator being polled further out, or null.
    outer: *const Frame,
}

thread_local! {
    /// The innermost generator being polled on this thread, or null.
    ///
    /// A `const` initializer and no destructor: reading it is a plain load,
    /// with no lazy-init or registration check.
    static CURRENT: Cell<*const Frame> = const { Cell::new(ptr::null()) };
}

/// Polls `producer` with `slot` lent to the thread, so that its `Yield`s can
/// hand items over.
///
/// A `Yield` returns `Pending` after the hand-over without anything to wake
/// it: the consumer asking for the next item is its wake-up. When the
/// producer awaits it directly (the `Yield` is polled with this poll's
/// waker), polling the producer polls it. But a combinator between them that
/// only polls the futures that were woken (`FuturesUnordered`, `gather`, ...)
/// polls it with a waker of its own and would never poll it again: such a
/// `Yield` leaves its waker in the slot, and the generator's next poll wakes
/// it first ([`Slot::before_poll`]).
///
/// If the producer panics, the slot [ends](Slot::end): what was handed over
/// before the panic still goes out, and the producer is not polled again.
///
/// The caller must have got [`Before::Resume`] from [`Slot::before_poll`]
/// (so the slot is empty), as the hand-over relies on it.
#[inline]
pub(super) fn poll_lent<T, F: Future>(
    producer: Pin<&mut F>,
    slot: &mut Slot<T>,
    id: Id,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    let slot = NonNull::from(slot);
    let outer = CURRENT.get();
    let frame = Frame {
        id,
        slot: slot.cast(),
        waker: NonNull::from(cx.waker()),
        outer,
    };
    CURRENT.set(&frame);
    let unwinding = Unwinding { outer, slot };
    let poll = producer.poll(cx);
    std::mem::forget(unwinding);
    // Unpublished before `frame` goes out of scope.
    CURRENT.set(outer);
    poll
}

/// Dropped only if a producer's poll unwinds through [`poll_lent`]: puts the
/// outer frame back in `CURRENT` and ends the generator.
struct Unwinding<T> {
    outer: *const Frame,
    /// The slot lent by the `poll_lent` call that owns this guard.
    slot: NonNull<Slot<T>>,
}

impl<T> Drop for Unwinding<T> {
    fn drop(&mut self) {
        CURRENT.set(self.outer);
        // SAFETY: the pointer comes from the `&mut Slot<T>` that the running
        // `poll_lent` call borrows for its whole duration; the producer's
        // poll has unwound up to that call, so no `Yield` of it is running
        // and this is the only reference to the slot.
        unsafe { self.slot.as_mut() }.end();
    }
}

/// Hands `item` to the generator `id`, which must be polling on this thread
/// (see the module docs); panics otherwise.
#[inline]
pub(super) fn hand_over<T>(id: Id, item: T, waker: &Waker) {
    let innermost = CURRENT.get();
    // SAFETY: `CURRENT` is null or points at the frame of a `poll_lent` call
    // still running on this thread (frames are unpublished in reverse order,
    // also on unwind), which outlives this call; a published frame is never
    // written.
    match unsafe { innermost.as_ref() } {
        // SAFETY: the frame is live (above) and has our id.
        Some(frame) if frame.id == id => unsafe { frame.receive(item, waker) },
        _ => hand_over_further_out(innermost, id, item, waker),
    }
}

/// [`hand_over`] when the innermost generator is not ours: the `Yielder` of
/// an outer generator used inside a nested one, or a misuse.
#[cold]
#[inline(never)]
fn hand_over_further_out<T>(innermost: *const Frame, id: Id, item: T, waker: &Waker) {
    let mut frame = innermost;
    // SAFETY: as in `hand_over`; the `outer` links obey the same rule as
    // `CURRENT` (a frame's outer frame is unpublished after it).
    while let Some(current) = unsafe { frame.as_ref() } {
        if current.id == id {
            // SAFETY: the frame is live (above) and has our id.
            unsafe { current.receive(item, waker) };
            return;
        }
        frame = current.outer;
    }
    outside_generator()
}

impl Frame {
    /// Puts `item` in this frame's slot, and `waker` too unless it is the
    /// generator's own (see [`poll_lent`]).
    ///
    /// # Safety
    ///
    /// The frame must be live (its `poll_lent` call still running on this
    /// thread) and its id must be that of the `Yielder<T>` of the calling
    /// `Yield`, during that `Yield`'s poll.
    #[inline]
    unsafe fn receive<T>(&self, item: T, waker: &Waker) {
        // SAFETY: the frame's `poll_lent` call holds the unique borrow of this
        // slot and does not use it until the producer's poll returns, after
        // the caller's `Yield` poll; the one `Yield` that can reach the slot
        // is the caller's (the `Yielder` is not `Clone` and each `Yield`
        // borrows it mutably), so this is the only reference to it while
        // this call runs. The slot is a `Slot<T>` for the caller's `T` (up to
        // variance, see the module docs), since only the generator with this
        // id made a `Yielder<T>` with it.
        let slot = unsafe { self.slot.cast::<Slot<T>>().as_mut() };
        // SAFETY: the frame's `poll_lent` call borrows this waker from its
        // `Context` for as long as the frame is published.
        let own = unsafe { self.waker.as_ref() };
        if slot.first.is_none() && waker.will_wake(own) {
            slot.first = Some(item);
        } else {
            slot.receive_unusual(item, waker, own);
        }
    }
}

#[cold]
#[track_caller]
fn outside_generator() -> ! {
    panic!(
        "`Yielder::send` polled outside its generator: a Yielder only works \
         inside the future its `generate` closure returned"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::task::Waker;

    fn is_unpublished() -> bool {
        CURRENT.get().is_null()
    }

    #[test]
    fn frames_are_unpublished_after_a_poll_and_after_a_panic() {
        let mut slot = Slot::<String>::new();
        let id = Id::next();
        let mut cx = Context::from_waker(Waker::noop());
        let ok = poll_lent(
            std::pin::pin!(async { hand_over(id, "a".to_owned(), Waker::noop()) }),
            &mut slot,
            id,
            &mut cx,
        );
        assert!(ok.is_ready());
        assert!(is_unpublished());
        assert_eq!(slot.take().as_deref(), Some("a"));

        let panicked = catch_unwind(AssertUnwindSafe(|| {
            poll_lent(
                std::pin::pin!(async {
                    hand_over(id, "b".to_owned(), Waker::noop());
                    panic!("producer failed");
                }),
                &mut slot,
                id,
                &mut cx,
            )
        }));
        assert!(panicked.is_err());
        assert!(is_unpublished());
        // The item handed over before the panic goes out next, then the
        // slot has ended.
        assert!(matches!(slot.before_poll(), Before::Queued(b) if b == "b"));
        assert!(matches!(slot.before_poll(), Before::Ended));
        assert!(slot.is_drained());
    }

    #[test]
    fn a_hand_over_finds_an_outer_frame_past_the_inner_one() {
        let mut outer = Slot::<Box<u64>>::new();
        let mut inner = Slot::<Box<u8>>::new();
        let (outer_id, inner_id) = (Id::next(), Id::next());
        let mut cx = Context::from_waker(Waker::noop());
        let inner_slot = &mut inner;
        let _ = poll_lent(
            std::pin::pin!(async {
                let mut cx = Context::from_waker(Waker::noop());
                let _ = poll_lent(
                    std::pin::pin!(async {
                        hand_over(outer_id, Box::new(1u64), Waker::noop());
                        hand_over(inner_id, Box::new(2u8), Waker::noop());
                    }),
                    inner_slot,
                    inner_id,
                    &mut cx,
                );
            }),
            &mut outer,
            outer_id,
            &mut cx,
        );
        assert!(is_unpublished());
        assert_eq!(outer.take().as_deref(), Some(&1));
        assert_eq!(inner.take().as_deref(), Some(&2));
    }

    #[test]
    #[should_panic(expected = "polled outside its generator")]
    fn a_hand_over_without_a_frame_panics() {
        hand_over(Id::next(), Box::new(1), Waker::noop());
    }
}
