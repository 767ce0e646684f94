//! Configuring a [`Retry`] before it is awaited: its hooks and limits.

use std::time::Duration;

use super::future::Retry;
use super::{Budget, RetryEvent};
use crate::timeout::Elapsed;

impl<S, F, Fut, E, W, N, A> Retry<S, F, Fut, E, W, N, A> {
    /// Retries only the errors for which `when` returns `true`; any other
    /// error is returned at once, after exactly one call (tenacity's
    /// `retry=retry_if_exception(...)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let result: Result<(), io::Error> = retry(Backoff::constant(Duration::from_secs(1)), || {
    ///     calls += 1;
    ///     async { Err(io::Error::from(io::ErrorKind::PermissionDenied)) }
    /// })
    /// .when(|e| e.kind() == io::ErrorKind::TimedOut)
    /// .await;
    /// assert!(result.is_err());
    /// assert_eq!(calls, 1);
    /// # }
    /// ```
    #[inline]
    pub fn when<W2>(self, when: W2) -> Retry<S, F, Fut, E, W2, N, A>
    where
        W2: FnMut(&E) -> bool,
    {
        self.map_hooks(|_, n, a| (when, n, a))
    }

    /// Calls `notify` after each failed attempt that will be retried, with
    /// the attempt number, the error, the coming delay and the time elapsed
    /// (tenacity's `before_sleep`). It is not called after the final
    /// failure: that error is the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut log = Vec::new();
    /// let schedule = Backoff::exponential(Duration::from_secs(1)).max_retries(2);
    /// let result: Result<(), &str> = retry(schedule, || async { Err("down") })
    ///     .notify(|event| log.push((event.attempt(), *event.error(), event.delay())))
    ///     .await;
    /// assert_eq!(result, Err("down"));
    /// assert_eq!(
    ///     log,
    ///     [(1, "down", Duration::from_secs(1)), (2, "down", Duration::from_secs(2))]
    /// );
    /// # }
    /// ```
    #[inline]
    pub fn notify<N2>(self, notify: N2) -> Retry<S, F, Fut, E, W, N2, A>
    where
        N2: FnMut(&RetryEvent<'_, E>),
    {
        self.map_hooks(|w, _, a| (w, notify, a))
    }

    /// Lets the error say how long to wait (a server's `Retry-After`): when
    /// `hint` returns `Some(d)`, the loop waits `d` instead of the scheduled
    /// delay. The retry still counts against the schedule's
    /// [`max_retries`](super::Backoff::max_retries), and a hint that would
    /// end at or past [`max_elapsed`](Self::max_elapsed) or the ambient
    /// [`Deadline`](crate::timeout::Deadline) makes the loop give up with that error, as any delay
    /// would.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, retry};
    /// use tokio::time::Instant;
    ///
    /// struct Busy { retry_after: Option<Duration> }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let start = Instant::now();
    /// let mut calls = 0;
    /// let result = retry(Backoff::constant(Duration::from_millis(10)), || {
    ///     calls += 1;
    ///     let first = calls == 1;
    ///     async move {
    ///         if first { Err(Busy { retry_after: Some(Duration::from_secs(5)) }) } else { Ok(()) }
    ///     }
    /// })
    /// .retry_after(|e| e.retry_after)
    /// .await;
    /// assert!(result.is_ok());
    /// assert_eq!(start.elapsed(), Duration::from_secs(5));
    /// # }
    /// ```
    #[inline]
    pub fn retry_after<A2>(self, hint: A2) -> Retry<S, F, Fut, E, W, N, A2>
    where
        A2: FnMut(&E) -> Option<Duration>,
    {
        self.map_hooks(|w, n, _| (w, n, hint))
    }

    /// Races every attempt against `limit`; an attempt that takes longer is
    /// dropped and counts as a failure with the error `E::from(Elapsed)`
    /// (which [`when`](Self::when) sees like any other error).
    ///
    /// The limit runs from the attempt's first poll that returns `Pending`
    /// (an attempt that is ready at once never touches the timer), and an
    /// attempt that is ready wins over an expired limit, as with
    /// [`timeout`](crate::timeout::timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let result: io::Result<u32> = retry(Backoff::constant(Duration::from_millis(100)), || {
    ///     calls += 1;
    ///     let hang = calls < 3;
    ///     async move {
    ///         if hang { std::future::pending::<()>().await }
    ///         Ok(calls)
    ///     }
    /// })
    /// .attempt_timeout(Duration::from_secs(1))
    /// .await;
    /// assert_eq!(result.unwrap(), 3);
    /// # }
    /// ```
    #[inline]
    pub fn attempt_timeout(mut self, limit: Duration) -> Self
    where
        E: From<Elapsed>,
    {
        self.attempt_timeout = Some((limit, E::from));
        self
    }

    /// Gives up (with the last error) rather than start an attempt `limit`
    /// or more after the first one started: the budget counts the attempts
    /// as well as the sleeps (tenacity's `stop_after_delay`). A running
    /// attempt is not interrupted; combine with
    /// [`attempt_timeout`](Self::attempt_timeout) or a [`Deadline`](crate::timeout::Deadline) for that.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let result: Result<(), &str> = retry(Backoff::constant(Duration::from_secs(1)).unlimited(), || {
    ///     calls += 1;
    ///     async { Err("down") }
    /// })
    /// .max_elapsed(Duration::from_millis(3_500))
    /// .await;
    /// assert_eq!(result, Err("down"));
    /// assert_eq!(calls, 4); // at 0, 1, 2 and 3 s
    /// # }
    /// ```
    #[inline]
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = Some(limit);
        self
    }

    /// Spends one token of the shared `budget` on each retry, and gives up
    /// (with the last error) when it has none; a success deposits into it.
    /// See [`Budget`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Budget, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let budget = Budget::new(0.2, 0);
    /// for _ in 0..5 {
    ///     retry(Backoff::constant(Duration::from_millis(1)), || async { Ok::<_, ()>(()) })
    ///         .budget(budget.clone())
    ///         .await
    ///         .unwrap();
    /// }
    /// // Five successes paid for one retry.
    /// let mut calls = 0;
    /// let result: Result<(), &str> = retry(Backoff::constant(Duration::from_millis(1)), || {
    ///     calls += 1;
    ///     async { Err("down") }
    /// })
    /// .budget(budget)
    /// .await;
    /// assert_eq!(result, Err("down"));
    /// assert_eq!(calls, 2);
    /// # }
    /// ```
    #[inline]
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The number of attempts started so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut fut = pin!(retry(Backoff::constant(Duration::from_secs(1)), || async {
    ///     Err::<(), _>("down")
    /// }));
    /// assert_eq!(fut.attempts(), 0);
    /// assert_eq!(fut.as_mut().await, Err("down"));
    /// assert_eq!(fut.attempts(), 4); // the first try and 3 retries
    /// # }
    /// ```
    #[must_use]
    pub fn attempts(&self) -> usize {
        self.attempt
    }
}
