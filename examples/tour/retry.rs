//! tenacity's `@retry` -> `op.retry(Backoff::...)`.

use std::cell::Cell;
use std::time::{Duration, Instant};

use async_patterns::prelude::*;
use async_patterns::retry::{Backoff, Jitter};

pub(crate) async fn run() {
    let start = Instant::now();
    let calls = Cell::new(0);
    let flaky = || {
        calls.set(calls.get() + 1);
        let n = calls.get();
        async move {
            if n < 3 {
                Err(format!("busy ({n})"))
            } else {
                Ok(n)
            }
        }
    };
    let result = flaky
        .retry(
            Backoff::exponential(Duration::from_millis(10))
                .jitter(Jitter::Equal)
                .max_retries(4),
        )
        .notify(|ev| {
            println!(
                "  attempt {} failed: {}; sleeping {:.0?}",
                ev.attempt(),
                ev.error(),
                ev.delay()
            );
        })
        .await;
    println!(
        "  -> {result:?} after {} calls, {:.0?}",
        calls.get(),
        start.elapsed()
    );

    let schedule: Vec<Duration> = Backoff::fibonacci(Duration::from_millis(100))
        .max_retries(6)
        .collect();
    println!("  fibonacci(100ms) schedule: {schedule:?}");
}
