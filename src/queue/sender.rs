//! The sending handle.

use std::fmt;
use std::time::Duration;

use super::chan::Chan;
use super::common::shared_methods;
use super::error::{SendError, TrySendError};
use super::future::{Reserve, SendFuture, SendTimeout};
use crate::loom::Arc;

/// The sending half of a queue. Clone it for more producers; the queue
/// closes when the last `Sender` is dropped.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::bounded(16);
/// for id in 0..4 {
///     let tx = tx.clone();
///     tokio::spawn(async move { tx.send(id).await.unwrap() });
/// }
/// drop(tx);
/// let mut got = Vec::new();
/// while let Ok(id) = rx.recv().await {
///     got.push(id);
/// }
/// got.sort();
/// assert_eq!(got, [0, 1, 2, 3]);
/// # }
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> Self {
        Self { chan }
    }

    /// Sends `item`, waiting for a free slot if the queue is full. Blocked
    /// senders are served first come, first served: when a slot frees, the
    /// longest-waiting sender's item is moved into the queue.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the item if the queue is or becomes closed before
    /// the item is accepted.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe for the item: dropping the future before it completes
    /// drops the item, and it is never queued later; unless a slot had
    /// already freed for it while it waited, in which case the item was moved
    /// into the queue then and stays sent. Use
    /// [`reserve`](Self::reserve) (wait for a slot, then send) or
    /// [`send_timeout`](Self::send_timeout) to keep it.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::bounded(1);
    /// tx.send(1).await.unwrap();
    /// let waiting = tokio::spawn(async move { tx.send(2).await });
    /// assert_eq!(rx.recv().await, Ok(1)); // frees the slot for 2
    /// waiting.await.unwrap().unwrap();
    /// assert_eq!(rx.recv().await, Ok(2));
    /// # }
    /// ```
    #[inline]
    pub fn send(&self, item: T) -> SendFuture<'_, T> {
        SendFuture::new(&self.chan, item)
    }

    /// Queues `item` if there is a free slot, without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the queue is at capacity,
    /// [`TrySendError::Closed`] if it is closed; both give the item back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = async_patterns::queue::bounded(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(item)
    }

    /// Sends `item`, waiting at most `timeout` for a free slot; the item
    /// comes back on failure. A slot that frees up before the deadline wins.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`](super::SendTimeoutError::Timeout) or
    /// [`SendTimeoutError::Closed`](super::SendTimeoutError::Closed), with
    /// the item.
    ///
    /// # Panics
    ///
    /// Polling it outside a tokio runtime with the time driver enabled
    /// panics once it has to wait (it uses `tokio::time`).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the item, like
    /// [`send`](Self::send); awaiting it always queues the item or returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::bounded(1);
    /// tx.send("a").await.unwrap();
    /// let err = tx.send_timeout("b", Duration::from_millis(50)).await.unwrap_err();
    /// assert_eq!(err.into_inner(), "b");
    /// assert_eq!(rx.recv().await, Ok("a"));
    /// # }
    /// ```
    pub fn send_timeout(&self, item: T, timeout: Duration) -> SendTimeout<'_, T> {
        SendTimeout::new(&self.chan, item, timeout)
    }

    /// Sends `item` from a plain thread, blocking it until a slot is free.
    ///
    /// Runnable example: `blocking_bridge` (`cargo run --example blocking_bridge`),
    /// plain threads feeding async consumers.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the item if the queue is or becomes closed first.
    ///
    /// # Panics
    ///
    /// Panics (tokio's "Cannot start a runtime from within a runtime") if
    /// called on a thread that drives async code (an async task or
    /// `block_on`), where blocking could deadlock the runtime. Use
    /// [`send`](Self::send) there; plain threads and
    /// `tokio::task::spawn_blocking` are fine.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = async_patterns::queue::bounded(1);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.send_blocking(i).unwrap();
    ///     }
    /// });
    /// let got: Vec<i32> = (0..3).map(|_| rx.recv_blocking().unwrap()).collect();
    /// producer.join().unwrap();
    /// assert_eq!(got, [0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn send_blocking(&self, item: T) -> Result<(), SendError<T>> {
        super::block_on(self.send(item))
    }

    /// Waits for a free slot and holds it in a [`Permit`](super::Permit);
    /// then [`Permit::send`](super::Permit::send) queues an item without
    /// waiting and without failing. Reservers wait in the same
    /// first-come-first-served line as senders.
    ///
    /// # Errors
    ///
    /// [`SendError<()>`](SendError) if the queue is or becomes closed
    /// before a slot is granted.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: no item is involved, and a slot already granted to a
    /// dropped future goes to the next waiting sender. This is the way to
    /// send inside `select!` without losing the item.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::bounded(1);
    /// let permit = tx.reserve().await.unwrap();
    /// assert!(tx.try_send(0).unwrap_err().is_full()); // the slot is held
    /// permit.send(1);
    /// assert_eq!(rx.recv().await, Ok(1));
    /// # }
    /// ```
    pub fn reserve(&self) -> Reserve<'_, T> {
        Reserve::new(&self.chan)
    }

    shared_methods!();
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Self {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copied out first: the writer is not called under the lock.
        let (len, capacity, closed) = {
            let st = self.chan.lock();
            (st.queue.len(), self.chan.capacity(), st.closed)
        };
        f.debug_struct("Sender")
            .field("len", &len)
            .field("capacity", &capacity)
            .field("closed", &closed)
            .finish()
    }
}
