//! tokio's cooperative budget for the queue's operations: a task that
//! never has to wait still yields now and then.

use std::task::{Context, Poll};

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
pub(super) struct Budget(tokio::task::coop::RestoreOnPending);

impl Budget {
    #[inline]
    pub(super) fn take(cx: &mut Context<'_>) -> Poll<Self> {
        tokio::task::coop::poll_proceed(cx).map(Budget)
    }

    /// Keeps the unit spent if the operation completed; one that parks
    /// gives it back (it yields anyway).
    #[inline]
    pub(super) fn spent_if(self, completed: bool) {
        if completed {
            self.0.made_progress();
        }
    }
}
