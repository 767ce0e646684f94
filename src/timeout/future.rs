use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep, sleep_until};

use super::Elapsed;

/// Runs `future` with a time limit of `limit`.
///
/// The returned [`Timeout`] resolves to `Ok(output)` if the future finishes
/// first and to `Err(`[`Elapsed`]`)` once `limit` has passed, dropping the
/// inner future. A limit too large to represent as an instant (such as
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
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        // `None` means no deadline: the guard never fires.
        deadline: Option<Instant>,
        // The timer, created on the first poll that finds the inner future
        // pending: a future that is ready at once never touches the timer
        // wheel. Invariant: when `Some`, its deadline equals `deadline`.
        #[pin]
        sleep: Option<Sleep>,
        // Reported by `Elapsed`: deadline minus the instant it was set.
        limit: Duration,
    }
}

impl<F> Timeout<F> {
    pub(crate) fn new(future: F, deadline: Option<Instant>, limit: Duration) -> Self {
        Self {
            future,
            deadline,
            sleep: None,
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
        if let Some(sleep) = this.sleep.as_pin_mut() {
            sleep.reset(deadline);
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

    /// The inner future.
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
    /// assert!(!guarded.get_ref().is_elapsed());
    /// # }
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
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
        &mut self.future
    }

    /// The inner future, pinned.
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
    /// guarded.as_mut().get_pin_mut().reset(Instant::now() + Duration::from_secs(1));
    /// let start = Instant::now();
    /// guarded.await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # }
    /// ```
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut F> {
        self.project().future
    }

    /// Takes the inner future out of the guard, dropping the limit.
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
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = tokio::task::coop::has_budget_remaining();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let inner_exhausted_budget = had_budget && !tokio::task::coop::has_budget_remaining();
        ready!(poll_deadline(
            this.sleep,
            *this.deadline,
            inner_exhausted_budget,
            cx
        ));
        Poll::Ready(Err(Elapsed::new(*this.limit)))
    }
}

/// The non-generic half of `Timeout::poll`, kept out of the generic code.
///
/// When the inner future used up the task's cooperative budget, the timer
/// would report `Pending` for that reason alone and a busy inner future could
/// outlive its deadline forever; the timer is then polled unconstrained.
fn poll_deadline(
    mut sleep: Pin<&mut Option<Sleep>>,
    deadline: Option<Instant>,
    inner_exhausted_budget: bool,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let Some(deadline) = deadline else {
        return Poll::Pending;
    };
    if sleep.is_none() {
        sleep.set(Some(sleep_until(deadline)));
    }
    let Some(sleep) = sleep.as_pin_mut() else {
        unreachable!("the timer was created above");
    };
    if inner_exhausted_budget {
        pin!(tokio::task::coop::unconstrained(sleep)).poll(cx)
    } else {
        sleep.poll(cx)
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
