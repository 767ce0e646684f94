//! tokio's cooperative budget for the queue's operations: a task that
//! never has to wait still yields now and then.

use std::task::{Context, Poll, Waker};

use tokio::task::coop;

/// One unit of tokio's cooperative budget.
///
/// Every receive that completes, and every `send` and `reserve` on a
/// bounded queue, spends a unit, so that a task that always finds items (or
/// space) still yields to the runtime now and then, as `tokio::sync::mpsc`
/// does. Sends on an unbounded queue never wait and spend nothing, as
/// tokio's `UnboundedSender::send`. An operation that parks
/// spends nothing (the unit is given back). One that finds the task's
/// budget used up checks under the lock whether it would complete: if so it
/// changes nothing and [yields](Budget::yield_now) (a registration keeps its
/// place and a wakeup it was given); if it would park, it parks, as parking
/// yields anyway. So a consumer that empties the queue parks at once,
/// instead of yielding first and parking on its next poll. Outside a tokio
/// runtime the budget is unlimited.
///
/// Taken outside the lock: it reads a thread-local, and handing the task's
/// waker to the runtime (which may wake a worker thread) must not happen
/// under the lock.
pub(super) struct Budget(coop::RestoreOnPending);

impl Budget {
    /// Takes a unit, or `Pending` if the task has none left. `Pending`
    /// registers nothing: the runtime is handed a no-op waker, not the
    /// task's, as whether the task yields or parks is decided later under
    /// the lock ([`yield_now`](Self::yield_now) registers it).
    #[inline]
    pub(super) fn take() -> Poll<Self> {
        coop::poll_proceed(&mut Context::from_waker(Waker::noop())).map(Budget)
    }

    /// Yields instead of completing: has the runtime poll the task again
    /// once its budget is refilled. Call after unlocking.
    #[cold]
    pub(super) fn yield_now<R>(cx: &mut Context<'_>) -> Poll<R> {
        if coop::poll_proceed(cx).is_ready() {
            // The budget was refilled meanwhile (it is not, within one
            // poll): yield all the same, waking at once.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
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
