//! The HTTP concurrency limit: `503 Service Unavailable` when shedding.

use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::{ResponseFuture, Shed};
use crate::tower::concurrency as generic;

/// The generic [`ConcurrencyLimitLayer`](crate::tower::ConcurrencyLimitLayer)
/// for HTTP services: in [`shed`](Self::shed) mode a request that finds no
/// permit free is answered `503 Service Unavailable` (empty body) at once,
/// instead of failing.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::tower::http::ConcurrencyLimitLayer;
/// use http::{Request, Response};
/// use tower::{Layer, Service, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut svc = ConcurrencyLimitLayer::new(1)
///     .shed()
///     .layer(service_fn(|_: Request<()>| std::future::pending::<Result<Response<()>, Infallible>>()));
/// let _busy = svc.ready().await.unwrap().call(Request::new(()));
/// let shed = svc.ready().await.unwrap().call(Request::new(())).await.unwrap();
/// assert_eq!(shed.status(), 503);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ConcurrencyLimitLayer(generic::ConcurrencyLimitLayer);

impl ConcurrencyLimitLayer {
    /// At most `limit` requests in flight; see
    /// [`ConcurrencyLimitLayer::new`](crate::tower::ConcurrencyLimitLayer::new).
    ///
    /// # Panics
    ///
    /// If `limit` is 0 or more than `tokio::sync::Semaphore::MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::http::ConcurrencyLimitLayer;
    ///
    /// let layer = ConcurrencyLimitLayer::new(256);
    /// assert_eq!(layer.available(), 256);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self(generic::ConcurrencyLimitLayer::new(limit))
    }

    /// Answers `503` at once when no permit is free (or the inner service
    /// is not ready).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::http::ConcurrencyLimitLayer;
    ///
    /// let layer = ConcurrencyLimitLayer::new(256).shed();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn shed(self) -> Self {
        Self(self.0.shed())
    }

    /// Permits free now.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::http::ConcurrencyLimitLayer;
    ///
    /// assert_eq!(ConcurrencyLimitLayer::new(2).available(), 2);
    /// ```
    #[must_use]
    pub fn available(&self) -> usize {
        self.0.available()
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;

    fn layer(&self, inner: S) -> ConcurrencyLimit<S> {
        ConcurrencyLimit(self.0.layer(inner))
    }
}

/// The service of the HTTP [`ConcurrencyLimitLayer`].
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::tower::http::{ConcurrencyLimit, ConcurrencyLimitLayer};
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc: ConcurrencyLimit<_> = ConcurrencyLimitLayer::new(4)
///     .layer(service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }));
/// assert_eq!(svc.oneshot(Request::new(())).await.unwrap().status(), 200);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit<S>(generic::ConcurrencyLimit<S>);

impl<S, ReqB, ResB> Service<Request<ReqB>> for ConcurrencyLimit<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<generic::ResponseFuture<S, Request<ReqB>>, Shed>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_inner(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        ResponseFuture::new(self.0.call(req), Shed)
    }
}
