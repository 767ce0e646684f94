//! [`Job`]: a leased item, renewed while it lives, finished when done.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use super::calls::Lease;
use super::shared::{Release, Shared};
use crate::redis::{Call, Error};

/// An item received with [`Queue::recv_job`](super::Queue::recv_job): a
/// lease on it, renewed in the background for as long as the `Job` lives.
///
/// End it with [`done`](Job::done) (acknowledged: never delivered again),
/// [`retry_in`](Job::retry_in) (back in the queue after a delay), or by
/// dropping it: a `Job` dropped normally is acknowledged in the background,
/// one dropped during a panic is put back at once for another delivery. If
/// the process dies instead, the lease stops being renewed and the item is
/// delivered to another consumer once `lease` has passed.
///
/// A `Job` derefs to the item.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_patterns::redis::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue = Queue::<String>::builder("emails").open(&client).await.unwrap();
/// let job = queue.recv_job().await.unwrap();
/// if job.contains('@') {
///     job.done().await.unwrap();
/// } else if job.deliveries() < 3 {
///     job.retry_in(Duration::from_secs(10)).await.unwrap();
/// } // else: dropped, acknowledged in the background
/// # }
/// ```
#[must_use = "a Job is acknowledged when dropped; keep it while the work runs"]
pub struct Job<T> {
    item: T,
    guard: LeaseGuard,
}

impl<T> Job<T> {
    pub(super) fn new(item: T, lease: Lease, shared: Arc<Shared>) -> Self {
        Self {
            item,
            guard: LeaseGuard {
                shared,
                lease: Some(lease),
                on_drop: OnDrop::Finish,
            },
        }
    }

    pub(super) fn into_parts(self) -> (T, LeaseGuard) {
        (self.item, self.guard)
    }

    /// How many times this item has been delivered, this delivery included:
    /// 1 the first time; more after an expired lease or a
    /// [`retry_in`](Self::retry_in).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("deliveries").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// let job = queue.recv_job().await.unwrap();
    /// assert_eq!(job.deliveries(), 1);
    /// # }
    /// ```
    #[must_use]
    pub fn deliveries(&self) -> u32 {
        self.guard.lease.as_ref().map_or(0, |l| l.deliveries)
    }

    /// The entry's id in the Redis stream (as `redis-cli` shows it).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("ids").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// let job = queue.recv_job().await.unwrap();
    /// println!("working on {}", job.id()); // e.g. 1733140000000-0
    /// # }
    /// ```
    #[must_use]
    pub fn id(&self) -> &str {
        self.guard.lease.as_ref().map_or("", |l| l.id.as_str())
    }

    /// Acknowledges the item: it will not be delivered again, and no longer
    /// counts as unfinished.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed; the acknowledgement is then retried in
    /// the background (and the lease kept renewed until it succeeds).
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the acknowledgement is completed in the
    /// background.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("done").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// let job = queue.recv_job().await.unwrap();
    /// job.done().await.unwrap();
    /// assert_eq!(queue.unfinished().await.unwrap(), 0);
    /// # }
    /// ```
    pub fn done(self) -> Call<'static, Result<(), Error>> {
        Call::new(self.guard.finish())
    }

    /// Puts the item back into the queue, to be delivered again after `d`;
    /// it still counts as unfinished meanwhile, and its next delivery
    /// reports [`deliveries()`](Self::deliveries) + 1. An item that has
    /// already had `max_deliveries` goes to the dead letters instead.
    ///
    /// A retry is not held back by the queue's capacity.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed; the item is then delivered again once its
    /// lease expires.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the item is put back at once, in the
    /// background.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u32>::builder("flaky").open(&client).await.unwrap();
    /// queue.send(1).await.unwrap();
    /// let job = queue.recv_job().await.unwrap();
    /// job.retry_in(Duration::from_millis(100)).await.unwrap();
    /// let again = queue.recv_job().await.unwrap();
    /// assert_eq!(again.deliveries(), 2);
    /// # }
    /// ```
    pub fn retry_in(self, d: Duration) -> Call<'static, Result<(), Error>> {
        Call::new(self.guard.retry(d))
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
        f.debug_struct("Job")
            .field("item", &self.item)
            .field("id", &self.id())
            .field("deliveries", &self.deliveries())
            .finish()
    }
}

/// What a dropped [`LeaseGuard`] does with a lease it still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDrop {
    /// Acknowledge it (a `Job` dropped after its work).
    Finish,
    /// Put it back at once (a dropped `retry_in`).
    PutBack,
}

/// Holds a lease until it is ended; a guard dropped while it still holds
/// one hands it to the background task (put back if dropped during a
/// panic), so no lease is left renewed forever or lost.
pub(super) struct LeaseGuard {
    shared: Arc<Shared>,
    lease: Option<Lease>,
    on_drop: OnDrop,
}

impl LeaseGuard {
    pub(super) async fn finish(mut self) -> Result<(), Error> {
        let Some(lease) = self.lease.as_ref() else {
            return Ok(());
        };
        self.shared.ack(std::slice::from_ref(&lease.id)).await?;
        let lease = self.lease.take().expect("the lease is held until here");
        self.shared.live.lock().unwrap().remove(&lease.id);
        Ok(())
    }

    /// Makes a drop put the lease back at once instead of acknowledging it.
    pub(super) fn put_back_on_drop(&mut self) {
        self.on_drop = OnDrop::PutBack;
    }

    async fn retry(mut self, d: Duration) -> Result<(), Error> {
        self.on_drop = OnDrop::PutBack;
        let Some(lease) = self.lease.as_ref() else {
            return Ok(());
        };
        let result = self.shared.retry(lease, d).await;
        let lease = self.lease.take().expect("the lease is held until here");
        // Done, or (on failure) left to expire: redelivered after `lease`.
        self.shared.live.lock().unwrap().remove(&lease.id);
        result
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take() {
            let op = if std::thread::panicking() || self.on_drop == OnDrop::PutBack {
                Release::Retry(lease)
            } else {
                Release::Finish(lease.id)
            };
            // The background task lives as long as `shared`: this cannot fail.
            let _ = self.shared.background.send(op);
        }
    }
}

impl fmt::Debug for LeaseGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseGuard")
            .field("lease", &self.lease)
            .field("on_drop", &self.on_drop)
            .finish()
    }
}
