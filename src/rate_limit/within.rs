//! [`AcquireWithin`]: a permit under the ambient deadline, refused at once
//! when it cannot come in time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::{Acquire, RateLimiter};
use crate::timeout::{Deadline, Elapsed, Scope};

pin_project! {
    /// The future returned by [`RateLimiter::acquire_within`].
    ///
    /// Resolves to `Result<(), Elapsed>`.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct AcquireWithin<'a> {
        limiter: &'a RateLimiter,
        // `None` until the first poll finds no permit free and the earliest
        // one due within the ambient deadline; then the queued wait, guarded
        // by that deadline (others may still be ahead of it, or the limiter
        // may be paused meanwhile).
        #[pin]
        waiting: Option<Scope<Acquire<'a>>>,
    }
}

impl<'a> AcquireWithin<'a> {
    pub(super) fn new(limiter: &'a RateLimiter) -> Self {
        Self {
            limiter,
            waiting: None,
        }
    }
}

impl Future for AcquireWithin<'_> {
    type Output = Result<(), Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.waiting.is_none() {
            let deadline = Deadline::current();
            let not_until = match this.limiter.take_now() {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(not_until) => not_until,
            };
            // `earliest` already counts the waiters queued ahead, so a
            // permit it puts past the deadline can never come in time.
            if deadline
                .instant()
                .is_some_and(|at| not_until.earliest() > at)
            {
                this.limiter.inner.count_refused();
                return Poll::Ready(Err(Elapsed::new(deadline.remaining())));
            }
            this.waiting
                .set(Some(deadline.scope(this.limiter.acquire())));
        }
        match this.waiting.as_pin_mut() {
            Some(waiting) => waiting.poll(cx),
            None => unreachable!("set above"),
        }
    }
}

impl fmt::Debug for AcquireWithin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireWithin")
            .field("limiter", self.limiter)
            .field("queued", &self.waiting.is_some())
            .finish()
    }
}
