use crate::timeout::Elapsed;

/// The error of a [`Timeout`](super::Timeout) service: the deadline passed
/// first, or the inner service's own error.
///
/// It is `std::error::Error + Send + Sync + 'static` when `E` is, so it
/// converts into a `BoxError` for stacks that want one.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::tower::{TimeoutError, TimeoutLayer};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = TimeoutLayer::new(Duration::from_millis(100))
///     .layer(service_fn(|()| std::future::pending::<Result<(), Infallible>>()));
/// match svc.oneshot(()).await {
///     Err(TimeoutError::Elapsed(elapsed)) => assert_eq!(elapsed.limit(), Duration::from_millis(100)),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum TimeoutError<E> {
    /// The deadline passed before the inner call completed; the call was
    /// dropped.
    #[error(transparent)]
    Elapsed(Elapsed),
    /// The inner service failed.
    #[error(transparent)]
    Inner(E),
}

impl<E> TimeoutError<E> {
    /// The inner service's error, if that is what this is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::TimeoutError;
    ///
    /// assert_eq!(TimeoutError::Inner("refused").into_inner(), Some("refused"));
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            TimeoutError::Inner(e) => Some(e),
            TimeoutError::Elapsed(_) => None,
        }
    }
}
