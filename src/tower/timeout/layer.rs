use std::time::Duration;

use tower_layer::Layer;

use super::Timeout;

/// Gives each inner call at most `limit`, as its ambient
/// [`Deadline`](crate::timeout::Deadline): see the [module docs](super).
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use async_patterns::tower::TimeoutLayer;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = TimeoutLayer::new(Duration::from_secs(1))
///     .layer(service_fn(|x: u32| async move { Ok::<_, Infallible>(x) }));
/// assert_eq!(svc.oneshot(5).await.unwrap(), 5);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    limit: Duration,
}

impl TimeoutLayer {
    /// Each call gets at most `limit` (less if it already runs under a
    /// shorter [`Deadline`](crate::timeout::Deadline)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::tower::TimeoutLayer;
    ///
    /// let layer = TimeoutLayer::new(Duration::from_secs(2));
    /// assert_eq!(layer.limit(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub const fn new(limit: Duration) -> Self {
        Self { limit }
    }

    /// The limit of each call.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::tower::TimeoutLayer;
    ///
    /// assert_eq!(TimeoutLayer::new(Duration::from_secs(3)).limit(), Duration::from_secs(3));
    /// ```
    #[must_use]
    pub const fn limit(&self) -> Duration {
        self.limit
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout::new(inner, self.limit)
    }
}
