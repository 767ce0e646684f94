use std::future::IntoFuture;
use std::time::Duration;

use super::{Deadline, Timeout, timeout};

/// Adds [`timeout`](TimeoutExt::timeout) and
/// [`deadline`](TimeoutExt::deadline) to every future (and every
/// [`IntoFuture`]).
///
/// In the [`prelude`](crate::prelude).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::prelude::*;
/// use async_patterns::timeout::Deadline;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let answer = async { 42 }.timeout(Duration::from_secs(1)).await;
/// assert_eq!(answer, Ok(42));
///
/// let budget = Deadline::after(Duration::from_millis(10));
/// let late = tokio::time::sleep(Duration::from_secs(1)).deadline(budget).await;
/// assert!(late.is_err());
/// # }
/// ```
pub trait TimeoutExt: IntoFuture + Sized {
    /// Limits `self` to `limit`; see [`timeout`](super::timeout()).
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops `self`; it is exactly as cancel
    /// safe as `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let fast = async { 42 }.timeout(Duration::from_secs(1)).await;
    /// assert_eq!(fast.unwrap(), 42);
    /// let slow = tokio::time::sleep(Duration::from_secs(5));
    /// assert!(slow.timeout(Duration::from_secs(1)).await.is_err());
    /// # }
    /// ```
    fn timeout(self, limit: Duration) -> Timeout<Self::IntoFuture> {
        timeout(limit, self)
    }

    /// Limits `self` to `deadline`; a [`Deadline::never`] adds no limit.
    ///
    /// Unlike [`Deadline::scope`], this does not change the ambient
    /// [`Deadline::current`] seen inside `self`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops `self`; it is exactly as cancel
    /// safe as `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use async_patterns::timeout::Deadline;
    /// use tokio::time::sleep;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let budget = Deadline::after(Duration::from_secs(3));
    /// assert!(sleep(Duration::from_secs(2)).deadline(budget).await.is_ok());
    /// // Only 1 s of the budget is left for the second step.
    /// assert!(sleep(Duration::from_secs(2)).deadline(budget).await.is_err());
    /// # }
    /// ```
    fn deadline(self, deadline: Deadline) -> Timeout<Self::IntoFuture> {
        Timeout::new(self.into_future(), deadline.instant(), deadline.remaining())
    }
}

impl<F: IntoFuture> TimeoutExt for F {}
