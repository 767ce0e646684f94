//! A pool of plain threads doing blocking work (file parsing, a C library, a
//! synchronous client) feeds async consumers through one queue:
//! `send_blocking` on the threads, `recv().await` in the tasks. The bounded
//! queue throttles the threads when the async side falls behind.
//!
//! ```text
//! cargo run --example blocking_bridge
//! ```

use std::thread;
use std::time::Duration;

use async_patterns::queue;

const THREADS: usize = 3;
const LINES_PER_THREAD: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (tx, rx) = queue::bounded::<String>(2);

    // Blocking producers on their own OS threads (not runtime threads:
    // `send_blocking` panics there rather than stall the runtime).
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..LINES_PER_THREAD {
                    thread::sleep(Duration::from_millis(2)); // blocking work
                    let line = format!("thread {t} line {i}");
                    if tx.send_blocking(line).is_err() {
                        return; // consumers are gone
                    }
                }
            })
        })
        .collect();
    drop(tx); // the queue closes when the last thread's sender drops

    let consumers: Vec<_> = (0..2)
        .map(|c| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while let Ok(line) = rx.recv().await {
                    println!("consumer {c}: got {line:?}");
                    n += 1;
                }
                n
            })
        })
        .collect();
    drop(rx);

    let mut total = 0;
    for c in consumers {
        total += c.await.expect("consumer");
    }
    // The threads finished sending before the queue closed; join them
    // without blocking the runtime.
    tokio::task::spawn_blocking(move || {
        for t in threads {
            t.join().expect("producer thread");
        }
    })
    .await
    .expect("join threads");
    assert_eq!(total, THREADS * LINES_PER_THREAD);
    println!("{total} lines bridged from {THREADS} threads");
}
