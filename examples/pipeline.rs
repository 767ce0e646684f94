//! Producers -> bounded queue -> worker pool, with asyncio-style work
//! tracking: `recv_job()` hands each worker a `Job` that counts as unfinished
//! until it is dropped, `join()` waits for all of them, then `close()` lets
//! the workers drain and stop.
//!
//! ```text
//! cargo run --example pipeline
//! ```

use std::time::Duration;

use async_patterns::queue;

const PRODUCERS: u32 = 3;
const ITEMS_PER_PRODUCER: u32 = 10;
const WORKERS: usize = 4;

#[tokio::main]
async fn main() {
    // A small capacity gives back-pressure: producers wait while workers lag.
    let (tx, rx) = queue::bounded::<(u32, u32)>(4);

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut done = 0;
                while let Ok(job) = rx.recv_job().await {
                    let (producer, n) = *job;
                    // Simulated work; the job stays unfinished until it drops.
                    tokio::time::sleep(Duration::from_millis(u64::from(n % 3) + 1)).await;
                    println!("worker {w}: finished item {n} from producer {producer}");
                    done += 1;
                } // `job` drops here: one fewer unfinished item
                println!("worker {w}: queue closed and drained, handled {done}");
                done
            })
        })
        .collect();
    drop(rx);

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for n in 0..ITEMS_PER_PRODUCER {
                    tx.send((p, n))
                        .await
                        .expect("the queue is open until main closes it");
                }
                println!("producer {p}: all {ITEMS_PER_PRODUCER} items queued");
            })
        })
        .collect();
    for p in producers {
        p.await.expect("producer");
    }

    println!(
        "main: all produced, {} still unfinished; joining",
        tx.unfinished()
    );
    tx.join().await;
    println!("main: join() returned, unfinished = {}", tx.unfinished());

    tx.close();
    let mut total = 0;
    for w in workers {
        total += w.await.expect("worker");
    }
    assert_eq!(total, PRODUCERS * ITEMS_PER_PRODUCER);
    println!("main: {total} items processed by {WORKERS} workers");
}
