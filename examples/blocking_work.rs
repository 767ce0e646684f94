//! `loop.run_in_executor` with a limit: CPU-heavy closures on tokio's
//! blocking pool, mixed with async I/O-like waits, all in one `TaskGroup`
//! whose limit covers both.
//!
//! ```python
//! loop = asyncio.get_running_loop()
//! async with asyncio.TaskGroup() as tg:
//!     for n in sizes: tg.create_task(loop.run_in_executor(None, crunch, n))
//!     for url in urls: tg.create_task(fetch(url))
//! ```
//!
//! ```text
//! cargo run --example blocking_work
//! ```

use std::time::{Duration, Instant};

use async_patterns::executor::TaskGroup;

/// What each task reports.
#[derive(Debug)]
enum Outcome {
    Crunched { n: u64, primes: usize },
    Fetched { name: &'static str },
}

/// Deliberately slow CPU work: counts primes below `n` by trial division.
fn count_primes(n: u64) -> usize {
    (2..n)
        .filter(|&k| (2..).take_while(|d| d * d <= k).all(|d| k % d != 0))
        .count()
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    // Two slots: at most two things run at once, CPU or I/O.
    let mut group = TaskGroup::new(2);
    for n in [20_000_u64, 40_000, 60_000] {
        group.spawn_blocking(move || {
            println!(
                "{:>5.0?}  crunch {n} on {:?}",
                started.elapsed(),
                std::thread::current().id()
            );
            let primes = count_primes(n);
            Outcome::Crunched { n, primes }
        });
    }
    for (name, ms) in [("config", 30), ("users", 10), ("prices", 20)] {
        group.spawn(async move {
            println!("{:>5.0?}  fetch {name}", started.elapsed());
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Outcome::Fetched { name }
        });
    }
    println!(
        "submitted {}: running {}, waiting {}",
        group.len(),
        group.running(),
        group.waiting()
    );
    while let Some(result) = group.join_next().await {
        match result {
            Ok(Outcome::Crunched { n, primes }) => {
                println!("{:>5.0?}  {primes} primes below {n}", started.elapsed())
            }
            Ok(Outcome::Fetched { name }) => println!("{:>5.0?}  got {name}", started.elapsed()),
            Err(e) => println!("{:>5.0?}  task failed: {e}", started.elapsed()),
        }
    }
}
