//! The tower layers for HTTP services (`http::Request` in,
//! `http::Response` out): servers answer instead of failing, and clients
//! retry what HTTP says may be retried.
//!
//! | layer | refuses with |
//! |---|---|
//! | [`RateLimitLayer`] (`.reject()`, `::keyed`) | `429 Too Many Requests` + `Retry-After` |
//! | [`ConcurrencyLimitLayer`] (`.shed()`) | `503 Service Unavailable` |
//! | [`TimeoutLayer`] (reads `grpc-timeout`) | `504 Gateway Timeout` ([configurable](TimeoutLayer::status)) |
//! | [`RetryLayer`] (client side) | retries `429`/`502`/`503`/`504` and connection errors of idempotent requests |
//!
//! Each wraps the generic layer of the same name in
//! [`async_patterns::tower`](crate::tower) (same constructors, same shared
//! limits across clones); the answers have an empty body (`B::default()`),
//! and the service's error type is the inner service's (for axum,
//! `Infallible`), so the layers go straight onto an axum `Router`.
//!
//! # Examples
//!
//! An axum router behind the four server-side layers (the `tower` feature
//! does not depend on axum; this runs with axum as a dev-dependency):
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::rate_limit::RateLimiter;
//! use async_patterns::tower::http::{ConcurrencyLimitLayer, RateLimitLayer, TimeoutLayer};
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(RateLimitLayer::new(RateLimiter::per_second(100).burst(1)).reject())
//!     .layer(ConcurrencyLimitLayer::new(512).shed())
//!     .layer(TimeoutLayer::new(Duration::from_secs(2)));
//!
//! let request = || http::Request::get("/").body(axum::body::Body::empty()).unwrap();
//! assert_eq!(app.clone().oneshot(request()).await.unwrap().status(), 200);
//! let refused = app.oneshot(request()).await.unwrap();
//! assert_eq!(refused.status(), 429);
//! assert_eq!(refused.headers()["retry-after"], "1");
//! # }
//! ```

mod answer;
mod concurrency;
mod date;
mod rate_limit;
mod retry;
mod timeout;

pub use answer::{Answer, RateLimited, ResponseFuture, Shed, TimedOut};
pub use concurrency::{ConcurrencyLimit, ConcurrencyLimitLayer};
pub use rate_limit::{KeyedRateLimit, KeyedRateLimitLayer, RateLimit, RateLimitLayer};
pub use retry::{HttpClassify, NotRetried, Retry, RetryLayer};
pub use timeout::{Timeout, TimeoutLayer};
