//! [`QueueStats`]: what this process did with a [`Queue`](super::Queue).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of the client-side counters of a [`Queue`](super::Queue), from
/// [`Queue::stats`](super::Queue::stats).
///
/// What changes from [`queue::QueueStats`](crate::queue::QueueStats): the
/// queue lives on the server and is shared by many processes, so these
/// counters only see **this handle and its clones, in this process** (each
/// [`open`](super::QueueBuilder::open) starts its own at zero). Add them up
/// across processes in your metrics system for the queue's totals; ask the
/// server for the current [`len`](super::Queue::len) and
/// [`unfinished`](super::Queue::unfinished). Reading them costs no call to
/// Redis; keeping them costs one relaxed add per Redis call that succeeded.
///
/// The counters only grow, so two snapshots taken `dt` apart subtract into
/// rates, as for the in-process queue.
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue = Queue::<u32>::builder("stats-doc").open(&client).await.unwrap();
/// let before = queue.stats();
/// queue.send(7).await.unwrap();
/// queue.recv_job().await.unwrap().done().await.unwrap();
/// let after = queue.stats();
/// assert_eq!((after.sent - before.sent, after.done - before.done), (1, 1));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct QueueStats {
    /// Items this process added (`send` and `try_send` that succeeded).
    pub sent: u64,
    /// Entries leased to this process: new ones, redeliveries of expired
    /// leases and due retries, including entries then put back or moved to
    /// the dead letters.
    pub received: u64,
    /// Leases this process acknowledged: [`Job::done`](super::Job::done),
    /// a `Job` dropped normally, and every `recv`.
    pub done: u64,
    /// Leases this process ended by putting the item back:
    /// [`Job::retry_in`](super::Job::retry_in), a `Job` dropped during a
    /// panic, a receive dropped mid-command. An item past its
    /// `max_deliveries` goes to the dead letters instead, and is counted
    /// here too.
    pub retried: u64,
    /// Entries this process moved to the dead letters because they did not
    /// decode as the item type.
    pub dead_lettered: u64,
}

/// The counters behind [`QueueStats`], shared by a handle's clones, its
/// jobs and its background task.
#[derive(Debug, Default)]
pub(super) struct Counters {
    sent: AtomicU64,
    received: AtomicU64,
    done: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
}

/// One of the [`Counters`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Count {
    Sent,
    Received,
    Done,
    Retried,
    DeadLettered,
}

impl Counters {
    pub(super) fn add(&self, count: Count, n: u64) {
        let counter = match count {
            Count::Sent => &self.sent,
            Count::Received => &self.received,
            Count::Done => &self.done,
            Count::Retried => &self.retried,
            Count::DeadLettered => &self.dead_lettered,
        };
        counter.fetch_add(n, Relaxed);
    }

    pub(super) fn snapshot(&self) -> QueueStats {
        QueueStats {
            sent: self.sent.load(Relaxed),
            received: self.received.load(Relaxed),
            done: self.done.load(Relaxed),
            retried: self.retried.load(Relaxed),
            dead_lettered: self.dead_lettered.load(Relaxed),
        }
    }
}
