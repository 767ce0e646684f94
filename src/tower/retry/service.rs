use std::task::{Context, Poll};
use std::time::Duration;

use tower_service::Service;

use super::ResponseFuture;
use super::future::{OnError, Replay};
use crate::retry::{RetryAfter, RetryPolicy, When};

/// The service of a [`RetryLayer`](super::RetryLayer).
///
/// It is ready when the inner service is, and sends each request's first
/// attempt to it; retries go to a clone of it, readied anew for each
/// attempt. So requests must be `Clone` (each retry sends a clone; a
/// request type that is not is a compile error, not a runtime failure),
/// and so must the inner service.
///
/// ```compile_fail
/// # use std::time::Duration;
/// # use async_patterns::retry::{Backoff, RetryPolicy};
/// # use async_patterns::tower::RetryLayer;
/// # use tower::{Layer, ServiceExt, service_fn};
/// struct NotClone;
/// let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1))))
///     .layer(service_fn(|_: NotClone| async { Ok::<_, ()>(()) }));
/// let _ = svc.oneshot(NotClone); // error: `NotClone: Clone` is not satisfied
/// ```
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
/// let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1))))
///     .layer(service_fn(|x: u8| async move { Ok::<_, ()>(x) }));
/// assert_eq!(svc.get_ref().clone().oneshot(4).await, Ok(4));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Retry<S, B, W, A> {
    inner: S,
    // Plain data (a budget is a handle): a clone of the service, as each
    // request, copies it rather than counting references to it.
    policy: RetryPolicy<B>,
    when: W,
    retry_after: A,
}

impl<S, B, W, A> Retry<S, B, W, A> {
    pub(super) fn new(inner: S, policy: RetryPolicy<B>, when: W, retry_after: A) -> Self {
        Self {
            inner,
            policy,
            when,
            retry_after,
        }
    }

    /// The inner service.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, RetryPolicy};
    /// use async_patterns::tower::RetryLayer;
    /// use tower::Layer;
    ///
    /// let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(1)))).layer("inner");
    /// assert_eq!(*svc.get_ref(), "inner");
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B, W, A, Req> Service<Req> for Retry<S, B, W, A>
where
    S: Service<Req> + Clone,
    Req: Clone,
    B: IntoIterator<Item = Duration> + Clone,
    W: When<S::Error> + Clone,
    A: RetryAfter<S::Error> + Clone,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, Req, B, OnError<W, A>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, req: Req) -> Self::Future {
        ResponseFuture::call(
            &mut self.inner,
            req,
            Replay::Allowed,
            &self.policy,
            OnError::new(self.when.clone(), self.retry_after.clone()),
        )
    }
}
