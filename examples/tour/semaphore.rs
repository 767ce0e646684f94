//! `asyncio.Semaphore(n)` around each coroutine -> a limit on `gather` or
//! `TaskGroup`: no semaphore to forget, and work beyond the limit is not
//! started (a `TaskGroup` does not even spawn it).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::executor::{TaskGroup, gather};

/// Counts the jobs in flight and remembers the most seen at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    async fn download(&self, ms: u64) -> u64 {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        ms
    }
}

pub(crate) async fn run() {
    // async with sem: ... for 10 downloads, 3 at a time, in place.
    let counter = InFlight::default();
    let done = gather(3, (0..10).map(|i| counter.download(5 + i % 3))).await;
    println!(
        "gather(3, 10 downloads) -> {} done, at most {} at once",
        done.len(),
        counter.peak.load(Ordering::SeqCst)
    );

    // The same limit on spawned tasks: the rest wait unspawned in the group.
    let counter = Arc::new(InFlight::default());
    let mut group = TaskGroup::new(3);
    for i in 0..10 {
        let counter = counter.clone();
        group.spawn(async move { counter.download(5 + i % 3).await });
    }
    println!(
        "TaskGroup(3), 10 tasks  -> running {}, waiting {}",
        group.running(),
        group.waiting()
    );
    let results = group.join_all().await;
    println!(
        "                           {} joined, at most {} at once",
        results.len(),
        counter.peak.load(Ordering::SeqCst)
    );
}
