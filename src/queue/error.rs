//! Errors of the queue operations. Errors of sending operations carry the
//! item back; their `Debug` does not need `T: Debug`.

use std::fmt;

/// The queue was closed: the item comes back in the error.
///
/// Returned by [`Sender::send`](super::Sender::send) and
/// [`Sender::send_blocking`](super::Sender::send_blocking) (and, holding
/// `()`, by [`Sender::reserve`](super::Sender::reserve)).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::bounded(1);
/// rx.close();
/// let err = tx.send("job").await.unwrap_err();
/// assert_eq!(err.into_inner(), "job");
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sending on a closed queue")]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// Returns the item that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = queue::unbounded();
    /// rx.close();
    /// let err = tx.send(String::from("report")).await.unwrap_err();
    /// assert_eq!(err.into_inner(), "report"); // nothing is lost
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

/// Why [`Sender::try_send`](super::Sender::try_send) failed; the item comes
/// back either way.
///
/// # Examples
///
/// ```
/// use async_patterns::queue::{self, TrySendError};
///
/// let (tx, _rx) = queue::bounded(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// tx.close();
/// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError<T> {
    /// The queue is at capacity.
    #[error("sending on a full queue")]
    Full(T),
    /// The queue is closed.
    #[error("sending on a closed queue")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// Returns the item that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::queue;
    ///
    /// let (tx, _rx) = queue::bounded(1);
    /// tx.try_send("first").unwrap();
    /// let err = tx.try_send("second").unwrap_err();
    /// assert_eq!(err.into_inner(), "second");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(v) | Self::Closed(v) => v,
        }
    }

    /// True if the queue was full.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::queue;
    ///
    /// let (tx, _rx) = queue::bounded(1);
    /// tx.try_send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// True if the queue was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::queue;
    ///
    /// let (tx, _rx) = queue::bounded(1);
    /// tx.close();
    /// assert!(tx.try_send(1).unwrap_err().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Closed(err.0)
    }
}

/// Why [`Sender::send_timeout`](super::Sender::send_timeout) failed; the
/// item comes back either way.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::queue::{self, SendTimeoutError};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (tx, _rx) = queue::bounded(1);
/// tx.send(1).await.unwrap();
/// let err = tx.send_timeout(2, Duration::from_millis(10)).await.unwrap_err();
/// assert_eq!(err, SendTimeoutError::Timeout(2));
/// assert_eq!(err.into_inner(), 2);
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendTimeoutError<T> {
    /// No slot became free in time.
    #[error("timed out waiting on send to a full queue")]
    Timeout(T),
    /// The queue is closed.
    #[error("sending on a closed queue")]
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// Returns the item that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::queue;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, _rx) = queue::bounded(1);
    /// tx.send("a").await.unwrap();
    /// let err = tx.send_timeout("b", Duration::from_millis(10)).await.unwrap_err();
    /// assert_eq!(err.into_inner(), "b");
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(v) | Self::Closed(v) => v,
        }
    }

    /// True if the time ran out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::queue;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, _rx) = queue::bounded(1);
    /// tx.send("a").await.unwrap();
    /// let err = tx.send_timeout("b", Duration::from_millis(10)).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// # }
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// True if the queue was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::queue;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, _rx) = queue::bounded(1);
    /// tx.close();
    /// let err = tx.send_timeout("a", Duration::from_millis(10)).await.unwrap_err();
    /// assert!(err.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// The queue is closed and drained: nothing more will arrive.
///
/// # Examples
///
/// ```
/// use async_patterns::queue::{self, RecvError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = queue::unbounded::<u8>();
/// drop(tx);
/// assert_eq!(rx.recv().await, Err(RecvError));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("receiving on a closed and empty queue")]
pub struct RecvError;

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) failed.
///
/// # Examples
///
/// ```
/// use async_patterns::queue::{self, TryRecvError};
///
/// let (tx, rx) = queue::unbounded::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is queued right now.
    #[error("receiving on an empty queue")]
    Empty,
    /// The queue is closed and drained.
    #[error("receiving on a closed and empty queue")]
    Closed,
}

/// Why [`Receiver::recv_timeout`](super::Receiver::recv_timeout) failed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::queue::{self, RecvTimeoutError};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (_tx, rx) = queue::unbounded::<u8>();
/// let err = rx.recv_timeout(Duration::from_secs(1)).await.unwrap_err();
/// assert_eq!(err, RecvTimeoutError::Timeout);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RecvTimeoutError {
    /// Nothing arrived in time.
    #[error("timed out waiting on receive from an empty queue")]
    Timeout,
    /// The queue is closed and drained.
    #[error("receiving on a closed and empty queue")]
    Closed,
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        Self::Closed
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        Self::Closed
    }
}
