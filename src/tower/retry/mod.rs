//! Retries as a tower layer, on the crate's [`RetryPolicy`], [`Backoff`]
//! and [`Budget`].
//!
//! [`RetryLayer::new(policy)`](RetryLayer::new) calls the inner service
//! again after a failure, as the policy's schedule says, and resolves to
//! the first success or the last error (the inner service's own error
//! type: no wrapper). No hand-written `tower::retry::Policy`: the layer has
//! [`when`](RetryLayer::when) (which errors to retry) and
//! [`retry_after`](RetryLayer::retry_after) (a server's hint) builder
//! methods, honours the policy's `max_elapsed` and the ambient
//! [`Deadline`](crate::timeout::Deadline), and
//! [`budget`](RetryLayer::budget) caps retries to a fraction of recent
//! successes so that a failing backend is not hit by a retry storm.
//!
//! Requests must be `Clone`: the layer keeps a copy of each request, and
//! every retry sends a clone of it.
//!
//! For HTTP clients (429/502/503/504 and connection errors of idempotent
//! methods, `Retry-After`, bodies replayed up to a cap), use
//! [`tower::http::RetryLayer`](crate::tower::http::RetryLayer).
//!
//! # Examples
//!
//! ```
//! use std::io;
//! use std::time::Duration;
//! use async_patterns::retry::{Backoff, Budget, RetryPolicy};
//! use async_patterns::tower::RetryLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let svc = ServiceBuilder::new()
//!     .layer(
//!         RetryLayer::new(RetryPolicy::new(Backoff::exponential(Duration::from_millis(100))))
//!             .when(|e: &io::Error| e.kind() == io::ErrorKind::ConnectionReset)
//!             .budget(Budget::new(0.1, 10)),
//!     )
//!     .service(service_fn(|path: &'static str| async move {
//!         if path == "/missing" { Err(io::Error::from(io::ErrorKind::NotFound)) } else { Ok(path.len()) }
//!     }));
//! assert_eq!(svc.clone().oneshot("/ok").await.unwrap(), 3);
//! assert!(svc.oneshot("/missing").await.is_err()); // not retried
//! # }
//! ```

mod future;
mod layer;
mod service;

pub use future::{Classify, OnError, ResponseFuture, Verdict};
pub use layer::RetryLayer;
pub use service::Retry;

pub(crate) use future::{Replay, Sealed};

#[cfg(doc)]
use crate::retry::{Backoff, Budget, RetryPolicy};
