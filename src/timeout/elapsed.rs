use std::time::Duration;

/// The error of a [`Timeout`](super::Timeout) or a
/// [`Deadline::scope`](super::Deadline::scope) whose limit passed before the
/// inner future finished.
///
/// It remembers how long the limit was, and converts into a
/// [`std::io::Error`] of kind [`TimedOut`](std::io::ErrorKind::TimedOut), so
/// `?` works in functions that return `io::Result`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::timeout::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let err = timeout(Duration::from_secs(2), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert_eq!(err.limit(), Duration::from_secs(2));
/// assert_eq!(err.to_string(), "deadline elapsed after 2s");
///
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("deadline elapsed after {limit:?}")]
pub struct Elapsed {
    limit: Duration,
}

impl Elapsed {
    /// An `Elapsed` for a limit of `limit`; for the crate's own timed
    /// combinators, which report their expiry with the same error type.
    pub(crate) const fn new(limit: Duration) -> Self {
        Self { limit }
    }

    /// How long the limit was, measured from when it was set (creation of
    /// the guard, or its last [`reset`](super::Timeout::reset)) to the
    /// deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let slow = tokio::time::sleep(Duration::from_secs(5));
    /// let err = slow.timeout(Duration::from_secs(1)).await.unwrap_err();
    /// assert_eq!(err.limit(), Duration::from_secs(1));
    /// # }
    /// ```
    #[must_use]
    pub const fn limit(&self) -> Duration {
        self.limit
    }
}

impl From<Elapsed> for std::io::Error {
    fn from(err: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, err)
    }
}
