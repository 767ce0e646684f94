//! The crate's patterns as [tower](https://docs.rs/tower) layers, for axum,
//! tonic and hyper stacks (feature `tower`).
//!
//! | layer | on | instead of |
//! |---|---|---|
//! | [`RateLimitLayer`] (`.reject()`, `::keyed`) | [`RateLimiter`](crate::rate_limit::RateLimiter), [`KeyedRateLimiter`](crate::rate_limit::KeyedRateLimiter) | `tower::limit::RateLimit` (+ `Buffer`) |
//! | [`ConcurrencyLimitLayer`] (`.shed()`) | a FIFO semaphore | `tower::limit::ConcurrencyLimit` (+ `LoadShed`) |
//! | [`TimeoutLayer`] | [`Deadline::scope`](crate::timeout::Deadline::scope) | `tower::timeout::Timeout` |
//! | [`RetryLayer`] (`.when`, `.retry_after`, `.budget`) | [`RetryPolicy`](crate::retry::RetryPolicy), [`Budget`](crate::retry::Budget) | `tower::retry::Retry` + a hand-written `Policy` |
//!
//! Each layer is a thin shell over the crate's own primitive, so it
//! inherits its fairness, cancel safety and tests. What changes from
//! tower's own layers:
//!
//! - **Clones share one limit.** Every layer is `Clone`, and clones of a
//!   layer and of every service it makes share one rate limit, one
//!   concurrency limit, one retry budget. axum clones a service per
//!   connection; the limit stays the limit, with no `Buffer` in front.
//! - **Waits are per request, FIFO and cancel safe.** The rate and
//!   concurrency services report ready at once and wait in the response
//!   future, in the primitive's FIFO queue (not in `poll_ready`, which
//!   keeps one waker per service); a request dropped while it waits gives
//!   its place up, and a concurrency permit is held until the response
//!   future completes or is dropped. A request that had to wait calls a
//!   clone of the inner service once the wait is over, so the inner
//!   service must be `Clone` (axum routers and `service_fn`s are).
//! - **Typed errors.** [`RateLimitError`], [`ConcurrencyLimitError`] and
//!   [`TimeoutError`] are enums to `match` on, nested when layers are
//!   stacked (no `BoxError` to downcast); each is `std::error::Error +
//!   Send + Sync + 'static` when the inner error is, so `?` or `.into()`
//!   turns it into a `BoxError` for stacks that want one. The retry layer
//!   returns the inner service's error as is.
//! - **Deadlines reach the handler.** [`TimeoutLayer`] makes its limit the
//!   ambient [`Deadline`](crate::timeout::Deadline) of the call.
//!
//! [`http`] has the same layers for `http::Request`/`Response` services,
//! which answer (429, 503, 504) instead of failing, and a client-side retry
//! layer that knows HTTP.
//!
//! # Examples
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//! use async_patterns::rate_limit::RateLimiter;
//! use async_patterns::retry::{Backoff, RetryPolicy};
//! use async_patterns::tower::{
//!     ConcurrencyLimitError, ConcurrencyLimitLayer, RateLimitError, RateLimitLayer, RetryLayer, TimeoutError,
//!     TimeoutLayer,
//! };
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let svc = ServiceBuilder::new()
//!     .layer(TimeoutLayer::new(Duration::from_secs(2)))
//!     .layer(ConcurrencyLimitLayer::new(64))
//!     .layer(RateLimitLayer::new(RateLimiter::per_second(100)).reject())
//!     .layer(RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(10)))))
//!     .service(service_fn(|x: u32| async move { Ok::<_, Infallible>(x + 1) }));
//!
//! // The error type says which layer failed; no downcasting.
//! let result: Result<u32, TimeoutError<ConcurrencyLimitError<RateLimitError<Infallible>>>> =
//!     svc.oneshot(41).await;
//! assert_eq!(result.unwrap(), 42);
//! # }
//! ```

pub mod concurrency;
pub mod http;
mod oneshot;
pub mod rate_limit;
pub mod retry;
pub mod timeout;

pub use concurrency::{ConcurrencyLimit, ConcurrencyLimitError, ConcurrencyLimitLayer};
pub use rate_limit::{
    KeyedRateLimit, KeyedRateLimitLayer, RateLimit, RateLimitError, RateLimitLayer,
};
pub use retry::{Retry, RetryLayer};
pub use timeout::{Timeout, TimeoutError, TimeoutLayer};
