//! The crate's one way to create and poll a tokio timer: created lazily, and
//! polled under one cooperative-budget policy.
//!
//! # The budget policy
//!
//! Tokio gives each task a budget of operations per poll; a `Sleep` polled
//! when the budget is spent reports `Pending` (and asks to be polled again)
//! even if its deadline has passed. Every timer here guards some inner work
//! polled first in the same poll (the future under a timeout, a channel
//! operation, an input stream, a retry attempt). If that inner work spent
//! the last of the budget, a plainly polled timer would stay `Pending` for
//! that reason alone, and inner work that is always busy would outlive its
//! deadline forever. So the timer is polled outside the budget exactly when
//! the inner work of this poll exhausted it, and under it otherwise.
//!
//! Why not always outside the budget: a loop that keeps creating guards
//! whose deadline has already passed, around work that is never ready (a
//! `loop` of `timeout_at(past, rx.recv())` on an empty queue), would then
//! get `Err` at once on every turn and never yield to the runtime; on a
//! current_thread runtime the task that should fill the queue would never
//! run. Polled under the budget, each expired timer spends a unit and such
//! a loop yields once the budget is spent. This is also the policy of
//! `tokio::time::timeout`. (Between retry attempts there is no inner work:
//! the backoff timer is polled under the budget.)

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep, sleep_until};

/// Whether the task had cooperative budget left before the inner work of
/// one poll. Take it with [`CoopBudget::before_inner`] just before polling the
/// inner work, and hand it to [`poll_sleep`] or [`Timer`] after.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CoopBudget {
    had_some: bool,
}

impl CoopBudget {
    /// The budget as it stands now, before the inner work is polled.
    pub(crate) fn before_inner() -> Self {
        Self {
            had_some: tokio::task::coop::has_budget_remaining(),
        }
    }

    /// A budget not read: the timer is polled under the budget. For callers
    /// whose timer is polled without inner work before it.
    pub(crate) const fn untracked() -> Self {
        Self { had_some: false }
    }

    /// True when the inner work polled since [`before_inner`](Self::before_inner)
    /// spent the last of the budget.
    fn spent_by_inner(self) -> bool {
        self.had_some && !tokio::task::coop::has_budget_remaining()
    }
}

/// Polls `sleep` under the crate's budget policy (see the module docs).
pub(crate) fn poll_sleep(
    sleep: Pin<&mut Sleep>,
    budget: CoopBudget,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if budget.spent_by_inner() {
        pin!(tokio::task::coop::unconstrained(sleep)).poll(cx)
    } else {
        sleep.poll(cx)
    }
}

pin_project! {
    /// A deadline timer whose tokio `Sleep` is created on the first poll
    /// that needs it, so that an operation that completes at once never
    /// touches the timer wheel, and reset in place afterwards.
    #[derive(Debug)]
    pub(crate) struct Timer {
        // Invariant: `Some` from the first `arm`/`poll_until` on, set to the
        // last deadline given.
        #[pin]
        sleep: Option<Sleep>,
        // Whether `poll` may fire: `disarm` keeps the `Sleep` for reuse.
        armed: bool,
    }
}

impl Timer {
    /// A timer not armed yet; it creates nothing.
    pub(crate) const fn new() -> Self {
        Self {
            sleep: None,
            armed: false,
        }
    }

    /// Whether the timer is armed (it fires once its deadline passes).
    pub(crate) fn is_armed(&self) -> bool {
        self.armed
    }

    /// Arms the timer for `deadline`, creating the `Sleep` on first use.
    pub(crate) fn arm(self: Pin<&mut Self>, deadline: Instant) {
        let mut this = self.project();
        *this.armed = true;
        match this.sleep.as_mut().as_pin_mut() {
            // Re-registering with the timer wheel costs a lock: skip it when
            // the deadline is unchanged (a waiter polled again early).
            Some(sleep) if sleep.deadline() == deadline => {}
            Some(sleep) => sleep.reset(deadline),
            None => this.sleep.set(Some(sleep_until(deadline))),
        }
    }

    /// Disarms the timer: it stays pending until armed again.
    pub(crate) fn disarm(self: Pin<&mut Self>) {
        *self.project().armed = false;
    }

    /// `Ready` once the armed deadline has passed; `Pending` (with no wakeup
    /// registered) while the timer is not armed.
    pub(crate) fn poll_expired(
        self: Pin<&mut Self>,
        budget: CoopBudget,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let this = self.project();
        match this.sleep.as_pin_mut() {
            Some(sleep) if *this.armed => poll_sleep(sleep, budget, cx),
            _ => Poll::Pending,
        }
    }

    /// Arms the timer for `deadline` if it is not armed yet, then polls it.
    /// For a fixed deadline set by the caller: the `Sleep` is created only
    /// when the operation first has to wait.
    pub(crate) fn poll_until(
        mut self: Pin<&mut Self>,
        deadline: Instant,
        budget: CoopBudget,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        if !self.armed {
            self.as_mut().arm(deadline);
        }
        self.poll_expired(budget, cx)
    }
}
