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
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limited: next permit in {:?}", self.wait())]
pub struct NotUntil {
    /// When the next permit becomes available, if nobody takes it first.
    earliest: Instant,
}

impl NotUntil {
    pub(crate) const fn new(earliest: Instant) -> Self {
        Self { earliest }
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
        self.earliest.saturating_duration_since(Instant::now())
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
    pub const fn earliest(&self) -> Instant {
        self.earliest
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
