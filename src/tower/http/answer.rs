//! Turning a generic layer's refusal into an HTTP response.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{HeaderValue, Response, StatusCode, header};
use pin_project_lite::pin_project;

use crate::tower::{ConcurrencyLimitError, RateLimitError, TimeoutError};

mod sealed {
    pub trait Sealed {}
}

/// How an HTTP layer answers its generic layer's refusal: with a response
/// (empty body), keeping the inner service's own errors as errors. Sealed;
/// implemented by [`RateLimited`], [`Shed`] and [`TimedOut`].
pub trait Answer<Err>: sealed::Sealed {
    /// The inner service's error type.
    type Error;

    /// The response for `err`, or the inner service's error.
    ///
    /// # Errors
    ///
    /// The inner service's error, as is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::ConcurrencyLimitError;
    /// use async_patterns::tower::http::{Answer, Shed};
    ///
    /// let response: http::Response<String> = Shed.answer(ConcurrencyLimitError::<()>::Overloaded).unwrap();
    /// assert_eq!(response.status(), 503);
    /// ```
    fn answer<B: Default>(&self, err: Err) -> Result<Response<B>, Self::Error>;
}

/// Answers a rate limit refusal with `429 Too Many Requests` and a
/// `Retry-After` header (whole seconds, rounded up).
#[derive(Debug, Clone, Copy, Default)]
pub struct RateLimited;

/// Answers a shed request with `503 Service Unavailable`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shed;

/// Answers a timed-out request with its status (`504 Gateway Timeout` by
/// default).
#[derive(Debug, Clone, Copy)]
pub struct TimedOut(pub(crate) StatusCode);

impl sealed::Sealed for RateLimited {}
impl sealed::Sealed for Shed {}
impl sealed::Sealed for TimedOut {}

fn empty<B: Default>(status: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    response
}

impl<E> Answer<RateLimitError<E>> for RateLimited {
    type Error = E;

    fn answer<B: Default>(&self, err: RateLimitError<E>) -> Result<Response<B>, E> {
        match err {
            RateLimitError::Limited(not_until) => {
                let mut response = empty(StatusCode::TOO_MANY_REQUESTS);
                let wait = not_until.wait();
                // Rounded up, so that a client that waits as told finds a
                // permit: an honest `Retry-After`.
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
                Ok(response)
            }
            RateLimitError::Inner(e) => Err(e),
        }
    }
}

impl<E> Answer<ConcurrencyLimitError<E>> for Shed {
    type Error = E;

    fn answer<B: Default>(&self, err: ConcurrencyLimitError<E>) -> Result<Response<B>, E> {
        match err {
            ConcurrencyLimitError::Overloaded => Ok(empty(StatusCode::SERVICE_UNAVAILABLE)),
            ConcurrencyLimitError::Inner(e) => Err(e),
        }
    }
}

impl<E> Answer<TimeoutError<E>> for TimedOut {
    type Error = E;

    fn answer<B: Default>(&self, err: TimeoutError<E>) -> Result<Response<B>, E> {
        match err {
            TimeoutError::Elapsed(_) => Ok(empty(self.0)),
            TimeoutError::Inner(e) => Err(e),
        }
    }
}

pin_project! {
    /// The response future of the HTTP rate limit, concurrency limit and
    /// timeout services: the generic layer's future `F`, with its refusal
    /// answered by `A` as a response.
    ///
    /// # Cancel safety
    ///
    /// As the generic layer's future: dropping it drops the request.
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct ResponseFuture<F, A> {
        #[pin]
        inner: F,
        answer: A,
    }
}

impl<F, A> ResponseFuture<F, A> {
    pub(crate) fn new(inner: F, answer: A) -> Self {
        Self { inner, answer }
    }
}

impl<F, A, B, Err> Future for ResponseFuture<F, A>
where
    F: Future<Output = Result<Response<B>, Err>>,
    A: Answer<Err>,
    B: Default,
{
    type Output = Result<Response<B>, A::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        Poll::Ready(match ready!(this.inner.poll(cx)) {
            Ok(response) => Ok(response),
            Err(err) => this.answer.answer(err),
        })
    }
}
