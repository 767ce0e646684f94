//! Bounded concurrency: run many futures, at most `limit` at a time.
//!
//! Two shapes, for two needs:
//!
//! - **In place**: [`gather`] and [`try_gather`] poll the futures inside the
//!   one task that awaits them. Nothing is spawned, so the futures may borrow
//!   local data and need not be `Send` or `'static`; the price is that they
//!   never run in parallel (one task, one thread at a time). Results come
//!   back in input order.
//! - **Spawned**: a [`TaskGroup`] spawns tokio tasks, at most `limit` at
//!   once, keeping the rest as unspawned futures inside the group. Tasks run
//!   in parallel on a multi-threaded runtime, blocking closures run on the
//!   blocking pool under the same limit, and running tasks can submit more
//!   work through a [`GroupHandle`]. Results come back in completion order.
//!
//! # From asyncio
//!
//! | asyncio | async-patterns |
//! |---|---|
//! | `sem = Semaphore(n)`; `await gather(*(with_sem(c) for c in coros))` | [`gather(n, futures).await`](gather) (input order) |
//! | `await gather(*coros)` where the first exception propagates | [`try_gather(n, futures).await`](try_gather): first `Err` wins, the rest are dropped |
//! | `await gather(*coros, return_exceptions=True)` | [`gather`] over futures returning `Result`: every outcome, in order |
//! | `async with TaskGroup() as tg: tg.create_task(c)` | [`TaskGroup::new(n)`](TaskGroup::new), [`spawn`](TaskGroup::spawn), [`try_join_all`](TaskGroup::try_join_all) (fail fast, siblings cancelled) |
//! | `for t in as_completed(tasks): await t` | [`join_next`](TaskGroup::join_next) in a loop |
//! | `await loop.run_in_executor(None, f)` | [`spawn_blocking(f)`](TaskGroup::spawn_blocking), counted against the same limit |
//! | a task calling `tg.create_task(...)` for a new link (crawler) | [`GroupHandle::spawn`], which fails with [`SpawnError`] once the group is closing |
//! | `task.cancel()` for every task / leaving the `TaskGroup` on error | [`abort_all`](TaskGroup::abort_all), [`shutdown().await`](TaskGroup::shutdown) |
//! | `CancelledError` / the exception a task raised | [`TaskError::is_cancelled`] / [`TaskError::is_panic`] (payload kept) |
//!
//! Not provided, use instead: one task to await or cancel on its own →
//! `tokio::spawn` and its `JoinHandle` (see [`TaskGroup`'s docs](TaskGroup#one-task-await-it-or-cancel-it));
//! `asyncio.wait(.., FIRST_COMPLETED)` → `tokio::select!` or
//! `futures::future::select_all`; `as_completed` without spawning →
//! `futures::stream::FuturesUnordered`.
//!
//! Differences worth knowing: a Rust future does nothing until polled, so
//! `gather` starts the input futures lazily as slots free (there is no
//! "already scheduled" coroutine to bound); a panicking task is reported as a
//! [`TaskError`] rather than re-raised; and cancellation is dropping: a
//! cancelled future simply never runs again (its destructors run).
//!
//! # Examples
//!
//! ```
//! use async_patterns::executor::{gather, TaskGroup};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In place, borrowing `base`.
//! let base = 10;
//! let squares = gather(4, (0..8).map(|i| async move { base + i * i })).await;
//! assert_eq!(squares[3], 19);
//!
//! // Spawned, with a task submitting more work.
//! let mut group = TaskGroup::new(4);
//! let handle = group.handle();
//! group.spawn(async move {
//!     handle.spawn(async { 2 }).unwrap();
//!     1
//! });
//! let mut all: Vec<u32> = group.join_all().await.into_iter().map(Result::unwrap).collect();
//! all.sort();
//! assert_eq!(all, [1, 2]);
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `bounded_fetch` (`cargo run --example bounded_fetch`): the semaphore pattern: ten jobs, three at a time, with `gather`;
//! - `blocking_work` (`cargo run --example blocking_work`): `run_in_executor`: CPU-heavy closures beside async waits in one `TaskGroup`;
//! - `group_memory` (`cargo run --example group_memory`): peak memory of 10^6 tasks submitted to a `TaskGroup` and to a `JoinSet`;
//! - `crawler` (`cargo run --example crawler`): a crawler whose tasks submit the links they find through a `GroupHandle`;
//! - `scheduler` (`cargo run --example scheduler`): a background task scheduler whose workers run in a `TaskGroup`;
//! - `tour` (`cargo run --example tour`): gather, the semaphore limit, cancellation and `spawn_blocking`, one section each.

mod gather;
mod task_group;

pub use gather::{Gather, TryGather, gather, try_gather};
pub use task_group::{
    GroupError, GroupHandle, GroupStats, JoinAll, JoinNext, Shutdown, SpawnError, TaskError,
    TaskGroup, TryJoinAll,
};
