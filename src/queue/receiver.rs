//! The receiving handle.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{FusedStream, Stream};

use super::chan::{Chan, Delivery};
use super::common::shared_methods;
use super::error::{RecvError, TryRecvError};
use super::future::{One, Recv, RecvJob, RecvMany, RecvTimeout};
use super::recv_job_timeout::RecvJobTimeout;
use crate::loom::{Arc, AtomicUsize, Ordering};

/// `stream_key` when this handle's `Stream` has no registration.
const NO_KEY: usize = usize::MAX;

/// The receiving half of a queue. Clone it for more consumers (each item
/// goes to exactly one of them); the queue closes when the last `Receiver`
/// is dropped. It is also a [`Stream`] of items that ends once the queue is
/// closed and drained.
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::unbounded();
/// for i in 0..3 {
///     tx.send(i).await.unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.collect::<Vec<_>>().await, [0, 1, 2]);
/// # }
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// The registration of this handle's `Stream` polls, or [`NO_KEY`].
    /// Only `poll_next` (`&mut self`) sets it; the receiving methods
    /// withdraw it (see [`Receiver::withdraw_stream`]). Atomic only because
    /// those take `&self` and `Receiver` is `Sync`.
    stream_key: AtomicUsize,
}

impl<T> Receiver<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> Self {
        Self {
            chan,
            stream_key: AtomicUsize::new(NO_KEY),
        }
    }

    /// Withdraws the `Stream`'s registration before this handle waits in
    /// another way, so that one handle never stands in line twice.
    #[inline]
    fn withdraw_stream(&self) {
        if self.stream_key.load(Ordering::Relaxed) != NO_KEY {
            self.withdraw_stream_slow();
        }
    }

    #[cold]
    fn withdraw_stream_slow(&self) {
        let k = self.stream_key.swap(NO_KEY, Ordering::Relaxed);
        if k != NO_KEY {
            self.chan.cancel_recv_stream(k);
        }
    }

    /// Receives the oldest item, waiting if the queue is empty. Blocked
    /// receivers are served first come, first served. The item counts as
    /// finished on delivery (see [`recv_job`](Self::recv_job) to track it).
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the queue is closed and drained.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses no item, even when it had
    /// already been woken for one (the wakeup passes to the next waiting
    /// receiver), so it can be used in `select!`.
    ///
    /// What a stalled waiter gets: a future woken for an item but then
    /// neither polled nor dropped holds no item. The item stays at the front
    /// of the queue for whichever receiver comes first, and the next item
    /// wakes the next waiting receiver, which takes it. Only that one
    /// wakeup waits on the stalled future. A stalled blocked
    /// [`send`](super::Sender::send) has its item queued in its turn; a
    /// stalled [`reserve`](super::Sender::reserve) is granted its slot in its
    /// turn and holds it until polled or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::bounded(8);
    /// tokio::spawn(async move { tx.send("hi").await.unwrap() });
    /// assert_eq!(rx.recv().await, Ok("hi"));
    /// assert!(rx.recv().await.is_err()); // the sender is gone
    /// # }
    /// ```
    #[inline]
    pub fn recv(&self) -> Recv<'_, T> {
        self.withdraw_stream();
        Recv::new(&self.chan)
    }

    /// Receives the oldest item if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is queued,
    /// [`TryRecvError::Closed`] if the queue is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::queue::{self, TryRecvError};
    ///
    /// let (tx, rx) = queue::unbounded();
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut one = One(None);
        match self.chan.try_recv_into(&mut one, 1, Delivery::Done) {
            Ok(_) => Ok(one.0.expect("one item was taken")),
            Err(true) => Err(TryRecvError::Closed),
            Err(false) => Err(TryRecvError::Empty),
        }
    }

    /// Receives the oldest item, waiting at most `timeout`. An item that
    /// arrives before the deadline wins.
    ///
    /// Like [`recv`](Self::recv), the item counts as finished on delivery,
    /// so [`join`](super::Sender::join) may return while it is still being
    /// worked on. To keep `join()` honest (asyncio's `wait_for(q.get(), t)`
    /// followed by `task_done()`), take a [`Job`](super::Job) with
    /// [`recv_job_timeout`](Self::recv_job_timeout) instead.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`](super::RecvTimeoutError::Timeout) if
    /// nothing arrived in time,
    /// [`RecvTimeoutError::Closed`](super::RecvTimeoutError::Closed) once
    /// the queue is closed and drained.
    ///
    /// # Panics
    ///
    /// Polling it outside a tokio runtime with the time driver enabled
    /// panics once it has to wait (it uses `tokio::time`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, like [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::unbounded();
    /// assert!(rx.recv_timeout(Duration::from_millis(10)).await.is_err());
    /// tx.send(1).await.unwrap();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(10)).await, Ok(1));
    /// # }
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> RecvTimeout<'_, T> {
        self.withdraw_stream();
        RecvTimeout::new(&self.chan, timeout)
    }

    /// Receives from a plain thread, blocking it until an item arrives.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the queue is closed and drained.
    ///
    /// # Panics
    ///
    /// Panics (tokio's "Cannot start a runtime from within a runtime") if
    /// called on a thread that drives async code (an async task or
    /// `block_on`), where blocking could deadlock the runtime. Use
    /// [`recv`](Self::recv) there; plain threads and
    /// `tokio::task::spawn_blocking` are fine.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = async_patterns::queue::unbounded();
    /// let consumer = std::thread::spawn(move || rx.recv_blocking());
    /// tx.send_blocking("work").unwrap();
    /// assert_eq!(consumer.join().unwrap(), Ok("work"));
    /// ```
    #[track_caller]
    pub fn recv_blocking(&self) -> Result<T, RecvError> {
        super::block_on(self.recv())
    }

    /// Waits for at least one item, then moves up to `limit` queued items
    /// (oldest first) to the end of `buf` and returns how many. Returns 0
    /// only when the queue is closed and drained, or when `limit` is 0.
    /// The items count as finished on delivery.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: items are moved into `buf` only in the poll that
    /// completes, so dropping the future loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::unbounded();
    /// for i in 0..5 {
    ///     tx.send(i).await.unwrap();
    /// }
    /// drop(tx);
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
    /// assert_eq!(rx.recv_many(&mut buf, 3).await, 2);
    /// assert_eq!(rx.recv_many(&mut buf, 3).await, 0);
    /// assert_eq!(buf, [0, 1, 2, 3, 4]);
    /// # }
    /// ```
    pub fn recv_many<'a, 'b>(&'a self, buf: &'b mut Vec<T>, limit: usize) -> RecvMany<'a, 'b, T> {
        self.withdraw_stream();
        RecvMany::new(&self.chan, buf, limit)
    }

    /// Receives the oldest item as a [`Job`](super::Job), which keeps it
    /// counted as unfinished until the job is dropped or
    /// [`done()`](super::Job::done), so [`join()`](Self::join) waits for the
    /// work, not just the delivery (asyncio's `get()` + `task_done()`).
    ///
    /// Runnable example: `pipeline` (`cargo run --example pipeline`),
    /// a worker pool that `join` waits for.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the queue is closed and drained.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, like [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::bounded(8);
    /// tx.send(21).await.unwrap();
    /// let worker = tokio::spawn(async move {
    ///     while let Ok(job) = rx.recv_job().await {
    ///         assert_eq!(*job * 2, 42);
    ///     } // each job is finished as it drops
    /// });
    /// tx.join().await;
    /// drop(tx);
    /// worker.await.unwrap();
    /// # }
    /// ```
    pub fn recv_job(&self) -> RecvJob<'_, T> {
        self.withdraw_stream();
        RecvJob::new(&self.chan)
    }

    /// Like [`recv_job`](Self::recv_job), waiting at most `timeout`: the
    /// item comes as a tracked [`Job`](super::Job), so
    /// [`join`](super::Sender::join) waits until it drops. This is asyncio's
    /// `wait_for(q.get(), t)` followed by `task_done()`;
    /// [`recv_timeout`](Self::recv_timeout) finishes the item on delivery.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`](super::RecvTimeoutError::Timeout) if
    /// nothing arrived in time,
    /// [`RecvTimeoutError::Closed`](super::RecvTimeoutError::Closed) once
    /// the queue is closed and drained.
    ///
    /// # Panics
    ///
    /// Polling it outside a tokio runtime with the time driver enabled
    /// panics once it has to wait (it uses `tokio::time`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, like [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::queue::{self, RecvTimeoutError};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = queue::bounded(8);
    /// tx.send("work").await.unwrap();
    /// let job = rx.recv_job_timeout(Duration::from_secs(1)).await.unwrap();
    /// assert_eq!(tx.unfinished(), 1); // `join()` would wait for `job`
    /// drop(job);
    /// let late = rx.recv_job_timeout(Duration::from_secs(1)).await;
    /// assert_eq!(late.unwrap_err(), RecvTimeoutError::Timeout);
    /// # }
    /// ```
    pub fn recv_job_timeout(&self, timeout: Duration) -> RecvJobTimeout<'_, T> {
        RecvJobTimeout::new(self.recv_job(), timeout)
    }

    shared_methods!();
}

/// # Cancel safety
///
/// Dropping a `next()` future (in `select!`, say) loses no item: the
/// stream's registration stays in the handle and keeps its place for the
/// next poll. It holds no item either: since a dropped `next()` cannot give
/// a wakeup back, a stream registration is never the only one woken for an
/// item while a receiving future ([`recv`](Receiver::recv),
/// [`recv_job`](Receiver::recv_job), ...) waits; an item that no such
/// future is woken for wakes every waiting stream. Calling a receiving
/// method on the handle withdraws its stream registration first.
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let mut one = One(None);
        // `&mut self`: no receiving method runs concurrently.
        let mut key = match this.stream_key.load(Ordering::Relaxed) {
            NO_KEY => None,
            k => Some(k),
        };
        let chan = &this.chan;
        let r = chan.poll_recv_stream(&mut key, &mut one, cx);
        this.stream_key
            .store(key.unwrap_or(NO_KEY), Ordering::Relaxed);
        match r {
            Poll::Ready(_) => Poll::Ready(one.0),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.chan.lock().drained()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Self::new(Arc::clone(&self.chan))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let key = self.stream_key.swap(NO_KEY, Ordering::Relaxed);
        self.chan
            .drop_receiver(if key == NO_KEY { None } else { Some(key) });
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copied out first: the writer is not called under the lock.
        let (len, capacity, closed) = {
            let st = self.chan.lock();
            (st.queue.len(), self.chan.capacity(), st.closed)
        };
        f.debug_struct("Receiver")
            .field("len", &len)
            .field("capacity", &capacity)
            .field("closed", &closed)
            .finish()
    }
}
