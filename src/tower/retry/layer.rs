use tower_layer::Layer;

use super::Retry;
use crate::retry::{Budget, NoRetryAfter, RetryAll, RetryPolicy};

/// Retries failed calls under a [`RetryPolicy`]: see the
/// [module docs](super).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, RetryPolicy};
/// use async_patterns::tower::RetryLayer;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let calls = Arc::new(AtomicU32::new(0));
/// let counter = calls.clone();
/// let flaky = service_fn(move |x: u32| {
///     let n = counter.fetch_add(1, Ordering::Relaxed);
///     async move { if n < 2 { Err("busy") } else { Ok(x) } }
/// });
/// let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(10)))).layer(flaky);
/// assert_eq!(svc.oneshot(7).await, Ok(7));
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RetryLayer<P, W = RetryAll, A = NoRetryAfter> {
    policy: P,
    when: W,
    retry_after: A,
}

impl<P> RetryLayer<P> {
    /// Retries every error as `policy` says (its schedule, `max_elapsed`
    /// and budget; a per-attempt timeout is a
    /// [`TimeoutLayer`](crate::tower::TimeoutLayer) under this layer).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    /// use async_patterns::tower::RetryLayer;
    ///
    /// let layer = RetryLayer::new(
    ///     RetryPolicy::new(Backoff::exponential(Duration::from_millis(50)).max_retries(2))
    ///         .max_elapsed(Duration::from_secs(5)),
    /// );
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub const fn new(policy: P) -> Self {
        Self {
            policy,
            when: RetryAll,
            retry_after: NoRetryAfter,
        }
    }
}

impl<B, W, A> RetryLayer<RetryPolicy<B>, W, A> {
    /// Caps retries with a shared [`Budget`]: a retry the budget refuses is
    /// not made, and the call ends with its last error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Budget, RetryPolicy};
    /// use async_patterns::tower::RetryLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let layer = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1))))
    ///     .budget(Budget::new(0.1, 0)); // nothing deposited yet: no retries
    /// let svc = layer.layer(service_fn(|()| async { Err::<(), _>("down") }));
    /// assert_eq!(svc.oneshot(()).await, Err("down"));
    /// # }
    /// ```
    #[must_use]
    pub fn budget(self, budget: Budget) -> Self {
        Self {
            policy: self.policy.budget(budget),
            ..self
        }
    }

    /// Retries only the errors for which `when` returns `true`; see
    /// [`Retry::when`](crate::retry::Retry::when).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    /// use async_patterns::tower::RetryLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let layer = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1))))
    ///     .when(|e: &&str| *e == "busy");
    /// let svc = layer.layer(service_fn(|()| async { Err::<(), _>("forbidden") }));
    /// assert_eq!(svc.oneshot(()).await, Err("forbidden")); // one call only
    /// # }
    /// ```
    #[must_use]
    pub fn when<W2>(self, when: W2) -> RetryLayer<RetryPolicy<B>, W2, A> {
        RetryLayer {
            policy: self.policy,
            when,
            retry_after: self.retry_after,
        }
    }

    /// Lets the error say how long to wait; see
    /// [`Retry::retry_after`](crate::retry::Retry::retry_after).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    /// use async_patterns::tower::RetryLayer;
    /// use tokio::time::Instant;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let layer = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1)).max_retries(1)))
    ///     .retry_after(|secs: &u64| Some(Duration::from_secs(*secs)));
    /// let svc = layer.layer(service_fn(|()| async { Err::<(), _>(3_u64) }));
    /// let start = Instant::now();
    /// assert_eq!(svc.oneshot(()).await, Err(3));
    /// assert_eq!(start.elapsed(), Duration::from_secs(3));
    /// # }
    /// ```
    #[must_use]
    pub fn retry_after<A2>(self, retry_after: A2) -> RetryLayer<RetryPolicy<B>, W, A2> {
        RetryLayer {
            policy: self.policy,
            when: self.when,
            retry_after,
        }
    }
}

impl<S, B: Clone, W: Clone, A: Clone> Layer<S> for RetryLayer<RetryPolicy<B>, W, A> {
    type Service = Retry<S, B, W, A>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry::new(
            inner,
            self.policy.clone(),
            self.when.clone(),
            self.retry_after.clone(),
        )
    }
}
