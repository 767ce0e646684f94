//! The send side: `send`, `try_send`, `reserve` and permits. A sender
//! parks only when the queue is open and full (I1), and whoever frees a slot
//! grants it to the head of `send_waiters` under the lock.

use std::task::{Context, Poll};

use super::StateGuard;
use super::budget::Budget;
use super::{Chan, State};
use crate::queue::error::TrySendError;
use crate::waiters::{SlotState, WakeList};

/// What a registration in `send_waiters` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendKind {
    /// Room for the item it holds (`send`).
    Item,
    /// A slot to hold in a `Permit` (`reserve`); it holds no item.
    Reserve,
}

/// How a send registration stood when [`Chan::cancel_send`] withdrew it.
pub(crate) enum Withdrawn<T> {
    /// Served: its item is queued (or its slot was granted).
    Served,
    /// Still waiting for a slot; its item (`None` for a reserve) comes back.
    Waiting(Option<T>),
    /// The queue closed first; its item (`None` for a reserve) comes back.
    Closed(Option<T>),
}

impl<T> Chan<T> {
    pub(crate) fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.with(|st, wake| {
            if st.closed {
                Err(TrySendError::Closed(item))
            } else if st.has_space() {
                st.accept(item, wake);
                Ok(())
            } else {
                Err(TrySendError::Full(item))
            }
        })
    }

    /// Polls a `send` (`item` is `Some` until it is handed to the list) or a
    /// `reserve` (`item` is `None`). Ready(Ok) once the item is queued (or a
    /// slot reserved); Ready(Err(item)) if the queue closed first.
    pub(crate) fn poll_send(
        &self,
        key: &mut Option<usize>,
        item: &mut Option<T>,
        kind: SendKind,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Option<T>>> {
        if self.capacity.is_none() {
            // It never waits: like tokio's `UnboundedSender::send`, it
            // spends no budget.
            return self.poll_send_unbudgeted(key, item, kind, cx);
        }
        let Poll::Ready(budget) = Budget::take() else {
            return self.poll_send_out_of_budget(key, item, kind, cx);
        };
        let poll = self.poll_send_unbudgeted(key, item, kind, cx);
        budget.spent_if(poll.is_ready());
        poll
    }

    /// [`poll_send`](Self::poll_send) past the budget: under the lock, then
    /// wakes the receivers an accepted item is for.
    #[inline]
    fn poll_send_unbudgeted(
        &self,
        key: &mut Option<usize>,
        item: &mut Option<T>,
        kind: SendKind,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Option<T>>> {
        let mut st = self.lock();
        let poll = Self::poll_send_locked(&mut st, key, item, kind, cx);
        // Only an accepted item can leave I2 to restore.
        if st.receivers_to_wake() {
            Self::wake_receivers_and_unlock(st);
        } else {
            drop(st);
        }
        poll
    }

    /// [`poll_send`](Self::poll_send) with the task's budget used up:
    /// yields if the send would complete, parks (or stays parked) if not.
    #[cold]
    #[inline(never)]
    fn poll_send_out_of_budget(
        &self,
        key: &mut Option<usize>,
        item: &mut Option<T>,
        kind: SendKind,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Option<T>>> {
        let mut st = self.lock();
        if Self::send_would_complete(&st, *key) {
            drop(st);
            return Budget::yield_now(cx);
        }
        // Parking changes no item, slot or wakeup: nothing to restore.
        Self::poll_send_locked(&mut st, key, item, kind, cx)
    }

    /// Whether [`poll_send_locked`](Self::poll_send_locked) would return
    /// `Ready` rather than park (or stay parked).
    fn send_would_complete(st: &State<T>, key: Option<usize>) -> bool {
        match key {
            Some(k) => st.send_waiters.state(k) != SlotState::Waiting,
            None => st.closed || st.has_space(),
        }
    }

    fn poll_send_locked(
        st: &mut State<T>,
        key: &mut Option<usize>,
        item: &mut Option<T>,
        kind: SendKind,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Option<T>>> {
        if let Some(k) = *key {
            let state = st.send_waiters.state(k);
            if state == SlotState::Waiting {
                st.send_waiters.set_waker(k, cx.waker());
                return Poll::Pending;
            }
            *key = None;
            return if state == SlotState::Notified {
                st.send_waiters.remove(k);
                Poll::Ready(Ok(()))
            } else {
                Poll::Ready(Err(st.send_waiters.remove(k)))
            };
        }
        if st.closed {
            return Poll::Ready(Err(item.take()));
        }
        if st.has_space() {
            match kind {
                SendKind::Reserve => st.reserved += 1,
                SendKind::Item => {
                    if let Some(v) = item.take() {
                        st.queue.push_back(v);
                    }
                }
            }
            return Poll::Ready(Ok(()));
        }
        // I1: no free slot, so parking cannot miss one; whoever frees a
        // slot grants it to the head of `send_waiters` under this lock.
        *key = Some(st.send_waiters.push_back(cx.waker(), item.take()));
        Poll::Pending
    }

    /// Restores I2 after items were queued, waking after unlocking.
    #[inline(never)]
    fn wake_receivers_and_unlock(mut st: StateGuard<'_, T>) {
        let mut wake = WakeList::new();
        st.wake_receivers_slow(&mut wake);
        drop(st);
        wake.wake();
    }

    /// Withdraws a send/reserve registration (drop or timeout). A granted
    /// reserve gives its slot on to the next waiter; an unserved send's item
    /// comes back for the caller to drop or return outside the lock.
    pub(crate) fn cancel_send(&self, key: usize, kind: SendKind) -> Withdrawn<T> {
        self.with(|st, wake| match st.send_waiters.state(key) {
            SlotState::Notified => {
                st.send_waiters.remove(key);
                if kind == SendKind::Reserve {
                    st.reserved -= 1;
                    st.rebalance(wake);
                }
                Withdrawn::Served
            }
            SlotState::Closed => Withdrawn::Closed(st.send_waiters.remove(key)),
            _ => Withdrawn::Waiting(st.send_waiters.remove(key)),
        })
    }

    /// Sends through a permit's reserved slot.
    pub(crate) fn send_reserved(&self, item: T) {
        self.with(|st, wake| {
            st.reserved -= 1;
            st.queue.push_back(item);
            st.rebalance(wake);
        });
    }

    /// Gives back an unused permit's slot.
    pub(crate) fn release_reserved(&self) {
        self.with(|st, wake| {
            st.reserved -= 1;
            st.rebalance(wake);
        });
    }
}
