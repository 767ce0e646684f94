//! aiolimiter's `AsyncLimiter` -> `RateLimiter`.

use std::time::Instant;

use async_patterns::rate_limit::RateLimiter;

pub(crate) async fn run() {
    // 50 per second, so 6 permits take about 100 ms.
    let limiter = RateLimiter::per_second(50);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let limiter = limiter.clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire().await;
            (i, start.elapsed())
        }));
    }
    let mut sent = Vec::new();
    for task in tasks {
        sent.push(task.await.unwrap());
    }
    sent.sort_by_key(|&(_, at)| at);
    for (i, at) in sent {
        println!("  request {i} sent at {at:>6.0?}");
    }
    match limiter.try_acquire() {
        Ok(()) => println!("  try_acquire: got a permit"),
        Err(not_until) => println!(
            "  try_acquire: rate limited, next permit in {:.0?}",
            not_until.wait()
        ),
    }
}
