//! The receive side: what a receive asks for ([`RecvHow`]: by whom, how
//! many, delivered how) and the operations that take items out. A receiver
//! parks only when I2 says there is nothing for it: every queued item is
//! already promised to a woken receiving future ahead of it.

use std::task::{Context, Poll};

use super::StateGuard;
use super::budget::Budget;
use super::track::JOINING;
use super::{Chan, State};
use crate::loom::Ordering;
use crate::waiters::{SlotState, WakeList};

/// Where a receive registration lives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RecvBy {
    /// A receiving future (`recv`, `recv_job`, ...), which withdraws its
    /// registration when dropped: `recv_waiters`.
    Future,
    /// A `Receiver` polled as a `Stream`: `stream_waiters`.
    Stream,
}

/// What a receive asks for.
#[derive(Clone, Copy)]
struct RecvHow {
    by: RecvBy,
    /// At most this many items (at least 1 is taken).
    max: usize,
    delivery: Delivery,
}

/// What becomes of the items a receive takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Finished on delivery (`recv`, `recv_many`, the `Stream`): `join()`
    /// does not wait for them.
    Done,
    /// Each one a live `Job` (`recv_job`), unfinished until it drops.
    Job,
}

impl<T> Chan<T> {
    /// Takes up to `max` items (at least 1) if any are queued.
    /// `Err(true)` if closed and drained, `Err(false)` if empty.
    pub(crate) fn try_recv_into(
        &self,
        out: &mut impl Extend<T>,
        max: usize,
        delivery: Delivery,
    ) -> Result<usize, bool> {
        self.with(|st, wake| {
            if st.queue.is_empty() {
                return Err(st.drained());
            }
            Ok(self.take(st, out, max, delivery, wake))
        })
    }

    /// Polls a receive of up to `max` items into `out`. Ready(Some(n)) with
    /// `n >= 1`, or Ready(None) once the queue is closed and drained.
    pub(crate) fn poll_recv_into(
        &self,
        key: &mut Option<usize>,
        out: &mut impl Extend<T>,
        max: usize,
        delivery: Delivery,
        cx: &mut Context<'_>,
    ) -> Poll<Option<usize>> {
        let how = RecvHow {
            by: RecvBy::Future,
            max,
            delivery,
        };
        self.poll_recv_by(how, key, out, cx)
    }

    /// Polls a `Receiver`'s `Stream` for one item, its registration in
    /// `stream_waiters`.
    pub(crate) fn poll_recv_stream(
        &self,
        key: &mut Option<usize>,
        out: &mut impl Extend<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<usize>> {
        let how = RecvHow {
            by: RecvBy::Stream,
            max: 1,
            delivery: Delivery::Done,
        };
        self.poll_recv_by(how, key, out, cx)
    }

    fn poll_recv_by(
        &self,
        how: RecvHow,
        key: &mut Option<usize>,
        out: &mut impl Extend<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<usize>> {
        let Poll::Ready(budget) = Budget::take() else {
            return self.poll_recv_out_of_budget(how, key, out, cx);
        };
        let mut st = self.lock();
        if key.is_none() && !st.queue.is_empty() {
            // The common case: an item for a receiver not in line. Taking
            // items keeps I2 (`recv_notified >= queue.len()`) and leaves
            // `closed` and `reserved` alone, so only parked senders (I1)
            // and `join()` can have something to learn.
            let n = self.move_out(&mut st, out, how.max, how.delivery);
            if st.send_waiters.has_waiting() || st.join_waiters.has_waiting() {
                self.after_take_and_unlock(st);
            } else {
                drop(st);
            }
            budget.spent_if(true);
            return Poll::Ready(Some(n));
        }
        let poll = self.poll_recv_and_unlock(st, how, key, out, cx);
        budget.spent_if(poll.is_ready());
        poll
    }

    /// [`poll_recv_by`](Self::poll_recv_by) with the task's budget used up:
    /// yields if the receive would complete, parks (or stays parked) if not.
    #[cold]
    #[inline(never)]
    fn poll_recv_out_of_budget(
        &self,
        how: RecvHow,
        key: &mut Option<usize>,
        out: &mut impl Extend<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<usize>> {
        let st = self.lock();
        if Self::recv_would_complete(&st, how.by, *key) {
            drop(st);
            return Budget::yield_now(cx);
        }
        self.poll_recv_and_unlock(st, how, key, out, cx)
    }

    /// [`poll_recv_locked`](Self::poll_recv_locked), then unlocks and wakes
    /// what it collected.
    #[inline]
    fn poll_recv_and_unlock(
        &self,
        mut st: StateGuard<'_, T>,
        how: RecvHow,
        key: &mut Option<usize>,
        out: &mut impl Extend<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<usize>> {
        let mut wake = WakeList::new();
        let poll = self.poll_recv_locked(&mut st, &mut wake, how, key, out, cx);
        drop(st);
        wake.wake();
        poll
    }

    /// Whether [`poll_recv_locked`](Self::poll_recv_locked) would return
    /// `Ready` rather than park (or stay parked).
    fn recv_would_complete(st: &State<T>, by: RecvBy, key: Option<usize>) -> bool {
        let woken = match key {
            Some(k) => st.recv_list_ref(by).state(k) != SlotState::Waiting,
            None => true,
        };
        woken && (!st.queue.is_empty() || st.drained())
    }

    fn poll_recv_locked(
        &self,
        st: &mut State<T>,
        wake: &mut WakeList,
        how: RecvHow,
        key: &mut Option<usize>,
        out: &mut impl Extend<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<usize>> {
        let RecvHow { by, max, delivery } = how;
        let mut served = false;
        if let Some(k) = *key {
            let list = st.recv_list(by);
            if list.state(k) == SlotState::Waiting {
                // I2: every queued item is promised to a woken receiver
                // ahead of us, so there is nothing for us yet.
                list.set_waker(k, cx.waker());
                return Poll::Pending;
            }
            *key = None;
            st.remove_recv(k, by);
            served = true;
        }
        if !st.queue.is_empty() {
            return Poll::Ready(Some(self.take(st, out, max, delivery, wake)));
        }
        if st.drained() {
            return Poll::Ready(None);
        }
        // Empty, and open or awaiting a permit's item: park. A receiver
        // that was woken and lost its item to a competitor keeps its
        // place at the front.
        let list = st.recv_list(by);
        *key = Some(if served {
            list.push_front(cx.waker(), None)
        } else {
            list.push_back(cx.waker(), None)
        });
        Poll::Pending
    }

    /// The rest of [`take`](Self::take) for the fast path, waking after
    /// unlocking.
    #[inline(never)]
    fn after_take_and_unlock(&self, mut st: StateGuard<'_, T>) {
        let mut wake = WakeList::new();
        self.after_take(&mut st, &mut wake);
        drop(st);
        wake.wake();
    }

    /// Withdraws a receive registration. A receiver that had been woken
    /// passes its wakeup to the next parked receiver if an item is waiting.
    pub(crate) fn cancel_recv(&self, key: usize) {
        self.with(|st, wake| {
            st.remove_recv(key, RecvBy::Future);
            st.rebalance(wake);
        });
    }

    /// Withdraws a `Stream` registration. Its wakeup was no promise, so
    /// there is nothing to pass on.
    pub(crate) fn cancel_recv_stream(&self, key: usize) {
        self.lock().remove_recv(key, RecvBy::Stream);
    }

    /// Moves up to `max` items into `out`, delivered as `delivery` says,
    /// and restores the invariants.
    fn take(
        &self,
        st: &mut State<T>,
        out: &mut impl Extend<T>,
        max: usize,
        delivery: Delivery,
        wake: &mut WakeList,
    ) -> usize {
        let n = self.move_out(st, out, max, delivery);
        self.after_take(st, wake);
        n
    }

    /// Moves up to `max` items (at least one is queued) into `out` and
    /// counts them.
    #[inline]
    fn move_out(
        &self,
        st: &mut State<T>,
        out: &mut impl Extend<T>,
        max: usize,
        delivery: Delivery,
    ) -> usize {
        let n = max.max(1).min(st.queue.len());
        if n == 1 {
            out.extend(st.queue.pop_front());
        } else {
            out.extend(st.queue.drain(..n));
        }
        st.received += n as u64;
        if delivery == Delivery::Job {
            // Only written under the lock: no RMW needed.
            let handed = self.track.handed.load(Ordering::Relaxed);
            let handed = handed.wrapping_add(n) & !JOINING;
            self.track.handed.store(handed, Ordering::Release);
        }
        n
    }

    /// Grants the slots a take freed and wakes `join()` if it emptied the
    /// queue with no `Job` alive.
    fn after_take(&self, st: &mut State<T>, wake: &mut WakeList) {
        st.rebalance(wake);
        if st.queue.is_empty() && st.join_waiters.has_waiting() {
            st.wake_joiners_if_idle(self.live_jobs(), wake);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn dropped_recv_registrations_leave_no_storage() {
        let chan = Chan::<u32>::new(Some(4));
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100_000 {
            let mut key = None;
            let mut out = Vec::new();
            assert!(
                chan.poll_recv_into(&mut key, &mut out, 1, Delivery::Done, &mut cx)
                    .is_pending()
            );
            chan.cancel_recv(key.unwrap());
        }
        assert_eq!(chan.lock().recv_waiters.allocated(), 1);
        let keys: Vec<_> = (0..100_000)
            .map(|_| {
                let mut key = None;
                let mut out = Vec::new();
                assert!(
                    chan.poll_recv_into(&mut key, &mut out, 1, Delivery::Done, &mut cx)
                        .is_pending()
                );
                key.unwrap()
            })
            .collect();
        for k in keys {
            chan.cancel_recv(k);
        }
        let st = chan.lock();
        assert_eq!(st.recv_waiters.allocated(), 0);
        assert_eq!(st.recv_waiters.in_use(), 0);
        assert_eq!(st.recv_notified, 0);
    }
}
