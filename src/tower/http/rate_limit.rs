//! The HTTP rate limit: `429 Too Many Requests` with `Retry-After`.

use std::fmt;
use std::hash::Hash;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::{RateLimited, ResponseFuture};
use crate::rate_limit::{AcquireOwned, KeyedAcquire, KeyedRateLimiter, RateLimiter};
use crate::tower::rate_limit as generic;

/// The generic [`RateLimitLayer`](crate::tower::RateLimitLayer) for HTTP
/// services: in [`reject`](Self::reject) mode a refused request is
/// answered `429 Too Many Requests` with an empty body and a `Retry-After`
/// header (whole seconds, rounded up, so a client that waits as told gets
/// through), instead of failing.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::rate_limit::RateLimiter;
/// use async_patterns::tower::http::RateLimitLayer;
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = RateLimitLayer::new(RateLimiter::per_second(1))
///     .reject()
///     .layer(service_fn(|_: Request<String>| async { Ok::<_, Infallible>(Response::new(String::from("hi"))) }));
/// assert_eq!(svc.clone().oneshot(Request::new(String::new())).await.unwrap().status(), 200);
/// let refused = svc.oneshot(Request::new(String::new())).await.unwrap();
/// assert_eq!(refused.status(), 429);
/// assert_eq!(refused.headers()["retry-after"], "1");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RateLimitLayer(generic::RateLimitLayer);

impl RateLimitLayer {
    /// Each request waits for a permit of `limiter`; see
    /// [`RateLimitLayer::new`](crate::tower::RateLimitLayer::new).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::tower::http::RateLimitLayer;
    ///
    /// let layer = RateLimitLayer::new(RateLimiter::per_second(50).burst(50));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn new(limiter: RateLimiter) -> Self {
        Self(generic::RateLimitLayer::new(limiter))
    }

    /// Answers `429` with `Retry-After` at once when no permit is free.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::tower::http::RateLimitLayer;
    ///
    /// let layer = RateLimitLayer::new(RateLimiter::per_second(50)).reject();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn reject(self) -> Self {
        Self(self.0.reject())
    }

    /// A limit per key, `key(&request)` (a client IP from axum's
    /// `ConnectInfo`, an API token header, the route); see
    /// [`RateLimitLayer::keyed`](crate::tower::RateLimitLayer::keyed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    /// use async_patterns::tower::http::RateLimitLayer;
    /// use http::{Request, Response};
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let per_token = KeyedRateLimiter::new(1, Duration::from_secs(1));
    /// let layer = RateLimitLayer::keyed(per_token, |req: &Request<String>| {
    ///     req.headers().get("x-api-key").map(|v| v.as_bytes().to_vec())
    /// })
    /// .reject();
    /// let svc = layer.layer(service_fn(|_: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) }));
    /// let call = |key: &'static str| {
    ///     svc.clone().oneshot(Request::builder().header("x-api-key", key).body(String::new()).unwrap())
    /// };
    /// assert_eq!(call("alice").await.unwrap().status(), 200);
    /// assert_eq!(call("bob").await.unwrap().status(), 200);
    /// assert_eq!(call("alice").await.unwrap().status(), 429);
    /// # }
    /// ```
    #[must_use]
    pub fn keyed<K, F>(limiter: KeyedRateLimiter<K>, key: F) -> KeyedRateLimitLayer<K, F> {
        KeyedRateLimitLayer(generic::RateLimitLayer::keyed(limiter, key))
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit(self.0.layer(inner))
    }
}

/// The HTTP [`RateLimitLayer`] with a limit per key, made by
/// [`RateLimitLayer::keyed`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::rate_limit::KeyedRateLimiter;
/// use async_patterns::tower::http::RateLimitLayer;
/// use http::Request;
///
/// let layer = RateLimitLayer::keyed(
///     KeyedRateLimiter::<String>::new(10, Duration::from_secs(1)),
///     |req: &Request<()>| req.uri().path().to_owned(),
/// );
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct KeyedRateLimitLayer<K, F>(generic::KeyedRateLimitLayer<K, F>);

impl<K, F> KeyedRateLimitLayer<K, F> {
    /// Answers `429` with `Retry-After` at once when the key has no permit
    /// free.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    /// use async_patterns::tower::http::RateLimitLayer;
    /// use http::Request;
    ///
    /// let layer = RateLimitLayer::keyed(KeyedRateLimiter::<String>::new(10, Duration::from_secs(1)), |req: &Request<()>| {
    ///     req.uri().path().to_owned()
    /// })
    /// .reject();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn reject(self) -> Self {
        Self(self.0.reject())
    }
}

impl<S, K, F: Clone> Layer<S> for KeyedRateLimitLayer<K, F> {
    type Service = KeyedRateLimit<S, K, F>;

    fn layer(&self, inner: S) -> Self::Service {
        KeyedRateLimit(self.0.layer(inner))
    }
}

impl<K, F> fmt::Debug for KeyedRateLimitLayer<K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyedRateLimitLayer").field(&self.0).finish()
    }
}

/// The service of the HTTP [`RateLimitLayer`].
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::rate_limit::RateLimiter;
/// use async_patterns::tower::http::{RateLimit, RateLimitLayer};
/// use http::{Request, Response};
/// use tower::{Layer, service_fn};
///
/// let svc: RateLimit<_> = RateLimitLayer::new(RateLimiter::per_second(1))
///     .layer(service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }));
/// # let _ = svc;
/// ```
#[derive(Debug, Clone)]
pub struct RateLimit<S>(generic::RateLimit<S>);

impl<S, ReqB, ResB> Service<Request<ReqB>> for RateLimit<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future =
        ResponseFuture<generic::ResponseFuture<AcquireOwned, S, Request<ReqB>>, RateLimited>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The generic service is always ready; the wait is in the future.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        ResponseFuture::new(self.0.call(req), RateLimited)
    }
}

/// The service of the HTTP [`KeyedRateLimitLayer`].
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::rate_limit::KeyedRateLimiter;
/// use async_patterns::tower::http::RateLimitLayer;
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = RateLimitLayer::keyed(KeyedRateLimiter::new(1, Duration::from_secs(1)), |r: &Request<()>| r.uri().clone())
///     .layer(service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }));
/// assert_eq!(svc.oneshot(Request::new(())).await.unwrap().status(), 200);
/// # }
/// ```
#[derive(Clone)]
pub struct KeyedRateLimit<S, K, F>(generic::KeyedRateLimit<S, K, F>);

impl<S, K, F, ReqB, ResB> Service<Request<ReqB>> for KeyedRateLimit<S, K, F>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    K: Hash + Eq + Clone + Send + Sync + 'static,
    F: Fn(&Request<ReqB>) -> K,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future =
        ResponseFuture<generic::ResponseFuture<KeyedAcquire, S, Request<ReqB>>, RateLimited>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        ResponseFuture::new(self.0.call(req), RateLimited)
    }
}

impl<S, K, F> fmt::Debug for KeyedRateLimit<S, K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyedRateLimit").field(&self.0).finish()
    }
}
