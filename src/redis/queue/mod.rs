//! [`Queue`]: a work queue on Redis Streams, shared by any number of
//! processes. What changes from the in-process queue is said in the
//! [`redis`](crate::redis) module docs.

mod background;
mod builder;
mod calls;
mod job;
mod shared;
mod stats;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use builder::QueueBuilder;
pub use job::Job;
pub use stats::QueueStats;

use self::shared::{Look, Next, Shared};
use super::{Call, Error, RecvError, SendError, TrySendError};

/// A named work queue in Redis; every handle opened with the same name, in
/// any process, is the same queue. Clones share one connection.
///
/// See the [module docs](crate::redis) for the delivery guarantees.
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue = Queue::<String>::builder("thumbnails").open(&client).await.unwrap();
///
/// // In a worker process:
/// let worker = queue.clone();
/// tokio::spawn(async move {
///     while let Ok(job) = worker.recv_job().await {
///         println!("resizing {}", *job);
///         job.done().await.ok();
///     }
/// });
///
/// // In a producer process:
/// queue.send("cat.png".to_string()).await.unwrap();
/// queue.join().await.unwrap(); // done everywhere
/// # }
/// ```
pub struct Queue<T> {
    shared: Arc<Shared>,
    _item: PhantomData<fn(T) -> T>,
}

impl<T> Queue<T> {
    fn from_shared(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            _item: PhantomData,
        }
    }

    /// The queue's name: the key of its stream.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u8>::builder("bytes").open(&client).await.unwrap();
    /// assert_eq!(queue.name(), "bytes");
    /// # }
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.shared.keys.stream
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Queue<T> {
    /// Settings for the queue named `name`; [`open`](QueueBuilder::open)
    /// connects.
    ///
    /// Redis keys used: `name` (the stream), `name:delayed` (retries),
    /// `name:meta` (closed flag), `name:space` (sender wake-ups) and
    /// `name:dead` (dead letters).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("numbers").capacity(64).open(&client).await.unwrap();
    /// # drop(queue);
    /// # }
    /// ```
    pub fn builder(name: impl Into<String>) -> QueueBuilder<T> {
        QueueBuilder::new(name.into())
    }

    /// Adds an item, waiting while a bounded queue is full (a blocked
    /// sender is woken when a receiver takes an item, with no polling).
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] if the queue is closed,
    /// [`SendError::Backend`] if Redis failed or the item cannot be encoded
    /// as JSON; both give the item back.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the item is dropped; it may or may not have
    /// been added (if the command had reached Redis).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::builder("urls").open(&client).await.unwrap();
    /// queue.send("https://example.com".to_string()).await.unwrap();
    /// # }
    /// ```
    pub fn send(&self, item: T) -> Call<'_, Result<(), SendError<T>>> {
        Call::new(async move {
            let payload = match serde_json::to_vec(&item) {
                Ok(p) => p,
                Err(e) => return Err(SendError::Backend(item, Error::Encode(e))),
            };
            loop {
                match self.shared.send_once(&payload).await {
                    Ok(1) => return Ok(()),
                    Ok(0) => return Err(SendError::Closed(item)),
                    Ok(_) => {
                        if let Err(e) = self.shared.wait_for_space().await {
                            return Err(SendError::Backend(item, e));
                        }
                    }
                    Err(e) => return Err(SendError::Backend(item, e)),
                }
            }
        })
    }

    /// Adds an item if the queue has room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`], [`TrySendError::Closed`] or
    /// [`TrySendError::Backend`]; each gives the item back.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the item is dropped; it may or may not have
    /// been added.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::{Queue, TrySendError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::builder("small").capacity(1).open(&client).await.unwrap();
    /// queue.try_send(1).await.unwrap();
    /// assert!(matches!(queue.try_send(2).await, Err(TrySendError::Full(2))));
    /// # }
    /// ```
    pub fn try_send(&self, item: T) -> Call<'_, Result<(), TrySendError<T>>> {
        Call::new(async move {
            let payload = match serde_json::to_vec(&item) {
                Ok(p) => p,
                Err(e) => return Err(TrySendError::Backend(item, Error::Encode(e))),
            };
            match self.shared.send_once(&payload).await {
                Ok(1) => Ok(()),
                Ok(0) => Err(TrySendError::Closed(item)),
                Ok(_) => Err(TrySendError::Full(item)),
                Err(e) => Err(TrySendError::Backend(item, e)),
            }
        })
    }

    /// Receives an item and acknowledges it at once ("done on delivery",
    /// as the in-process `recv`): if this process dies right after, the
    /// item is not delivered again. Use [`recv_job`](Self::recv_job) for
    /// at-least-once processing.
    ///
    /// # Errors
    ///
    /// [`RecvError::Closed`] once the queue is closed and finished,
    /// [`RecvError::Backend`] if Redis failed (an item already taken is
    /// put back at once).
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped: an item already taken for
    /// it is put back at once (unless the acknowledgement had reached
    /// Redis: then the item was done).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::builder("log").open(&client).await.unwrap();
    /// queue.send(42u64).await.unwrap();
    /// assert_eq!(queue.recv().await.unwrap(), 42);
    /// # }
    /// ```
    pub fn recv(&self) -> Call<'_, Result<T, RecvError>> {
        Call::new(async move {
            let (item, mut guard) = self.recv_job().await?.into_parts();
            // Dropped or failed before the acknowledgement: the item goes
            // back into the queue instead of being lost.
            guard.put_back_on_drop();
            guard.finish().await.map_err(RecvError::Backend)?;
            Ok(item)
        })
    }

    /// Receives an item as a [`Job`]: a lease, renewed while the `Job`
    /// lives, ended by [`Job::done`], [`Job::retry_in`] or a drop.
    ///
    /// Waits while the queue is empty. An entry that does not decode as `T`
    /// is moved to the dead letters with the decode error, and the wait goes
    /// on.
    ///
    /// # Errors
    ///
    /// [`RecvError::Closed`] once the queue is closed and nothing is
    /// queued, delayed or leased anywhere (a lease can still come back);
    /// [`RecvError::Backend`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped: an item already taken for
    /// it is put back at once.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<String>::builder("renders").open(&client).await.unwrap();
    /// while let Ok(job) = queue.recv_job().await {
    ///     println!("rendering {} (delivery {})", *job, job.deliveries());
    ///     job.done().await.ok();
    /// }
    /// # }
    /// ```
    pub fn recv_job(&self) -> Call<'_, Result<Job<T>, RecvError>> {
        Call::new(async move {
            loop {
                // A `Look` dropped mid-command puts what it took back.
                match Look::new(&self.shared).await {
                    Err(e) => return Err(RecvError::Backend(e)),
                    Ok(Next::Finished) => return Err(RecvError::Closed),
                    Ok(Next::Nothing) => {}
                    Ok(Next::Entry(lease, payload)) => match decode::<T>(payload.as_deref()) {
                        Ok(item) => {
                            self.shared.live.lock().unwrap().insert(lease.id.clone());
                            return Ok(Job::new(item, lease, self.shared.clone()));
                        }
                        Err(why) => {
                            // A poison entry never stops a worker. If this
                            // fails (or is dropped), the entry comes back
                            // after its lease and goes through here again.
                            self.shared
                                .dead_letter(&lease, &why)
                                .await
                                .map_err(RecvError::Backend)?;
                        }
                    },
                }
            }
        })
    }

    /// Waits until nothing is queued, delayed or leased in any process:
    /// every item sent has been done (or dead-lettered).
    ///
    /// Polls the counts with a backoff up to the poll interval (a quarter
    /// of the lease, at most 500 ms).
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("batch").open(&client).await.unwrap();
    /// for n in 0..100 {
    ///     queue.send(n).await.unwrap();
    /// }
    /// queue.join().await.unwrap(); // the workers, wherever they run, are done
    /// # }
    /// ```
    pub fn join(&self) -> Call<'_, Result<(), Error>> {
        Call::new(async move {
            let mut delay = Duration::from_millis(2);
            loop {
                let (stream, _, delayed) = self.shared.counts().await?;
                if stream + delayed == 0 {
                    return Ok(());
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(self.shared.poll_interval());
            }
        })
    }

    /// Closes the queue for every process: sends fail with the item back,
    /// blocked senders wake, receivers drain what is left and then get
    /// [`RecvError::Closed`]. Returns `true` if this call closed it.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the queue may or may not be closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("closing").open(&client).await.unwrap();
    /// assert!(queue.close().await.unwrap());
    /// assert!(!queue.close().await.unwrap());
    /// assert!(queue.send(1).await.is_err());
    /// # }
    /// ```
    pub fn close(&self) -> Call<'_, Result<bool, Error>> {
        Call::new(self.shared.close())
    }

    /// Closes the queue and returns every item not yet delivered (queued or
    /// waiting for a retry). Leased items stay with their consumers.
    ///
    /// An entry that does not decode as `T` is moved to the dead letters
    /// instead.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped after Redis ran the command, the items
    /// taken out are lost: await it to the end.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("stopping").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// queue.send(2).await.unwrap();
    /// assert_eq!(queue.shutdown().await.unwrap(), [1, 2]);
    /// # }
    /// ```
    pub fn shutdown(&self) -> Call<'_, Result<Vec<T>, Error>> {
        Call::new(async move {
            let mut items = Vec::new();
            for (id, payload) in self.shared.shutdown().await? {
                let payload = payload.unwrap_or_default();
                match decode::<T>(Some(&payload)) {
                    Ok(item) => items.push(item),
                    Err(why) => self.shared.bury(&id, &payload, &why).await?,
                }
            }
            Ok(items)
        })
    }

    /// How many items are queued and not yet delivered (waiting retries
    /// included), in all processes.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("counted").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// assert_eq!(queue.len().await.unwrap(), 1);
    /// # }
    /// ```
    pub fn len(&self) -> Call<'_, Result<usize, Error>> {
        Call::new(async move {
            let (stream, leased, delayed) = self.shared.counts().await?;
            Ok(stream.saturating_sub(leased) + delayed)
        })
    }

    /// How many items are unfinished: queued, waiting for a retry, or
    /// leased, in all processes. [`join`](Self::join) waits for 0.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("tracked").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// let job = queue.recv_job().await.unwrap();
    /// assert_eq!(queue.len().await.unwrap(), 0);
    /// assert_eq!(queue.unfinished().await.unwrap(), 1);
    /// job.done().await.unwrap();
    /// # }
    /// ```
    pub fn unfinished(&self) -> Call<'_, Result<usize, Error>> {
        Call::new(async move {
            let (stream, _, delayed) = self.shared.counts().await?;
            Ok(stream + delayed)
        })
    }
    /// What this handle and its clones did, in this process: items sent,
    /// leases received, acknowledged, put back and dead-lettered. No call
    /// to Redis; see [`QueueStats`] for what it does not cover.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("observed").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// let job = queue.recv_job().await.unwrap();
    /// job.retry_in(std::time::Duration::ZERO).await.unwrap();
    /// let stats = queue.stats();
    /// assert_eq!((stats.sent, stats.received, stats.retried), (1, 1, 1));
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> QueueStats {
        self.shared.counters.snapshot()
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self::from_shared(self.shared.clone())
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

fn decode<T: DeserializeOwned>(payload: Option<&[u8]>) -> Result<T, String> {
    let payload = payload.ok_or("the entry has no `v` field")?;
    serde_json::from_slice(payload).map_err(|e| format!("cannot decode the entry: {e}"))
}
