use std::fmt;
use std::hash::Hash;
use std::task::{Context, Poll};

use tower_service::Service;

use super::{Mode, RateLimitError, ResponseFuture};
use crate::rate_limit::{AcquireOwned, KeyedAcquire, KeyedRateLimiter, RateLimiter};

/// The service of a [`RateLimitLayer`](super::RateLimitLayer): each request
/// takes a permit of the shared limiter before the inner service is called.
///
/// It reports ready at once; the wait (and the inner service's readiness)
/// is in the response future, so that each request waits in the limiter's
/// FIFO queue and gives its place up when dropped. Each request is served
/// by a clone of the inner service, hence `S: Clone`.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::rate_limit::RateLimiter;
/// use async_patterns::tower::RateLimit;
/// use tower::{ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = RateLimit::new(
///     service_fn(|x: u32| async move { Ok::<_, Infallible>(x * 2) }),
///     RateLimiter::per_second(5),
/// );
/// assert_eq!(svc.oneshot(21).await.unwrap(), 42);
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    limiter: RateLimiter,
    mode: Mode,
}

impl<S> RateLimit<S> {
    /// Wraps `inner`; requests wait for permits of `limiter` (use
    /// [`RateLimitLayer`](super::RateLimitLayer) to refuse them instead).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::tower::RateLimit;
    /// use tower::service_fn;
    ///
    /// let svc = RateLimit::new(service_fn(|()| async { Ok::<_, Infallible>(()) }), RateLimiter::per_second(5));
    /// # let _ = svc;
    /// ```
    pub fn new(inner: S, limiter: RateLimiter) -> Self {
        Self::with_mode(inner, limiter, Mode::Wait)
    }

    pub(super) fn with_mode(inner: S, limiter: RateLimiter, mode: Mode) -> Self {
        Self {
            inner,
            limiter,
            mode,
        }
    }

    /// The inner service.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::tower::RateLimit;
    ///
    /// let svc = RateLimit::new("inner", RateLimiter::per_second(5));
    /// assert_eq!(*svc.get_ref(), "inner");
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, Req> Service<Req> for RateLimit<S>
where
    S: Service<Req> + Clone,
{
    type Response = S::Response;
    type Error = RateLimitError<S::Error>;
    type Future = ResponseFuture<AcquireOwned, S, Req>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let svc = self.inner.clone();
        match self.mode {
            Mode::Wait => ResponseFuture::waiting(self.limiter.clone().acquire_owned(), svc, req),
            Mode::Reject => match self.limiter.try_acquire() {
                Ok(()) => ResponseFuture::calling(svc, req),
                Err(not_until) => ResponseFuture::limited(not_until),
            },
        }
    }
}

impl<S> fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("limiter", &self.limiter)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// The service of a [`KeyedRateLimitLayer`](super::KeyedRateLimitLayer):
/// each request takes a permit of its key's limit before the inner service
/// is called. Otherwise as [`RateLimit`].
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
/// let svc = RateLimitLayer::keyed(limiter, |ip: &[u8; 4]| *ip)
///     .layer(service_fn(|ip: [u8; 4]| async move { Ok::<_, Infallible>(ip[3]) }));
/// assert_eq!(svc.oneshot([10, 0, 0, 9]).await.unwrap(), 9);
/// # }
/// ```
#[derive(Clone)]
pub struct KeyedRateLimit<S, K, F> {
    inner: S,
    limiter: KeyedRateLimiter<K>,
    key: F,
    mode: Mode,
}

impl<S, K, F> KeyedRateLimit<S, K, F> {
    pub(super) fn new(inner: S, limiter: KeyedRateLimiter<K>, key: F, mode: Mode) -> Self {
        Self {
            inner,
            limiter,
            key,
            mode,
        }
    }
}

impl<S, K, F, Req> Service<Req> for KeyedRateLimit<S, K, F>
where
    S: Service<Req> + Clone,
    K: Hash + Eq + Clone + Send + Sync + 'static,
    F: Fn(&Req) -> K,
{
    type Response = S::Response;
    type Error = RateLimitError<S::Error>;
    type Future = ResponseFuture<KeyedAcquire, S, Req>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let key = (self.key)(&req);
        let svc = self.inner.clone();
        match self.mode {
            Mode::Wait => ResponseFuture::waiting(self.limiter.acquire(&key), svc, req),
            Mode::Reject => match self.limiter.try_acquire(&key) {
                Ok(()) => ResponseFuture::calling(svc, req),
                Err(not_until) => ResponseFuture::limited(not_until),
            },
        }
    }
}

impl<S, K, F> fmt::Debug for KeyedRateLimit<S, K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimit")
            .field("limiter", &self.limiter)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}
