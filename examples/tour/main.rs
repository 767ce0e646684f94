//! A tour of every pattern in `async-patterns`, in the order the Python
//! asyncio articles teach them. Each section lives in its own file beside
//! this one (the monitor and the scheduler are the `monitor` and
//! `scheduler` examples) and prints what happens; the whole tour takes a
//! few seconds.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! Beyond the tour, the examples that need a feature:
//!
//! ```text
//! cargo run --example axum_service --features tower   # an axum API behind the tower layers (429, 503, 504, retry)
//! ```

mod actor;
mod blocking;
mod cancel;
mod crawler;
mod event;
mod gather;
#[path = "../monitor.rs"]
mod monitor;
mod pool;
mod queue;
mod rate_limit;
mod retry;
#[path = "../scheduler.rs"]
mod scheduler;
mod semaphore;
mod stream;
mod timeout;

use std::future::Future;
use std::time::Instant;

/// Prints a section header named after the asyncio idiom, runs the section and
/// says how long it took.
async fn section<F: Future<Output = ()>>(asyncio: &str, ours: &str, body: F) {
    println!("\n=== {asyncio}  ->  {ours} ===");
    let start = Instant::now();
    body.await;
    println!("--- done in {:.0?}", start.elapsed());
}

/// A sub-heading inside a section.
fn part(title: &str) {
    println!("-- {title}");
}

#[tokio::main]
async fn main() {
    let start = Instant::now();
    section(
        "1. asyncio.gather(*coros)",
        "executor::gather / try_gather",
        gather::run(),
    )
    .await;
    section(
        "2. asyncio.Event between tasks",
        "event::Event",
        event::run(),
    )
    .await;
    section(
        "3. asyncio.wait_for / asyncio.timeout",
        "timeout::timeout / Deadline",
        timeout::run(),
    )
    .await;
    section(
        "4. asyncio.Semaphore(n) limit",
        "gather(n, ..) / TaskGroup::new(n)",
        semaphore::run(),
    )
    .await;
    section(
        "5. task.cancel()",
        "drop the future / abort / TaskGroup",
        cancel::run(),
    )
    .await;
    section(
        "6. producer/consumer: asyncio.Queue + task_done + join",
        "queue::bounded / recv_job / join",
        queue::producer_consumer(),
    )
    .await;
    section(
        "7. closeable queue: Queue.shutdown()",
        "queue close / shutdown",
        queue::closeable(),
    )
    .await;
    section(
        "8. actors (an asyncio.Queue inbox + a task)",
        "actor::spawn / Addr",
        actor::run(),
    )
    .await;
    section(
        "9. async iterator / async generator (async for)",
        "Stream / stream::generate",
        stream::run(),
    )
    .await;
    section(
        "10. crawler with limit, rate limit and retry",
        "TaskGroup + RateLimiter + retry + timeout",
        async {
            part("tenacity @retry");
            retry::run().await;
            part("aiolimiter.AsyncLimiter");
            rate_limit::run().await;
            part("the crawl");
            crawler::run().await;
        },
    )
    .await;
    section(
        "11. mixed sync/async: run_in_executor / to_thread",
        "TaskGroup::spawn_blocking / send_blocking",
        blocking::run(),
    )
    .await;
    section(
        "12. performance monitor (timing decorator)",
        "monitor::Monitor::timed",
        async {
            monitor::run(60).await;
        },
    )
    .await;
    section(
        "13. async resource pool: async with pool.acquire()",
        "pool::Pool",
        pool::run(),
    )
    .await;
    section(
        "14. background task scheduler (FastAPI tasks)",
        "examples/scheduler.rs",
        scheduler::run(),
    )
    .await;
    println!("\nTour finished in {:.1?}.", start.elapsed());
}
