//! Rate limiting as a tower layer, on the crate's [`RateLimiter`] and
//! [`KeyedRateLimiter`].
//!
//! [`RateLimitLayer::new(limiter)`](RateLimitLayer::new): each request waits
//! for a permit before the inner service is called, first come first
//! served; a request dropped while it waits (the client went away) gives
//! its place up and takes nothing from the rate.
//! [`.reject()`](RateLimitLayer::reject) refuses at once instead, with a
//! [`RateLimitError::Limited`] that says when to come back.
//! [`RateLimitLayer::keyed(limiter, |req| key)`](RateLimitLayer::keyed)
//! limits each client (IP, API token, route) on its own, in bounded memory.
//!
//! Unlike `tower::limit::RateLimit`, the layer and its services are `Clone`
//! and every clone shares one limit: axum clones a service per connection,
//! and a limit of 5 per second stays 5 per second across all of them,
//! without a `Buffer` in front.
//!
//! For HTTP servers that should answer `429 Too Many Requests` rather than
//! fail, use [`tower::http::RateLimitLayer`](crate::tower::http::RateLimitLayer).
//!
//! # Examples
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use async_patterns::rate_limit::RateLimiter;
//! use async_patterns::tower::RateLimitLayer;
//! use tokio::time::Instant;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let svc = ServiceBuilder::new()
//!     .layer(RateLimitLayer::new(RateLimiter::per_second(2)))
//!     .service(service_fn(|x: u32| async move { Ok::<_, Infallible>(x) }));
//! let start = Instant::now();
//! let calls = (0..4).map(|i| svc.clone().oneshot(i));
//! futures::future::join_all(calls).await;
//! assert_eq!(start.elapsed(), Duration::from_millis(1500));
//! # }
//! ```

mod error;
mod future;
mod layer;
mod service;

pub use error::RateLimitError;
pub use future::ResponseFuture;
pub use layer::{KeyedRateLimitLayer, RateLimitLayer};
pub use service::{KeyedRateLimit, RateLimit};

#[cfg(doc)]
use crate::rate_limit::{KeyedRateLimiter, RateLimiter};

/// What a request does when no permit is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Wait for one, first come first served.
    Wait,
    /// Fail at once with [`RateLimitError::Limited`].
    Reject,
}
