//! Behaviour of the performance monitor, on tokio's paused clock.

use std::time::Duration;

use async_patterns::monitor::Monitor;
use async_patterns::prelude::*;
use tokio::time::sleep;
use tokio_test::{assert_pending, task};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn call(latency: u64, fail: bool) -> Result<u64, &'static str> {
    sleep(ms(latency)).await;
    if fail { Err("failed") } else { Ok(latency) }
}

#[tokio::test(start_paused = true)]
async fn counts_ok_err_and_cancelled_with_latency() {
    let monitor = Monitor::new();
    assert_eq!(monitor.timed("op", call(10, false)).await, Ok(10));
    assert_eq!(monitor.timed("op", call(30, true)).await, Err("failed"));
    let late = monitor.timed("op", call(100, false)).timeout(ms(20)).await;
    assert!(late.is_err());

    let stats = monitor.stats_of("op").unwrap();
    assert_eq!((stats.ok, stats.err, stats.cancelled), (1, 1, 1));
    assert_eq!(stats.calls(), 3);
    // Samples 10, 20 (the cancelled one, until its drop) and 30 ms; the
    // histogram reports the top of the sample's bucket.
    let p50 = stats.percentile(0.5);
    assert!(p50 >= ms(20) && p50 <= ms(20) + ms(20) / 16, "{p50:?}");
    assert_eq!(stats.max, ms(30));
    assert_eq!(stats.total, ms(60));
    assert_eq!(stats.mean(), ms(20));
}

#[tokio::test(start_paused = true)]
async fn the_clock_starts_at_the_first_poll() {
    let monitor = Monitor::new();
    let timed = monitor.timed("op", call(10, false));
    sleep(ms(500)).await;
    timed.await.unwrap();
    assert_eq!(monitor.stats_of("op").unwrap().max, ms(10));
}

#[tokio::test(start_paused = true)]
async fn a_future_dropped_before_its_first_poll_is_cancelled_without_a_latency() {
    let monitor = Monitor::new();
    drop(monitor.timed("op", call(10, false)));
    let stats = monitor.stats_of("op").unwrap();
    assert_eq!((stats.ok, stats.err, stats.cancelled), (0, 0, 1));
    assert_eq!(
        (stats.max, stats.percentile(0.99)),
        (Duration::ZERO, Duration::ZERO)
    );
}

#[tokio::test(start_paused = true)]
async fn a_pending_future_dropped_counts_once_as_cancelled() {
    let monitor = Monitor::new();
    let mut timed = task::spawn(monitor.timed("op", call(50, false)));
    assert_pending!(timed.poll());
    tokio::time::advance(ms(7)).await;
    assert_pending!(timed.poll());
    drop(timed);
    let stats = monitor.stats_of("op").unwrap();
    assert_eq!((stats.ok, stats.cancelled), (0, 1));
    assert_eq!(stats.max, ms(7));
}

#[tokio::test(start_paused = true)]
async fn an_aborted_task_counts_as_cancelled() {
    let monitor = Monitor::new();
    let handle = tokio::spawn({
        let monitor = monitor.clone();
        async move { monitor.timed("job", call(1_000, false)).await }
    });
    sleep(ms(100)).await;
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    let stats = monitor.stats_of("job").unwrap();
    assert_eq!((stats.ok, stats.cancelled, stats.max), (0, 1, ms(100)));
}

#[tokio::test(start_paused = true)]
async fn a_panic_inside_counts_as_cancelled() {
    let monitor = Monitor::new();
    let handle = tokio::spawn({
        let monitor = monitor.clone();
        async move {
            monitor
                .timed("boom", async {
                    sleep(ms(5)).await;
                    panic!("inside the timed call");
                    #[allow(unreachable_code)]
                    Ok::<(), ()>(())
                })
                .await
        }
    });
    assert!(handle.await.unwrap_err().is_panic());
    let stats = monitor.stats_of("boom").unwrap();
    assert_eq!((stats.ok, stats.err, stats.cancelled), (0, 0, 1));
}

#[tokio::test(start_paused = true)]
async fn percentiles_stay_within_the_histogram_error() {
    let monitor = Monitor::new();
    for n in 1..=1_000 {
        monitor.timed("op", call(n, false)).await.unwrap();
    }
    let stats = monitor.stats_of("op").unwrap();
    for (q, exact) in [(0.5, 500), (0.9, 900), (0.99, 990)] {
        let got = stats.percentile(q);
        assert!(got >= ms(exact), "p{q}: {got:?} below {exact} ms");
        assert!(
            got <= ms(exact + exact / 16),
            "p{q}: {got:?} too far above {exact} ms"
        );
    }
    assert_eq!(stats.percentile(1.0), ms(1_000));
    assert_eq!(stats.percentile(f64::NAN), stats.percentile(0.0));
}

#[tokio::test(start_paused = true)]
async fn clones_share_and_names_are_separate() {
    let monitor = Monitor::new();
    let other = monitor.clone();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let monitor = monitor.clone();
            tokio::spawn(async move {
                let name = if i % 2 == 0 { "even" } else { "odd" };
                monitor.timed(name, call(i, i == 3)).await
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await.unwrap();
    }
    let names: Vec<_> = other
        .stats()
        .into_iter()
        .map(|s| (s.name, s.ok, s.err))
        .collect();
    assert_eq!(
        names,
        [("even".to_string(), 4, 0), ("odd".to_string(), 3, 1)]
    );
    let report = other.to_string();
    assert!(
        report.lines().count() == 3 && report.contains("odd"),
        "{report}"
    );
    assert!(format!("{other:?}").contains("even"));
}
