//! The queue across threads, sized to run under Miri
//! (`cargo +nightly miri test --test queue_miri`, in `.ci/run`).
//!
//! The queue's state sits behind a spin lock written with `unsafe`
//! (`src/spin_lock.rs`). Miri checks these runs for data races on that
//! state, for use after free and for leaked or doubly dropped items: several
//! producer and consumer threads on a small bounded queue (so they park and
//! wake each other), work tracking with `join()` on another thread, and a
//! close that hands parked senders their items back. No tokio: its timers
//! and I/O do not run under Miri; the blocking calls and
//! `futures::executor::block_on` do.
use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;

use async_patterns::queue;
use futures::executor::block_on;

/// Items per producer: enough for the threads to fill the queue and park
/// many times, few enough for Miri to finish in seconds.
const N: usize = if cfg!(miri) { 25 } else { 5_000 };

#[test]
fn producers_and_consumers_on_threads_move_every_item_once() {
    let (tx, rx) = queue::bounded::<String>(2);
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..N {
                    tx.send_blocking(format!("{p}-{i}")).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..2)
        .map(|c| {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                if c == 0 {
                    while let Ok(item) = rx.recv_blocking() {
                        got.push(item);
                    }
                } else {
                    while let Ok(item) = block_on(rx.recv()) {
                        got.push(item);
                    }
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in producers {
        p.join().unwrap();
    }
    let mut all = BTreeSet::new();
    for c in consumers {
        for item in c.join().unwrap() {
            assert!(all.insert(item), "an item was received twice");
        }
    }
    assert_eq!(all.len(), 2 * N);
}

#[test]
fn join_on_another_thread_waits_for_every_job() {
    let (tx, rx) = queue::bounded::<Box<usize>>(3);
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let worker = {
        let rx = rx.clone();
        let done = Arc::clone(&done);
        thread::spawn(move || {
            block_on(async {
                while let Ok(job) = rx.recv_job().await {
                    done.fetch_add(**job, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
    };
    for _ in 0..N {
        block_on(tx.send(Box::new(1))).unwrap();
    }
    block_on(tx.join());
    assert_eq!(done.load(std::sync::atomic::Ordering::Relaxed), N);
    assert_eq!(tx.unfinished(), 0);
    drop((tx, rx));
    worker.join().unwrap();
}

#[test]
fn a_close_on_another_thread_gives_parked_senders_their_items() {
    let (tx, rx) = queue::bounded::<String>(1);
    tx.try_send(String::from("queued")).unwrap();
    let senders: Vec<_> = (0..2)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || tx.send_blocking(format!("parked {s}")))
        })
        .collect();
    while tx.stats().senders_waiting < 2 {
        thread::yield_now();
    }
    let closer = {
        let rx = rx.clone();
        thread::spawn(move || rx.close())
    };
    assert!(closer.join().unwrap());
    for (s, sender) in senders.into_iter().enumerate() {
        let returned = sender.join().unwrap().unwrap_err().0;
        assert_eq!(returned, format!("parked {s}"));
    }
    assert_eq!(rx.recv_blocking().as_deref(), Ok("queued"));
    assert!(rx.recv_blocking().is_err());
}
