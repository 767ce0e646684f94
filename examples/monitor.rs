//! A performance monitor for async code: the seed's timing decorator
//! (`@monitor("db.query") async def query(...)`) as a wrapper around any
//! future that returns a `Result`. It records, per operation name, how many
//! calls ended `Ok`, `Err`, or were cancelled (the future was dropped, for
//! example by a timeout), and their latency percentiles.
//!
//! ```python
//! def monitor(name):
//!     def deco(fn):
//!         async def wrapper(*a, **kw):
//!             start = time.perf_counter()
//!             try: return await fn(*a, **kw)
//!             except Exception: stats[name].errors += 1; raise
//!             finally: stats[name].latencies.append(time.perf_counter() - start)
//!         return wrapper
//!     return deco
//! ```
//!
//! ```text
//! cargo run --example monitor                  # 300 simulated requests
//! cargo run --example monitor -- --requests 2000
//! ```
//!
//! The monitor keeps every sample so that the percentiles are exact; a
//! long-running service would keep a fixed-size histogram per name instead
//! (for example the `hdrhistogram` crate) and report it periodically.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_patterns::executor::gather;
use async_patterns::prelude::*;
use tokio::time::Instant;

/// Latency and outcome statistics per operation name. Clones share them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Monitor {
    series: Arc<Mutex<BTreeMap<&'static str, Series>>>,
}

#[derive(Debug, Default)]
struct Series {
    errors: u64,
    cancelled: u64,
    /// One sample per call, whatever its outcome.
    latencies: Vec<Duration>,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stats {
    pub(crate) name: &'static str,
    pub(crate) calls: usize,
    pub(crate) errors: u64,
    pub(crate) cancelled: u64,
    pub(crate) p50: Duration,
    pub(crate) p90: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

/// How a tracked call ended.
#[derive(Clone, Copy)]
enum Outcome {
    Ok,
    Err,
    Cancelled,
}

/// Records one call when dropped: on completion, or when the tracked future
/// is dropped before it completes (then it counts as cancelled, as does a
/// panic unwinding through it).
struct Timing<'a> {
    monitor: &'a Monitor,
    name: &'static str,
    start: Instant,
    outcome: Outcome,
}

impl Drop for Timing<'_> {
    fn drop(&mut self) {
        let latency = self.start.elapsed();
        let mut series = self.monitor.lock();
        let series = series.entry(self.name).or_default();
        series.latencies.push(latency);
        match self.outcome {
            Outcome::Ok => {}
            Outcome::Err => series.errors += 1,
            Outcome::Cancelled => series.cancelled += 1,
        }
    }
}

impl Monitor {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, Series>> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `fut`, timing it from its first poll, and records the outcome
    /// under `name`. The result passes through untouched.
    pub(crate) async fn track<F, T, E>(&self, name: &'static str, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let mut timing = Timing {
            monitor: self,
            name,
            start: Instant::now(),
            outcome: Outcome::Cancelled,
        };
        let result = fut.await;
        timing.outcome = if result.is_ok() {
            Outcome::Ok
        } else {
            Outcome::Err
        };
        result
    }

    /// The statistics so far, by name.
    pub(crate) fn stats(&self) -> Vec<Stats> {
        self.lock()
            .iter()
            .map(|(&name, series)| {
                let mut sorted = series.latencies.clone();
                sorted.sort_unstable();
                Stats {
                    name,
                    calls: sorted.len(),
                    errors: series.errors,
                    cancelled: series.cancelled,
                    p50: percentile(&sorted, 50),
                    p90: percentile(&sorted, 90),
                    p99: percentile(&sorted, 99),
                    max: sorted.last().copied().unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The statistics as a table, one line per name.
    pub(crate) fn report(&self) -> String {
        let mut out = format!(
            "  {:<12} {:>6} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8}\n",
            "operation", "calls", "errors", "cancelled", "p50", "p90", "p99", "max"
        );
        for s in self.stats() {
            let ms = |d: Duration| format!("{:.1}ms", d.as_secs_f64() * 1e3);
            let _ = writeln!(
                out,
                "  {:<12} {:>6} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8}",
                s.name,
                s.calls,
                s.errors,
                s.cancelled,
                ms(s.p50),
                ms(s.p90),
                ms(s.p99),
                ms(s.max)
            );
        }
        out
    }
}

/// The nearest-rank percentile of sorted samples (zero when there are none).
fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// A simulated service call: `ms` of latency, then `Err` if `fail`.
async fn call(ms: u64, fail: bool) -> Result<(), &'static str> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    if fail {
        Err("simulated failure")
    } else {
        Ok(())
    }
}

/// Serves `requests` simulated requests, 32 at a time: a cache lookup, a
/// database query on a miss, and an upstream API call with a 25 ms timeout
/// (calls that take longer are dropped and count as cancelled). Prints the
/// report.
pub(crate) async fn run(requests: usize) {
    let monitor = Monitor::new();
    let mut rng = fastrand::Rng::with_seed(7);
    let plans: Vec<_> = (0..requests)
        .map(|_| {
            let miss = rng.u8(..100) < 30;
            let db = (rng.u64(2..12), rng.u8(..100) < 5);
            let api = (rng.u64(3..30), rng.u8(..100) < 8);
            (miss, db, api)
        })
        .collect();
    let start = Instant::now();
    let served = gather(
        32,
        plans.into_iter().map(|(miss, db, api)| {
            let monitor = &monitor;
            async move {
                let _ = monitor.track("cache.get", call(1, false)).await;
                if miss {
                    let _ = monitor.track("db.query", call(db.0, db.1)).await;
                }
                let upstream = monitor
                    .track("api.call", call(api.0, api.1))
                    .timeout(Duration::from_millis(25))
                    .await;
                matches!(upstream, Ok(Ok(())))
            }
        }),
    )
    .await;
    let ok = served.iter().filter(|&&ok| ok).count();
    println!(
        "served {requests} requests ({ok} fully ok) in {:.0?}, 32 at a time",
        start.elapsed()
    );
    print!("{}", monitor.report());
}

#[allow(dead_code)] // the tour includes this file and calls `run` itself
#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut requests = 300;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|v| v.parse())) {
            ("--requests", Some(Ok(n))) => requests = n,
            _ => {
                eprintln!("usage: monitor [--requests N]");
                std::process::exit(2);
            }
        }
    }
    run(requests).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&samples, 50), ms(50));
        assert_eq!(percentile(&samples, 90), ms(90));
        assert_eq!(percentile(&samples, 99), ms(99));
        assert_eq!(percentile(&[ms(7)], 99), ms(7));
        assert_eq!(percentile(&[ms(1), ms(2), ms(3)], 50), ms(2));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn track_counts_outcomes_and_latency() {
        let monitor = Monitor::new();
        assert_eq!(monitor.track("op", call(10, false)).await, Ok(()));
        assert!(monitor.track("op", call(30, true)).await.is_err());
        let dropped = monitor.track("op", call(100, false)).timeout(ms(20)).await;
        assert!(dropped.is_err());

        let stats = monitor.stats();
        assert_eq!(stats.len(), 1);
        let op = &stats[0];
        assert_eq!(
            (op.name, op.calls, op.errors, op.cancelled),
            ("op", 3, 1, 1)
        );
        assert_eq!((op.p50, op.max), (ms(20), ms(30)));
        assert!(monitor.report().contains("op"));
    }
}
