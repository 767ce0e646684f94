//! The futures returned by `acquire`, `acquire_n` and `acquire_owned`.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::time::Sleep;

use super::gcra::Inner;
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
    /// In the queue under this id, since this time (nanos since origin).
    Queued(u64, u64),
    /// Got its permits (or failed); polling again returns the same result.
    Done,
}

/// One acquisition of `permits`: the non-generic core of every acquire
/// future. Dropping it while queued gives its place up.
struct Waiter<'a> {
    inner: Handle<'a>,
    permits: u32,
    state: State,
}

impl<'a> Waiter<'a> {
    fn new(inner: Handle<'a>, permits: u32) -> Self {
        Self {
            inner,
            permits,
            state: State::Init,
        }
    }

    /// Fast path -> register -> (as head) take or arm the timer.
    ///
    /// No wakeup is lost: every change to the queue happens under its lock,
    /// and whoever removes the head (the head itself on success, or a
    /// dropped head) takes the new head's waker under that same lock and
    /// wakes it right after unlocking (the new head stays queued until it
    /// is polled). A waiter that enqueues behind others is therefore either
    /// woken later or is the head itself and arms its own timer before
    /// returning `Pending`.
    fn poll(&mut self, mut sleep: Pin<&mut Option<Sleep>>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &*self.inner;
        let mut queue = match self.state {
            State::Done => return Poll::Ready(()),
            State::Init => {
                // Lock-free fast path; never overtakes queued waiters.
                if !inner.has_waiters() && inner.try_take(self.permits, inner.now()).is_ok() {
                    inner.counters.granted(self.permits);
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                let mut queue = crate::loom::lock(&inner.queue);
                let (id, head) = inner.enqueue(&mut queue, self.permits, cx.waker());
                self.state = State::Queued(id, inner.now());
                if !head {
                    return Poll::Pending;
                }
                queue
            }
            State::Queued(id, _) => {
                let mut queue = crate::loom::lock(&inner.queue);
                let head = queue.entries.front().is_some_and(|e| e.id == id);
                if !head {
                    if let Some(entry) = queue.entries.iter_mut().find(|e| e.id == id) {
                        if !entry.waker.will_wake(cx.waker()) {
                            entry.waker.clone_from(cx.waker());
                        }
                    }
                    return Poll::Pending;
                }
                queue
            }
        };
        let State::Queued(id, since) = self.state else {
            unreachable!("the head is queued")
        };
        loop {
            let now = inner.now();
            // Waiting since `since`: credit the lateness of this wakeup (up
            // to one timer tick), so that the rate is kept exactly.
            let arrival = since.max(now.saturating_sub(Inner::LATENESS_CREDIT));
            match inner.try_take_as_of(self.permits, arrival, now) {
                Ok(()) => {
                    inner
                        .counters
                        .granted_after(self.permits, now.saturating_sub(since));
                    let next = inner.dequeue(&mut queue, id);
                    drop(queue);
                    if let Some(next) = next {
                        next.wake();
                    }
                    self.state = State::Done;
                    sleep.set(None);
                    return Poll::Ready(());
                }
                Err(earliest) => {
                    let at = inner.instant(earliest);
                    match sleep.as_mut().as_pin_mut() {
                        Some(timer) => timer.reset(at),
                        None => sleep.set(Some(tokio::time::sleep_until(at))),
                    }
                    let timer = sleep.as_mut().as_pin_mut().expect("timer armed above");
                    if timer.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let State::Queued(id, _) = self.state {
            // Nothing was taken from the rate yet, so leaving the queue is
            // all there is to give back.
            let mut queue = crate::loom::lock(&self.inner.queue);
            let next = self.inner.dequeue(&mut queue, id);
            drop(queue);
            if let Some(next) = next {
                next.wake();
            }
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
        sleep: Option<Sleep>,
    }
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(limiter: &'a RateLimiter) -> Self {
        Self {
            waiter: Waiter::new(Handle::Borrowed(&limiter.inner), 1),
            sleep: None,
        }
    }
}

impl Future for Acquire<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.waiter.poll(this.sleep, cx)
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
        sleep: Option<Sleep>,
    }
}

impl AcquireOwned {
    pub(crate) fn new(limiter: RateLimiter) -> Self {
        Self {
            waiter: Waiter::new(Handle::Owned(limiter.inner), 1),
            sleep: None,
        }
    }
}

impl Future for AcquireOwned {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.waiter.poll(this.sleep, cx)
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
        sleep: Option<Sleep>,
    }
}

impl<'a> AcquireN<'a> {
    pub(crate) fn new(limiter: &'a RateLimiter, n: u32) -> Self {
        let burst = limiter.inner.burst();
        let (waiter, error) = if n > burst {
            limiter.inner.counters.refused();
            (None, Some(InsufficientCapacity::new(n, burst)))
        } else if n == 0 {
            (None, None)
        } else {
            (Some(Waiter::new(Handle::Borrowed(&limiter.inner), n)), None)
        };
        Self {
            waiter,
            error,
            sleep: None,
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
            Some(waiter) => waiter.poll(this.sleep, cx).map(Ok),
            None => Poll::Ready(Ok(())),
        }
    }
}
