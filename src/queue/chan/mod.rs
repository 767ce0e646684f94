//! The shared state behind every handle: one lock around the items, the
//! counters and the waiter lists.
//!
//! Every operation takes the lock once, changes the state, restores the
//! invariants I1 and I2 (see [`State`]) with [`State::rebalance`], collects
//! the wakers to wake and wakes them after unlocking. The common `send` and receive (nobody to
//! wake, no registration) skip the wake list and restore only what they can
//! have broken. Because each waiter checks and registers under
//! the same lock that producers and consumers use to change the state, a
//! wakeup cannot fall between a waiter's check and its registration.
//!
//! One concept per submodule: [`state`] owns invariants I1 and I2 and the
//! methods that restore them; [`send`] and [`recv`] are the two sides'
//! operations; [`track`] owns the work-tracking counters and the `join()`
//! wakeup protocol; [`budget`] is tokio's cooperative budget.

mod budget;
mod recv;
mod send;
mod state;
mod track;

use std::collections::VecDeque;

use self::recv::RecvBy;
use self::track::Tracking;
use super::stats::QueueStats;
use crate::loom::{AtomicUsize, Mutex, MutexGuard, lock};
use crate::waiters::{WaiterList, WakeList};

pub(crate) use self::recv::Delivery;
pub(crate) use self::send::{SendKind, Withdrawn};
pub(crate) use self::state::State;
pub(crate) use self::track::EventKind;

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
    state: CacheLine<Mutex<State<T>>>,
    track: CacheLine<Tracking>,
}

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
            state: CacheLine(Mutex::new(State {
                queue: VecDeque::with_capacity(capacity.unwrap_or(0).min(1024)),
                capacity,
                reserved: 0,
                closed: false,
                senders: 1,
                receivers: 1,
                send_waiters: WaiterList::new(),
                recv_waiters: WaiterList::new(),
                recv_notified: 0,
                stream_waiters: WaiterList::new(),
                close_waiters: WaiterList::new(),
                join_waiters: WaiterList::new(),
                sent: 0,
                received: 0,
            })),
            track: CacheLine(Tracking {
                handed: AtomicUsize::new(0),
                finished: AtomicUsize::new(0),
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<T>> {
        lock(&self.state)
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
        self.lock().capacity
    }

    // ---- closing -------------------------------------------------------

    pub(crate) fn close(&self) -> bool {
        self.with(|st, wake| st.close(wake))
    }

    pub(crate) fn shutdown(&self) -> Vec<T> {
        self.with(|st, wake| {
            st.close(wake);
            let items: Vec<T> = st.queue.drain(..).collect();
            st.wake_joiners_if_idle(self.live_jobs(), wake);
            items
        })
    }

    /// A snapshot of the counters and gauges, taken under the lock.
    pub(crate) fn stats(&self) -> QueueStats {
        let st = self.lock();
        let live = self.live_jobs();
        QueueStats {
            sent: st.sent,
            received: st.received,
            done: st.received.wrapping_sub(live as u64),
            len: st.queue.len(),
            unfinished: st.queue.len() + live,
            capacity: st.capacity,
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
