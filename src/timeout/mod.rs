//! Timeout guards and deadlines: `asyncio.wait_for`, `asyncio.timeout` and
//! `asyncio.timeout_at`, done as futures.
//!
//! | asyncio | async-patterns |
//! |---|---|
//! | `await asyncio.wait_for(coro, 5)` | [`timeout`]`(Duration::from_secs(5), fut).await` or `fut.`[`timeout`](TimeoutExt::timeout)`(d).await` |
//! | `async with asyncio.timeout(5):` | [`Deadline::after`]`(d).`[`scope`](Deadline::scope)`(async { .. }).await` |
//! | `async with asyncio.timeout_at(when):` | [`timeout_at`]`(instant, fut)` / [`Deadline::at`] |
//! | `cm.reschedule(when)` | [`Timeout::reset`] |
//! | `except TimeoutError:` | `Err(`[`Elapsed`]`)`, which converts into `std::io::Error` (`TimedOut`) |
//!
//! Not provided, use instead: `asyncio.shield(coro)` → `tokio::spawn` the
//! work and time out its `JoinHandle` (the task keeps running); a periodic
//! tick → `tokio::time::interval`.
//!
//! A [`Timeout`] races one future against one instant. A [`Deadline`] is a
//! `Copy` time budget you can pass around, shrink with [`Deadline::min`], and
//! install as the *ambient* deadline of a block of async code with
//! [`Deadline::scope`]: code inside reads it with [`Deadline::current`] (the
//! crate's retry loop does) so that nothing waits past the budget of the
//! request it serves.
//!
//! Unlike Python, where `wait_for` cancels the inner task with an exception,
//! a Rust future is cancelled by dropping it: when the limit passes, the
//! inner future is dropped in the poll that returns `Err(Elapsed)` (even if
//! the guard itself is kept, as in a `select!` loop), and whatever it held
//! (buffers, locks, half-written state, a place in a waiting line) is
//! released by its destructors.
//! A future that finishes on the same poll as the deadline passes wins: its
//! output is returned, not an error.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::timeout::{Deadline, TimeoutExt};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! // One call, its own limit.
//! let slow = tokio::time::sleep(Duration::from_secs(10));
//! assert!(slow.timeout(Duration::from_secs(1)).await.is_err());
//!
//! // A budget for a whole request: everything inside shares it.
//! let result = Deadline::after(Duration::from_millis(500))
//!     .scope(async {
//!         tokio::time::sleep(Duration::from_millis(100)).await;
//!         Deadline::current().remaining()
//!     })
//!     .await;
//! assert_eq!(result.unwrap(), Duration::from_millis(400));
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `tour` (`cargo run --example tour`): `wait_for` and a `Deadline` budget shared by several steps;
//! - `monitor` (`cargo run --example monitor`): calls cut by `.timeout(d)` counted as cancelled by a performance monitor;
//! - `crawler` (`cargo run --example crawler`): a per-request timeout under an overall `Deadline`.

mod deadline;
mod elapsed;
mod ext;
mod future;
mod scope;

pub use deadline::Deadline;
pub use elapsed::Elapsed;
pub use ext::TimeoutExt;
pub use future::{Timeout, timeout, timeout_at};
pub use scope::Scope;

use std::time::Duration;
use tokio::time::Instant;

/// `from + after`, or, where that instant cannot be represented, an instant
/// 30 years after `from`: far enough to mean "never" for a timer, near
/// enough for tokio's timer wheel. For the crate's timers whose duration
/// comes from the user (`Duration::MAX` included).
pub(crate) fn saturating_instant(from: Instant, after: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    from.checked_add(after).unwrap_or(from + FAR)
}
