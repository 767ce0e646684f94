//! A tour of every pattern in `async-patterns`, in the order a Python asyncio
//! user meets them. Each section lives in its own file beside this one and
//! prints what happens; the whole tour takes a few seconds.
//!
//! ```text
//! cargo run --example tour
//! ```

mod event;
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
        "async generators / async for",
        "async_patterns::stream",
        stream::run(),
    )
    .await;
    println!("\nTour finished in {:.1?}.", start.elapsed());
}
