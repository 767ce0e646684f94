//! The methods of [`State`] that restore its invariants I1 (senders) and I2
//! (receivers), stated on [`State`], after a change: [`State::rebalance`]
//! and the pieces it is made of, and [`State::close`].
//!
//! `State` itself is defined in the parent module, beside `Chan`: generic
//! methods are compiled in the codegen unit of their self type's module, so
//! this keeps `State`'s methods in the same unit as `Chan`'s callers, where
//! the non-`#[inline]` ones could be inlined before the split.

use super::State;
use super::recv::RecvBy;
use crate::waiters::{SlotState, WaiterList, WakeList};

impl<T> State<T> {
    pub(crate) fn has_space(&self) -> bool {
        self.queue.len() + self.reserved < self.limit
    }

    pub(crate) fn is_full(&self) -> bool {
        !self.has_space()
    }

    /// Queues an accepted item. The caller checked `has_space`, so I1 holds;
    /// only I2 may need a receiver woken.
    pub(super) fn accept(&mut self, item: T, wake: &mut WakeList) {
        self.queue.push_back(item);
        self.wake_receivers(wake);
    }

    /// Restores I1 (grant free slots to parked senders, FIFO) and I2.
    /// Inlined: with nobody parked it is a few loads and compares.
    #[inline]
    pub(super) fn rebalance(&mut self, wake: &mut WakeList) {
        if self.send_waiters.has_waiting() && self.has_space() {
            self.grant_slots(wake);
        }
        self.wake_receivers(wake);
        if self.closed && self.reserved == 0 && self.recv_waiters.has_waiting() {
            // The last outstanding permit after close was used or given
            // back: receivers parked for its item are done (or get it).
            self.recv_notified += self.recv_waiters.notify_all(SlotState::Notified, wake);
            self.stream_waiters.notify_all(SlotState::Notified, wake);
        }
    }

    /// Grants free slots to parked senders, FIFO (the slow half of I1).
    #[inline(never)]
    fn grant_slots(&mut self, wake: &mut WakeList) {
        while self.has_space() {
            let Some(k) = self.send_waiters.notify_front(wake) else {
                break;
            };
            match self.send_waiters.take_value(k) {
                Some(item) => {
                    self.queue.push_back(item);
                }
                None => self.reserved += 1,
            }
        }
    }

    /// Closed, empty, and no reserved slot that a `Permit` (which cannot
    /// fail) may still fill: receivers get `RecvError`. A permit's item
    /// queued after close is drained like any other, never stranded.
    pub(crate) fn drained(&self) -> bool {
        self.closed && self.queue.is_empty() && self.reserved == 0
    }

    pub(super) fn recv_list_ref(&self, by: RecvBy) -> &WaiterList<()> {
        match by {
            RecvBy::Future => &self.recv_waiters,
            RecvBy::Stream => &self.stream_waiters,
        }
    }

    pub(super) fn recv_list(&mut self, by: RecvBy) -> &mut WaiterList<()> {
        match by {
            RecvBy::Future => &mut self.recv_waiters,
            RecvBy::Stream => &mut self.stream_waiters,
        }
    }

    /// Frees a receive registration; a future's that had been woken gives
    /// its wakeup back (the caller's `rebalance` passes it on if still
    /// needed).
    pub(super) fn remove_recv(&mut self, key: usize, by: RecvBy) {
        let list = self.recv_list(by);
        let woken = list.state(key) != SlotState::Waiting;
        list.remove(key);
        if woken && by == RecvBy::Future {
            self.recv_notified -= 1;
        }
    }

    /// Restores I2: wakes parked receiving futures until every queued item
    /// has one, and every `Stream` registration if they do not suffice.
    #[inline]
    fn wake_receivers(&mut self, wake: &mut WakeList) {
        if self.receivers_to_wake() {
            self.wake_receivers_slow(wake);
        }
    }

    /// Whether I2 needs a receiver woken.
    #[inline]
    pub(super) fn receivers_to_wake(&self) -> bool {
        self.recv_notified < self.queue.len()
            && (self.recv_waiters.has_waiting() || self.stream_waiters.has_waiting())
    }

    #[inline(never)]
    pub(super) fn wake_receivers_slow(&mut self, wake: &mut WakeList) {
        while self.recv_notified < self.queue.len() {
            if self.recv_waiters.notify_front(wake).is_none() {
                self.stream_waiters.notify_all(SlotState::Notified, wake);
                break;
            }
            self.recv_notified += 1;
        }
    }

    /// Wakes every `join()` if nothing is unfinished (`jobs` live jobs).
    pub(super) fn wake_joiners_if_idle(&mut self, jobs: usize, wake: &mut WakeList) {
        if jobs == 0 && self.queue.is_empty() {
            self.join_waiters.notify_all(SlotState::Notified, wake);
        }
    }

    pub(super) fn close(&mut self, wake: &mut WakeList) -> bool {
        if self.closed {
            return false;
        }
        self.closed = true;
        // Parked senders keep their items in their slots and take them back.
        self.send_waiters.notify_all(SlotState::Closed, wake);
        self.recv_notified += self.recv_waiters.notify_all(SlotState::Notified, wake);
        self.stream_waiters.notify_all(SlotState::Notified, wake);
        self.close_waiters.notify_all(SlotState::Notified, wake);
        true
    }
}
