//! Work tracking: the counters of live `Job`s, kept outside the lock, and
//! the `closed()` / `join()` registrations. Owns the protocol by which a
//! `join()` cannot miss the drop of the last live `Job` (see [`Tracking`]).

use std::task::{Context, Poll};

use super::{Chan, State};
use crate::loom::{AtomicUsize, Ordering};
use crate::waiters::SlotState;

/// What a registration in `close_waiters` or `join_waiters` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// The queue closing (`closed()`), in `close_waiters`.
    Closed,
    /// The queue empty with no `Job` alive (`join()`), in `join_waiters`.
    Join,
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
pub(super) struct Tracking {
    /// Jobs handed out so far. Written only under the lock, with a plain
    /// load and store; read without the lock by a finishing `Job`.
    pub(super) handed: AtomicUsize,
    /// Jobs finished so far, plus the [`JOINING`] flag while `join()`
    /// futures are registered.
    pub(super) finished: AtomicUsize,
}

/// Flag bit of [`Tracking::finished`]: some `join()` is registered.
pub(super) const JOINING: usize = 1 << (usize::BITS - 1);

impl<T> Chan<T> {
    /// Number of accepted items not finished yet.
    pub(crate) fn unfinished(&self) -> usize {
        let st = self.lock();
        st.queue.len() + self.live_jobs()
    }

    /// Live `Job`s. Exact under the lock, up to drops still in flight
    /// (whose `finish_job` re-checks).
    pub(super) fn live_jobs(&self) -> usize {
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
}
