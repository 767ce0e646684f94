use std::cell::Cell;
use std::cmp::Ordering;
use std::future::IntoFuture;
use std::time::Duration;

use tokio::time::Instant;

use super::Scope;

thread_local! {
    /// The ambient deadline of the [`Scope`] being polled on this thread,
    /// `never` outside any. A `Scope` sets it for the duration of each poll
    /// of its inner future and restores the previous value afterwards, so it
    /// behaves like a task-local that nests.
    static CURRENT: Cell<Deadline> = const { Cell::new(Deadline::never()) };
}

/// A point in time by which work must be done, or *never*: a `Copy` time
/// budget to hand down a call chain.
///
/// Build one with [`after`](Self::after), [`at`](Self::at) or
/// [`never`](Self::never); shrink it with [`min`](Self::min); enforce it on a
/// future with [`TimeoutExt::deadline`](super::TimeoutExt::deadline), or on a
/// whole block of async code with [`scope`](Self::scope), which also makes it
/// the *ambient* deadline that [`Deadline::current`] returns inside.
///
/// Deadlines are ordered, with *never* later than every instant.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::timeout::Deadline;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let request = Deadline::after(Duration::from_secs(2));
/// let per_call = Deadline::after(Duration::from_secs(5)).min(request);
/// assert_eq!(per_call, request);
/// assert_eq!(per_call.remaining(), Duration::from_secs(2));
/// assert!(!per_call.is_expired());
/// assert!(Deadline::never() > request);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    /// `None` is *never*.
    at: Option<Instant>,
}

impl Deadline {
    /// The deadline `duration` from now; *never* if that instant cannot be
    /// represented (for example `Duration::MAX`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// assert_eq!(Deadline::after(Duration::from_secs(1)).remaining(), Duration::from_secs(1));
    /// assert_eq!(Deadline::after(Duration::MAX), Deadline::never());
    /// # }
    /// ```
    #[must_use]
    pub fn after(duration: Duration) -> Self {
        Self::after_from(Instant::now(), duration)
    }

    /// [`after`](Self::after) with the clock already read as `now`.
    #[inline]
    pub(crate) fn after_from(now: Instant, duration: Duration) -> Self {
        Self {
            at: now.checked_add(duration),
        }
    }

    /// The deadline at the instant `at`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let at = Instant::now() + Duration::from_secs(3);
    /// assert_eq!(Deadline::at(at).instant(), Some(at));
    /// # }
    /// ```
    #[must_use]
    pub const fn at(at: Instant) -> Self {
        Self { at: Some(at) }
    }

    /// The deadline that never passes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// let never = Deadline::never();
    /// assert!(!never.is_expired());
    /// assert_eq!(never.remaining(), Duration::MAX);
    /// assert_eq!(never.instant(), None);
    /// ```
    #[must_use]
    pub const fn never() -> Self {
        Self { at: None }
    }

    /// The instant of the deadline, or `None` for *never*.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let deadline = Deadline::after(Duration::from_secs(2));
    /// assert_eq!(deadline.instant(), Some(Instant::now() + Duration::from_secs(2)));
    /// assert_eq!(Deadline::never().instant(), None);
    /// # }
    /// ```
    #[must_use]
    pub const fn instant(&self) -> Option<Instant> {
        self.at
    }

    /// The time left: zero once expired, [`Duration::MAX`] for *never*.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let deadline = Deadline::after(Duration::from_secs(1));
    /// tokio::time::sleep(Duration::from_millis(300)).await;
    /// assert_eq!(deadline.remaining(), Duration::from_millis(700));
    /// tokio::time::sleep(Duration::from_secs(1)).await;
    /// assert_eq!(deadline.remaining(), Duration::ZERO);
    /// # }
    /// ```
    #[must_use]
    pub fn remaining(&self) -> Duration {
        match self.at {
            Some(at) => at.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }

    /// [`remaining`](Self::remaining) as of `now` (for the tower layers,
    /// which read the clock once per call).
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn remaining_from(&self, now: Instant) -> Duration {
        match self.at {
            Some(at) => at.saturating_duration_since(now),
            None => Duration::MAX,
        }
    }

    /// Whether the deadline has passed (it is expired at its instant).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let deadline = Deadline::after(Duration::from_secs(1));
    /// assert!(!deadline.is_expired());
    /// tokio::time::sleep(Duration::from_secs(1)).await;
    /// assert!(deadline.is_expired());
    /// # }
    /// ```
    #[must_use]
    pub fn is_expired(&self) -> bool {
        self.at.is_some_and(|at| at <= Instant::now())
    }

    /// The earlier of two deadlines.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let soon = Deadline::after(Duration::from_secs(1));
    /// assert_eq!(soon.min(Deadline::never()), soon);
    /// assert_eq!(Deadline::never().min(soon), soon);
    /// # }
    /// ```
    #[must_use]
    pub fn min(self, other: Self) -> Self {
        Ord::min(self, other)
    }

    /// Runs `future` with this deadline as its limit *and* as the ambient
    /// deadline seen by [`Deadline::current`] inside it.
    ///
    /// This is `async with asyncio.timeout(...)`: a budget for a whole block
    /// of code. Code inside cannot outlive it: the scope drops the block in
    /// the poll that finds the deadline passed (even if the scope itself is
    /// kept and polled again), and the crate's waits (retry backoff) read
    /// [`Deadline::current`] and give up early instead of sleeping past it.
    /// Scopes nest; an inner scope never extends an outer one (the earlier
    /// deadline applies, fixed when the inner scope is first polled).
    ///
    /// The ambient deadline follows the polling of the future, like a
    /// task-local: a task spawned inside the scope does not inherit it; pass
    /// the `Deadline` (it is `Copy`) and open a scope there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::{Deadline, TimeoutExt};
    /// use tokio::time::sleep;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let outcome = Deadline::after(Duration::from_secs(1))
    ///     .scope(async {
    ///         // A generous inner limit does not extend the outer budget.
    ///         sleep(Duration::from_secs(10)).timeout(Duration::from_secs(30)).await
    ///     })
    ///     .await;
    /// assert_eq!(outcome.unwrap_err().limit(), Duration::from_secs(1));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The scope resolves to `Err(`[`Elapsed`](super::Elapsed)`)` when the
    /// deadline (or an earlier enclosing one) passes first.
    ///
    /// # Panics
    ///
    /// Polling the returned future panics if the inner future is pending and
    /// there is no tokio runtime with the time driver enabled, unless the
    /// deadline is *never* (after narrowing to an enclosing scope's). An
    /// inner future that is ready on its first poll needs no runtime.
    ///
    /// # Cancel safety
    ///
    /// Dropping the scope drops the inner future; it is exactly as cancel
    /// safe as that future.
    pub fn scope<F: IntoFuture>(self, future: F) -> Scope<F::IntoFuture> {
        Scope::new(self, future.into_future())
    }

    /// The ambient deadline: the one of the innermost [`scope`](Self::scope)
    /// being polled on this thread, or [`never`](Self::never) outside any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// assert_eq!(Deadline::current(), Deadline::never());
    /// let budget = Deadline::after(Duration::from_secs(1));
    /// let seen = budget.scope(async { Deadline::current() }).await.unwrap();
    /// assert_eq!(seen, budget);
    /// # }
    /// ```
    #[must_use]
    pub fn current() -> Self {
        CURRENT.with(Cell::get)
    }

    /// Makes `self` the ambient deadline until the returned guard drops.
    #[inline]
    pub(crate) fn enter(self) -> EnterGuard {
        EnterGuard {
            previous: CURRENT.with(|current| current.replace(self)),
        }
    }

    /// Narrows `self` to the ambient deadline, then makes it the ambient
    /// one until the returned guard drops (one access to the thread-local
    /// for `self.min(Deadline::current())` and [`enter`](Self::enter)).
    #[inline]
    pub(crate) fn narrow_and_enter(&mut self) -> EnterGuard {
        let previous = CURRENT.with(|current| {
            let previous = current.get();
            *self = Ord::min(*self, previous);
            current.set(*self);
            previous
        });
        EnterGuard { previous }
    }
}

/// Restores the previous ambient deadline when dropped, also on unwind.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    previous: Deadline,
}

impl Drop for EnterGuard {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.previous));
    }
}

impl Default for Deadline {
    /// [`Deadline::never`].
    fn default() -> Self {
        Self::never()
    }
}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deadline {
    /// Earlier instants first; *never* after every instant.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.at, other.at) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

impl From<Instant> for Deadline {
    fn from(at: Instant) -> Self {
        Self::at(at)
    }
}
