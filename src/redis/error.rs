//! Errors of the Redis-backed queue and rate limiter. Errors of sending
//! operations carry the item back; their `Debug` does not need `T: Debug`.

use std::fmt;
use std::time::Duration;

use crate::rate_limit::{InsufficientCapacity, NotUntil};

/// A failure to talk to Redis: the server refused a command, the connection
/// broke, a call did not answer in time, or an item could not be encoded.
///
/// The connection reconnects by itself: the next call after an `Error` may
/// well succeed. Nothing is retried behind your back, so a caller decides
/// (for example with [`retry`](crate::retry)).
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::{Error, Queue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// match Queue::<u32>::builder("jobs").open(&client).await {
///     Ok(queue) => drop(queue),
///     Err(Error::Timeout(d)) => eprintln!("redis did not answer within {d:?}"),
///     Err(e) => eprintln!("cannot open the queue: {e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Redis answered with an error, or the connection failed.
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// Redis did not answer within the call timeout.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The item could not be encoded as JSON.
    #[error("cannot encode the item as JSON: {0}")]
    Encode(#[source] serde_json::Error),
    /// Redis answered something this crate did not expect (a key of the
    /// wrong type, for example).
    #[error("unexpected reply from redis: {0}")]
    Reply(String),
}

/// Why [`Queue::send`](super::Queue::send) failed; the item comes back
/// either way.
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::{Queue, SendError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue = Queue::builder("reports").open(&client).await.unwrap();
/// queue.close().await.unwrap();
/// match queue.send(String::from("weekly")).await {
///     Err(SendError::Closed(item)) => assert_eq!(item, "weekly"),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(thiserror::Error)]
pub enum SendError<T> {
    /// The queue is closed.
    #[error("sending on a closed queue")]
    Closed(T),
    /// Redis failed; the item may or may not have been added (if the
    /// failure came after Redis ran the command, it was).
    #[error("sending failed: {1}")]
    Backend(T, #[source] Error),
}

impl<T> SendError<T> {
    /// Returns the item that could not be sent.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::builder("reports").open(&client).await.unwrap();
    /// if let Err(e) = queue.send(String::from("weekly")).await {
    ///     let item = e.into_inner(); // nothing is lost: keep it, or log it
    ///     eprintln!("not sent: {item}");
    /// }
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Closed(item) | Self::Backend(item, _) => item,
        }
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed(_) => f.write_str("Closed(..)"),
            Self::Backend(_, e) => f.debug_tuple("Backend").field(&"..").field(e).finish(),
        }
    }
}

/// Why [`Queue::try_send`](super::Queue::try_send) failed; the item comes
/// back in every case.
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::{Queue, TrySendError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue = Queue::builder("thumbnails").capacity(1).open(&client).await.unwrap();
/// queue.try_send(1).await.unwrap();
/// match queue.try_send(2).await {
///     Err(TrySendError::Full(item)) => assert_eq!(item, 2),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(thiserror::Error)]
pub enum TrySendError<T> {
    /// The queue holds `capacity` undelivered items.
    #[error("sending on a full queue")]
    Full(T),
    /// The queue is closed.
    #[error("sending on a closed queue")]
    Closed(T),
    /// Redis failed; the item may or may not have been added.
    #[error("sending failed: {1}")]
    Backend(T, #[source] Error),
}

impl<T> TrySendError<T> {
    /// Returns the item that could not be sent.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::builder("thumbnails").capacity(1).open(&client).await.unwrap();
    /// queue.try_send(1).await.unwrap();
    /// let err = queue.try_send(2).await.unwrap_err();
    /// assert_eq!(err.into_inner(), 2);
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::Closed(item) | Self::Backend(item, _) => item,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
            Self::Backend(_, e) => f.debug_tuple("Backend").field(&"..").field(e).finish(),
        }
    }
}

/// Why [`Queue::recv`](super::Queue::recv) or
/// [`Queue::recv_job`](super::Queue::recv_job) returned no item.
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::{Queue, RecvError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue = Queue::<String>::builder("mail").open(&client).await.unwrap();
/// loop {
///     match queue.recv_job().await {
///         Ok(job) => job.done().await.unwrap(),
///         Err(RecvError::Closed) => break,
///         Err(RecvError::Backend(e)) => eprintln!("redis: {e}; trying again"),
///     }
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// The queue is closed and nothing is left in it: nothing queued,
    /// delayed or leased by any consumer.
    #[error("receiving on a closed and finished queue")]
    Closed,
    /// Redis failed. Nothing was taken from the queue.
    #[error("receiving failed: {0}")]
    Backend(#[source] Error),
}

/// Why [`RateLimiter::acquire_n`](super::RateLimiter::acquire_n) failed.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_patterns::redis::{AcquireError, RateLimiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let limiter = RateLimiter::open(&client, "api", 10, Duration::from_secs(1)).await.unwrap();
/// match limiter.acquire_n(5).await {
///     Err(AcquireError::InsufficientCapacity(e)) => assert_eq!(e.burst(), 1),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum AcquireError {
    /// More permits were asked for at once than the burst allows.
    #[error(transparent)]
    InsufficientCapacity(#[from] InsufficientCapacity),
    /// Redis failed. No permit was taken.
    #[error("acquiring failed: {0}")]
    Backend(#[source] Error),
}

/// Why [`RateLimiter::try_acquire`](super::RateLimiter::try_acquire) failed.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_patterns::redis::{RateLimiter, TryAcquireError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let limiter = RateLimiter::open(&client, "api", 2, Duration::from_secs(1)).await.unwrap();
/// limiter.try_acquire().await.unwrap();
/// match limiter.try_acquire().await {
///     Err(TryAcquireError::NotUntil(n)) => assert!(n.wait() <= Duration::from_millis(500)),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum TryAcquireError {
    /// No permit now; the error says how long until one is free.
    #[error(transparent)]
    NotUntil(#[from] NotUntil),
    /// Redis failed. No permit was taken.
    #[error("acquiring failed: {0}")]
    Backend(#[source] Error),
}
