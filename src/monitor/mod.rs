//! [`Monitor`]: per-operation call counts and latency percentiles, the
//! seed's timing decorator (`@monitor("db.query")`) as a wrapper future.
//!
//! | Python | async-patterns |
//! |---|---|
//! | `@monitor("db.query") async def query(..)` | `monitor.`[`timed`](Monitor::timed)`("db.query", query(..)).await` |
//! | `stats[name].errors += 1` in `except` | counted when the output is an `Err` ([`Outcome`]) |
//! | `finally: latencies.append(..)` | every call that ran records its latency, also a cancelled one |
//! | `print(report())` | `println!("{monitor}")` ([`Display`](std::fmt::Display)), or [`Monitor::stats`] |
//!
//! Not provided, use instead: export to Prometheus or OpenTelemetry → read
//! [`Monitor::stats`] from a timer; a reset or a rate → subtract two
//! snapshots; labels → one name per label value; spans → the `tracing`
//! crate.
//!
//! The wrapper everyone writes first measures around `fut.await` and so
//! misses the calls that never come back: a future dropped by a timeout, a
//! `select!` or an aborted task. [`Timed`] records on drop too, so those
//! count as `cancelled`, with the time they ran.
//!
//! It is cheap enough to leave on: recording a call is a few relaxed atomic
//! additions on the operation's counters and a fixed-size histogram (no lock,
//! no allocation); [`timed`](Monitor::timed) looks the name up under a read
//! lock, once per call. Percentiles are read from the histogram and are
//! within 6.25 % of the exact sample (log-linear buckets, 16 per power of
//! two); `max` is exact. Each name costs about 8 KiB.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::monitor::Monitor;
//! use async_patterns::prelude::*;
//!
//! async fn query(ms: u64) -> Result<u32, &'static str> {
//!     tokio::time::sleep(Duration::from_millis(ms)).await;
//!     if ms > 40 { Err("too slow") } else { Ok(1) }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let monitor = Monitor::new();
//! for ms in [10, 20, 50] {
//!     let _ = monitor.timed("db.query", query(ms)).await;
//! }
//! // Dropped by the timeout: counted as cancelled, with the 30 ms it ran.
//! let late = monitor.timed("db.query", query(100)).timeout(Duration::from_millis(30)).await;
//! assert!(late.is_err());
//!
//! let stats = monitor.stats_of("db.query").unwrap();
//! assert_eq!((stats.ok, stats.err, stats.cancelled), (2, 1, 1));
//! assert_eq!(stats.max, Duration::from_millis(50));
//! println!("{monitor}");
//! # }
//! ```
//!
//! # Runnable examples
//!
//! `cargo run --example monitor` serves simulated requests through a cache,
//! a database and an upstream API with a timeout, and prints the report; the
//! `tour` runs it as its performance-monitor section.

mod histogram;
mod timed;

use std::collections::BTreeMap;
use std::fmt;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub use timed::{Outcome, Timed};

use histogram::{Counts, Histogram};

/// Call counts and latency percentiles per operation name.
///
/// `Clone` is cheap and shares the statistics. See the [module docs](self).
#[derive(Clone, Default)]
pub struct Monitor {
    /// Every name ever timed; entries are never removed, so an `Arc<Op>`
    /// handed to a [`Timed`] always belongs to the map.
    ops: Arc<RwLock<BTreeMap<Box<str>, Arc<Op>>>>,
}

/// The statistics of one name. Every field is only ever increased (or,
/// for `max_nanos`, raised), with relaxed atomics: a snapshot may see one
/// call's counter before its latency, never a torn value.
pub(crate) struct Op {
    name: Box<str>,
    ok: AtomicU64,
    err: AtomicU64,
    cancelled: AtomicU64,
    max_nanos: AtomicU64,
    total_nanos: AtomicU64,
    /// One sample per call that was polled, whatever its outcome.
    latency: Histogram,
}

impl Op {
    fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            ok: AtomicU64::new(0),
            err: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            max_nanos: AtomicU64::new(0),
            total_nanos: AtomicU64::new(0),
            latency: Histogram::new(),
        }
    }

    fn record_latency(&self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latency.record(nanos);
        self.max_nanos.fetch_max(nanos, Ordering::Relaxed);
        self.total_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn record_done(&self, success: bool, latency: Duration) {
        self.record_latency(latency);
        let counter = if success { &self.ok } else { &self.err };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `ran` is `None` for a call dropped before its first poll.
    pub(crate) fn record_cancelled(&self, ran: Option<Duration>) {
        if let Some(latency) = ran {
            self.record_latency(latency);
        }
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    fn stats(&self) -> OpStats {
        OpStats {
            name: self.name.to_string(),
            ok: self.ok.load(Ordering::Relaxed),
            err: self.err.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            max: Duration::from_nanos(self.max_nanos.load(Ordering::Relaxed)),
            total: Duration::from_nanos(self.total_nanos.load(Ordering::Relaxed)),
            latency: self.latency.snapshot(),
        }
    }
}

impl Monitor {
    /// A monitor with no names yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::monitor::Monitor;
    ///
    /// let monitor = Monitor::new();
    /// assert!(monitor.stats().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps `fut` so that its outcome and latency are recorded under
    /// `name`; the output passes through untouched.
    ///
    /// The clock starts at the first poll. A call counts as `ok` or `err` by
    /// its output ([`Outcome`]: `Ok`/`Err` for a `Result`), and as
    /// `cancelled` when the future is dropped before it completes (by a
    /// timeout, a `select!`, an aborted task, or a panic unwinding through
    /// it). Every call that was polled adds its latency to the percentiles,
    /// a cancelled one the time until it was dropped.
    ///
    /// Put the timeout *outside* `timed` (`monitor.timed(n, f).timeout(d)`)
    /// to count a timed-out call as cancelled; inside, the `Err(Elapsed)` is
    /// the output and counts as `err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::monitor::Monitor;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let monitor = Monitor::new();
    /// let n: Result<u32, String> = monitor.timed("parse", async { "42".parse().map_err(|_| "nan".to_string()) }).await;
    /// assert_eq!(n, Ok(42));
    /// drop(monitor.timed("parse", async { Ok::<u32, String>(1) })); // never polled
    /// let stats = monitor.stats_of("parse").unwrap();
    /// assert_eq!((stats.ok, stats.err, stats.cancelled), (1, 0, 1));
    /// # }
    /// ```
    pub fn timed<F>(&self, name: &str, fut: F) -> Timed<F::IntoFuture>
    where
        F: IntoFuture,
        F::Output: Outcome,
    {
        Timed::new(self.op(name), fut.into_future())
    }

    /// The statistics of every name timed so far, sorted by name.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::monitor::Monitor;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let monitor = Monitor::new();
    /// monitor.timed("b", async {}).await;
    /// monitor.timed("a", async {}).await;
    /// let names: Vec<String> = monitor.stats().into_iter().map(|s| s.name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> Vec<OpStats> {
        self.read().values().map(|op| op.stats()).collect()
    }

    /// The statistics of `name`, if it was ever timed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::monitor::Monitor;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let monitor = Monitor::new();
    /// assert!(monitor.stats_of("fetch").is_none());
    /// let _ = monitor.timed("fetch", async { Err::<(), _>("404") }).await;
    /// assert_eq!(monitor.stats_of("fetch").unwrap().err, 1);
    /// # }
    /// ```
    #[must_use]
    pub fn stats_of(&self, name: &str) -> Option<OpStats> {
        self.read().get(name).map(|op| op.stats())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Box<str>, Arc<Op>>> {
        // No user code runs under this lock; poisoning cannot leave it torn.
        self.ops.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn op(&self, name: &str) -> Arc<Op> {
        if let Some(op) = self.read().get(name) {
            return op.clone();
        }
        let mut ops = self.ops.write().unwrap_or_else(PoisonError::into_inner);
        ops.entry(name.into())
            .or_insert_with(|| Arc::new(Op::new(name)))
            .clone()
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.read().iter().map(|(name, op)| (name, op.stats())))
            .finish()
    }
}

/// The report: a header and one line per name, with calls, errors,
/// cancellations, p50, p90, p99 and max in milliseconds.
impl fmt::Display for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "operation", "calls", "errors", "cancelled", "p50", "p90", "p99", "max"
        )?;
        for s in self.stats() {
            let ms = |d: Duration| format!("{:.1}ms", d.as_secs_f64() * 1e3);
            writeln!(
                f,
                "{:<16} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
                s.name,
                s.calls(),
                s.err,
                s.cancelled,
                ms(s.percentile(0.5)),
                ms(s.percentile(0.9)),
                ms(s.percentile(0.99)),
                ms(s.max)
            )?;
        }
        Ok(())
    }
}

/// A snapshot of one name's statistics, from [`Monitor::stats`].
///
/// Subtract the counters of two snapshots for rates.
#[derive(Clone)]
#[non_exhaustive]
pub struct OpStats {
    /// The name given to [`Monitor::timed`].
    pub name: String,
    /// Calls that completed with a success ([`Outcome::is_success`]).
    pub ok: u64,
    /// Calls that completed with an error.
    pub err: u64,
    /// Calls dropped before they completed.
    pub cancelled: u64,
    /// The longest latency of any call (exact).
    pub max: Duration,
    /// The sum of all latencies.
    pub total: Duration,
    latency: Counts,
}

impl OpStats {
    /// Every call: `ok + err + cancelled`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::monitor::Monitor;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let monitor = Monitor::new();
    /// monitor.timed("op", async {}).await;
    /// assert_eq!(monitor.stats_of("op").unwrap().calls(), 1);
    /// # }
    /// ```
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.ok + self.err + self.cancelled
    }

    /// The latency below which a fraction `q` of the calls fell
    /// (`percentile(0.99)` is p99): the nearest-rank sample, read from the
    /// histogram, so within 6.25 % above the exact value and never above
    /// [`max`](Self::max). Zero when no call has run yet.
    ///
    /// Counts every call that was polled, cancelled ones with the time until
    /// they were dropped. `q` is clamped to `0.0..=1.0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::monitor::Monitor;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let monitor = Monitor::new();
    /// for ms in 1..=100 {
    ///     monitor.timed("sleep", tokio::time::sleep(Duration::from_millis(ms))).await;
    /// }
    /// let stats = monitor.stats_of("sleep").unwrap();
    /// let p90 = stats.percentile(0.9);
    /// assert!(p90 >= Duration::from_millis(90) && p90 <= Duration::from_millis(96));
    /// assert_eq!(stats.percentile(1.0), Duration::from_millis(100));
    /// # }
    /// ```
    #[must_use]
    pub fn percentile(&self, q: f64) -> Duration {
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let nanos = self.latency.quantile(q);
        Duration::from_nanos(nanos).min(self.max)
    }

    /// The mean latency of the calls that ran; zero when none did.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::monitor::Monitor;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let monitor = Monitor::new();
    /// for ms in [10, 30] {
    ///     monitor.timed("sleep", tokio::time::sleep(Duration::from_millis(ms))).await;
    /// }
    /// assert_eq!(monitor.stats_of("sleep").unwrap().mean(), Duration::from_millis(20));
    /// # }
    /// ```
    #[must_use]
    pub fn mean(&self) -> Duration {
        match u32::try_from(self.latency.total()) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.total / n,
            Err(_) => {
                Duration::from_secs_f64(self.total.as_secs_f64() / self.latency.total() as f64)
            }
        }
    }
}

impl fmt::Debug for OpStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpStats")
            .field("name", &self.name)
            .field("ok", &self.ok)
            .field("err", &self.err)
            .field("cancelled", &self.cancelled)
            .field("p50", &self.percentile(0.5))
            .field("p90", &self.percentile(0.9))
            .field("p99", &self.percentile(0.99))
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}
