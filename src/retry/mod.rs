//! Retrying with backoff: Python's `tenacity` (`@retry(...)`), done as a
//! future.
//!
//! A [`Backoff`] is a schedule of delays (an `Iterator<Item = Duration>`);
//! [`retry(schedule, op)`](retry()) or, with the prelude,
//! [`op.retry(schedule)`](Retryable::retry) runs `op` until it succeeds,
//! sleeping between attempts, and resolves to the `Ok` value or the **last**
//! error. A [`RetryPolicy`] is the same configuration as a reusable value;
//! [`retry_blocking`] is the loop for plain closures on threads.
//!
//! | tenacity | async-patterns |
//! |---|---|
//! | `@retry(stop=stop_after_attempt(4))` | `op.retry(Backoff::constant(d).max_retries(3))` (3 retries = 4 attempts) |
//! | `wait=wait_fixed(1)` | [`Backoff::constant(secs(1))`](Backoff::constant) |
//! | `wait=wait_exponential(multiplier=0.1, exp_base=2, max=10)` | `Backoff::exponential(ms(100)).factor(2.0).max_delay(secs(10))` |
//! | `wait=wait_random_exponential(...)` | `Backoff::exponential(..).jitter(Jitter::Full)` |
//! | `wait_exponential_jitter` / AWS decorrelated jitter | [`Backoff::decorrelated(base, cap)`](Backoff::decorrelated) |
//! | `stop=stop_after_delay(30)` | [`.max_elapsed(secs(30))`](Retry::max_elapsed) |
//! | `stop=stop_never` | [`.unlimited()`](Backoff::unlimited) |
//! | `retry=retry_if_exception_type(IOError)` | [`.when(\|e\| ...)`](Retry::when) |
//! | `before_sleep=log_it` | [`.notify(\|event\| ...)`](Retry::notify) |
//! | (server `Retry-After`) | [`.retry_after(\|e\| e.retry_after())`](Retry::retry_after) |
//! | `asyncio.wait_for` around each attempt | [`.attempt_timeout(secs(2))`](Retry::attempt_timeout) |
//! | `reraise=True` | always: the last error is returned as is |
//!
//! Not provided, use instead: tenacity's `retry_if_result` → turn the
//! unwanted `Ok` into an `Err` inside the operation; a circuit breaker → not
//! in this crate (stop retrying with [`.when(..)`](Retry::when) on a shared
//! flag).
//!
//! Differences from tenacity and from `backon` that matter in production:
//!
//! - `max_retries(n)` means `n` *retries*, so `n + 1` calls in total; the
//!   default is 3 (four calls). A non-retryable error (see
//!   [`when`](Retry::when)) means exactly one call.
//! - [`max_delay`](Backoff::max_delay) is a hard ceiling applied *after*
//!   jitter: no delay ever exceeds it.
//! - All delay arithmetic saturates: a huge initial delay or factor cannot
//!   panic or wrap around.
//! - Jitter is seedable ([`Backoff::seed`]) for reproducible tests.
//! - The loop respects the ambient [`Deadline`](crate::timeout::Deadline):
//!   inside [`Deadline::scope`](crate::timeout::Deadline::scope), it gives
//!   up with the last error instead of sleeping past the deadline.
//! - A shared [`Budget`] ([`.budget(b)`](Retry::budget)) caps retries to a
//!   fraction of recent successes, so a failing backend is not hit by a
//!   retry storm.
//! - Dropping the future cancels it at once, between or during attempts.
//! - The happy path (success on the first poll) allocates nothing and reads
//!   no clock: it costs about 10 ns more than a bare `.await` of the same
//!   operation, a fraction of `backon`'s (see `benches/retry.rs`). Hooks
//!   that are not set take no space in the future. The timer is allocated
//!   once, on the first retry or the first pending attempt with an attempt
//!   timeout.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::prelude::*;
//! use async_patterns::retry::{Backoff, Jitter};
//!
//! #[derive(Debug)]
//! enum FetchError { Transient, Fatal }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut calls = 0;
//! let fetch = || {
//!     calls += 1;
//!     let result = if calls < 3 { Err(FetchError::Transient) } else { Ok("page") };
//!     async move { result }
//! };
//! let page = fetch
//!     .retry(
//!         Backoff::exponential(Duration::from_millis(100))
//!             .jitter(Jitter::Full)
//!             .max_delay(Duration::from_secs(2))
//!             .max_retries(5),
//!     )
//!     .when(|e| matches!(e, FetchError::Transient))
//!     .notify(|ev| println!("attempt {} failed: {:?}; retrying in {:?}", ev.attempt(), ev.error(), ev.delay()))
//!     .max_elapsed(Duration::from_secs(10))
//!     .await;
//! assert_eq!(page.unwrap(), "page");
//! # let _ = FetchError::Fatal;
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `retry` (`cargo run --example retry`): a flaky operation retried with exponential backoff and jitter;
//! - `crawler` (`cargo run --example crawler`): retries honouring `Retry-After`, with a per-attempt timeout;
//! - `tour` (`cargo run --example tour`): the same against an in-memory site with 429s, 500s and hanging pages.

mod backoff;
mod blocking;
mod budget;
mod config;
mod ext;
mod future;
mod hook;
mod jitter;
mod policy;
#[cfg(feature = "tracing")]
mod trace;

pub use backoff::Backoff;
pub use blocking::retry_blocking;
pub use budget::Budget;
pub use ext::Retryable;
#[cfg(feature = "tower")]
pub(crate) use future::budget_allows;
pub use future::{DefaultRetry, Retry, retry};
pub use hook::{NoNotify, NoRetryAfter, Notify, RetryAfter, RetryAll, RetryEvent, When};
pub use jitter::Jitter;
pub use policy::{AttemptTimeout, NoAttemptTimeout, RetryPolicy};
