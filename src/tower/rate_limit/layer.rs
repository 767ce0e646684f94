use tower_layer::Layer;

use super::{KeyedRateLimit, Mode, RateLimit};
use crate::rate_limit::{KeyedRateLimiter, RateLimiter};

/// Applies a shared [`RateLimiter`] to every request: see the
/// [module docs](super).
///
/// Clones of the layer, and every service it makes, share the limiter.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::rate_limit::RateLimiter;
/// use async_patterns::tower::RateLimitLayer;
/// use tokio::time::Instant;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let layer = RateLimitLayer::new(RateLimiter::per_second(10));
/// let svc = layer.layer(service_fn(|x: u32| async move { Ok::<_, Infallible>(x) }));
/// let start = Instant::now();
/// for i in 0..3 {
///     // Each clone (as axum makes per connection) shares the one limit.
///     svc.clone().oneshot(i).await.unwrap();
/// }
/// assert_eq!(start.elapsed(), Duration::from_millis(200));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limiter: RateLimiter,
    mode: Mode,
}

impl RateLimitLayer {
    /// Each request waits (first come, first served) for a permit of
    /// `limiter` before the inner service is called.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::tower::RateLimitLayer;
    ///
    /// let layer = RateLimitLayer::new(RateLimiter::per_second(100).burst(10));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn new(limiter: RateLimiter) -> Self {
        Self {
            limiter,
            mode: Mode::Wait,
        }
    }

    /// Refuses a request at once when no permit is free, with
    /// [`RateLimitError::Limited`](super::RateLimitError::Limited) (which
    /// says when to come back) instead of waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::tower::RateLimitLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let layer = RateLimitLayer::new(RateLimiter::per_second(1)).reject();
    /// let svc = layer.layer(service_fn(|()| async { Ok::<_, Infallible>(()) }));
    /// assert!(svc.clone().oneshot(()).await.is_ok());
    /// assert!(svc.oneshot(()).await.is_err());
    /// # }
    /// ```
    #[must_use]
    pub fn reject(mut self) -> Self {
        self.mode = Mode::Reject;
        self
    }

    /// A limit per key: `key(&request)` names the client (IP, API token,
    /// route), and each key gets the rate of `limiter`; see
    /// [`KeyedRateLimiter`] for how memory stays bounded.
    ///
    /// A `key` function that panics panics the caller of `call`, as any
    /// code there would; the limiter is not affected.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    /// use async_patterns::tower::RateLimitLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let per_user = KeyedRateLimiter::new(1, Duration::from_secs(1));
    /// let layer = RateLimitLayer::keyed(per_user, |(user, _): &(&str, u32)| user.to_string()).reject();
    /// let svc = layer.layer(service_fn(|(_, n): (&str, u32)| async move { Ok::<_, Infallible>(n) }));
    /// assert!(svc.clone().oneshot(("alice", 1)).await.is_ok());
    /// assert!(svc.clone().oneshot(("bob", 2)).await.is_ok());
    /// assert!(svc.oneshot(("alice", 3)).await.is_err());
    /// # }
    /// ```
    #[must_use]
    pub fn keyed<K, F>(limiter: KeyedRateLimiter<K>, key: F) -> KeyedRateLimitLayer<K, F> {
        KeyedRateLimitLayer {
            limiter,
            key,
            mode: Mode::Wait,
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit::with_mode(inner, self.limiter.clone(), self.mode)
    }
}

/// A [`RateLimitLayer`] with a limit per key, made by
/// [`RateLimitLayer::keyed`].
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::rate_limit::KeyedRateLimiter;
/// use async_patterns::tower::RateLimitLayer;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let layer = RateLimitLayer::keyed(KeyedRateLimiter::new(5, Duration::from_secs(1)), |n: &u32| n % 2);
/// let svc = layer.layer(service_fn(|n: u32| async move { Ok::<_, Infallible>(n) }));
/// assert_eq!(svc.oneshot(7).await.unwrap(), 7);
/// # }
/// ```
#[derive(Clone)]
pub struct KeyedRateLimitLayer<K, F> {
    limiter: KeyedRateLimiter<K>,
    key: F,
    mode: Mode,
}

impl<K, F> KeyedRateLimitLayer<K, F> {
    /// Refuses a request at once when its key has no permit free; see
    /// [`RateLimitLayer::reject`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    /// use async_patterns::tower::RateLimitLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    /// let layer = RateLimitLayer::keyed(limiter, |n: &u32| *n).reject();
    /// let svc = layer.layer(service_fn(|n: u32| async move { Ok::<_, Infallible>(n) }));
    /// assert!(svc.clone().oneshot(1).await.is_ok());
    /// assert!(svc.oneshot(1).await.is_err());
    /// # }
    /// ```
    #[must_use]
    pub fn reject(mut self) -> Self {
        self.mode = Mode::Reject;
        self
    }
}

impl<S, K, F: Clone> Layer<S> for KeyedRateLimitLayer<K, F> {
    type Service = KeyedRateLimit<S, K, F>;

    fn layer(&self, inner: S) -> KeyedRateLimit<S, K, F> {
        KeyedRateLimit::new(inner, self.limiter.clone(), self.key.clone(), self.mode)
    }
}

impl<K, F> std::fmt::Debug for KeyedRateLimitLayer<K, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedRateLimitLayer")
            .field("limiter", &self.limiter)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}
