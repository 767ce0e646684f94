use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

/// The error of [`RateLimiter::try_acquire`](super::RateLimiter::try_acquire):
/// no permit is available now, and says when one will be.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::rate_limit::RateLimiter;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let limiter = RateLimiter::per_second(4);
/// limiter.try_acquire().unwrap();
/// let not_until = limiter.try_acquire().unwrap_err();
/// assert_eq!(not_until.wait(), Duration::from_millis(250));
/// # }
/// ```
#[derive(Clone, Copy, thiserror::Error)]
#[error("rate limited: next permit in {:?}", self.wait())]
pub struct NotUntil {
    /// When the next permit becomes available, if nobody takes it first:
    /// `at` nanoseconds after the limiter's `origin`. Kept as the limiter
    /// computed it, so that a refusal costs no `Instant` arithmetic unless
    /// the caller asks for the instant.
    origin: Instant,
    at: u64,
}

impl NotUntil {
    #[inline]
    pub(crate) const fn new(origin: Instant, at: u64) -> Self {
        Self { origin, at }
    }

    /// How long from now until a permit becomes available (zero if that time
    /// has already come).
    ///
    /// This is the earliest time: another caller may take that permit first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10);
    /// limiter.try_acquire().unwrap();
    /// let not_until = limiter.try_acquire().unwrap_err();
    /// assert_eq!(not_until.wait(), Duration::from_millis(100));
    /// # }
    /// ```
    #[must_use]
    pub fn wait(&self) -> Duration {
        self.earliest().saturating_duration_since(Instant::now())
    }

    /// The instant at which a permit becomes available.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10);
    /// limiter.try_acquire().unwrap();
    /// let not_until = limiter.try_acquire().unwrap_err();
    /// assert_eq!(not_until.earliest(), Instant::now() + Duration::from_millis(100));
    /// # }
    /// ```
    #[must_use]
    pub fn earliest(&self) -> Instant {
        crate::timeout::saturating_instant(self.origin, Duration::from_nanos(self.at))
    }
}

impl PartialEq for NotUntil {
    fn eq(&self, other: &Self) -> bool {
        self.earliest() == other.earliest()
    }
}

impl Eq for NotUntil {}

impl fmt::Debug for NotUntil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotUntil")
            .field("earliest", &self.earliest())
            .finish()
    }
}

/// The error of [`RateLimiter::acquire_n`](super::RateLimiter::acquire_n)
/// when more permits are asked for at once than the burst allows: such a
/// request could never be granted, so it fails instead of waiting forever.
///
/// # Examples
///
/// ```
/// use async_patterns::rate_limit::RateLimiter;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let limiter = RateLimiter::per_second(10).burst(5);
/// let err = limiter.acquire_n(6).await.unwrap_err();
/// assert_eq!((err.requested(), err.burst()), (6, 5));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("asked for {requested} permits at once, but the burst is {burst}")]
pub struct InsufficientCapacity {
    requested: u32,
    burst: u32,
}

impl InsufficientCapacity {
    pub(crate) const fn new(requested: u32, burst: u32) -> Self {
        Self { requested, burst }
    }

    /// The number of permits that was asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10).burst(5);
    /// let err = limiter.acquire_n(8).await.unwrap_err();
    /// assert_eq!(err.requested(), 8);
    /// # }
    /// ```
    #[must_use]
    pub const fn requested(&self) -> u32 {
        self.requested
    }

    /// The burst of the limiter: the most permits one call can take.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10).burst(5);
    /// let err = limiter.acquire_n(8).await.unwrap_err();
    /// assert_eq!(err.burst(), 5); // ask for at most 5 at a time
    /// # }
    /// ```
    #[must_use]
    pub const fn burst(&self) -> u32 {
        self.burst
    }
}
