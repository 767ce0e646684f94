//! A timeout as a tower layer, on the crate's [`Deadline`].
//!
//! [`TimeoutLayer::new(limit)`](TimeoutLayer::new) runs each inner call
//! inside [`Deadline::scope`] with the deadline
//! `Deadline::after(limit).min(Deadline::current())`: everything the call
//! awaits (the crate's retries, rate-limit waits, nested timeouts) sees the
//! request's budget in [`Deadline::current`] and stops in time, and a
//! request already under a shorter deadline keeps it.
//!
//! The error is a matchable [`TimeoutError`] (not a boxed `Elapsed` to
//! downcast, as with `tower::timeout::Timeout`).
//!
//! For HTTP servers that should answer `504 Gateway Timeout` and honour an
//! incoming `grpc-timeout` header, use
//! [`tower::http::TimeoutLayer`](crate::tower::http::TimeoutLayer).
//!
//! # Examples
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use async_patterns::timeout::Deadline;
//! use async_patterns::tower::{TimeoutError, TimeoutLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let svc = ServiceBuilder::new()
//!     .layer(TimeoutLayer::new(Duration::from_secs(2)))
//!     .service(service_fn(|secs: u64| async move {
//!         // The handler sees the request's budget.
//!         assert!(Deadline::current().remaining() <= Duration::from_secs(2));
//!         tokio::time::sleep(Duration::from_secs(secs)).await;
//!         Ok::<_, Infallible>(secs)
//!     }));
//! assert_eq!(svc.clone().oneshot(1).await.unwrap(), 1);
//! assert!(matches!(svc.oneshot(5).await, Err(TimeoutError::Elapsed(_))));
//! # }
//! ```

mod error;
mod future;
mod layer;
mod service;

pub use error::TimeoutError;
pub use future::ResponseFuture;
pub use layer::TimeoutLayer;
pub use service::Timeout;

#[cfg(doc)]
use crate::timeout::Deadline;
