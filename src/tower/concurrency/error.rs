/// The error of a [`ConcurrencyLimit`](super::ConcurrencyLimit) service:
/// shed (in [`shed`](super::ConcurrencyLimitLayer::shed) mode), or the
/// inner service's own error.
///
/// It is `std::error::Error + Send + Sync + 'static` when `E` is, so it
/// converts into a `BoxError` for stacks that want one.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::tower::{ConcurrencyLimitError, ConcurrencyLimitLayer};
/// use tower::{Layer, Service, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut svc = ConcurrencyLimitLayer::new(1)
///     .shed()
///     .layer(service_fn(|()| std::future::pending::<Result<(), Infallible>>()));
/// let _in_flight = svc.ready().await.unwrap().call(());
/// let shed = svc.ready().await.unwrap().call(()).await;
/// assert!(matches!(shed, Err(ConcurrencyLimitError::Overloaded)));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ConcurrencyLimitError<E> {
    /// Shed: no permit was free, or the inner service was not ready.
    #[error("service overloaded: request shed")]
    Overloaded,
    /// The inner service failed.
    #[error(transparent)]
    Inner(E),
}

impl<E> ConcurrencyLimitError<E> {
    /// The inner service's error, if that is what this is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::ConcurrencyLimitError;
    ///
    /// assert_eq!(ConcurrencyLimitError::Inner(7).into_inner(), Some(7));
    /// assert_eq!(ConcurrencyLimitError::<u8>::Overloaded.into_inner(), None);
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            ConcurrencyLimitError::Inner(e) => Some(e),
            ConcurrencyLimitError::Overloaded => None,
        }
    }
}
