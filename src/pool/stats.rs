//! [`PoolStats`]: what an operator looks at, and the counters behind it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// A snapshot of a [`Pool`](super::Pool)'s cumulative counters and current
/// gauges, from [`Pool::stats`](super::Pool::stats). Clones of a pool share
/// one set.
///
/// The counters only grow, so two snapshots taken `dt` apart subtract into
/// rates: `(b.checkouts - a.checkouts) / dt` is the demand, and `created`
/// growing in step with it means objects are not being reused (returned
/// objects detached or the pool too small). `waiting` above zero for long
/// means the pool is the bottleneck. The counters are relaxed atomics,
/// written once per checkout.
///
/// # Examples
///
/// ```
/// use async_patterns::pool::Pool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = Pool::new(2, || async { String::from("conn") });
/// let a = pool.get().await;
/// drop(a);
/// let b = pool.get().await; // reused
/// let stats = pool.stats();
/// assert_eq!((stats.created, stats.checkouts), (1, 2));
/// assert_eq!((stats.in_use, stats.idle, stats.waiting), (1, 0, 0));
/// # drop(b);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// The most objects the pool holds at once.
    pub max_size: usize,
    /// Objects ever made by the factory.
    pub created: u64,
    /// Objects ever checked out (`get`, `get_timeout` and `try_get` that
    /// returned one).
    pub checkouts: u64,
    /// [`get_timeout`](super::Pool::get_timeout)s that gave up.
    pub timed_out: u64,
    /// Objects checked out now, plus places held by gets creating one
    /// ([`in_use`](super::Pool::in_use)).
    pub in_use: usize,
    /// Objects in the pool, ready for reuse, now ([`idle`](super::Pool::idle)).
    pub idle: usize,
    /// Gets in progress now: waiting for a place, or creating an object.
    pub waiting: usize,
}

/// The cumulative counters and the `waiting` gauge.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) created: AtomicU64,
    pub(crate) checkouts: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    waiting: AtomicUsize,
}

/// Counts one get in progress while alive (so a cancelled get stops
/// counting when dropped).
pub(crate) struct InProgress<'a>(&'a Counters);

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Relaxed);
    }
}

impl Counters {
    pub(crate) fn start_get(&self) -> InProgress<'_> {
        self.waiting.fetch_add(1, Relaxed);
        InProgress(self)
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, max_size: usize, in_use: usize, idle: usize) -> PoolStats {
        PoolStats {
            max_size,
            created: self.created.load(Relaxed),
            checkouts: self.checkouts.load(Relaxed),
            timed_out: self.timed_out.load(Relaxed),
            in_use,
            idle,
            waiting: self.waiting.load(Relaxed),
        }
    }
}
