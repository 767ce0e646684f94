//! The line of queued acquirers: a FIFO [`WaiterList`], served in order by
//! whoever comes to it first.
//!
//! Serving is not left to the head alone. Every poll of a queued waiter,
//! and every `try_acquire` that finds waiters, first grants, in order, the
//! permits of each waiter at the front whose turn is overdue by
//! [`Inner::STALL_GRACE`], whether or not that waiter's task is polling.
//! A granted waiter leaves the line (its permits wait for it in its slot),
//! so a head whose task stalls (neither polls nor drops its future) cannot
//! hold up the others. A head that keeps polling is served by its own
//! timer, within the grace, so waiters that keep polling keep their order
//! and their one wakeup per turn.
//!
//! Timers: the head runs one for the time its permits come due; every
//! waiter behind it runs a backup timer for when the whole line up to it
//! is due, plus the grace. While the line moves, each waiter is woken as
//! the new head before its backup fires, so the backups do not fire; they
//! fire when the waiters ahead stall, and the waiter they wake serves those
//! ahead and then itself.

use std::task::Waker;

use super::gcra::Inner;
use crate::loom::Ordering;
use crate::waiters::{SlotState, WaiterList, WakeList};

/// What a queued waiter asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ask {
    /// Permits to take at once (at least 1).
    pub(crate) permits: u32,
    /// When it joined the line (nanos since origin): a lateness credit
    /// never reaches back before it.
    pub(crate) since: u64,
}

/// The waiting acquirers, oldest first.
pub(crate) type Line = WaiterList<Ask>;

/// A queued waiter's standing after a poll under the lock.
pub(crate) enum Turn {
    /// Its permits were taken; it has left the line.
    Granted,
    /// Still queued: poll again at this time (nanos since origin), or when
    /// woken.
    WaitUntil(u64),
}

impl Inner {
    /// How late a backup timer fires after the time a waiter's turn is due:
    /// one tick of tokio's timer, so that a head which keeps polling is
    /// served by its own timer first.
    pub(crate) const STALL_GRACE: u64 = 1_000_000;

    /// Serves the line at `now` on behalf of `me` (the polling waiter, if
    /// any): grants, in order, each waiter at the front whose permits the
    /// rate allows, and wakes it unless it is `me` (which finds out from its
    /// slot). A head other than `me` is served only once it is overdue by
    /// [`STALL_GRACE`](Self::STALL_GRACE): a head that keeps polling is
    /// served by its own timer, and its wakeups stay one per permit. If that
    /// uncovers a new head, wakes it too, to run the head's timer.
    ///
    /// Returns when `me` could be granted at the earliest if it is left at
    /// the head, or `None` if it is not the head.
    pub(crate) fn serve(
        &self,
        line: &mut Line,
        now: u64,
        me: Option<usize>,
        wake: &mut WakeList,
    ) -> Option<u64> {
        let mut moved = false;
        let due = loop {
            let Some(head) = line.front() else {
                break None;
            };
            let Some(&ask) = line.value(head) else {
                unreachable!("a queued waiter keeps its ask until it leaves")
            };
            let own = Some(head) == me;
            let at = if own {
                now
            } else {
                now.saturating_sub(Self::STALL_GRACE)
            };
            // Credit the lateness (up to one timer tick), so that the rate
            // is kept exactly (see `try_take_as_of`); no more, also for a
            // stalled head: its permits count from when it is served, so
            // that waiters whose tasks all ran late (a busy runtime) do not
            // come back with a burst.
            let arrival = ask.since.max(at.saturating_sub(Self::LATENESS_CREDIT));
            if arrival > at {
                // Joined within the grace: not overdue.
                break None;
            }
            match self.try_take_as_of(ask.permits, arrival, at) {
                Ok(()) => {
                    if let Some((key, waker)) = line.serve_front() {
                        if let Some(w) = waker.filter(|_| Some(key) != me) {
                            wake.push(w);
                        }
                    }
                    self.queued
                        .fetch_sub(u64::from(ask.permits), Ordering::Release);
                    moved = true;
                }
                Err(earliest) => break own.then_some(earliest),
            }
        };
        if moved && line.front() != me {
            line.wake_front(wake);
        }
        due
    }

    /// Joins the line at the back.
    pub(crate) fn enqueue(&self, line: &mut Line, permits: u32, now: u64, waker: &Waker) -> usize {
        self.queued.fetch_add(u64::from(permits), Ordering::Release);
        line.push_back(
            waker,
            Some(Ask {
                permits,
                since: now,
            }),
        )
    }

    /// Serves the line, then reports where the queued waiter `key` stands.
    /// A granted waiter's slot is freed here.
    pub(crate) fn turn(
        &self,
        line: &mut Line,
        key: usize,
        waker: &Waker,
        wake: &mut WakeList,
    ) -> Turn {
        let now = self.now();
        let due = self.serve(line, now, Some(key), wake);
        if line.state(key) != SlotState::Waiting {
            line.remove(key);
            return Turn::Granted;
        }
        line.set_waker(key, waker);
        match due {
            Some(due) => Turn::WaitUntil(due),
            // Behind the head: a backup timer for when the line up to and
            // including this waiter is due (the whole line is, at the
            // latest), plus the grace; always in the future, so the timer
            // cannot spin.
            None => Turn::WaitUntil(
                self.earliest_behind_queue(0, now)
                    .saturating_add(Self::STALL_GRACE),
            ),
        }
    }

    /// Leaves the line (a dropped waiter). A waiter that was granted but
    /// never collected leaves its permits spent; a waiting head hands its
    /// duty on to the next waiter.
    pub(crate) fn leave(&self, line: &mut Line, key: usize, wake: &mut WakeList) {
        let waiting = line.state(key) == SlotState::Waiting;
        let was_head = line.front() == Some(key);
        if let Some(ask) = line.remove(key).filter(|_| waiting) {
            self.queued
                .fetch_sub(u64::from(ask.permits), Ordering::Release);
        }
        if was_head {
            line.wake_front(wake);
        }
    }

    /// `try_acquire` with waiters queued: serves the line first, so that a
    /// stalled head cannot refuse it for good, then takes a permit only if
    /// nobody is left waiting.
    #[cold]
    pub(crate) fn try_take_behind_line(&self, now: u64) -> Result<(), u64> {
        let mut wake = WakeList::new();
        let r = {
            let mut line = crate::loom::lock(&self.line);
            self.serve(&mut line, now, None, &mut wake);
            if line.has_waiting() {
                Err(self.earliest_behind_queue(1, now))
            } else {
                self.try_take_one(now)
            }
        };
        wake.wake();
        r
    }
}
