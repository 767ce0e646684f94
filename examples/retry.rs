//! A flaky operation retried with exponential backoff and full jitter,
//! printing each attempt.
//!
//! ```text
//! cargo run --example retry
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_patterns::prelude::*;
use async_patterns::retry::{Backoff, Jitter};

#[derive(Debug)]
enum FetchError {
    /// Worth retrying: the server was busy.
    Unavailable,
    /// Not worth retrying.
    #[allow(dead_code)]
    NotFound,
}

/// Fails twice with `Unavailable`, then succeeds.
async fn fetch(calls: &AtomicU32, start: Instant) -> Result<&'static str, FetchError> {
    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let result = if n < 3 {
        Err(FetchError::Unavailable)
    } else {
        Ok("<html>hello</html>")
    };
    println!("[{:>6.0?}] attempt {n}: {result:?}", start.elapsed());
    result
}

#[tokio::main]
async fn main() {
    let start = Instant::now();
    let calls = AtomicU32::new(0);
    let schedule = Backoff::exponential(Duration::from_millis(100))
        .jitter(Jitter::Full)
        .max_delay(Duration::from_secs(1))
        .max_retries(5);
    let page = (|| fetch(&calls, start))
        .retry(schedule)
        .when(|e| matches!(e, FetchError::Unavailable))
        .notify(|event| {
            println!(
                "[{:>6.0?}] attempt {} failed ({:?}); retrying in {:.0?}",
                start.elapsed(),
                event.attempt(),
                event.error(),
                event.delay()
            );
        })
        .max_elapsed(Duration::from_secs(10))
        .await;
    println!("[{:>6.0?}] result: {page:?}", start.elapsed());
}
