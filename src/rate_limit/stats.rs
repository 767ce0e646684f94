//! [`LimiterStats`]: what an operator looks at, and the counters behind it.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A snapshot of a [`RateLimiter`](super::RateLimiter)'s cumulative
/// counters and current gauges, from
/// [`RateLimiter::stats`](super::RateLimiter::stats). Clones of a limiter
/// share one set of counters.
///
/// The counters only grow, so two snapshots taken `dt` apart subtract into
/// rates: `(b.granted - a.granted) / dt` is the achieved rate,
/// `(b.wait_total - a.wait_total) / (b.waited - a.waited)` the mean wait
/// of the callers that had to queue in that window, and a `refused` that
/// climbs means callers shed work instead of waiting.
///
/// The counters are exact and cheap: `granted` and `refused` are counted
/// per thread (a plain add to a slot the thread owns, summed by the
/// snapshot), so a check pays no locked instruction for them; the wait
/// counters are relaxed atomics on a cache line of their own.
/// Wait times reuse the clock reads the limiter already makes.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::rate_limit::RateLimiter;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let limiter = RateLimiter::per_second(10);
/// for _ in 0..3 {
///     limiter.acquire().await; // the first is free, then one per 100 ms
/// }
/// assert!(limiter.try_acquire().is_err());
/// let stats = limiter.stats();
/// assert_eq!((stats.granted, stats.waited, stats.refused), (3, 2, 1));
/// assert_eq!(stats.wait_total, Duration::from_millis(200));
/// assert_eq!(stats.wait_max, Duration::from_millis(100));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LimiterStats {
    /// Permits ever granted, by every method (`acquire_n(n)` counts `n`).
    pub granted: u64,
    /// Requests ever refused: [`try_acquire`](super::RateLimiter::try_acquire)
    /// errors, [`acquire_within`](super::RateLimiter::acquire_within)
    /// failures, and [`acquire_n`](super::RateLimiter::acquire_n) asking for
    /// more than the burst.
    pub refused: u64,
    /// Acquisitions that had to queue before being granted (the rest were
    /// granted on their first poll).
    pub waited: u64,
    /// The time the `waited` acquisitions spent queued, in total.
    pub wait_total: Duration,
    /// The longest a single acquisition spent queued.
    pub wait_max: Duration,
    /// Acquisitions queued now.
    pub waiting: usize,
}

/// The cumulative counters, written with relaxed adds; aligned so that they
/// do not share a cache line with the GCRA state.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Counters {
    waited: AtomicU64,
    /// Nanoseconds.
    wait_total: AtomicU64,
    /// Nanoseconds.
    wait_max: AtomicU64,
}

impl Counters {
    /// A queued acquisition of `permits` was granted after `waited_nanos`
    /// (the grant itself is counted by the limiter's `count_granted`).
    ///
    /// With the `tracing` feature this is also an event, in the span of
    /// the waiting task.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn granted_after(&self, permits: u32, waited_nanos: u64) {
        #[cfg(feature = "tracing")]
        tracing::debug!(
            target: "async_patterns::rate_limit",
            permits,
            wait = ?Duration::from_nanos(waited_nanos),
            "permit granted after waiting"
        );
        self.waited.fetch_add(1, Relaxed);
        self.wait_total.fetch_add(waited_nanos, Relaxed);
        self.wait_max.fetch_max(waited_nanos, Relaxed);
    }

    pub(crate) fn snapshot(&self, (granted, refused): (u64, u64), waiting: usize) -> LimiterStats {
        LimiterStats {
            granted,
            refused,
            waited: self.waited.load(Relaxed),
            wait_total: Duration::from_nanos(self.wait_total.load(Relaxed)),
            wait_max: Duration::from_nanos(self.wait_max.load(Relaxed)),
            waiting,
        }
    }
}
