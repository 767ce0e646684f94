use crate::rate_limit::NotUntil;

/// The error of a [`RateLimit`](super::RateLimit) or
/// [`KeyedRateLimit`](super::KeyedRateLimit) service: refused by the limit
/// (in [`reject`](super::RateLimitLayer::reject) mode), or the inner
/// service's own error.
///
/// It is `std::error::Error + Send + Sync + 'static` when `E` is, so it
/// converts into a `BoxError` for stacks that want one.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::rate_limit::RateLimiter;
/// use async_patterns::tower::{RateLimitError, RateLimitLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = ServiceBuilder::new()
///     .layer(RateLimitLayer::new(RateLimiter::per_second(1)).reject())
///     .service(service_fn(|x: u32| async move { Ok::<_, Infallible>(x) }));
/// assert_eq!(svc.clone().oneshot(1).await.unwrap(), 1);
/// match svc.oneshot(2).await {
///     Err(RateLimitError::Limited(not_until)) => assert!(not_until.wait().as_millis() > 0),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError<E> {
    /// No permit was available; retry after [`NotUntil::wait`].
    #[error("rate limited: {0}")]
    Limited(NotUntil),
    /// The inner service failed.
    #[error(transparent)]
    Inner(E),
}

impl<E> RateLimitError<E> {
    /// The inner service's error, if that is what this is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::RateLimitError;
    ///
    /// let err = RateLimitError::Inner("backend down");
    /// assert_eq!(err.into_inner(), Some("backend down"));
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            RateLimitError::Inner(e) => Some(e),
            RateLimitError::Limited(_) => None,
        }
    }
}
