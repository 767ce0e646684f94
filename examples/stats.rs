//! Operating a pipeline by its `stats()`: producers feed a bounded queue,
//! a `TaskGroup` of workers drains it through a rate limiter and a small
//! connection pool, and a monitor task samples every handle's snapshot and
//! prints rates (two snapshots subtracted) and gauges, once per interval.
//!
//! ```text
//! cargo run --example stats
//! cargo run --example stats -- --items 400 --rps 200
//! ```

use std::time::Duration;

use async_patterns::executor::TaskGroup;
use async_patterns::pool::Pool;
use async_patterns::queue;
use async_patterns::rate_limit::RateLimiter;
use tokio::time::{Instant, sleep};

const INTERVAL: Duration = Duration::from_millis(250);

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let items = arg("--items", 200);
    let rps = u32::try_from(arg("--rps", 100)).unwrap_or(100).max(1);

    let (tx, rx) = queue::bounded::<u64>(16);
    let limiter = RateLimiter::per_second(rps).burst(rps / 10 + 1);
    let pool = Pool::new(4, || async {
        sleep(Duration::from_millis(20)).await; // "connect"
        String::from("conn")
    });
    let mut workers = TaskGroup::new(8);
    let group = workers.handle();

    // Producers: fast, so the queue fills and the senders feel backpressure.
    let producer = tokio::spawn(async move {
        for n in 0..items {
            tx.send(n).await.expect("open");
        }
    });
    for _ in 0..8 {
        let (rx, limiter, pool) = (rx.clone(), limiter.clone(), pool.clone());
        workers.spawn(async move {
            while let Ok(job) = rx.recv_job().await {
                limiter.acquire().await;
                let _conn = pool.get().await;
                sleep(Duration::from_millis(5 + *job % 10)).await; // "query"
                job.done();
            }
        });
    }

    let monitor = tokio::spawn({
        let (rx, limiter, pool) = (rx.clone(), limiter.clone(), pool.clone());
        async move {
            println!(
                "{:>6} {:>9} {:>9} {:>5} {:>7} {:>8} {:>10} {:>7} {:>6}",
                "t(s)",
                "in/s",
                "done/s",
                "len",
                "blocked",
                "permit/s",
                "mean wait",
                "running",
                "conns"
            );
            let start = Instant::now();
            let (mut q0, mut l0) = (rx.stats(), limiter.stats());
            loop {
                sleep(INTERVAL).await;
                let (q, l, g, p) = (rx.stats(), limiter.stats(), group.stats(), pool.stats());
                let secs = INTERVAL.as_secs_f64();
                let waited = l.waited - l0.waited;
                let mean_wait = if waited == 0 {
                    Duration::ZERO
                } else {
                    (l.wait_total - l0.wait_total) / u32::try_from(waited).unwrap_or(u32::MAX)
                };
                println!(
                    "{:>6.2} {:>9.0} {:>9.0} {:>5} {:>7} {:>8.0} {:>10.1?} {:>7} {:>6}",
                    start.elapsed().as_secs_f64(),
                    (q.sent - q0.sent) as f64 / secs,
                    (q.done - q0.done) as f64 / secs,
                    q.len,
                    q.senders_waiting,
                    (l.granted - l0.granted) as f64 / secs,
                    mean_wait,
                    g.running,
                    p.in_use,
                );
                (q0, l0) = (q, l);
                if q.sent > 0 && q.unfinished == 0 && q.senders_waiting == 0 {
                    break;
                }
            }
        }
    });

    producer.await.expect("producer");
    rx.join().await;
    rx.close();
    monitor.await.expect("monitor");
    while workers.join_next().await.is_some() {}

    let (q, l, g, p) = (rx.stats(), limiter.stats(), workers.stats(), pool.stats());
    println!();
    println!("queue:   {q:?}");
    println!("limiter: {l:?}");
    println!("group:   {g:?}");
    println!("pool:    {p:?}");
}
