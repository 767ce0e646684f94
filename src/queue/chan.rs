//! The shared state behind every handle: one lock around the items, the
//! counters and the waiter lists.
//!
//! Every operation takes the lock once, changes the state, restores the
//! invariants below with [`State::rebalance`], collects the wakers to wake and
//! wakes them after unlocking. The common `send` and receive (nobody to
//! wake, no registration) skip the wake list and restore only what they can
//! have broken. Because each waiter checks and registers under
//! the same lock that producers and consumers use to change the state, a
//! wakeup cannot fall between a waiter's check and its registration.

use std::collections::VecDeque;
use std::task::{Context, Poll, ready};

use super::error::TrySendError;
use super::stats::QueueStats;
use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering, lock};
use crate::waiters::{SlotState, WaiterList, WakeList};

/// Where a receive registration lives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RecvBy {
    /// A receiving future (`recv`, `recv_job`, ...), which withdraws its
    /// registration when dropped: `recv_waiters`.
    Future,
    /// A `Receiver` polled as a `Stream`: `stream_waiters`.
    Stream,
}

/// Everything the lock protects.
///
/// Invariants, true whenever the lock is released:
/// - I1 (senders): if `send_waiters` has a parked waiter, the queue is open
///   and has no free slot (`queue.len() + reserved == capacity`).
/// - I2 (receivers): if `recv_waiters` or `stream_waiters` has a parked
///   waiter, the queue is open or a reserved slot is outstanding (see
///   [`State::drained`]), and every queued item is already promised to a
///   woken receiving future (`recv_notified >= queue.len()`).
///
/// So nobody sleeps while there is something they could do, and a woken
/// waiter that stalls (is neither polled nor dropped) holds no slot and no
/// item: the next item or slot goes to the next waiter.
pub(crate) struct State<T> {
    /// Accepted items, oldest first.
    pub(crate) queue: VecDeque<T>,
    /// Maximum of `queue.len() + reserved`; `None` for unbounded.
    pub(crate) capacity: Option<usize>,
    /// Slots held by granted [`Permit`](super::Permit)s (and by `Notified`
    /// reserve waiters that have not collected theirs yet).
    pub(crate) reserved: usize,
    /// Set once, never cleared.
    pub(crate) closed: bool,
    /// Live `Sender` handles; the last one dropping closes the queue.
    pub(crate) senders: usize,
    /// Live `Receiver` handles; the last one dropping closes the queue.
    pub(crate) receivers: usize,
    /// Blocked `send`s (holding their item) and `reserve`s (holding `None`),
    /// served FIFO: the head gets the next free slot, its item moved straight
    /// into the queue.
    pub(crate) send_waiters: WaiterList<T>,
    /// Blocked receiving futures, served FIFO.
    pub(crate) recv_waiters: WaiterList<()>,
    /// Receiving futures woken by an item (or close) that have not yet
    /// polled or dropped their registration.
    pub(crate) recv_notified: usize,
    /// Registrations of receivers polled as a `Stream`. A `next()` future
    /// can be dropped without the handle noticing, leaving its registration
    /// behind, so their wakeups are never promises: an item that no parked
    /// receiving future is woken for wakes all of them, and they do not
    /// count in `recv_notified`.
    pub(crate) stream_waiters: WaiterList<()>,
    /// `closed()` futures, all woken on close.
    pub(crate) close_waiters: WaiterList<()>,
    /// `join()` futures, all woken when the queue is empty and no `Job` is
    /// alive. [`JOINING`] is set while it holds any registration.
    pub(crate) join_waiters: WaiterList<()>,
    /// Items ever queued (see [`QueueStats`]); plain counters, as the lock
    /// is held wherever they change.
    pub(crate) sent: u64,
    /// Items ever taken out by receivers (`shutdown` does not count).
    pub(crate) received: u64,
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

/// What a registration in `send_waiters` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendKind {
    /// Room for the item it holds (`send`).
    Item,
    /// A slot to hold in a `Permit` (`reserve`); it holds no item.
    Reserve,
}

/// What a registration in `close_waiters` or `join_waiters` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// The queue closing (`closed()`), in `close_waiters`.
    Closed,
    /// The queue empty with no `Job` alive (`join()`), in `join_waiters`.
    Join,
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

/// The work-tracking counters (see [`Chan`]). Both count modulo `2^63`
/// (`2^63` jobs cannot be handed out in practice).
///
/// No lost `join()` wakeup: a joiner sets [`JOINING`] and reads `finished`
/// in one RMW under the lock, where `handed` cannot change, and registers
/// only if `handed != finished`. A `Job` drop increments `finished` in one
/// RMW; the drop that makes `finished` reach `handed` comes after the
/// joiner's RMW in that location's order (or the joiner would have seen it),
/// so it sees the flag. It then reads `handed`, which is at least its new
/// `finished` (every counted job's handing happens before its drop, and the
/// drop synchronizes with the earlier drops through the RMW chain), and if
/// they are equal locks and re-checks. A `handed` that grew meanwhile means
/// a new live job, whose own drop will check again.
struct Tracking {
    /// Jobs handed out so far. Written only under the lock, with a plain
    /// load and store; read without the lock by a finishing `Job`.
    handed: AtomicUsize,
    /// Jobs finished so far, plus the [`JOINING`] flag while `join()`
    /// futures are registered.
    finished: AtomicUsize,
}

/// Flag bit of [`Tracking::finished`]: some `join()` is registered.
const JOINING: usize = 1 << (usize::BITS - 1);

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

    // ---- senders -------------------------------------------------------

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
        let budget = ready!(Budget::take(cx));
        let mut st = self.lock();
        let poll = Self::poll_send_locked(&mut st, key, item, kind, cx);
        // Only an accepted item can leave I2 to restore.
        if st.receivers_to_wake() {
            Self::wake_receivers_and_unlock(st);
        } else {
            drop(st);
        }
        budget.spent_if(poll.is_ready());
        poll
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
                        st.sent += 1;
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
    fn wake_receivers_and_unlock(mut st: MutexGuard<'_, State<T>>) {
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
            st.sent += 1;
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

    // ---- receivers -----------------------------------------------------

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
        let budget = ready!(Budget::take(cx));
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
        let mut wake = WakeList::new();
        let poll = self.poll_recv_locked(&mut st, &mut wake, how, key, out, cx);
        drop(st);
        wake.wake();
        budget.spent_if(poll.is_ready());
        poll
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
    fn after_take_and_unlock(&self, mut st: MutexGuard<'_, State<T>>) {
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

    // ---- closing, tracking ---------------------------------------------

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

    /// Number of accepted items not finished yet.
    pub(crate) fn unfinished(&self) -> usize {
        let st = self.lock();
        st.queue.len() + self.live_jobs()
    }

    /// Live `Job`s. Exact under the lock, up to drops still in flight
    /// (whose `finish_job` re-checks).
    fn live_jobs(&self) -> usize {
        let finished = self.track.finished.load(Ordering::Acquire);
        Self::live(self.track.handed.load(Ordering::Acquire), finished)
    }

    fn live(handed: usize, finished: usize) -> usize {
        handed.wrapping_sub(finished) & !JOINING
    }

    /// Marks one handed-out `Job` done.
    pub(crate) fn finish_job(&self) {
        let prev = self.track.finished.fetch_add(1, Ordering::AcqRel);
        if prev & JOINING == 0 {
            return;
        }
        let handed = self.track.handed.load(Ordering::Acquire);
        if Self::live(handed, prev.wrapping_add(1)) == 0 {
            self.with(|st, wake| st.wake_joiners_if_idle(self.live_jobs(), wake));
        }
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

    /// Polls a `closed()` or a `join()`.
    pub(crate) fn poll_event(
        &self,
        key: &mut Option<usize>,
        kind: EventKind,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let mut st = self.lock();
        let st = &mut *st;
        let done = match kind {
            EventKind::Join => {
                let jobs = if key.is_none() {
                    // Set the flag and read the count in one step (see
                    // `Tracking`).
                    let finished = self.track.finished.fetch_or(JOINING, Ordering::AcqRel);
                    Self::live(self.track.handed.load(Ordering::Relaxed), finished)
                } else {
                    self.live_jobs()
                };
                st.queue.is_empty() && jobs == 0
            }
            EventKind::Closed => st.closed,
        };
        let list = match kind {
            EventKind::Join => &mut st.join_waiters,
            EventKind::Closed => &mut st.close_waiters,
        };
        if let Some(k) = *key {
            if !done && list.state(k) == SlotState::Waiting {
                list.set_waker(k, cx.waker());
                return Poll::Pending;
            }
            *key = None;
            list.remove(k);
        } else if !done {
            *key = Some(list.push_back(cx.waker(), None));
            return Poll::Pending;
        }
        if kind == EventKind::Join {
            self.leave_join(st);
        }
        Poll::Ready(())
    }

    /// Clears [`JOINING`] once no join registration is left.
    fn leave_join(&self, st: &mut State<T>) {
        if st.join_waiters.in_use() == 0 {
            self.track.finished.fetch_and(!JOINING, Ordering::AcqRel);
        }
    }

    pub(crate) fn cancel_event(&self, key: usize, kind: EventKind) {
        let mut st = self.lock();
        match kind {
            EventKind::Join => {
                st.join_waiters.remove(key);
                self.leave_join(&mut st);
            }
            EventKind::Closed => {
                st.close_waiters.remove(key);
            }
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

/// One unit of tokio's cooperative budget, taken before the lock by every
/// `send`, `reserve` and receive, so that a task that always finds items (or
/// space) still yields to the runtime now and then (as `tokio::sync::mpsc`
/// does). Out of budget, [`Budget::take`] is `Pending` and has the runtime
/// poll the task again once its budget is refilled; the operation has not
/// looked at the queue, so it has changed nothing (a registration keeps its
/// place and a wakeup it was given). Outside a tokio runtime the budget is
/// unlimited.
///
/// Taken outside the lock: it reads a thread-local and may hand the task's
/// waker to the runtime, which must not happen under the lock.
struct Budget(tokio::task::coop::RestoreOnPending);

impl Budget {
    #[inline]
    fn take(cx: &mut Context<'_>) -> Poll<Self> {
        tokio::task::coop::poll_proceed(cx).map(Budget)
    }

    /// Keeps the unit spent if the operation completed; one that parks
    /// gives it back (it yields anyway).
    #[inline]
    fn spent_if(self, completed: bool) {
        if completed {
            self.0.made_progress();
        }
    }
}

impl<T> State<T> {
    pub(crate) fn has_space(&self) -> bool {
        match self.capacity {
            None => true,
            Some(cap) => self.queue.len() + self.reserved < cap,
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        !self.has_space()
    }

    /// Queues an accepted item. The caller checked `has_space`, so I1 holds;
    /// only I2 may need a receiver woken.
    fn accept(&mut self, item: T, wake: &mut WakeList) {
        self.queue.push_back(item);
        self.sent += 1;
        self.wake_receivers(wake);
    }

    /// Restores I1 (grant free slots to parked senders, FIFO) and I2.
    /// Inlined: with nobody parked it is a few loads and compares.
    #[inline]
    fn rebalance(&mut self, wake: &mut WakeList) {
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
                    self.sent += 1;
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

    fn recv_list(&mut self, by: RecvBy) -> &mut WaiterList<()> {
        match by {
            RecvBy::Future => &mut self.recv_waiters,
            RecvBy::Stream => &mut self.stream_waiters,
        }
    }

    /// Frees a receive registration; a future's that had been woken gives
    /// its wakeup back (the caller's `rebalance` passes it on if still
    /// needed).
    fn remove_recv(&mut self, key: usize, by: RecvBy) {
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
    fn receivers_to_wake(&self) -> bool {
        self.recv_notified < self.queue.len()
            && (self.recv_waiters.has_waiting() || self.stream_waiters.has_waiting())
    }

    #[inline(never)]
    fn wake_receivers_slow(&mut self, wake: &mut WakeList) {
        while self.recv_notified < self.queue.len() {
            if self.recv_waiters.notify_front(wake).is_none() {
                self.stream_waiters.notify_all(SlotState::Notified, wake);
                break;
            }
            self.recv_notified += 1;
        }
    }

    /// Wakes every `join()` if nothing is unfinished (`jobs` live jobs).
    fn wake_joiners_if_idle(&mut self, jobs: usize, wake: &mut WakeList) {
        if jobs == 0 && self.queue.is_empty() {
            self.join_waiters.notify_all(SlotState::Notified, wake);
        }
    }

    fn close(&mut self, wake: &mut WakeList) -> bool {
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
