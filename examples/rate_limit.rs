//! 20 requests at 5 per second through one shared `RateLimiter`, printing
//! when each one goes out (about 4 s).
//!
//! ```text
//! cargo run --example rate_limit
//! ```

use std::time::Instant;

use async_patterns::rate_limit::RateLimiter;

#[tokio::main]
async fn main() {
    let limiter = RateLimiter::per_second(5);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for request in 1..=20 {
        // Each task gets a clone; all clones share one limit.
        let limiter = limiter.clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire().await;
            println!(
                "[{:>5.2}s] request {request:>2} sent",
                start.elapsed().as_secs_f64()
            );
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    println!(
        "20 requests in {:.2}s (the first is free, then one every 200 ms)",
        start.elapsed().as_secs_f64()
    );
}
