//! Production-grade async concurrency patterns for tokio: the toolbox a
//! Python `asyncio` programmer reaches for, done right in Rust.
//!
//! Each module is one pattern, generic over futures, with named future
//! types, typed errors that give your values back, and a documented answer to
//! "what is lost if this future is dropped?" (`# Cancel safety`).
//!
//! # Choosing a pattern
//!
//! | you want to... | use |
//! |---|---|
//! | signal "ready" / "stop" to any number of tasks | [`event::Event`] |
//! | bound how long one call, or a whole request, may take | [`timeout`]: [`timeout::timeout`], [`timeout::Deadline`] |
//! | share a few costly objects (connections, clients) between many tasks | [`pool::Pool`] |
//!
//! # Python asyncio → async-patterns
//!
//! | asyncio | async-patterns |
//! |---|---|
//! | `asyncio.Event()`, `set`, `clear`, `is_set`, `await ev.wait()` | [`event::Event`] |
//! | `await asyncio.wait_for(coro, 5)` | [`timeout::timeout`]`(d, fut)`, `fut.timeout(d)` ([`TimeoutExt`](timeout::TimeoutExt)) |
//! | `async with asyncio.timeout(5):` | [`Deadline::after(d).scope(fut)`](timeout::Deadline::scope) |
//! | `asyncio.timeout_at(when)`, `cm.reschedule(when)` | [`timeout::timeout_at`], [`Timeout::reset`](timeout::Timeout::reset) |
//! | `except asyncio.TimeoutError` | [`timeout::Elapsed`] (converts into `io::Error` `TimedOut`) |
//! | `async with pool.acquire() as conn:` | [`pool::Pool::get`] → [`pool::Pooled`] guard, returned on drop |
//!
//! # Events
//!
//! ```
//! use std::sync::Arc;
//! use async_patterns::event::Event;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let shutdown = Arc::new(Event::new());
//! let worker = tokio::spawn({
//!     let shutdown = shutdown.clone();
//!     async move {
//!         shutdown.wait().await;
//!         "cleaned up"
//!     }
//! });
//! shutdown.set();
//! assert_eq!(worker.await.unwrap(), "cleaned up");
//! # }
//! ```
//!
//! # Timeouts and deadlines
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::prelude::*;
//! use async_patterns::timeout::Deadline;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let slow = tokio::time::sleep(Duration::from_secs(10));
//! assert!(slow.timeout(Duration::from_secs(1)).await.is_err());
//!
//! // A budget for a whole request; nested waits cannot outlive it.
//! let outcome = Deadline::after(Duration::from_secs(2))
//!     .scope(async { tokio::time::sleep(Duration::from_secs(5)).await })
//!     .await;
//! assert!(outcome.is_err());
//! # }
//! ```
//!
//! # Runtime
//!
//! The crate runs on tokio (features `sync`, `time`, `rt`). [`event::Event`]
//! and futures without a deadline also run under any executor, such as
//! `futures::executor::block_on`; everything timed needs a tokio runtime with
//! the time driver, and is tested on tokio's paused clock.
//!
//! There are no cargo features: everything is always available.
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

#[allow(dead_code, unused_imports)]
mod loom;

pub mod actor;
pub mod event;
pub mod executor;
pub mod pool;
pub mod prelude;
pub mod queue;
pub mod rate_limit;
pub mod retry;
pub mod stream;
pub mod timeout;

/// The README's code blocks, compiled and run as doctests so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
