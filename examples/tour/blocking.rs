//! `loop.run_in_executor(None, f)` / `asyncio.to_thread(f)` ->
//! `TaskGroup::spawn_blocking` (under the group's limit) and the queue's
//! blocking ends for plain threads.

use std::time::{Duration, Instant};

use async_patterns::executor::TaskGroup;
use async_patterns::queue;

/// CPU-bound work that must not run on an async worker thread.
fn checksum(n: u64) -> u64 {
    (1..=n).fold(0_u64, |acc, k| acc.wrapping_mul(31).wrapping_add(k))
}

pub(crate) async fn run() {
    let start = Instant::now();
    let mut group = TaskGroup::new(3);
    group.spawn_blocking(|| format!("checksum(2e6) = {}", checksum(2_000_000)));
    group.spawn_blocking(|| format!("checksum(1e6) = {}", checksum(1_000_000)));
    group.spawn(async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        "async fetch done meanwhile".to_string()
    });
    while let Some(result) = group.join_next().await {
        println!(
            "  {:>4.0?}  {}",
            start.elapsed(),
            result.expect("no task panics")
        );
    }

    // A plain thread (a sync library, a file parser) feeds async code.
    let (tx, rx) = queue::bounded(2);
    let thread = std::thread::spawn(move || {
        for line in ["alpha", "beta", "gamma"] {
            tx.send_blocking(line).expect("the receiver is alive");
        }
    });
    let mut got = Vec::new();
    while let Ok(line) = rx.recv().await {
        got.push(line);
    }
    thread.join().expect("the thread does not panic");
    println!("thread --send_blocking--> async recv: {got:?}");
}
