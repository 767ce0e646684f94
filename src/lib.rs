//! Production-grade async concurrency patterns for tokio: the toolbox a
//! Python `asyncio` programmer reaches for, done right in Rust.
//!
//! Each module is one pattern, generic over futures, with named future
//! types, typed errors that give your values back, and a documented answer to
//! "what is lost if this future is dropped?" (the `# Cancel safety` section
//! of every async method).
//!
//! # Choosing a pattern
//!
//! | you want to... | use |
//! |---|---|
//! | run many futures, at most `n` at once, results in order, without spawning | [`executor::gather`], [`executor::try_gather`] |
//! | spawn many tasks, at most `n` running, let tasks add more work, fail fast | [`executor::TaskGroup`] |
//! | run blocking or CPU-heavy closures beside async code (`run_in_executor`) | [`TaskGroup::spawn_blocking`](executor::TaskGroup::spawn_blocking) |
//! | hand work from producers to a pool of workers and wait until it is done | [`queue`]: [`bounded`](queue::bounded), [`recv_job`](queue::Receiver::recv_job), [`join`](queue::Sender::join) |
//! | signal "ready" / "stop" to any number of tasks | [`event::Event`] |
//! | bound how long one call, or a whole request, may take | [`timeout`]: [`timeout::timeout`], [`timeout::Deadline`] |
//! | retry a flaky call with exponential backoff and jitter | [`retry`]: [`retry::Backoff`], [`Retryable::retry`](retry::Retryable::retry) |
//! | stay under "n requests per second", fairly, across tasks | [`rate_limit::RateLimiter`] |
//! | write an async generator, batch or pace a stream, map it concurrently | [`stream`]: [`stream::generate`], [`stream::StreamPatternsExt`] |
//! | own mutable state in one task and talk to it by messages | [`actor`]: [`actor::Actor`], [`actor::Addr`] |
//! | share a few costly objects (connections, clients) between many tasks | [`pool::Pool`]; hooks, limits and a graceful [`drain`](pool::Pool::drain) via [`Pool::builder`](pool::Pool::builder) |
//! | share a work queue or a rate limit between processes and machines | the `redis` module (feature `redis`): `redis::Queue`, `redis::RateLimiter` |
//! | time futures and report errors, cancellations and latency percentiles per operation | [`monitor::Monitor`]: [`timed`](monitor::Monitor::timed) |
//! | run background jobs with ids, status polling and cancellation | [`queue`] + [`Event`](event::Event) + [`TaskGroup`](executor::TaskGroup): the `scheduler` example |
//!
//! # Python asyncio → async-patterns
//!
//! | asyncio (and friends) | async-patterns |
//! |---|---|
//! | `asyncio.Queue(maxsize=n)`, `put`, `get` | [`queue::bounded`]`(n)`, [`Sender::send`](queue::Sender::send), [`Receiver::recv`](queue::Receiver::recv) |
//! | `q.task_done()`, `await q.join()` | [`Receiver::recv_job`](queue::Receiver::recv_job) (a [`Job`](queue::Job) guard, done on drop), [`join`](queue::Sender::join) |
//! | `await asyncio.wait_for(q.get(), t)`, then `q.task_done()` | [`rx.recv_job_timeout(t)`](queue::Receiver::recv_job_timeout): a [`Job`](queue::Job) that [`join`](queue::Sender::join) waits for; [`recv_timeout`](queue::Receiver::recv_timeout) finishes the item on delivery |
//! | `q.shutdown()` / `q.shutdown(immediate=True)` | [`close`](queue::Sender::close) (graceful) / [`shutdown`](queue::Sender::shutdown) (returns the queued items) |
//! | `asyncio.Event()`, `set`, `clear`, `is_set`, `await ev.wait()` | [`event::Event`] |
//! | `await asyncio.wait_for(coro, 5)` | [`timeout::timeout`]`(d, fut)`, `fut.timeout(d)` ([`TimeoutExt`](timeout::TimeoutExt)) |
//! | `async with asyncio.timeout(5):` | [`Deadline::after(d).scope(fut)`](timeout::Deadline::scope) |
//! | `asyncio.timeout_at(when)`, `cm.reschedule(when)` | [`timeout::timeout_at`], [`Timeout::reset`](timeout::Timeout::reset) |
//! | `except asyncio.TimeoutError` | [`timeout::Elapsed`] (converts into `io::Error` `TimedOut`) |
//! | `Semaphore(n)` + `await asyncio.gather(*coros)` | [`executor::gather`]`(n, futures)` |
//! | `await asyncio.gather(a(), b())` (no limit, different types) | `futures::join!(a(), b())`, `futures::try_join!`; one type, no limit: [`gather`](executor::gather)`(usize::MAX, futures)` |
//! | `gather(...)` where the first exception propagates | [`executor::try_gather`] |
//! | `async with asyncio.TaskGroup() as tg: tg.create_task(c)` | [`executor::TaskGroup`]: [`spawn`](executor::TaskGroup::spawn), [`try_join_all`](executor::TaskGroup::try_join_all) |
//! | `await loop.run_in_executor(pool, f, x)`, `await asyncio.to_thread(f, x)` (one call, inline) | `tokio::task::spawn_blocking(move \|\| f(x)).await` ([one task](executor::TaskGroup#one-task-await-it-or-cancel-it)) |
//! | many `run_in_executor` calls under one limit | [`TaskGroup::spawn_blocking`](executor::TaskGroup::spawn_blocking) |
//! | `task = asyncio.create_task(c)`; `task.cancel()` | `let task = tokio::spawn(c);` `task.abort()` (a `JoinHandle`; a guard that aborts on drop for `finally`); inside a group: [`abort_all`](executor::TaskGroup::abort_all) ([one task](executor::TaskGroup#one-task-await-it-or-cancel-it)) |
//! | cancelling an awaited coroutine | drop its future (a timeout, `select!`): [cancel safety](#cancel-safety-at-a-glance) |
//! | `async def gen(): yield x` / `async for x in gen` | [`stream::generate`] / `let mut s = std::pin::pin!(gen);` `while let Some(x) = s.next().await` ([why `pin!`](stream::generate#pinning-async-for)) |
//! | tenacity `@retry(wait=wait_exponential(...), stop=stop_after_attempt(4))` | `op.`[`retry`](retry::Retryable::retry)`(`[`Backoff::exponential`](retry::Backoff::exponential)`(d).max_retries(3))` |
//! | aiolimiter `AsyncLimiter(10, 1)`, `async with limiter:` | [`RateLimiter::per_second(10)`](rate_limit::RateLimiter::per_second), [`acquire().await`](rate_limit::RateLimiter::acquire) |
//! | an actor: an `asyncio.Queue` inbox + a task per actor | [`actor::spawn`], [`Addr::send`](actor::Addr::send), [`Addr::ask`](actor::Addr::ask) |
//! | `async with pool.acquire() as conn:` | [`pool::Pool::get`] → [`pool::Pooled`] guard, returned on drop |
//! | `await pool.close()`, reset/ping hooks, `max_inactive_connection_lifetime` | [`Pool::drain`](pool::Pool::drain), [`close`](pool::Pool::close), [`Builder::recycle`](pool::Builder::recycle), [`validate`](pool::Builder::validate), [`idle_timeout`](pool::Builder::idle_timeout) |
//! | `async with connect(dsn) as db:` (one resource, async cleanup) | a scope function taking an async closure: [`pool`'s docs](pool#the-async-with-shape-a-scope-function) |
//! | a class with `__aiter__` / `__anext__` | a [`Stream`](futures::Stream): `futures::stream::unfold(state, step)` |
//! | `loop.run_in_executor` fed by / feeding a plain thread | [`Sender::send_blocking`](queue::Sender::send_blocking), [`Receiver::recv_blocking`](queue::Receiver::recv_blocking) |
//! | crawler: aiohttp + `Semaphore` + aiolimiter + tenacity | [`TaskGroup`](executor::TaskGroup) + [`GroupHandle::spawn`](executor::GroupHandle::spawn) + [`RateLimiter`](rate_limit::RateLimiter) + [`retry`](retry::retry) + [`Deadline`](timeout::Deadline): the `crawler` example |
//! | a timing decorator `@monitor("name")` (performance monitor) | [`monitor::Monitor`]: `monitor.`[`timed`](monitor::Monitor::timed)`("name", fut).await` (counts `ok` / `err` / `cancelled`, latency percentiles) |
//! | a background task system (FastAPI: submit, poll status, cancel) | [`queue`] + [`Event`](event::Event) + [`TaskGroup`](executor::TaskGroup): the `scheduler` example |
//!
//! Not provided, use instead: `asyncio.sleep` → `tokio::time::sleep`;
//! `asyncio.Lock`/`Condition` → `tokio::sync::Mutex`/`Notify`; a bare
//! `Semaphore` → `tokio::sync::Semaphore`; `asyncio.wait(..,
//! FIRST_COMPLETED)` → `tokio::select!` or `futures::future::select_all`;
//! `loop.call_later` → `tokio::spawn` + `sleep`; subprocesses and sockets →
//! `tokio::process`, `tokio::net`; an actor name registry → a map of
//! `Addr`s you own.
//!
//! ## asyncio differences
//!
//! > - **Dropping every receiver (or every sender) closes the queue**, and a
//! >   `send` then fails with the item back; in asyncio a queue lives as
//! >   long as anyone refers to it. Keep a handle alive, or `close`
//! >   explicitly.
//! > - **Cancellation is drop.** There is no `CancelledError` to catch: a
//! >   dropped future simply stops at its last `.await`, and only its
//! >   destructors run. Put `finally:` work in a guard's `Drop`; each async
//! >   method's `# Cancel safety` says what a drop loses.
//! > - **No async `Drop`** (no `__aexit__` that awaits): close explicitly
//! >   (`pool.drain().await`, `tx.close()` + `join().await`) or use a scope
//! >   function that takes an async closure ([`pool`'s docs](pool#the-async-with-shape-a-scope-function)).
//! > - **Actors are typed**: an [`Addr<A>`](actor::Addr) sends only
//! >   `A::Message`, and there is no registry by name; to keep different
//! >   actors together, wrap their addresses in an enum you own.
//! > - **Futures are lazy**: nothing runs until polled; `tokio::spawn` is
//! >   `create_task`. A stream from [`generate`](stream::generate) is
//! >   `!Unpin`: pin it before `next()`.
//!
//! # Runnable examples
//!
//! `cargo run --example NAME`, from a checkout of the repository:
//!
//! - `tour`: every seed pattern, from `gather` to a task scheduler, one short section each, in asyncio order (among them: 5 `task.cancel()`, 9 async generators and `async for`, 11 `run_in_executor` / `to_thread`, 12 the performance monitor, 13 the resource pool with `drain`);
//! - `pipeline`: producers, a bounded queue and a worker pool with `recv_job` and `join`;
//! - `blocking_bridge`: plain threads feeding async consumers through one queue;
//! - `bounded_fetch`: the semaphore pattern with [`gather`](executor::gather);
//! - `blocking_work`: `run_in_executor` with [`TaskGroup::spawn_blocking`](executor::TaskGroup::spawn_blocking);
//! - `group_memory`: memory of 10^6 tasks in a [`TaskGroup`](executor::TaskGroup) vs a `JoinSet`;
//! - `retry`: exponential backoff with jitter ([`retry`]);
//! - `rate_limit`: 20 requests at 5 per second ([`RateLimiter`](rate_limit::RateLimiter));
//! - `generators`: async generators with [`generate`](stream::generate);
//! - `batching`: batching by size or time with `chunks_timeout`;
//! - `actors`: [`actor`]s with ask/reply and a graceful stop;
//! - `crawler`: a real HTTP crawler on loopback: limit, rate limit, retry, deadline, graceful shutdown;
//! - `monitor`: a performance monitor with [`monitor::Monitor`]: count, errors, cancellations and latency percentiles per operation;
//! - `scheduler`: a background task scheduler: submit, poll, cancel, bounded concurrency, graceful shutdown.
//!
//! # A worker pool on a queue
//!
//! ```
//! use async_patterns::queue;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (tx, rx) = queue::bounded(16);
//! for _ in 0..4 {
//!     let rx = rx.clone();
//!     tokio::spawn(async move {
//!         while let Ok(job) = rx.recv_job().await {
//!             let _url: &&str = &job; // work on it; done when `job` drops
//!         }
//!     });
//! }
//! for url in ["a", "b", "c"] {
//!     tx.send(url).await.unwrap();
//! }
//! tx.join().await; // like `await queue.join()`
//! # }
//! ```
//!
//! # Bounded concurrency
//!
//! ```
//! use async_patterns::executor::{gather, TaskGroup};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In place: borrowed futures, results in input order, no parallelism.
//! let words = ["tokio", "futures", "asyncio"];
//! let lens = gather(2, words.iter().map(|w| async move { w.len() })).await;
//! assert_eq!(lens, [5, 7, 7]);
//!
//! // Spawned: at most 8 tasks on the runtime; the first failure aborts the rest.
//! let mut group = TaskGroup::new(8);
//! for n in 0..20u64 {
//!     group.spawn(async move { Ok::<_, String>(n * n) });
//! }
//! let squares = group.try_join_all().await.unwrap();
//! assert_eq!(squares.len(), 20);
//! # }
//! ```
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
//! # Retry and rate limiting
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::prelude::*;
//! use async_patterns::rate_limit::RateLimiter;
//! use async_patterns::retry::{Backoff, Jitter};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let limiter = RateLimiter::per_second(5);
//! let mut attempts = 0;
//! let call = || {
//!     attempts += 1;
//!     let limiter = limiter.clone();
//!     let outcome = if attempts < 3 { Err("503") } else { Ok("200") };
//!     async move {
//!         limiter.acquire().await;
//!         outcome
//!     }
//! };
//! let status = call
//!     .retry(Backoff::exponential(Duration::from_millis(100)).jitter(Jitter::Full))
//!     .await;
//! assert_eq!(status, Ok("200"));
//! # }
//! ```
//!
//! # Generators and stream combinators
//!
//! ```
//! use std::time::Duration;
//! use futures::StreamExt;
//! use async_patterns::prelude::*;
//! use async_patterns::stream::generate;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let squares = generate(|mut y| async move {
//!     for i in 1..=5u32 {
//!         y.send(i * i).await;
//!     }
//! });
//! let batches: Vec<Vec<u32>> = squares
//!     .chunks_timeout(2, Duration::from_secs(1))
//!     .collect()
//!     .await;
//! assert_eq!(batches, [vec![1, 4], vec![9, 16], vec![25]]);
//! # }
//! ```
//!
//! # Actors
//!
//! ```
//! use async_patterns::actor::{self, Actor, Context, Reply};
//!
//! enum Msg {
//!     Add(u64),
//!     Get(Reply<u64>),
//! }
//!
//! struct Counter(u64);
//!
//! impl Actor for Counter {
//!     type Message = Msg;
//!
//!     async fn handle(&mut self, msg: Msg, _ctx: &mut Context<Self>) {
//!         match msg {
//!             Msg::Add(n) => self.0 += n,
//!             Msg::Get(reply) => reply.send(self.0),
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let counter = actor::spawn(Counter(0));
//! counter.send(Msg::Add(2)).await.unwrap();
//! assert_eq!(counter.ask(Msg::Get).await, Ok(2));
//! counter.stop();
//! counter.join().await.unwrap();
//! # }
//! ```
//!
//! # Cancel safety at a glance
//!
//! Dropping a future is how Rust cancels. Every async method documents what
//! a dropped future loses; in short:
//!
//! | future | if dropped before it completes |
//! |---|---|
//! | [`Event::wait`](event::Event::wait), [`wait_owned`](event::Event::wait_owned), [`wait_timeout`](event::Event::wait_timeout) | nothing |
//! | [`Receiver::recv`](queue::Receiver::recv), [`recv_job`](queue::Receiver::recv_job), [`recv_many`](queue::Receiver::recv_many), [`recv_timeout`](queue::Receiver::recv_timeout), [`recv_job_timeout`](queue::Receiver::recv_job_timeout), the receiver's `Stream::next` | nothing: no item, no wakeup (it passes to the next waiter) |
//! | [`Sender::send`](queue::Sender::send), [`send_timeout`](queue::Sender::send_timeout) | its item is dropped, never queued later (unless it had already been handed a slot: then it is queued); awaited to the end, `send_timeout` always queues the item or gives it back |
//! | [`Sender::reserve`](queue::Sender::reserve) | nothing: a slot already granted goes to the next sender (the way to send in `select!`) |
//! | [`join`](queue::Sender::join), [`closed`](queue::Sender::closed) (on either end) | nothing |
//! | [`timeout::Timeout`] ([`timeout`](timeout::timeout), [`timeout_at`](timeout::timeout_at), [`TimeoutExt`](timeout::TimeoutExt)), [`Deadline::scope`](timeout::Deadline::scope) | whatever the inner future loses when dropped |
//! | [`executor::gather`], [`try_gather`](executor::try_gather) | the futures in flight, the ones not started, and the outputs so far |
//! | [`TaskGroup::join_next`](executor::TaskGroup::join_next) | nothing: the result stays in the group |
//! | [`TaskGroup::join_all`](executor::TaskGroup::join_all), [`try_join_all`](executor::TaskGroup::try_join_all) | the group: running tasks are aborted, waiting ones dropped, results so far lost |
//! | [`TaskGroup::shutdown`](executor::TaskGroup::shutdown) | nothing more: the group is closed and aborted on the first poll; unjoined results stay in it |
//! | [`retry::Retry`] ([`retry::retry`], [`Retryable::retry`](retry::Retryable::retry), [`RetryPolicy::retry`](retry::RetryPolicy::retry)) | the attempt in flight is dropped; no further attempts |
//! | [`RateLimiter::acquire`](rate_limit::RateLimiter::acquire), [`acquire_n`](rate_limit::RateLimiter::acquire_n), [`acquire_owned`](rate_limit::RateLimiter::acquire_owned) | its place in line; no permit is taken |
//! | [`Addr::send`](actor::Addr::send) | the message, if not yet in the mailbox |
//! | [`Addr::ask`](actor::Addr::ask) | the request, if not yet in the mailbox; once in it, it is handled and the answer thrown away |
//! | [`Addr::join`](actor::Addr::join) | nothing (`join` can be called again) |
//! | [`Pool::get`](pool::Pool::get), [`get_timeout`](pool::Pool::get_timeout) | its place in line; a half-made object (the factory's future is dropped), or the idle object being validated |
//! | [`Pool::drain`](pool::Pool::drain) | nothing: the pool stays closed, its objects stay in it |
//! | [`Monitor::timed`](monitor::Monitor::timed) | what the inner future loses; the call is counted as cancelled |
//! | [`Yielder::send`](stream::Yielder::send) | the item, if never polled; once polled, nothing (the item is delivered) |
//!
//! Streams are cancelled by dropping them too. Dropping a
//! [`generate`](stream::generate) / [`try_generate`](stream::try_generate)
//! stream drops its producer at once (`aclose()`); the
//! [`StreamPatternsExt`](stream::StreamPatternsExt) adapters drop what they
//! hold: `chunks_timeout` its partial batch, `debounce` and `rate_limited`
//! the item they are holding back, `map_concurrent(_unordered)` the futures
//! in flight and the outputs not yet yielded; `throttle`, `timeout_each` and
//! `take_until_set` hold no item. Dropping a `next()` future loses nothing:
//! the state stays in the stream.
//!
//! # Runtime and features
//!
//! The crate runs on tokio (features `sync`, `time`, `rt`). [`event::Event`],
//! the queue's untimed methods, generators, and futures without a deadline
//! also run under any executor, such as `futures::executor::block_on`;
//! everything timed needs a tokio runtime with the time driver, and is tested
//! on tokio's paused clock. Spawning types ([`executor::TaskGroup`],
//! [`actor::spawn`]) need a tokio runtime.
//!
//! Everything above is built by default, with nothing but tokio, futures,
//! pin-project-lite, thiserror and fastrand. Integrations are opt-in cargo
//! features, each adding only the crates its ecosystem already uses:
//!
//! | feature | module | adds |
//! |---|---|---|
//! | `tower` | `tower`: rate limit, concurrency limit, timeout and retry as tower layers, and their `tower::http` variants | `tower-service`, `tower-layer`, `http`, `http-body` |
//! | `redis` | `redis`: a work queue and a rate limiter shared by many processes | `redis`, `serde`, `serde_json` |
//! | `tracing` | spans and events inside the modules: [`executor::TaskGroup`] tasks run in the span current at `spawn`; a retry emits a `WARN` event per failed attempt (`attempt`, `delay`, `error_type`) and one when it gives up (`attempts`, `reason`); a pool `get` runs in a `pool.get` span; a rate-limit wait that queued ends with an event recording its `wait` | `tracing` |
//!
//! Without a feature, none of its code is compiled in.
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod loom;
mod panic;
mod spin_lock;
mod timer;
mod waiters;

pub mod actor;
pub mod event;
pub mod executor;
pub mod monitor;
pub mod pool;
pub mod prelude;
pub mod queue;
pub mod rate_limit;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
pub mod retry;
pub mod stream;
pub mod timeout;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

/// The README's code blocks, compiled and run as doctests so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
