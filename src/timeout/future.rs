use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use super::Elapsed;
use crate::timer::{CoopBudget, Timer};

/// Runs `future` with a time limit of `limit`.
///
/// The returned [`Timeout`] resolves to `Ok(output)` if the future finishes
/// first and to `Err(`[`Elapsed`]`)` once `limit` has passed. The inner
/// future is dropped in the poll that returns `Err`, even if the guard
/// itself is kept (polled by reference in a `select!` loop, say), so what it
/// holds is released then. A limit too large to represent as an instant (such as
/// [`Duration::MAX`]) means no limit.
///
/// This is `asyncio.wait_for(coro, timeout)`. The method form is
/// [`TimeoutExt::timeout`](super::TimeoutExt::timeout).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::timeout::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let quick = async { 42 };
/// assert_eq!(timeout(Duration::from_secs(1), quick).await, Ok(42));
///
/// let slow = tokio::time::sleep(Duration::from_secs(5));
/// assert!(timeout(Duration::from_secs(1), slow).await.is_err());
/// # }
/// ```
///
/// # Panics
///
/// Polling the returned future panics if the inner future is pending and
/// there is no tokio runtime with the time driver enabled, as for
/// [`tokio::time::sleep`]. (A future that is ready on its first poll, or a
/// guard without a limit, needs no runtime.)
///
/// # Cancel safety
///
/// Dropping the `Timeout` drops the inner future; it is exactly as cancel
/// safe as that future.
pub fn timeout<F: IntoFuture>(limit: Duration, future: F) -> Timeout<F::IntoFuture> {
    let deadline = Instant::now().checked_add(limit);
    Timeout::new(future.into_future(), deadline, limit)
}

/// Runs `future` until the instant `deadline`.
///
/// Like [`timeout`], with an absolute deadline (`asyncio.timeout_at`). A
/// deadline already in the past still polls the future once: a future that
/// is ready at once wins.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::timeout::timeout_at;
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let at = Instant::now() + Duration::from_millis(100);
/// let err = timeout_at(at, std::future::pending::<()>()).await.unwrap_err();
/// assert_eq!(err.limit(), Duration::from_millis(100));
/// assert_eq!(Instant::now(), at);
/// # }
/// ```
///
/// # Panics
///
/// Polling the returned future panics if the inner future is pending and
/// there is no tokio runtime with the time driver enabled.
///
/// # Cancel safety
///
/// Dropping the `Timeout` drops the inner future; it is exactly as cancel
/// safe as that future.
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    let limit = deadline.saturating_duration_since(Instant::now());
    Timeout::new(future.into_future(), Some(deadline), limit)
}

pin_project! {
    /// A future with a time limit, returned by [`timeout`], [`timeout_at`],
    /// [`TimeoutExt`](super::TimeoutExt) and [`Deadline::scope`](super::Deadline::scope).
    ///
    /// It resolves to `Result<F::Output, Elapsed>`. The inner future is
    /// polled first on every poll, so a future that is ready wins over a
    /// deadline that has already passed. The deadline can be moved with
    /// [`reset`](Self::reset), for idle timeouts.
    ///
    /// The poll that returns `Err(Elapsed)` drops the inner future at once,
    /// so a guard kept after it timed out holds nothing: from then on
    /// [`get_ref`](Self::get_ref) and [`get_pin_mut`](Self::get_pin_mut)
    /// return `None`, and polling the guard again returns `Err(Elapsed)`
    /// again.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Timeout<F> {
        // `None` once the guard has returned `Err(Elapsed)`.
        #[pin]
        future: Option<F>,
        // `None` means no deadline: the guard never fires.
        deadline: Option<Instant>,
        // Armed on the first poll that finds the inner future pending: a
        // future that is ready at once never touches the timer wheel.
        // Invariant: when armed, its deadline equals `deadline`.
        #[pin]
        timer: Timer,
        // Reported by `Elapsed`: deadline minus the instant it was set.
        limit: Duration,
    }
}

impl<F> Timeout<F> {
    pub(crate) fn new(future: F, deadline: Option<Instant>, limit: Duration) -> Self {
        Self {
            future: Some(future),
            deadline,
            timer: Timer::new(),
            limit,
        }
    }

    /// Moves the deadline to `deadline`, earlier or later, even after it
    /// passed (as long as the guard has not returned `Err` yet).
    ///
    /// The limit reported by a later [`Elapsed`] is measured from now. This
    /// is the building block of idle timeouts: reset the guard each time
    /// there is activity.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::time::Duration;
    /// use async_patterns::timeout::timeout;
    /// use tokio::time::{Instant, sleep};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut guarded = pin!(timeout(Duration::from_secs(1), sleep(Duration::from_secs(3))));
    /// // Plenty of activity: give it more time.
    /// guarded.as_mut().reset(Instant::now() + Duration::from_secs(5));
    /// assert!(guarded.await.is_ok());
    /// # }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.limit = deadline.saturating_duration_since(Instant::now());
        *this.deadline = Some(deadline);
        if this.timer.is_armed() {
            this.timer.arm(deadline);
        }
    }

    /// The instant the guard fires at, or `None` if it has no limit.
    ///
    /// (Named so that it is not shadowed by
    /// [`TimeoutExt::deadline`](super::TimeoutExt::deadline), which the
    /// prelude adds to every future.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::timeout;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let guarded = timeout(Duration::from_secs(1), async {});
    /// assert_eq!(guarded.expires_at(), Some(Instant::now() + Duration::from_secs(1)));
    /// assert_eq!(timeout(Duration::MAX, async {}).expires_at(), None);
    /// # }
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> Option<Instant> {
        self.deadline
    }

    /// The inner future, or `None` once the guard has returned
    /// `Err(Elapsed)` (it dropped the future then).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::timeout;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let guarded = timeout(Duration::from_secs(1), tokio::time::sleep(Duration::from_secs(5)));
    /// assert!(!guarded.get_ref().unwrap().is_elapsed());
    /// # }
    /// ```
    #[must_use]
    pub fn get_ref(&self) -> Option<&F> {
        self.future.as_ref()
    }

    /// The inner future, mutably.
    ///
    /// Only a guard that is not pinned can be reached this way, and a guard
    /// that has timed out was pinned to be polled ([`Timeout`] is never
    /// `Unpin`), so the inner future is always there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::timeout;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
    /// let mut guarded = timeout(Duration::from_secs(1), rx);
    /// guarded.get_mut().close(); // reach the receiver inside the guard
    /// assert!(tx.is_closed());
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        self.future.as_mut().expect(UNPINNED_HAS_FUTURE)
    }

    /// The inner future, pinned, or `None` once the guard has returned
    /// `Err(Elapsed)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::timeout;
    /// use tokio::time::{sleep, Instant};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let guarded = timeout(Duration::from_secs(10), sleep(Duration::from_secs(5)));
    /// let mut guarded = std::pin::pin!(guarded);
    /// // Move the inner sleep's own deadline closer.
    /// guarded.as_mut().get_pin_mut().unwrap().reset(Instant::now() + Duration::from_secs(1));
    /// let start = Instant::now();
    /// guarded.await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # }
    /// ```
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Option<Pin<&mut F>> {
        self.project().future.as_pin_mut()
    }

    /// Takes the inner future out of the guard, dropping the limit.
    ///
    /// A guard that has returned `Err(Elapsed)` dropped its inner future
    /// then, but it cannot be taken apart this way: it was pinned to be
    /// polled, and [`Timeout`] is never `Unpin`. So `into_inner` always
    /// returns the future, never polled under this guard or still running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::timeout;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let guarded = timeout(Duration::from_millis(1), async { 5 });
    /// let inner = guarded.into_inner(); // no limit any more
    /// assert_eq!(inner.await, 5);
    /// # }
    /// ```
    pub fn into_inner(self) -> F {
        self.future.expect(UNPINNED_HAS_FUTURE)
    }
}

/// Why `get_mut` and `into_inner` find the inner future: it is dropped only
/// by a poll, a poll needs the guard pinned, and a pinned guard (never
/// `Unpin`) is not reachable by `&mut` or by value again.
const UNPINNED_HAS_FUTURE: &str = "a `Timeout` reachable unpinned was never timed out";

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let budget = CoopBudget::before_inner();
        if let Some(future) = this.future.as_mut().as_pin_mut() {
            if let Poll::Ready(output) = future.poll(cx) {
                return Poll::Ready(Ok(output));
            }
            ready!(poll_deadline(this.timer, *this.deadline, budget, cx));
            // Dropped now, not when the guard is: a guard kept after it timed
            // out must not keep a registration (a pool slot, a waiter) alive.
            this.future.set(None);
        }
        Poll::Ready(Err(Elapsed::new(*this.limit)))
    }
}

/// The non-generic half of `Timeout::poll`, kept out of the generic code.
fn poll_deadline(
    timer: Pin<&mut Timer>,
    deadline: Option<Instant>,
    budget: CoopBudget,
    cx: &mut Context<'_>,
) -> Poll<()> {
    match deadline {
        Some(deadline) => timer.poll_until(deadline, budget, cx),
        None => Poll::Pending,
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("expires_at", &self.expires_at())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
