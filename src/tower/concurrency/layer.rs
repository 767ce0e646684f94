use std::sync::Arc;

use tokio::sync::Semaphore;
use tower_layer::Layer;

use super::{ConcurrencyLimit, Mode};

/// Allows at most `n` calls in flight across the layer and every service
/// it makes: see the [module docs](super).
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::tower::ConcurrencyLimitLayer;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let layer = ConcurrencyLimitLayer::new(10);
/// let svc = layer.layer(service_fn(|x: u32| async move { Ok::<_, Infallible>(x) }));
/// assert_eq!(svc.oneshot(3).await.unwrap(), 3);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ConcurrencyLimitLayer {
    permits: Arc<Semaphore>,
    mode: Mode,
}

impl ConcurrencyLimitLayer {
    /// At most `limit` calls in flight; the others wait, first come first
    /// served.
    ///
    /// # Panics
    ///
    /// If `limit` is 0 or more than `tokio::sync::Semaphore::MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::ConcurrencyLimitLayer;
    ///
    /// let layer = ConcurrencyLimitLayer::new(64);
    /// assert_eq!(layer.available(), 64);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(limit: usize) -> Self {
        assert!(
            limit > 0,
            "ConcurrencyLimitLayer::new: the limit must be at least 1"
        );
        assert!(
            limit <= Semaphore::MAX_PERMITS,
            "ConcurrencyLimitLayer::new: the limit must be at most {}",
            Semaphore::MAX_PERMITS
        );
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            mode: Mode::Wait,
        }
    }

    /// Never waits: a call made while no permit is free (or while the
    /// inner service is not ready) fails at once with
    /// [`ConcurrencyLimitError::Overloaded`](super::ConcurrencyLimitError::Overloaded).
    /// The service always reports ready (unless the inner service failed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use async_patterns::tower::ConcurrencyLimitLayer;
    /// use tower::{Layer, Service, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut svc = ConcurrencyLimitLayer::new(1)
    ///     .shed()
    ///     .layer(service_fn(|()| std::future::pending::<Result<(), Infallible>>()));
    /// let first = svc.ready().await.unwrap().call(());
    /// assert!(svc.ready().await.unwrap().call(()).await.is_err());
    /// drop(first); // gives its permit back
    /// let third = svc.ready().await.unwrap().call(());
    /// # drop(third);
    /// # }
    /// ```
    #[must_use]
    pub fn shed(mut self) -> Self {
        self.mode = Mode::Shed;
        self
    }

    /// Permits free now (the limit minus the calls in flight).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::ConcurrencyLimitLayer;
    ///
    /// assert_eq!(ConcurrencyLimitLayer::new(3).available(), 3);
    /// ```
    #[must_use]
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;

    fn layer(&self, inner: S) -> ConcurrencyLimit<S> {
        ConcurrencyLimit::new(inner, Arc::clone(&self.permits), self.mode)
    }
}
