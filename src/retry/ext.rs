use std::future::Future;
use std::time::Duration;

use super::future::DefaultRetry;
use super::retry;

/// Adds [`.retry(schedule)`](Retryable::retry) to every `FnMut() -> Future`
/// whose future returns a `Result` (async fns and closures alike). In the
/// [prelude](crate::prelude).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::prelude::*;
/// use async_patterns::retry::Backoff;
///
/// async fn fetch() -> Result<u32, std::io::Error> {
///     Ok(42)
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let value = fetch.retry(Backoff::exponential(Duration::from_millis(100))).await.unwrap();
/// assert_eq!(value, 42);
/// # }
/// ```
pub trait Retryable<Fut, T, E>: FnMut() -> Fut + Sized
where
    Fut: Future<Output = Result<T, E>>,
{
    /// Retries `self` on error as `schedule` says; the same as
    /// [`retry(schedule, self)`](retry()).
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future stops at once: the attempt in flight
    /// is dropped and no further attempt is made.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use async_patterns::retry::Backoff;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let flaky = || {
    ///     calls += 1;
    ///     let n = calls;
    ///     async move { if n < 3 { Err("busy") } else { Ok(n) } }
    /// };
    /// let answer = flaky.retry(Backoff::constant(Duration::from_millis(50))).await;
    /// assert_eq!(answer, Ok(3));
    /// # }
    /// ```
    fn retry<B>(self, schedule: B) -> DefaultRetry<B::IntoIter, Self, Fut, E>
    where
        B: IntoIterator<Item = Duration>,
    {
        retry(schedule, self)
    }
}

impl<F, Fut, T, E> Retryable<Fut, T, E> for F
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
}
