//! [`KeyedRateLimiter::stats`]: the keyed limiter's counters.
//!
//! A key's own state comes and goes (forgotten when idle, its waiting line
//! folded back when no acquire holds it), so nothing is counted there:
//! `try_acquire` counts in its shard, under the lock it holds anyway (plain
//! adds, no atomic), and `acquire` counts in [`KeyedCounters`], shared by the
//! limiter's clones and its pending futures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use super::clock::Timebase;
use super::stats::Counters;
use super::{KeyedRateLimiter, LimiterStats};

/// What `acquire` did, for every key together.
#[derive(Debug)]
pub(super) struct KeyedCounters {
    /// Permits granted through `acquire` (`try_acquire` counts per shard).
    acquired: AtomicU64,
    /// `acquire`s that had to wait, and for how long.
    waits: Counters,
    /// `acquire`s waiting now.
    waiting: AtomicUsize,
    /// The limiter's clock, to time waits.
    timebase: Timebase,
}

impl KeyedCounters {
    pub(super) fn new(timebase: Timebase) -> Self {
        Self {
            acquired: AtomicU64::new(0),
            waits: Counters::default(),
            waiting: AtomicUsize::new(0),
            timebase,
        }
    }
}

/// One `acquire` future's part in the counters: in `waiting` from its first
/// `Pending` until it is granted or dropped, then counted as granted.
#[derive(Debug)]
pub(super) struct AcquireStats {
    counters: Arc<KeyedCounters>,
    /// When the wait began, on the limiter's time base; `None` until the
    /// first `Pending` and again once counted.
    waiting_since: Option<u64>,
}

impl AcquireStats {
    pub(super) fn new(counters: Arc<KeyedCounters>) -> Self {
        Self {
            counters,
            waiting_since: None,
        }
    }

    /// The future returned `Pending`.
    pub(super) fn pending(&mut self) {
        if self.waiting_since.is_none() {
            self.counters.waiting.fetch_add(1, Relaxed);
            self.waiting_since = Some(self.counters.timebase.now());
        }
    }

    /// The future was granted its permit.
    pub(super) fn granted(&mut self) {
        let counters = &*self.counters;
        if let Some(since) = self.waiting_since.take() {
            counters.waiting.fetch_sub(1, Relaxed);
            let waited = counters.timebase.now().saturating_sub(since);
            counters.waits.granted_after(1, waited);
        }
        counters.acquired.fetch_add(1, Relaxed);
    }
}

impl Drop for AcquireStats {
    fn drop(&mut self) {
        if self.waiting_since.is_some() {
            self.counters.waiting.fetch_sub(1, Relaxed);
        }
    }
}

/// A shard's `try_acquire` counts, changed under its lock.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ShardCounts {
    pub(super) granted: u64,
    pub(super) refused: u64,
}

impl<K> KeyedRateLimiter<K> {
    /// A snapshot of the limiter's counters and gauges, over every key and
    /// shared by every clone; see [`LimiterStats`]. `granted` and `refused`
    /// count calls of every key (a key forgotten when idle keeps its counts
    /// here); `waited`, the wait times and `waiting` are those of
    /// [`acquire`](Self::acquire) futures. The number of keys is
    /// [`len`](Self::len).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1));
    /// limiter.try_acquire(&"alice").unwrap();
    /// limiter.try_acquire(&"bob").unwrap();
    /// assert!(limiter.try_acquire(&"alice").is_err());
    /// limiter.acquire(&"alice").await; // waits 100 ms
    /// let stats = limiter.stats();
    /// assert_eq!((stats.granted, stats.refused, stats.waited), (3, 1, 1));
    /// assert_eq!(stats.wait_total, Duration::from_millis(100));
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> LimiterStats {
        let shared = &*self.shared;
        let (granted, refused) = shared.shards.iter().fold((0_u64, 0_u64), |(g, r), shard| {
            let counts = crate::loom::lock(shard).counts;
            (
                g.wrapping_add(counts.granted),
                r.wrapping_add(counts.refused),
            )
        });
        let counters = &shared.counters;
        let granted = granted.wrapping_add(counters.acquired.load(Relaxed));
        counters
            .waits
            .snapshot((granted, refused), counters.waiting.load(Relaxed))
    }
}
