//! A closeable multi-producer multi-consumer queue with work tracking:
//! `asyncio.Queue`, made safe.
//!
//! [`bounded`] and [`unbounded`] return a ([`Sender`], [`Receiver`]) pair.
//! Both handles are `Clone`, `Send` and `Sync`; each item goes to exactly
//! one receiver, oldest first. Blocked senders and blocked receivers are
//! served first come, first served.
//!
//! - **Closing.** [`close()`](Sender::close) (from either side, or the last
//!   `Sender` or the last `Receiver` dropping) is graceful: sends fail and give
//!   their item back, receivers drain what is queued (and what outstanding
//!   [`Permit`]s still send) and then get [`RecvError`].
//!   [`shutdown()`](Sender::shutdown) is immediate: it closes and hands
//!   every queued item to the caller.
//! - **Work tracking.** Every accepted item is *unfinished* until it is
//!   delivered by [`recv`](Receiver::recv), or, when received with
//!   [`recv_job`](Receiver::recv_job), until its [`Job`] guard is dropped.
//!   [`join()`](Sender::join) waits for zero. A worker that panics drops its
//!   `Job`, so `join()` cannot hang on forgotten `task_done()` calls.
//! - **Cancel safety.** Every receiving future can be dropped (in `select!`,
//!   by a timeout) without losing an item or a wakeup. A dropped blocked
//!   `send` drops its item and never queues it later (unless a slot had
//!   already been handed to it, in which case the item is already queued);
//!   [`reserve`](Sender::reserve) and [`send_timeout`](Sender::send_timeout)
//!   keep it. A waiter that stalls (neither polled nor dropped) holds up
//!   nobody; see [`recv`](Receiver::recv).
//! - **Mixed worlds.** [`send_blocking`](Sender::send_blocking) and
//!   [`recv_blocking`](Receiver::recv_blocking) serve plain threads.
//!
//! # From `asyncio.Queue`
//!
//! | asyncio | async-patterns |
//! |---|---|
//! | `q = asyncio.Queue(maxsize=n)` | `let (tx, rx) = queue::bounded(n);` |
//! | `q = asyncio.Queue()` | `let (tx, rx) = queue::unbounded();` |
//! | `await q.put(x)` | `tx.send(x).await?` |
//! | `q.put_nowait(x)` (`QueueFull`) | `tx.try_send(x)` ([`TrySendError::Full`]) |
//! | `await asyncio.wait_for(q.put(x), t)` | `tx.send_timeout(x, t).await` (the item comes back) |
//! | `x = await q.get()` then `q.task_done()` | `let job = rx.recv_job().await?;` (done when `job` drops) |
//! | `x = await q.get()` (no tracking) | `let x = rx.recv().await?;` |
//! | `q.get_nowait()` (`QueueEmpty`) | `rx.try_recv()` ([`TryRecvError::Empty`]) |
//! | `await asyncio.wait_for(q.get(), t)` (no tracking) | `rx.recv_timeout(t).await` (done on delivery: `join()` does not wait for it) |
//! | `await asyncio.wait_for(q.get(), t)` then `q.task_done()` | `let job = rx.recv_job_timeout(t).await?;` (`join()` waits until `job` drops) |
//! | `await q.join()` | `tx.join().await` / `rx.join().await` |
//! | `q.shutdown()` (3.13) | `tx.close()` (graceful) |
//! | `q.shutdown(immediate=True)` (3.13) | `let left = tx.shutdown();` (items returned, not dropped) |
//! | `QueueShutDown` | [`SendError`] / [`RecvError`] |
//! | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | `len()`, `is_empty()`, `is_full()`, `capacity()` |
//! | `async for` over a queue (hand-written loop) | `while let Ok(x) = rx.recv().await`, or `rx` as a `Stream` |
//! | a thread calling `asyncio.run_coroutine_threadsafe(q.put(x), loop)` | `tx.send_blocking(x)` |
//!
//! Not provided, use instead: `asyncio.PriorityQueue` / `LifoQueue` → a
//! `BinaryHeap` or `Vec` owned by an [`actor`](crate::actor); every item to
//! every consumer → `tokio::sync::broadcast`; one consumer, no work tracking
//! → `tokio::sync::mpsc`.
//!
//! Unlike asyncio, a consumer cannot forget `task_done()` (the `Job` guard
//! does it), closing is built in, and the queue is shared across threads.
//!
//! # Compared with other channels
//!
//! `tokio::sync::mpsc` has one consumer; `async-channel` and `flume` have no
//! work tracking; `kanal` is faster in some benchmarks but its receive
//! futures are not cancel safe (an item can be lost when one is dropped),
//! which this queue guarantees.
//!
//! Work tracking has a price in a tight loop: a [`Job`] owns a handle to the
//! queue (so it can be moved into another task), which costs a reference
//! count up and down plus one counter update, about a third more per item
//! than [`recv`](Receiver::recv) in `benches/queue.rs`. Use `recv` where
//! nobody calls [`join`](Sender::join).
//!
//! Like `tokio::sync::mpsc` (and unlike the other three), every receive
//! that completes, and every `send` and `reserve` on a bounded queue, spends
//! one unit of tokio's cooperative budget, so a consumer that always finds
//! items, or a producer that always finds room, still yields to the runtime
//! every so often instead of starving the other tasks on its worker. A
//! `send` on an unbounded queue never waits and, like tokio's
//! `UnboundedSender::send`, spends nothing: a loop that only sends to an
//! unbounded queue should await something else now and then (or use a
//! bounded queue, whose backpressure is usually what it needs). Out of
//! budget, an operation that would complete yields instead and changes
//! nothing; one that would wait parks at once, as parking yields anyway (so
//! a consumer that empties the queue at the end of its budget does not
//! yield first and park on its next poll).
//!
//! The queue's state is behind a spin lock whose release is a plain store
//! (its critical sections are short and run no user code), not a
//! `std::sync::Mutex`: one atomic read-modify-write per operation instead of
//! two, and no sleeping in the kernel when worker threads contend.
//!
//! # Examples
//!
//! A producer, a pool of workers and `join()`:
//!
//! ```
//! use async_patterns::queue;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (tx, rx) = queue::bounded(8);
//! let workers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let rx = rx.clone();
//!         tokio::spawn(async move {
//!             let mut done = 0;
//!             while let Ok(job) = rx.recv_job().await {
//!                 let _n: u32 = *job; // work on it
//!                 done += 1;
//!             }
//!             done
//!         })
//!     })
//!     .collect();
//! drop(rx);
//! for n in 0..20 {
//!     tx.send(n).await.unwrap();
//! }
//! tx.join().await; // every job finished
//! tx.close(); // workers drain and stop
//! let mut total = 0;
//! for w in workers {
//!     total += w.await.unwrap();
//! }
//! assert_eq!(total, 20);
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `pipeline` (`cargo run --example pipeline`): producers, a bounded queue and a worker pool with `recv_job`, `join` and a graceful `close`;
//! - `blocking_bridge` (`cargo run --example blocking_bridge`): plain threads feeding async consumers with `send_blocking`;
//! - `scheduler` (`cargo run --example scheduler`): a background task scheduler whose pending tasks wait in a bounded queue and whose `shutdown` hands the unstarted ones back;
//! - `tour` (`cargo run --example tour`): producer/consumer with `join`, and the closeable queue.

mod chan;
mod common;
mod error;
mod future;
mod job;
mod permit;
mod receiver;
mod recv_job_timeout;
mod sender;
mod stats;

pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
pub use future::{
    Closed, Join, Recv, RecvJob, RecvMany, RecvTimeout, Reserve, SendFuture, SendTimeout,
};
pub use job::Job;
pub use permit::Permit;
pub use receiver::Receiver;
pub use recv_job_timeout::RecvJobTimeout;
pub use sender::Sender;
pub use stats::QueueStats;

use self::chan::Chan;
use crate::loom::Arc;

/// Creates a queue that holds at most `capacity` items; senders wait (or
/// `try_send` fails with `Full`) while it is full.
///
/// # Panics
///
/// Panics if `capacity` is 0 (use [`unbounded`] for no limit).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::bounded(2);
/// tx.send(1).await.unwrap();
/// tx.send(2).await.unwrap();
/// assert!(tx.try_send(3).unwrap_err().is_full());
/// assert_eq!(rx.recv().await, Ok(1));
/// # }
/// ```
#[track_caller]
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "queue::bounded: capacity must be at least 1, got 0 (use queue::unbounded() for no limit)"
    );
    pair(Some(capacity))
}

/// Creates a queue without a capacity limit: sends never wait.
///
/// # Examples
///
/// ```
/// let (tx, rx) = async_patterns::queue::unbounded();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.capacity(), None);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    pair(None)
}

fn pair<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(capacity));
    (Sender::new(Arc::clone(&chan)), Receiver::new(chan))
}

/// Runs a blocking method's future on this thread.
///
/// Inside a tokio runtime's context this goes through
/// [`Handle::block_on`](tokio::runtime::Handle::block_on), which tells the
/// two cases apart exactly: on a thread that drives async code (a worker,
/// or inside `block_on`) it panics ("Cannot start a runtime from within a
/// runtime"), since blocking there could deadlock the runtime; on a
/// `spawn_blocking` thread (which has the runtime's context entered too) it
/// simply blocks. A bare `Handle::try_current()` check cannot tell them
/// apart and would reject `spawn_blocking`, the place the docs send users.
#[track_caller]
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    #[cfg(not(loom))]
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        return handle.block_on(fut);
    }
    futures::executor::block_on(fut)
}
