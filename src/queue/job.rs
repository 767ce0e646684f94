//! [`Job`]: a received item that counts as unfinished until it is dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};

use super::chan::Chan;
use crate::loom::Arc;

/// An item received with [`Receiver::recv_job`](super::Receiver::recv_job):
/// it stays counted in [`unfinished()`](super::Receiver::unfinished) (and
/// holds [`join()`](super::Receiver::join) back) until the `Job` is dropped
/// or [`done()`](Job::done) is called. This is asyncio's `task_done()`, made
/// impossible to forget: a worker that panics or returns early still drops
/// its `Job`, so `join()` cannot hang on it.
///
/// A `Job` derefs to the item. It keeps the queue's shared state alive but
/// does not count as a receiver.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::unbounded();
/// tx.send(String::from("resize image")).await.unwrap();
///
/// let mut job = rx.recv_job().await.unwrap();
/// job.push_str(" 42");
/// assert_eq!(*job, "resize image 42");
/// assert_eq!(rx.unfinished(), 1);
/// job.done();
/// assert_eq!(rx.unfinished(), 0);
/// rx.join().await; // resolves at once
/// # }
/// ```
#[must_use = "a Job is finished when dropped; keep it while the work runs"]
pub struct Job<T> {
    item: T,
    guard: DoneGuard<T>,
}

/// Finishes one unit of work when dropped, also during a panic.
struct DoneGuard<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Drop for DoneGuard<T> {
    fn drop(&mut self) {
        self.chan.finish_job();
    }
}

impl<T> Job<T> {
    pub(crate) fn new(item: T, chan: Arc<Chan<T>>) -> Self {
        Self {
            item,
            guard: DoneGuard { chan },
        }
    }

    /// Marks the work done (the same as dropping the `Job`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::unbounded();
    /// tx.send(1).await.unwrap();
    /// let job = rx.recv_job().await.unwrap();
    /// assert_eq!(tx.unfinished(), 1);
    /// job.done();
    /// assert_eq!(tx.unfinished(), 0);
    /// # }
    /// ```
    pub fn done(self) {
        drop(self);
    }

    /// Marks the work done and returns the item.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::unbounded();
    /// tx.send(7).await.unwrap();
    /// let item = rx.recv_job().await.unwrap().into_inner();
    /// assert_eq!((item, rx.unfinished()), (7, 0));
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        let Self { item, guard } = self;
        drop(guard);
        item
    }
}

impl<T> Deref for Job<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.item
    }
}

impl<T> DerefMut for Job<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.item
    }
}

impl<T: fmt::Debug> fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Job").field(&self.item).finish()
    }
}
