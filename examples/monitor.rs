//! A performance monitor for async code: the seed's timing decorator
//! (`@monitor("db.query") async def query(...)`) with the library's
//! [`Monitor`]. It records, per operation name, how many calls ended `Ok`,
//! `Err`, or were cancelled (the future was dropped, here by a timeout), and
//! their latency percentiles.
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

use std::time::Duration;

use async_patterns::executor::gather;
use async_patterns::monitor::Monitor;
use async_patterns::prelude::*;
use tokio::time::Instant;

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
/// (calls that take longer are dropped and count as cancelled). Returns the
/// monitor after printing its report.
pub(crate) async fn run(requests: usize) -> Monitor {
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
                let _ = monitor.timed("cache.get", call(1, false)).await;
                if miss {
                    let _ = monitor.timed("db.query", call(db.0, db.1)).await;
                }
                // The timeout wraps the timed call, so a call it drops
                // counts as cancelled (inside, it would count as an error).
                let upstream = monitor
                    .timed("api.call", call(api.0, api.1))
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
    print!("{monitor}");
    monitor
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

    #[tokio::test(start_paused = true)]
    async fn every_request_is_accounted_for() {
        let monitor = run(200).await;
        let stats = monitor.stats();
        let names: Vec<&str> = stats.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["api.call", "cache.get", "db.query"]);
        let api = monitor.stats_of("api.call").unwrap();
        assert_eq!(api.calls(), 200);
        assert!(api.cancelled > 0, "some calls outlive the 25 ms timeout");
        assert!(api.max <= Duration::from_millis(25));
        assert_eq!(monitor.stats_of("cache.get").unwrap().ok, 200);
    }
}
