//! Async generators and stream combinators: Python's async generators,
//! `async for`, and the aiostream-style operators.
//!
//! | Python | async-patterns |
//! |---|---|
//! | `async def gen(): ... yield x` | [`generate`]`(\|mut y\| async move { ... y.send(x).await })` |
//! | an async generator that may raise | [`try_generate`]: `Err(e)` (or `?`) is the last item |
//! | `async for x in gen:` | `let mut s = std::pin::pin!(gen);` then `while let Some(x) = s.next().await` ([`futures::StreamExt`]; see [why `pin!`](generate#pinning-async-for)) |
//! | `await gen.aclose()` | `drop(stream)`: the producer is dropped at once, its destructors run |
//! | `aiostream.stream.chunks` + a timer | [`chunks_timeout(max, d)`](StreamPatternsExt::chunks_timeout) |
//! | `aiostream.stream.spaceout(s, d)` | [`throttle(d)`](StreamPatternsExt::throttle) |
//! | a debounce loop around `wait_for(q.get(), d)` | [`debounce(d)`](StreamPatternsExt::debounce) |
//! | `async for x in gen: await limiter.acquire(); ...` | [`rate_limited(limiter)`](StreamPatternsExt::rate_limited) |
//! | `asyncio.wait_for(anext(gen), d)` per item | [`timeout_each(d)`](StreamPatternsExt::timeout_each) |
//! | `async for x in gen: if stop.is_set(): break` | [`take_until_set(event)`](StreamPatternsExt::take_until_set) |
//! | `aiostream.stream.map(s, f, task_limit=n)` (ordered) | [`map_concurrent(n, f)`](StreamPatternsExt::map_concurrent) |
//! | `asyncio.as_completed` with a semaphore | [`map_concurrent_unordered(n, f)`](StreamPatternsExt::map_concurrent_unordered) |
//!
//! Not provided, use instead: `async for ... else`, `zip`, `merge`,
//! `enumerate`, `take`, `skip`, `filter`, `fold`: [`futures::StreamExt`];
//! `select`ing over several streams: `futures::stream::select` or
//! `tokio_stream::StreamMap`; a class with `__aiter__`/`__anext__`:
//! [`futures::stream::unfold`] or a hand-written [`Stream`] impl.
//!
//! # Generators
//!
//! [`generate`] turns an async closure into a [`Stream`]: the closure gets a
//! [`Yielder`], and each `send(item).await` suspends the producer until the
//! consumer asks for the next item, exactly like `yield` in a Python async
//! generator. There is no macro and no `unsafe` code: the item is handed over
//! through a slot the stream lends to its thread while it polls the producer
//! (so items must be `'static`, that is, own their data).
//!
//! ```
//! use async_patterns::stream::generate;
//! use futures::StreamExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // async def async_range(n):
//! //     for i in range(n):
//! //         yield i
//! fn async_range(n: u32) -> impl futures::Stream<Item = u32> {
//!     generate(move |mut y| async move {
//!         for i in 0..n {
//!             y.send(i).await;
//!         }
//!     })
//! }
//!
//! let mut total = 0;
//! let mut numbers = std::pin::pin!(async_range(5));
//! while let Some(i) = numbers.next().await {
//!     total += i;
//! }
//! assert_eq!(total, 10);
//! # }
//! ```
//!
//! # Combinators
//!
//! [`StreamPatternsExt`] (in the [prelude](crate::prelude)) adds the timed
//! and concurrent operators to every stream. The timed ones need a tokio
//! runtime with the time driver when polled; each documents what happens to
//! its first item and at the end of its input.
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::prelude::*;
//! use futures::StreamExt;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let batches: Vec<Vec<u32>> = futures::stream::iter(1..=5)
//!     .chunks_timeout(2, Duration::from_secs(1))
//!     .collect()
//!     .await;
//! assert_eq!(batches, [vec![1, 2], vec![3, 4], vec![5]]);
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `generators` (`cargo run --example generators`): `async_range` and an async iterator over a paged source;
//! - `batching` (`cargo run --example batching`): log lines batched by size or time with `chunks_timeout`;
//! - `tour` (`cargo run --example tour`): async iterators, generators, `chunks_timeout`, `map_concurrent`, `throttle` and `take_until_set`.

mod chunks_timeout;
mod debounce;
mod generate;
mod inner;
mod map_concurrent;
mod rate_limited;
mod take_until_set;
mod throttle;
mod timeout_each;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;

use crate::event::Event;
use crate::rate_limit::RateLimiter;

pub use chunks_timeout::ChunksTimeout;
pub use debounce::Debounce;
pub use generate::{Generate, TryGenerate, Yield, Yielder, generate, try_generate};
pub use map_concurrent::{MapConcurrent, MapConcurrentUnordered};
pub use rate_limited::RateLimited;
pub use take_until_set::TakeUntilSet;
pub use throttle::Throttle;
pub use timeout_each::TimeoutEach;

/// Timed and concurrent operators for every [`Stream`].
///
/// Import it with `use async_patterns::prelude::*;`. Every method returns a
/// named stream type that is `Send` when its parts are, reports a
/// `size_hint`, and implements [`FusedStream`](futures::stream::FusedStream)
/// where the end is known.
///
/// Every adapter keeps its state (partial batch, held item, futures in
/// flight, timers) in the stream itself, so awaiting `stream.next()` is cancel
/// safe: in a `select!` loop, a `next()` future that loses the race drops
/// nothing, and the next call picks up where it left off.
///
/// `tokio_stream::StreamExt` has methods with some of the same names
/// (`chunks_timeout`, `throttle`); with both traits in scope, pick one with
/// the fully qualified form, as in
/// `StreamPatternsExt::throttle(stream, period)`.
pub trait StreamPatternsExt: Stream {
    /// Groups items into batches of at most `max`, flushing a batch early
    /// when `period` has passed since its first item.
    ///
    /// The timer starts when the adapter takes the first item of a batch
    /// from the input, so a quiet input produces no batches at all: a batch
    /// is never empty. The adapter only takes items while it is polled: an
    /// item produced while the consumer was busy elsewhere starts its
    /// batch's clock when the consumer comes back, not when it was produced,
    /// so with a slow consumer a batch can go out up to `period` after it
    /// was due (a 100 ms batch whose first item waited 500 ms in the input
    /// goes out 600 ms after that item was produced). When the
    /// input ends, the partial batch (if any) is flushed at once, then the
    /// stream ends. A batch is flushed by time only while the input is
    /// pending; an input that always has the next item ready fills batches
    /// to `max`.
    ///
    /// This is the "write to the database every 100 rows or every second"
    /// pattern.
    ///
    /// Runnable example: `batching` (`cargo run --example batching`),
    /// log lines batched by size or time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = futures::channel::mpsc::unbounded();
    /// let mut batches = std::pin::pin!(rx.chunks_timeout(3, Duration::from_millis(100)));
    ///
    /// for i in 0..4 {
    ///     tx.unbounded_send(i).unwrap();
    /// }
    /// assert_eq!(batches.next().await, Some(vec![0, 1, 2])); // full
    /// assert_eq!(batches.next().await, Some(vec![3])); // 100 ms after `3`
    ///
    /// tx.unbounded_send(4).unwrap();
    /// drop(tx);
    /// assert_eq!(batches.next().await, Some(vec![4])); // end of input
    /// assert_eq!(batches.next().await, None);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if `max` is 0. Polling panics outside a tokio runtime with the
    /// time driver enabled.
    #[track_caller]
    fn chunks_timeout(self, max: usize, period: Duration) -> ChunksTimeout<Self>
    where
        Self: Sized,
    {
        ChunksTimeout::new(self, max, period)
    }

    /// Lets at most one item through per `period`, delaying (never
    /// dropping) the others.
    ///
    /// The first item goes out as soon as the input has it. After each item,
    /// the input is not polled again until `period` has passed since that
    /// item went out, so items are spaced at least `period` apart and the
    /// input is paced too (back-pressure, no buffering). The end of the input
    /// is likewise reported after the gap. Use
    /// [`debounce`](Self::debounce) to drop items instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let start = Instant::now();
    /// let mut ticks = std::pin::pin!(futures::stream::iter(0..3).throttle(Duration::from_secs(1)));
    /// while let Some(i) = ticks.next().await {
    ///     assert_eq!(start.elapsed(), Duration::from_secs(i));
    /// }
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Polling panics outside a tokio runtime with the time driver enabled.
    fn throttle(self, period: Duration) -> Throttle<Self>
    where
        Self: Sized,
    {
        Throttle::new(self, period)
    }

    /// Emits an item only once the input has been quiet for `quiet` after
    /// it: of a burst of items closer together than `quiet`, only the last
    /// one comes out, `quiet` after it.
    ///
    /// Quiet is measured from when the adapter takes an item from the
    /// input, not from when it was produced, and items are only taken while
    /// the adapter is polled. With a consumer that is busy elsewhere, items
    /// pile up in the input and are taken together when it comes back: all
    /// but the last are dropped even if the input was quiet for longer than
    /// `quiet` after one of them (it was produced, then 400 ms passed, then
    /// the next came; with `quiet` of 300 ms and a consumer away that whole
    /// time, it is still dropped). Poll it from its own task (or keep the
    /// consumer free) when the spacing at the source must count.
    ///
    /// The first item is held like any other. When the input ends, the item
    /// being held (if any) is emitted at once, without waiting for its quiet
    /// period, then the stream ends. An input that never pauses produces
    /// nothing until it ends (the adapter still yields to the executor
    /// regularly).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = futures::channel::mpsc::unbounded();
    /// let mut search = std::pin::pin!(rx.debounce(Duration::from_millis(300)));
    ///
    /// for text in ["r", "ru", "rus"] {
    ///     tx.unbounded_send(text).unwrap();
    /// }
    /// assert_eq!(search.next().await, Some("rus"));
    /// drop(tx);
    /// assert_eq!(search.next().await, None);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Polling panics outside a tokio runtime with the time driver enabled.
    fn debounce(self, quiet: Duration) -> Debounce<Self>
    where
        Self: Sized,
    {
        Debounce::new(self, quiet)
    }

    /// Lets items through at the pace of `limiter`: each item waits for a
    /// permit before it goes out.
    ///
    /// The adapter takes an item from the input first, then waits for its
    /// permit, so the end of the input costs no permit; the first item goes
    /// out as soon as the limiter has a permit (at once on a fresh limiter).
    /// Pass a clone of a limiter to share one limit between several streams
    /// and other callers: they are all served first come, first served. When
    /// the input ends, the stream ends. Dropping the stream while an item
    /// waits drops that item and gives up its place in the limiter's queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use futures::StreamExt;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10);
    /// let start = Instant::now();
    /// let urls: Vec<_> = futures::stream::iter(["a", "b", "c"])
    ///     .rate_limited(limiter.clone())
    ///     .collect()
    ///     .await;
    /// assert_eq!(urls, ["a", "b", "c"]);
    /// assert_eq!(start.elapsed(), Duration::from_millis(200));
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Polling panics outside a tokio runtime with the time driver enabled
    /// when an item has to wait.
    fn rate_limited(self, limiter: RateLimiter) -> RateLimited<Self>
    where
        Self: Sized,
    {
        RateLimited::new(self, limiter)
    }

    /// Limits the wait for each item to `limit`: items come out as
    /// `Ok(item)`, and each time `limit` passes without an item, an
    /// `Err(`[`Elapsed`](crate::timeout::Elapsed)`)` comes out and the wait
    /// starts over with a fresh limit.
    ///
    /// The clock for an item starts when the consumer first polls for it
    /// (for the first item, at the first poll), not when the previous item
    /// was produced: time the consumer spends on an item before asking for
    /// the next does not count. Once started, the clock runs until an item
    /// or an error goes out, whether or not the consumer keeps polling: a
    /// `next()` that lost a `select!`, followed by a second on the other
    /// branch, counts that second, and a consumer that comes back after the
    /// limit passed gets the error at once (an item that is ready by then
    /// still wins: the input is polled first). An error does not end the
    /// stream: stop at the first one with
    /// `.take_while(|r| futures::future::ready(r.is_ok()))` or `try_next`.
    /// The end of the input ends the stream without an error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let slow = futures::stream::iter([100u64, 300, 100]).then(|ms| async move {
    ///     tokio::time::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// });
    /// let items: Vec<_> = slow.timeout_each(Duration::from_millis(200)).collect().await;
    /// assert_eq!(items[0], Ok(100));
    /// assert!(items[1].is_err()); // 200 ms passed waiting for 300
    /// assert_eq!(items[2..], [Ok(300), Ok(100)]);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Polling panics outside a tokio runtime with the time driver enabled.
    fn timeout_each(self, limit: Duration) -> TimeoutEach<Self>
    where
        Self: Sized,
    {
        TimeoutEach::new(self, limit)
    }

    /// Ends the stream once `stop` is set (a shutdown signal).
    ///
    /// The event is checked before every item: once it is set, no further
    /// item goes out, even one the input already has ready, and the input is
    /// not polled again. A `set` after this call is seen even if the event is
    /// cleared before the next poll; if the event is already set, the stream
    /// is empty. If the input ends first, so does the stream. The adapter
    /// holds the `Arc`, so it is `'static` when the input is and can be
    /// spawned. Needs no tokio runtime of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use async_patterns::event::Event;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = Arc::new(Event::new());
    /// let mut jobs = futures::stream::iter(1..).take_until_set(shutdown.clone());
    /// assert_eq!(jobs.next().await, Some(1));
    /// assert_eq!(jobs.next().await, Some(2));
    /// shutdown.set();
    /// assert_eq!(jobs.next().await, None);
    /// # }
    /// ```
    fn take_until_set(self, stop: Arc<Event>) -> TakeUntilSet<Self>
    where
        Self: Sized,
    {
        TakeUntilSet::new(self, stop.wait_owned())
    }

    /// Runs `f` on the items with at most `limit` of its futures in flight,
    /// yielding their outputs in input order.
    ///
    /// Up to `limit` items are taken from the input at once (the first
    /// `limit` at the first poll); each finished output frees a place for the
    /// next item. An output that finishes early waits for those before it,
    /// still holding its place. The stream ends when the input has ended and
    /// every future has finished. Everything runs inside this one stream
    /// (no task is spawned): the futures run concurrently, not in parallel.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pages: Vec<String> = futures::stream::iter([3u64, 1, 2])
    ///     .map_concurrent(2, |id| async move {
    ///         tokio::time::sleep(Duration::from_millis(10 * id)).await;
    ///         format!("page {id}")
    ///     })
    ///     .collect()
    ///     .await;
    /// assert_eq!(pages, ["page 3", "page 1", "page 2"]);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if `limit` is 0. A panic in `f`, in the input or in one of the
    /// futures comes out of the poll that ran it, and ends the stream: a
    /// consumer that catches the panic and polls again gets `None` (the
    /// futures still in flight are dropped then).
    #[track_caller]
    fn map_concurrent<F, Fut>(self, limit: usize, f: F) -> MapConcurrent<Self, F, Fut>
    where
        Self: Sized,
        F: FnMut(Self::Item) -> Fut,
        Fut: Future,
    {
        MapConcurrent::new(self, limit, f)
    }

    /// Like [`map_concurrent`](Self::map_concurrent), yielding the outputs
    /// as they finish: a slow item does not hold back the others.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::prelude::*;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let done: Vec<u64> = futures::stream::iter([30u64, 10, 20])
    ///     .map_concurrent_unordered(3, |ms| async move {
    ///         tokio::time::sleep(Duration::from_millis(ms)).await;
    ///         ms
    ///     })
    ///     .collect()
    ///     .await;
    /// assert_eq!(done, [10, 20, 30]);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if `limit` is 0. A panic in `f`, in the input or in one of the
    /// futures comes out of the poll that ran it, and ends the stream: a
    /// consumer that catches the panic and polls again gets `None` (the
    /// futures still in flight are dropped then).
    #[track_caller]
    fn map_concurrent_unordered<F, Fut>(
        self,
        limit: usize,
        f: F,
    ) -> MapConcurrentUnordered<Self, F, Fut>
    where
        Self: Sized,
        F: FnMut(Self::Item) -> Fut,
        Fut: Future,
    {
        MapConcurrentUnordered::new(self, limit, f)
    }
}

impl<S: Stream + ?Sized> StreamPatternsExt for S {}
