//! The HTTP client retry: 429/502/503/504 and connection errors of
//! idempotent requests, honouring `Retry-After`, bodies replayed up to a cap.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use http::{Method, Request, Response, StatusCode, header};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::date;
use crate::retry::{Budget, RetryPolicy};
use crate::tower::retry::{Classify, Replay, ResponseFuture, Sealed, Verdict};

/// Default of [`RetryLayer::max_body`]: 64 KiB.
const DEFAULT_MAX_BODY: u64 = 64 * 1024;

/// Retries for HTTP clients (hyper-util, tonic, any
/// `Service<http::Request<B>>`), with conditions fixed by HTTP:
///
/// - only idempotent methods (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`);
/// - on `429`, `502`, `503` and `504` responses, and on any error of the
///   inner service (for a client: the connection failed);
/// - after the response's `Retry-After` when it has one (delay-seconds or
///   an HTTP-date, counted from the response's `Date`, else from the local
///   clock; a date in the past means at once), else after the policy's
///   next delay. A wait that would overrun the policy's `max_elapsed` or
///   the ambient [`Deadline`](crate::timeout::Deadline) is not made: the
///   response is returned;
/// - with a body replayed from a clone, when its size is known and at most
///   [`max_body`](Self::max_body). A larger (or unsized) body is sent once;
///   a retryable response to it is returned as is, with a [`NotRetried`]
///   extension that says why.
///
/// The policy's `max_elapsed`, the ambient
/// [`Deadline`](crate::timeout::Deadline) and the [`budget`](Self::budget)
/// apply as in the generic [`RetryLayer`](crate::tower::RetryLayer); the
/// final outcome (a response, or the last error) is returned as is.
///
/// Request bodies must be `Clone` (`String`, `Bytes`,
/// `http_body_util::Full<Bytes>`, ...): a streaming body is a compile error
/// rather than a request that cannot be retried.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, RetryPolicy};
/// use async_patterns::tower::http::RetryLayer;
/// use http::{Request, Response, StatusCode};
/// use tokio::time::Instant;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let calls = Arc::new(AtomicU32::new(0));
/// let counter = calls.clone();
/// let server = service_fn(move |_: Request<String>| {
///     let busy = counter.fetch_add(1, Ordering::Relaxed) == 0;
///     async move {
///         let mut response = Response::new(String::new());
///         if busy {
///             *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
///             response.headers_mut().insert("retry-after", 2.into());
///         }
///         Ok::<_, Infallible>(response)
///     }
/// });
/// let client = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(10)))).layer(server);
/// let start = Instant::now();
/// let response = client.oneshot(Request::new(String::from("payload"))).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(start.elapsed(), Duration::from_secs(2)); // as the server asked
/// assert_eq!(calls.load(Ordering::Relaxed), 2);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RetryLayer<P> {
    policy: P,
    max_body: u64,
}

impl<P> RetryLayer<P> {
    /// Retries as `policy` says, on the HTTP conditions above.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    /// use async_patterns::tower::http::RetryLayer;
    ///
    /// let layer = RetryLayer::new(RetryPolicy::new(Backoff::exponential(Duration::from_millis(100)).max_retries(3)));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub const fn new(policy: P) -> Self {
        Self {
            policy,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// The largest request body (in bytes, by its exact size hint) that is
    /// replayed.
    ///
    /// # Default
    ///
    /// 64 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    /// use async_patterns::tower::http::{NotRetried, RetryLayer};
    /// use http::{Request, Response, StatusCode};
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let server = service_fn(|_: Request<String>| async {
    ///     let mut response = Response::new(String::new());
    ///     *response.status_mut() = StatusCode::BAD_GATEWAY;
    ///     Ok::<_, Infallible>(response)
    /// });
    /// let client = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1))))
    ///     .max_body(4)
    ///     .layer(server);
    /// let response = client.oneshot(Request::new(String::from("too long"))).await.unwrap();
    /// assert_eq!(response.status(), 502);
    /// assert_eq!(response.extensions().get(), Some(&NotRetried::BodyTooLarge { limit: 4 }));
    /// # }
    /// ```
    #[must_use]
    pub const fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }
}

impl<B> RetryLayer<RetryPolicy<B>> {
    /// Caps retries with a shared [`Budget`]; see
    /// [`RetryLayer::budget`](crate::tower::RetryLayer::budget).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Budget, RetryPolicy};
    /// use async_patterns::tower::http::RetryLayer;
    ///
    /// let layer = RetryLayer::new(RetryPolicy::new(Backoff::exponential(Duration::from_millis(100))))
    ///     .budget(Budget::new(0.2, 5));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn budget(self, budget: Budget) -> Self {
        Self {
            policy: self.policy.budget(budget),
            max_body: self.max_body,
        }
    }
}

impl<S, B: Clone> Layer<S> for RetryLayer<RetryPolicy<B>> {
    type Service = Retry<S, B>;

    fn layer(&self, inner: S) -> Retry<S, B> {
        Retry {
            inner,
            policy: Arc::new(self.policy.clone()),
            max_body: self.max_body,
        }
    }
}

/// The service of the HTTP [`RetryLayer`].
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, RetryPolicy};
/// use async_patterns::tower::http::{Retry, RetryLayer};
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let client: Retry<_, _> = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1))))
///     .layer(service_fn(|_: Request<String>| async { Ok::<_, Infallible>(Response::new(())) }));
/// assert_eq!(client.oneshot(Request::new(String::new())).await.unwrap().status(), 200);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Retry<S, B> {
    inner: S,
    // Shared by the service and its clones; each request copies the
    // settings it needs.
    policy: Arc<RetryPolicy<B>>,
    max_body: u64,
}

/// Why the HTTP [`RetryLayer`] returned a retryable response without
/// retrying; found in the response's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotRetried {
    /// The request body was larger than [`RetryLayer::max_body`] (or of
    /// unknown size), so it could not be replayed.
    BodyTooLarge {
        /// The cap in force.
        limit: u64,
    },
}

/// Whether a request may be sent again, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replayable {
    Allowed,
    NotIdempotent,
    BodyTooLarge(u64),
}

/// The HTTP layer's classifier.
#[derive(Debug, Clone, Copy)]
pub struct HttpClassify {
    replay: Replayable,
}

impl Sealed for HttpClassify {}

impl<ResB, E> Classify<Response<ResB>, E> for HttpClassify {
    fn classify(&mut self, outcome: &mut Result<Response<ResB>, E>) -> Verdict {
        let response = match outcome {
            Ok(response) => response,
            Err(_) if self.replay == Replayable::Allowed => return Verdict::Retry(None),
            Err(_) => return Verdict::Failure,
        };
        let status = response.status();
        let retryable = matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
        );
        match (retryable, self.replay) {
            (true, Replayable::Allowed) => Verdict::Retry(retry_after(response)),
            (true, Replayable::BodyTooLarge(limit)) => {
                response
                    .extensions_mut()
                    .insert(NotRetried::BodyTooLarge { limit });
                Verdict::Failure
            }
            (true, Replayable::NotIdempotent) => Verdict::Failure,
            (false, _) if status.is_server_error() => Verdict::Failure,
            (false, _) => Verdict::Success,
        }
    }
}

/// The wait `Retry-After` asks for (RFC 9110 §10.2.3): delay-seconds, or
/// an HTTP-date, counted from the response's own `Date` when it has one
/// (so that a skewed local clock does not matter), else from the local
/// clock; a date in the past means now. `None` when there is no such
/// header or it is neither form (the schedule decides then).
fn retry_after<B>(response: &Response<B>) -> Option<Duration> {
    let value = response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let now = SystemTime::now();
    let at = date::parse(value, now)?;
    let sent = response
        .headers()
        .get(header::DATE)
        .and_then(|date| date::parse(date.to_str().ok()?, now))
        .unwrap_or(now);
    Some(at.duration_since(sent).unwrap_or(Duration::ZERO))
}

impl<S, B, ReqB, ResB> Service<Request<ReqB>> for Retry<S, B>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    ReqB: Body + Clone,
    B: IntoIterator<Item = Duration> + Clone,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S, Request<ReqB>, B, HttpClassify>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let idempotent = matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        let small = req
            .body()
            .size_hint()
            .upper()
            .is_some_and(|n| n <= self.max_body);
        let replay = match (idempotent, small) {
            (false, _) => Replayable::NotIdempotent,
            (true, false) => Replayable::BodyTooLarge(self.max_body),
            (true, true) => Replayable::Allowed,
        };
        let resend = match replay {
            Replayable::Allowed => Replay::Allowed,
            Replayable::NotIdempotent | Replayable::BodyTooLarge(_) => Replay::Never,
        };
        ResponseFuture::call(
            &mut self.inner,
            req,
            resend,
            &self.policy,
            HttpClassify { replay },
        )
    }
}
