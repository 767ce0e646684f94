//! The semaphore worker pattern from asyncio, bounded by the executor:
//! ten "downloads", at most three at a time, each printing when it starts
//! and finishes.
//!
//! ```python
//! sem = asyncio.Semaphore(3)
//! async def fetch(i):
//!     async with sem:
//!         print("start", i); await asyncio.sleep(...); print("done", i)
//!         return i
//! results = await asyncio.gather(*(fetch(i) for i in range(10)))
//! ```
//!
//! ```text
//! cargo run --example bounded_fetch
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_patterns::executor::{TaskGroup, gather};

/// Pretends to download job `i`: a short sleep that varies per job.
async fn fetch(i: u64, started: Instant, active: &AtomicUsize) -> String {
    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
    println!(
        "{:>5.0?}  start  job {i}  ({now} in flight)",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(20 + (i * 37) % 50)).await;
    active.fetch_sub(1, Ordering::SeqCst);
    println!("{:>5.0?}  finish job {i}", started.elapsed());
    format!("page {i}")
}

#[tokio::main]
async fn main() {
    println!("gather: 10 jobs, 3 at a time, in place (results in input order)");
    let started = Instant::now();
    let active = AtomicUsize::new(0);
    // The futures borrow `active`: `gather` runs them in this task.
    let pages = gather(3, (0..10).map(|i| fetch(i, started, &active))).await;
    println!("results: {pages:?}\n");

    println!("TaskGroup: the same 10 jobs as spawned tasks (results in completion order)");
    let started = Instant::now();
    let active: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    let mut group = TaskGroup::new(3);
    for i in 0..10 {
        group.spawn(fetch(i, started, active));
    }
    println!("running {}, waiting {}", group.running(), group.waiting());
    while let Some(result) = group.join_next().await {
        match result {
            Ok(page) => println!("        joined {page}"),
            Err(e) => println!("        a job failed: {e}"),
        }
    }
}
