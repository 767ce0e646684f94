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
    trace: JobTrace,
}

impl<T> Drop for DoneGuard<T> {
    fn drop(&mut self) {
        self.trace.finish();
        self.chan.finish_job();
    }
}

impl<T> Job<T> {
    pub(crate) fn new(item: T, chan: Arc<Chan<T>>) -> Self {
        Self {
            item,
            guard: DoneGuard {
                chan,
                trace: JobTrace::new(),
            },
        }
    }

    /// The job's `queue.job` span, for the worker to run the work in
    /// (`tracing` feature).
    ///
    /// The span opens when the job is received, as a child of the span
    /// current in the receiving task, and ends with a `job done` event
    /// whose `busy` field is the time from receipt to [`done`](Self::done)
    /// (or drop). It does not cover the time the item spent queued: that
    /// needs a clock read per item on the sending side (see
    /// [`QueueStats`](super::QueueStats)). Without a subscriber interested
    /// in the span, it is disabled and no clock is read.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracing::Instrument;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::unbounded();
    /// tx.send("resize image").await.unwrap();
    ///
    /// let job = rx.recv_job().await.unwrap();
    /// let resized = async { job.len() }.instrument(job.span().clone()).await;
    /// job.done(); // ends the span with a `job done` event
    /// assert_eq!(resized, 12);
    /// # }
    /// ```
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn span(&self) -> &tracing::Span {
        &self.guard.trace.span
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

/// The `queue.job` span of a [`Job`], under the `tracing` feature.
#[cfg(feature = "tracing")]
struct JobTrace {
    span: tracing::Span,
    /// `None` when the span is disabled: no clock read then.
    received: Option<tokio::time::Instant>,
}

#[cfg(feature = "tracing")]
impl JobTrace {
    fn new() -> Self {
        let span = tracing::debug_span!(target: "async_patterns::queue", "queue.job");
        let received = (!span.is_disabled()).then(tokio::time::Instant::now);
        Self { span, received }
    }

    fn finish(&self) {
        if let Some(received) = self.received {
            let busy = received.elapsed();
            self.span.in_scope(|| {
                tracing::debug!(target: "async_patterns::queue", ?busy, "job done");
            });
        }
    }
}

/// Without the `tracing` feature: nothing to record.
#[cfg(not(feature = "tracing"))]
struct JobTrace;

#[cfg(not(feature = "tracing"))]
impl JobTrace {
    #[inline(always)]
    fn new() -> Self {
        Self
    }

    #[inline(always)]
    fn finish(&self) {}
}
