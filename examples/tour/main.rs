//! A tour of every pattern in `async-patterns`, in the order a Python asyncio
//! user meets them. Each section lives in its own file beside this one and
//! prints what happens; the whole tour takes a few seconds.
//!
//! ```text
//! cargo run --example tour
//! ```

mod actor;
mod event;
mod executor;
mod pool;
mod queue;
mod rate_limit;
mod retry;
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

#[tokio::main]
async fn main() {
    let start = Instant::now();
    section(
        "asyncio.gather + Semaphore / TaskGroup / run_in_executor",
        "async_patterns::executor",
        executor::run(),
    )
    .await;
    section(
        "asyncio.Event",
        "async_patterns::event::Event",
        event::run(),
    )
    .await;
    section(
        "asyncio.wait_for / asyncio.timeout",
        "async_patterns::timeout",
        timeout::run(),
    )
    .await;
    section(
        "asyncio.Queue (task_done / join / shutdown)",
        "async_patterns::queue",
        queue::run(),
    )
    .await;
    section(
        "async generators / async for",
        "async_patterns::stream",
        stream::run(),
    )
    .await;
    section("tenacity @retry", "async_patterns::retry", retry::run()).await;
    section(
        "aiolimiter.AsyncLimiter",
        "async_patterns::rate_limit::RateLimiter",
        rate_limit::run(),
    )
    .await;
    section(
        "async with pool.acquire() (async resource pool)",
        "async_patterns::pool::Pool",
        pool::run(),
    )
    .await;
    section(
        "actors (asyncio.Queue + a task per actor)",
        "async_patterns::actor",
        actor::run(),
    )
    .await;
    println!("\nTour finished in {:.1?}.", start.elapsed());
}
