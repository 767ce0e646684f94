//! The futures returned by `acquire`, `acquire_n` and `acquire_owned`.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::timer::{CoopBudget, Timer};

use crate::waiters::WakeList;

use super::gcra::Inner;
use super::line::Turn;
use super::{InsufficientCapacity, RateLimiter};

/// A borrowed or owned handle on the shared state.
enum Handle<'a> {
    Borrowed(&'a Inner),
    Owned(Arc<Inner>),
}

impl Deref for Handle<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        match self {
            Handle::Borrowed(inner) => inner,
            Handle::Owned(inner) => inner,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not polled yet.
    Init,
    /// In the line under this key.
    Queued(usize),
    /// Got its permits (or failed); polling again returns the same result.
    Done,
}

/// One acquisition of `permits`: the non-generic core of every acquire
/// future. Dropping it while queued gives its place up.
struct Waiter<'a> {
    inner: Handle<'a>,
    permits: u32,
    state: State,
    /// When it joined the line (nanos since origin), for `stats()`.
    joined: u64,
}

impl<'a> Waiter<'a> {
    fn new(inner: Handle<'a>, permits: u32) -> Self {
        Self {
            inner,
            permits,
            state: State::Init,
            joined: 0,
        }
    }

    /// Fast path -> join the line -> serve it and wait for the turn.
    ///
    /// No wakeup is lost: every change to the line happens under its lock,
    /// and each queued waiter leaves every poll with a timer armed for a
    /// time at which serving the line will have moved it (its own turn as
    /// head; a backup behind the head). Whoever grants a waiter or uncovers
    /// a new head wakes it after unlocking; granted permits stay in the
    /// waiter's slot until it polls.
    fn poll(&mut self, mut timer: Pin<&mut Timer>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &*self.inner;
        match self.state {
            State::Done => return Poll::Ready(()),
            State::Queued(_) => {}
            State::Init => {
                // Lock-free fast path; never overtakes queued waiters.
                if !inner.has_waiters() && inner.try_take(self.permits, inner.now()).is_ok() {
                    inner.count_granted(self.permits);
                    self.state = State::Done;
                    return Poll::Ready(());
                }
            }
        }
        loop {
            let mut wake = WakeList::new();
            let turn = {
                let mut line = crate::loom::lock(&inner.line);
                let key = match self.state {
                    State::Queued(key) => key,
                    _ => {
                        self.joined = inner.now();
                        let key = inner.enqueue(&mut line, self.permits, self.joined, cx.waker());
                        self.state = State::Queued(key);
                        key
                    }
                };
                inner.turn(&mut line, key, cx.waker(), &mut wake)
            };
            wake.wake();
            match turn {
                Turn::Granted => {
                    inner.count_granted(self.permits);
                    inner
                        .counters
                        .granted_after(self.permits, inner.now().saturating_sub(self.joined));
                    self.state = State::Done;
                    timer.as_mut().disarm();
                    return Poll::Ready(());
                }
                Turn::WaitUntil(due) => {
                    timer.as_mut().arm(inner.instant(due));
                    // No inner work before it in this poll: polled under
                    // the budget.
                    if timer
                        .as_mut()
                        .poll_expired(CoopBudget::untracked(), cx)
                        .is_pending()
                    {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let State::Queued(key) = self.state {
            // Nothing was taken from the rate for a waiting waiter, so
            // leaving the line is all there is to give back.
            let mut wake = WakeList::new();
            self.inner
                .leave(&mut crate::loom::lock(&self.inner.line), key, &mut wake);
            wake.wake();
        }
    }
}

impl fmt::Debug for Waiter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("permits", &self.permits)
            .field("state", &self.state)
            .finish()
    }
}

pin_project! {
    /// The future of [`RateLimiter::acquire`]: resolves once one permit has
    /// been taken.
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct Acquire<'a> {
        waiter: Waiter<'a>,
        #[pin]
        timer: Timer,
    }
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(limiter: &'a RateLimiter) -> Self {
        Self {
            waiter: Waiter::new(Handle::Borrowed(&limiter.inner), 1),
            timer: Timer::new(),
        }
    }
}

impl Future for Acquire<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.waiter.poll(this.timer, cx)
    }
}

pin_project! {
    /// The future of [`RateLimiter::acquire_owned`]: like [`Acquire`], but
    /// owns a handle to the limiter, so it is `'static` (for spawned tasks
    /// and for streams that store it).
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct AcquireOwned {
        waiter: Waiter<'static>,
        #[pin]
        timer: Timer,
    }
}

impl AcquireOwned {
    pub(crate) fn new(limiter: RateLimiter) -> Self {
        Self {
            waiter: Waiter::new(Handle::Owned(limiter.inner), 1),
            timer: Timer::new(),
        }
    }
}

impl Future for AcquireOwned {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.waiter.poll(this.timer, cx)
    }
}

pin_project! {
    /// The future of [`RateLimiter::acquire_n`]: resolves once `n` permits
    /// have been taken at once, or at once with an error if `n` exceeds the
    /// burst.
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct AcquireN<'a> {
        waiter: Option<Waiter<'a>>,
        error: Option<InsufficientCapacity>,
        #[pin]
        timer: Timer,
    }
}

impl<'a> AcquireN<'a> {
    pub(crate) fn new(limiter: &'a RateLimiter, n: u32) -> Self {
        let burst = limiter.inner.burst();
        let (waiter, error) = if n > burst {
            limiter.inner.count_refused();
            (None, Some(InsufficientCapacity::new(n, burst)))
        } else if n == 0 {
            (None, None)
        } else {
            (Some(Waiter::new(Handle::Borrowed(&limiter.inner), n)), None)
        };
        Self {
            waiter,
            error,
            timer: Timer::new(),
        }
    }
}

impl Future for AcquireN<'_> {
    type Output = Result<(), InsufficientCapacity>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(error) = this.error {
            return Poll::Ready(Err(*error));
        }
        match this.waiter {
            Some(waiter) => waiter.poll(this.timer, cx).map(Ok),
            None => Poll::Ready(Ok(())),
        }
    }
}
