use std::fmt;
use std::time::Duration;

/// What a [`notify`](super::Retry::notify) hook sees after a failed attempt
/// that will be retried (tenacity's `before_sleep` / `RetryCallState`).
///
/// The hook is not called after the final failure: that error is what the
/// [`Retry`](super::Retry) future returns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut seen = Vec::new();
/// let result: Result<(), &str> = retry(Backoff::constant(Duration::from_secs(1)).max_retries(2), || async {
///     Err("down")
/// })
/// .notify(|event| seen.push((event.attempt(), *event.error(), event.delay(), event.elapsed())))
/// .await;
/// assert_eq!(result, Err("down"));
/// let secs = Duration::from_secs;
/// assert_eq!(seen, [(1, "down", secs(1), secs(0)), (2, "down", secs(1), secs(1))]);
/// # }
/// ```
pub struct RetryEvent<'a, E> {
    pub(crate) attempt: usize,
    pub(crate) error: &'a E,
    pub(crate) delay: Duration,
    pub(crate) elapsed: Duration,
}

impl<'a, E> RetryEvent<'a, E> {
    /// The 1-based number of the attempt that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(event.attempt()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, [1, 2]);
    /// # }
    /// ```
    #[must_use]
    pub const fn attempt(&self) -> usize {
        self.attempt
    }

    /// The error that attempt failed with.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(*event.error()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, ["busy", "busy"]);
    /// # }
    /// ```
    #[must_use]
    pub const fn error(&self) -> &'a E {
        self.error
    }

    /// How long the retry loop sleeps before the next attempt.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(event.delay()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, [Duration::from_millis(10); 2]);
    /// # }
    /// ```
    #[must_use]
    pub const fn delay(&self) -> Duration {
        self.delay
    }

    /// Time since the first attempt started, attempts and sleeps included.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(event.elapsed()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, [Duration::ZERO, Duration::from_millis(10)]);
    /// # }
    /// ```
    #[must_use]
    pub const fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

impl<E> fmt::Debug for RetryEvent<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryEvent")
            .field("attempt", &self.attempt)
            .field("delay", &self.delay)
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}
