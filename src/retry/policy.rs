use std::future::Future;
use std::time::Duration;

#[cfg(doc)]
use super::Retry;
use super::future::DefaultRetry;
use super::{Backoff, Budget, retry};
use crate::timeout::Elapsed;

/// The marker of a [`RetryPolicy`] without a per-attempt timeout.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAttemptTimeout;

/// The marker of a [`RetryPolicy`] that races each attempt against a
/// timeout (so its [`retry`](RetryPolicy::retry) needs `E: From<Elapsed>`).
#[derive(Debug, Clone, Copy)]
pub struct AttemptTimeout(Duration);

/// A reusable retry configuration: a schedule plus the
/// [`max_elapsed`](Self::max_elapsed) and
/// [`attempt_timeout`](Self::attempt_timeout) budgets. `Clone`, so one
/// policy can serve every call site and every task; each
/// [`retry`](Self::retry) starts from a fresh copy of the schedule (with
/// fresh jitter unless seeded).
///
/// The per-call hooks ([`when`](Retry::when), [`notify`](Retry::notify),
/// [`retry_after`](Retry::retry_after)) are added on the returned [`Retry`].
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, Jitter, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let policy = RetryPolicy::new(
///     Backoff::exponential(Duration::from_millis(100))
///         .jitter(Jitter::Full)
///         .max_delay(Duration::from_secs(5)),
/// )
/// .max_elapsed(Duration::from_secs(30))
/// .attempt_timeout(Duration::from_secs(2));
///
/// let mut calls = 0;
/// let value: io::Result<u32> = policy
///     .retry(|| {
///         calls += 1;
///         async move { if calls < 2 { Err(io::ErrorKind::ConnectionReset.into()) } else { Ok(7) } }
///     })
///     .await;
/// assert_eq!(value.unwrap(), 7);
/// assert_eq!(calls, 2);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy<B = Backoff, Tm = NoAttemptTimeout> {
    schedule: B,
    max_elapsed: Option<Duration>,
    attempt_timeout: Tm,
    budget: Option<Budget>,
}

impl<B> RetryPolicy<B, NoAttemptTimeout> {
    /// A policy that retries as `schedule` says (a [`Backoff`] or any
    /// `Clone + IntoIterator<Item = Duration>`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)));
    /// let per_service = policy.clone().max_elapsed(Duration::from_secs(10));
    /// # let _ = per_service;
    /// ```
    #[must_use]
    pub const fn new(schedule: B) -> Self {
        Self {
            schedule,
            max_elapsed: None,
            attempt_timeout: NoAttemptTimeout,
            budget: None,
        }
    }

    /// Races each attempt against `limit`; see
    /// [`Retry::attempt_timeout`]. The policy's [`retry`](RetryPolicy::retry)
    /// then needs `E: From<Elapsed>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)))
    ///     .attempt_timeout(Duration::from_secs(2));
    /// assert_eq!(policy.attempt_limit(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn attempt_timeout(self, limit: Duration) -> RetryPolicy<B, AttemptTimeout> {
        RetryPolicy {
            schedule: self.schedule,
            max_elapsed: self.max_elapsed,
            attempt_timeout: AttemptTimeout(limit),
            budget: self.budget,
        }
    }

    /// Retries `op` under this policy.
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
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)).max_retries(2));
    /// let mut calls = 0;
    /// let result: Result<(), &str> = policy
    ///     .retry(|| {
    ///         calls += 1;
    ///         async { Err("down") }
    ///     })
    ///     .await;
    /// assert_eq!(result, Err("down"));
    /// assert_eq!(calls, 3);
    /// # }
    /// ```
    pub fn retry<F, Fut, T, E>(&self, op: F) -> DefaultRetry<B::IntoIter, F, Fut, E>
    where
        B: IntoIterator<Item = Duration> + Clone,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.configure(retry(self.schedule.clone(), op))
    }
}

impl<B> RetryPolicy<B, AttemptTimeout> {
    /// Retries `op` under this policy, racing each attempt against the
    /// policy's attempt timeout.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future stops at once: the attempt in flight
    /// is dropped and no further attempt is made.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)))
    ///     .attempt_timeout(Duration::from_secs(2));
    /// let mut calls = 0;
    /// let value: io::Result<u32> = policy
    ///     .retry(|| {
    ///         calls += 1;
    ///         let hangs = calls == 1;
    ///         async move {
    ///             if hangs {
    ///                 std::future::pending::<()>().await;
    ///             }
    ///             Ok(7)
    ///         }
    ///     })
    ///     .await;
    /// assert_eq!(value.unwrap(), 7); // the first attempt timed out
    /// assert_eq!(calls, 2);
    /// # }
    /// ```
    pub fn retry<F, Fut, T, E>(&self, op: F) -> DefaultRetry<B::IntoIter, F, Fut, E>
    where
        B: IntoIterator<Item = Duration> + Clone,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Elapsed>,
    {
        self.configure(retry(self.schedule.clone(), op).attempt_timeout(self.attempt_timeout.0))
    }

    /// The per-attempt timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new(Backoff::exponential(Duration::from_millis(100)))
    ///     .attempt_timeout(Duration::from_millis(500));
    /// assert_eq!(policy.attempt_limit(), Duration::from_millis(500));
    /// ```
    #[must_use]
    pub const fn attempt_limit(&self) -> Duration {
        self.attempt_timeout.0
    }
}

impl<B, Tm> RetryPolicy<B, Tm> {
    /// Gives up rather than start an attempt `limit` or more after the
    /// first; see [`Retry::max_elapsed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)).unlimited())
    ///     .max_elapsed(Duration::from_millis(2_500));
    /// let mut calls = 0;
    /// let result: Result<(), &str> = policy
    ///     .retry(|| {
    ///         calls += 1;
    ///         async { Err("down") }
    ///     })
    ///     .await;
    /// assert_eq!(result, Err("down"));
    /// assert_eq!(calls, 3); // at 0, 1 and 2 s
    /// # }
    /// ```
    #[must_use]
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = Some(limit);
        self
    }

    /// Spends one token of the shared `budget` on each retry; see
    /// [`Retry::budget`] and [`Budget`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Budget, RetryPolicy};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // No deposits yet and no per-second allowance: no retry at all.
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)))
    ///     .budget(Budget::new(0.1, 0));
    /// let mut calls = 0;
    /// let result: Result<(), &str> = policy
    ///     .retry(|| {
    ///         calls += 1;
    ///         async { Err("down") }
    ///     })
    ///     .await;
    /// assert_eq!(result, Err("down"));
    /// assert_eq!(calls, 1);
    /// # }
    /// ```
    #[must_use]
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Applies the settings every flavour of the policy shares.
    fn configure<S, F, Fut, E, W, N, A>(
        &self,
        r: super::Retry<S, F, Fut, E, W, N, A>,
    ) -> super::Retry<S, F, Fut, E, W, N, A> {
        let r = match self.max_elapsed {
            Some(limit) => r.max_elapsed(limit),
            None => r,
        };
        match &self.budget {
            Some(budget) => r.budget(budget.clone()),
            None => r,
        }
    }

    /// The budget each retry spends from, if any.
    #[cfg(feature = "tower")]
    pub(crate) fn budget_ref(&self) -> Option<&Budget> {
        self.budget.as_ref()
    }

    /// The `max_elapsed` limit, if any.
    #[cfg(feature = "tower")]
    pub(crate) fn max_elapsed_limit(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The schedule each retry starts from.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)).max_retries(2));
    /// let delays: Vec<Duration> = policy.schedule().clone().into_iter().collect();
    /// assert_eq!(delays, [Duration::from_secs(1); 2]);
    /// ```
    #[must_use]
    pub const fn schedule(&self) -> &B {
        &self.schedule
    }
}
