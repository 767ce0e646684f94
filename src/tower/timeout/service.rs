use std::task::{Context, Poll};
use std::time::Duration;

use tower_service::Service;

use super::{ResponseFuture, TimeoutError};
use crate::timeout::{Deadline, Scope};
use tokio::time::Instant;

/// The service of a [`TimeoutLayer`](super::TimeoutLayer).
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::tower::Timeout;
/// use tower::{ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = Timeout::new(service_fn(|()| async { Ok::<_, Infallible>("done") }), Duration::from_secs(1));
/// assert_eq!(svc.oneshot(()).await.unwrap(), "done");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    limit: Duration,
}

impl<S> Timeout<S> {
    /// Wraps `inner`, giving each call at most `limit`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::tower::Timeout;
    ///
    /// let svc = Timeout::new("inner", Duration::from_secs(1));
    /// assert_eq!(*svc.get_ref(), "inner");
    /// ```
    pub const fn new(inner: S, limit: Duration) -> Self {
        Self { inner, limit }
    }

    /// The inner service.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::tower::Timeout;
    ///
    /// let svc = Timeout::new(7, Duration::from_secs(1));
    /// assert_eq!(*svc.get_ref(), 7);
    /// ```
    pub const fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Calls the inner service under the deadline `limit` after `now`,
    /// narrowed to the ambient one: the deadline is also current while
    /// `call` runs, for services that read it before returning their
    /// future.
    ///
    /// `now` is the instant the caller read the clock at: it is read once
    /// per call.
    #[inline]
    pub(crate) fn call_under<Req>(
        &mut self,
        now: Instant,
        limit: Duration,
        req: Req,
    ) -> ResponseFuture<S::Future>
    where
        S: Service<Req>,
    {
        let requested = Deadline::after_from(now, limit);
        let mut deadline = requested;
        let fut = {
            let _ambient = deadline.narrow_and_enter();
            self.inner.call(req)
        };
        // What `Elapsed` reports: `limit` itself unless an ambient deadline
        // came first (no clock arithmetic in the common case).
        let limit = if deadline == requested {
            limit
        } else {
            deadline.remaining_from(now)
        };
        ResponseFuture::new(Scope::with_limit(deadline, limit, fut))
    }

    pub(crate) const fn limit(&self) -> Duration {
        self.limit
    }

    pub(crate) fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S, Req> Service<Req> for Timeout<S>
where
    S: Service<Req>,
{
    type Response = S::Response;
    type Error = TimeoutError<S::Error>;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(TimeoutError::Inner)
    }

    #[inline]
    fn call(&mut self, req: Req) -> Self::Future {
        self.call_under(Instant::now(), self.limit, req)
    }
}
