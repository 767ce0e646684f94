//! A concurrency limit as a tower layer: at most `n` calls in flight across
//! every clone of the service.
//!
//! [`ConcurrencyLimitLayer::new(n)`](ConcurrencyLimitLayer::new): a request
//! waits, first come first served, for one of `n` permits; the permit is
//! held until its response future completes or is dropped, and a request
//! dropped while it waits gives its place up.
//! [`.shed()`](ConcurrencyLimitLayer::shed) never waits: a request made while
//! no permit is free, or while the inner service is not ready, fails at
//! once with [`ConcurrencyLimitError::Overloaded`] (tower's
//! `ConcurrencyLimit` + `LoadShed` in one layer).
//!
//! The permits are a `tokio::sync::Semaphore`, which is fair (FIFO), shared
//! by the layer and every service it makes: unlike
//! `tower::limit::ConcurrencyLimit`, clones share one limit.
//!
//! For HTTP servers that should answer `503 Service Unavailable` when
//! shedding, use
//! [`tower::http::ConcurrencyLimitLayer`](crate::tower::http::ConcurrencyLimitLayer).
//!
//! # Examples
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use async_patterns::tower::ConcurrencyLimitLayer;
//! use tokio::time::Instant;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let svc = ServiceBuilder::new()
//!     .layer(ConcurrencyLimitLayer::new(2))
//!     .service(service_fn(|()| async {
//!         tokio::time::sleep(Duration::from_secs(1)).await;
//!         Ok::<_, Infallible>(())
//!     }));
//! let start = Instant::now();
//! futures::future::join_all((0..4).map(|_| svc.clone().oneshot(()))).await;
//! assert_eq!(start.elapsed(), Duration::from_secs(2)); // two at a time
//! # }
//! ```

mod error;
mod future;
mod layer;
mod service;

pub use error::ConcurrencyLimitError;
pub use future::ResponseFuture;
pub use layer::ConcurrencyLimitLayer;
pub use service::ConcurrencyLimit;

/// What a request does when no permit is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Wait for one, first come first served.
    Wait,
    /// Fail at once with [`ConcurrencyLimitError::Overloaded`].
    Shed,
}
