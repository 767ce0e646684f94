//! The HTTP timeout: `504 Gateway Timeout` (configurable), and an incoming
//! `grpc-timeout` header narrows the request's deadline.

use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderMap, Request, Response, StatusCode};
use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use super::{ResponseFuture, TimedOut};
#[cfg(doc)]
use crate::timeout::Deadline;
use crate::tower::timeout as generic;

/// The generic [`TimeoutLayer`](crate::tower::TimeoutLayer) for HTTP
/// services: a request that runs out of time is answered with an empty
/// `504 Gateway Timeout` (see [`status`](Self::status)) instead of
/// failing, and an incoming `grpc-timeout` header (gRPC's own deadline
/// propagation) narrows the request's [`Deadline`] further.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::timeout::Deadline;
/// use async_patterns::tower::http::TimeoutLayer;
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = TimeoutLayer::new(Duration::from_secs(2)).layer(service_fn(|_: Request<()>| async {
///     let left = Deadline::current().remaining();
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Ok::<_, Infallible>(Response::new(format!("{left:?}")))
/// }));
/// let ok = svc.clone().oneshot(Request::new(())).await.unwrap();
/// assert_eq!(ok.into_body(), "2s");
/// // The client said it will wait 500 ms: no point working longer.
/// let req = Request::builder().header("grpc-timeout", "500m").body(()).unwrap();
/// assert_eq!(svc.oneshot(req).await.unwrap().status(), 504);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    limit: Duration,
    status: StatusCode,
}

impl TimeoutLayer {
    /// Each request gets at most `limit`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::tower::http::TimeoutLayer;
    ///
    /// let layer = TimeoutLayer::new(Duration::from_secs(10));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub const fn new(limit: Duration) -> Self {
        Self {
            limit,
            status: StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The status of the answer to a request that ran out of time.
    ///
    /// # Default
    ///
    /// `504 Gateway Timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::time::Duration;
    /// use async_patterns::tower::http::TimeoutLayer;
    /// use http::{Request, Response, StatusCode};
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let svc = TimeoutLayer::new(Duration::from_millis(10))
    ///     .status(StatusCode::SERVICE_UNAVAILABLE)
    ///     .layer(service_fn(|_: Request<()>| std::future::pending::<Result<Response<()>, Infallible>>()));
    /// assert_eq!(svc.oneshot(Request::new(())).await.unwrap().status(), 503);
    /// # }
    /// ```
    #[must_use]
    pub const fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner: generic::Timeout::new(inner, self.limit),
            status: self.status,
        }
    }
}

/// The service of the HTTP [`TimeoutLayer`].
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::tower::http::{Timeout, TimeoutLayer};
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc: Timeout<_> = TimeoutLayer::new(Duration::from_secs(1))
///     .layer(service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }));
/// assert_eq!(svc.oneshot(Request::new(())).await.unwrap().status(), 200);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: generic::Timeout<S>,
    status: StatusCode,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for Timeout<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<generic::ResponseFuture<S::Future>, TimedOut>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.inner_mut().poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let limit = match grpc_timeout(req.headers()) {
            Some(grpc) => grpc.min(self.inner.limit()),
            None => self.inner.limit(),
        };
        ResponseFuture::new(
            self.inner.call_under(Instant::now(), limit, req),
            TimedOut(self.status),
        )
    }
}

/// The `grpc-timeout` header: 1 to 8 digits and a unit (`H`, `M`, `S`,
/// `m`, `u`, `n`). Anything else is ignored, as gRPC servers do.
fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.as_bytes();
    let (&unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-timeout", value.parse().unwrap());
        grpc_timeout(&headers)
    }

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse("1S"), Some(Duration::from_secs(1)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "m", "123456789m", "1x", "-1S", "1.5S", " 1S"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
