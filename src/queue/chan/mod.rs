//! The shared state behind every handle: one lock around the items, the
//! counters and the waiter lists.
//!
//! Every operation takes the lock once, changes the state, restores the
//! invariants I1 and I2 (stated on [`State`]) with [`State::rebalance`],
//! collects the wakers to wake and wakes them after unlocking. The common
//! `send` and receive (nobody to wake, no registration) skip the wake list
//! and restore only what they can have broken. Because each waiter checks
//! and registers under the same lock that producers and consumers use to
//! change the state, a wakeup cannot fall between a waiter's check and its
//! registration.
//!
//! One concept per submodule: [`state`] holds the methods of [`State`] that
//! restore I1 and I2; [`send`] and [`recv`] are the two sides' operations;
//! [`track`] owns the work-tracking counters and the `join()` wakeup
//! protocol; [`budget`] is tokio's cooperative budget. `Chan` and `State`
//! stay here, so that all their methods share one codegen unit as they did
//! before the split (see [`state`]).

mod budget;
mod recv;
mod send;
mod state;
mod track;

use std::collections::VecDeque;

use self::recv::RecvBy;
use self::track::Tracking;
use super::stats::QueueStats;
use crate::loom::AtomicUsize;
use crate::waiters::{WaiterList, WakeList};

pub(crate) use self::recv::Delivery;
pub(crate) use self::send::{SendKind, Withdrawn};
pub(crate) use self::track::EventKind;

/// Everything the lock protects.
///
/// Invariants, true whenever the lock is released:
/// - I1 (senders): if `send_waiters` has a parked waiter, the queue is open
///   and has no free slot (`queue.len() + reserved == limit`).
/// - I2 (receivers): if `recv_waiters` or `stream_waiters` has a parked
///   waiter, the queue is open or a reserved slot is outstanding (see
///   [`State::drained`]), and every queued item is already promised to a
///   woken receiving future (`recv_notified >= queue.len()`).
///
/// So nobody sleeps while there is something they could do, and a woken
/// waiter that stalls (is neither polled nor dropped) holds no slot and no
/// item: the next item or slot goes to the next waiter.
///
/// Layout (`repr(C)`, in declaration order): what every `send` and receive
/// writes (the queue's ends, `received`) or reads (`limit`, `closed`) sits
/// with the lock word in the first 64 bytes of [`Chan`]'s aligned line, so
/// that a message moves one contended cache line between producer and
/// consumer threads, not three. The waiter lists, written only when someone
/// parks or is woken, come after it; the fast paths only read their heads.
#[repr(C)]
pub(crate) struct State<T> {
    /// Accepted items, oldest first.
    pub(crate) queue: VecDeque<T>,
    /// Maximum of `queue.len() + reserved`: the capacity, or `usize::MAX`
    /// for unbounded.
    pub(crate) limit: usize,
    /// Items ever taken out by receivers (`shutdown` does not count).
    pub(crate) received: u64,
    /// Set once, never cleared.
    pub(crate) closed: bool,
    /// Slots held by granted [`Permit`](super::Permit)s (and by `Notified`
    /// reserve waiters that have not collected theirs yet).
    pub(crate) reserved: usize,
    /// Receiving futures woken by an item (or close) that have not yet
    /// polled or dropped their registration.
    pub(crate) recv_notified: usize,
    /// Items `shutdown()` took out of the queue. Items ever queued (see
    /// [`QueueStats`]) are `received + discarded + queue.len()`, so the
    /// send path has no counter of its own to write.
    pub(crate) discarded: u64,
    /// Blocked receiving futures, served FIFO.
    pub(crate) recv_waiters: WaiterList<()>,
    /// Registrations of receivers polled as a `Stream`. A `next()` future
    /// can be dropped without the handle noticing, leaving its registration
    /// behind, so their wakeups are never promises: an item that no parked
    /// receiving future is woken for wakes all of them, and they do not
    /// count in `recv_notified`.
    pub(crate) stream_waiters: WaiterList<()>,
    /// Blocked `send`s (holding their item) and `reserve`s (holding `None`),
    /// served FIFO: the head gets the next free slot, its item moved straight
    /// into the queue.
    pub(crate) send_waiters: WaiterList<T>,
    /// `join()` futures, all woken when the queue is empty and no `Job` is
    /// alive. [`JOINING`](track::JOINING) is set while it holds any
    /// registration.
    pub(crate) join_waiters: WaiterList<()>,
    /// `closed()` futures, all woken on close.
    pub(crate) close_waiters: WaiterList<()>,
    /// Live `Sender` handles; the last one dropping closes the queue.
    pub(crate) senders: usize,
    /// Live `Receiver` handles; the last one dropping closes the queue.
    pub(crate) receivers: usize,
}

/// The shared core; handles hold it in an `Arc`.
///
/// Work tracking: the unfinished count is `queue.len()` plus the live `Job`s,
/// `handed - finished`. Queued items are counted under the lock; live jobs
/// with two counters so that receiving a `Job` costs no atomic RMW and
/// dropping one costs a single RMW and takes the lock only when it may have
/// been the last one while a `join()` waits.
///
/// The lock and the counters sit on cache lines of their own, apart from
/// each other and from the `Arc`'s reference counts that every `Job` clone
/// and drop writes, so that `Job` traffic does not slow down the lock.
pub(crate) struct Chan<T> {
    state: CacheLine<StateLock<T>>,
    track: CacheLine<Tracking>,
    /// The capacity, `None` for unbounded. Fixed at creation, so read
    /// without the lock (it decides whether a send can wait, and so whether
    /// it spends the cooperative budget; see `budget`).
    capacity: Option<usize>,
}

/// The lock around [`State`]: a [`ShortLock`](crate::loom::ShortLock),
/// whose release is a plain store (the spin lock's docs say why).
type StateLock<T> = crate::loom::ShortLock<State<T>>;
pub(crate) type StateGuard<'a, T> = crate::loom::ShortGuard<'a, State<T>>;

/// Aligns (and so pads) its contents to 128 bytes: two 64-byte lines, as
/// adjacent-line prefetching pairs them.
#[repr(align(128))]
struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Chan<T> {
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Self {
            state: CacheLine(StateLock::new(State {
                queue: VecDeque::with_capacity(capacity.unwrap_or(0).min(1024)),
                limit: capacity.unwrap_or(usize::MAX),
                received: 0,
                closed: false,
                reserved: 0,
                recv_notified: 0,
                discarded: 0,
                recv_waiters: WaiterList::new(),
                stream_waiters: WaiterList::new(),
                send_waiters: WaiterList::new(),
                join_waiters: WaiterList::new(),
                close_waiters: WaiterList::new(),
                senders: 1,
                receivers: 1,
            })),
            track: CacheLine(Tracking {
                handed: AtomicUsize::new(0),
                finished: AtomicUsize::new(0),
            }),
            capacity,
        }
    }

    pub(crate) fn lock(&self) -> StateGuard<'_, T> {
        crate::loom::lock_short(&self.state)
    }

    /// Runs `f` under the lock, then wakes what it collected.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State<T>, &mut WakeList) -> R) -> R {
        let mut wake = WakeList::new();
        let r = {
            let mut st = self.lock();
            f(&mut st, &mut wake)
        };
        wake.wake();
        r
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    // ---- closing -------------------------------------------------------

    pub(crate) fn close(&self) -> bool {
        self.with(|st, wake| st.close(wake))
    }

    pub(crate) fn shutdown(&self) -> Vec<T> {
        self.with(|st, wake| {
            st.close(wake);
            let items: Vec<T> = st.queue.drain(..).collect();
            st.discarded += items.len() as u64;
            st.wake_joiners_if_idle(self.live_jobs(), wake);
            items
        })
    }

    /// A snapshot of the counters and gauges, taken under the lock.
    pub(crate) fn stats(&self) -> QueueStats {
        let st = self.lock();
        let live = self.live_jobs();
        QueueStats {
            sent: st.received + st.discarded + st.queue.len() as u64,
            received: st.received,
            done: st.received.wrapping_sub(live as u64),
            len: st.queue.len(),
            unfinished: st.queue.len() + live,
            capacity: self.capacity,
            senders_waiting: st.send_waiters.in_use(),
            receivers_waiting: st.recv_waiters.in_use(),
        }
    }

    // ---- handles -------------------------------------------------------

    pub(crate) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    pub(crate) fn add_receiver(&self) {
        self.lock().receivers += 1;
    }

    /// Drops a sender; the last one closes the queue.
    pub(crate) fn drop_sender(&self) {
        self.with(|st, wake| {
            st.senders -= 1;
            if st.senders == 0 {
                st.close(wake);
            }
        });
    }

    /// Drops a receiver (and its stream registration); the last one closes
    /// the queue. Queued items stay until a `shutdown()` or the last handle.
    pub(crate) fn drop_receiver(&self, key: Option<usize>) {
        self.with(|st, wake| {
            if let Some(k) = key {
                st.remove_recv(k, RecvBy::Stream);
            }
            st.receivers -= 1;
            if st.receivers == 0 {
                st.close(wake);
            }
            st.rebalance(wake);
        });
    }
}
