//! The queue against its peers in long runs: every endpoint a spawned task,
//! `MESSAGES` (2^19) `usize`s per run split evenly over the producers and
//! the consumers, read as a cost per message.
//!
//! `benches/queue.rs` moves 10^4 messages per iteration, so its figures
//! include the per-iteration spawning and joining of the endpoint tasks
//! spread over few messages, and on the multi-thread runtime the tasks of a
//! short iteration tend to finish on the worker they were spawned to before
//! the other worker steals any. Here a run is 50× longer: the endpoints
//! settle on both workers and the figure is the steady per-message cost,
//! wake-ups across threads included (the shape of issue 16's measurements).
//!
//! Cells: {bounded(1), bounded(128), unbounded} x {1P1C, 4P1C, 4P4C} x
//! {current_thread, multi-thread with 2 workers}; ours, tokio `mpsc` (single
//! consumer cells), `async-channel`, `flume` and, for reference (it is not
//! cancel safe), `kanal`. Divide a time by 2^19 (0.524288 ms per ns/message)
//! for the per-message cost.
//!
//! Short run: `cargo bench --bench queue_tasks -- --warm-up-time 1
//! --measurement-time 3`; filter with e.g. `-- ct/1p1c`.
//!
//! On a shared machine wall-clock figures swing by 2x or more; instruction
//! counts do not. For a current-thread cell, run the same endpoint code
//! (2^19 messages, once and three times) under `valgrind --tool=callgrind`
//! and divide the difference by 2 x 2^19: instructions per message, setup
//! excluded. Measured so (issue 16, after the spin lock; ours / flume 0.12):
//! unbounded 301 / 343 (1P1C), 301 / 343 (4P1C), 302 / 343 (4P4C);
//! bounded(128) 300 / 369, 310 / 381, 309 / 396; bounded(1) 1129 / 1327,
//! 1123 / 1367, 1108 / 1212.
//! They count work, not cycles: an atomic read-modify-write counts as one
//! instruction but costs tens of cycles, and a contended lock or a cache
//! miss far more, so the multi-thread cells need the wall clock.

use std::hint::black_box;

use async_patterns::queue;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

const MESSAGES: usize = 1 << 19;

fn runtime(multi: bool) -> Runtime {
    let mut builder = if multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.build().expect("runtime")
}

/// The messages the `i`th of `n` endpoints handles.
fn part(i: usize, n: usize) -> usize {
    MESSAGES / n + usize::from(i < MESSAGES % n)
}

/// Awaits the endpoint tasks; returns how many messages the consumers got.
async fn received(tasks: Vec<JoinHandle<usize>>) -> usize {
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("endpoint task");
    }
    total
}

/// `async fn $name(producers, consumers, cap) -> usize`: spawns the
/// producers, each sending its part, and the consumers, each receiving until
/// the channel closes, for the sender and receivers `$make(cap, consumers)`.
macro_rules! cell {
    ($name:ident, $make:expr, |$tx:ident, $i:ident| $send:expr, |$rx:ident| $recv:expr) => {
        async fn $name(producers: usize, consumers: usize, cap: Option<usize>) -> usize {
            let (tx, receivers) = $make(cap, consumers);
            let mut tasks = Vec::with_capacity(producers + consumers);
            for p in 0..producers {
                let $tx = tx.clone();
                tasks.push(tokio::spawn(async move {
                    for $i in 0..part(p, producers) {
                        $send;
                    }
                    0
                }));
            }
            drop(tx);
            for rx in receivers {
                tasks.push(tokio::spawn(async move {
                    #[allow(unused_mut)] // only tokio's receiver needs `mut`
                    let mut $rx = rx;
                    let mut n = 0;
                    while let Some(v) = $recv {
                        black_box(v);
                        n += 1;
                    }
                    n
                }));
            }
            received(tasks).await
        }
    };
}

/// `consumers` handles on an MPMC channel's receiving side.
fn clones<T: Clone, R: Clone>((tx, rx): (T, R), consumers: usize) -> (T, Vec<R>) {
    (tx, vec![rx; consumers])
}

cell!(
    ours,
    |cap: Option<usize>, n| clones(cap.map_or_else(queue::unbounded, queue::bounded), n),
    |tx, i| tx.send(i).await.expect("open"),
    |rx| rx.recv().await.ok()
);
cell!(
    async_channel,
    |cap: Option<usize>, n| clones(
        cap.map_or_else(async_channel::unbounded, async_channel::bounded),
        n
    ),
    |tx, i| tx.send(i).await.expect("open"),
    |rx| rx.recv().await.ok()
);
cell!(
    flume,
    |cap: Option<usize>, n| clones(cap.map_or_else(flume::unbounded, flume::bounded), n),
    |tx, i| tx.send_async(i).await.expect("open"),
    |rx| rx.recv_async().await.ok()
);
cell!(
    kanal,
    |cap: Option<usize>, n| clones(
        cap.map_or_else(kanal::unbounded_async, kanal::bounded_async),
        n
    ),
    |tx, i| tx.send(i).await.expect("open"),
    |rx| rx.recv().await.ok()
);

/// tokio's bounded and unbounded `mpsc` behind one sender type.
enum MpscTx {
    Bounded(tokio::sync::mpsc::Sender<usize>),
    Unbounded(tokio::sync::mpsc::UnboundedSender<usize>),
}

impl Clone for MpscTx {
    fn clone(&self) -> Self {
        match self {
            MpscTx::Bounded(tx) => MpscTx::Bounded(tx.clone()),
            MpscTx::Unbounded(tx) => MpscTx::Unbounded(tx.clone()),
        }
    }
}

impl MpscTx {
    async fn send(&self, i: usize) {
        match self {
            MpscTx::Bounded(tx) => tx.send(i).await.expect("open"),
            MpscTx::Unbounded(tx) => tx.send(i).expect("open"),
        }
    }
}

enum MpscRx {
    Bounded(tokio::sync::mpsc::Receiver<usize>),
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<usize>),
}

impl MpscRx {
    async fn recv(&mut self) -> Option<usize> {
        match self {
            MpscRx::Bounded(rx) => rx.recv().await,
            MpscRx::Unbounded(rx) => rx.recv().await,
        }
    }
}

/// tokio's `mpsc` has a single consumer.
fn mpsc(cap: Option<usize>, consumers: usize) -> (MpscTx, Vec<MpscRx>) {
    assert_eq!(consumers, 1, "tokio mpsc has one consumer");
    match cap {
        Some(c) => {
            let (tx, rx) = tokio::sync::mpsc::channel(c);
            (MpscTx::Bounded(tx), vec![MpscRx::Bounded(rx)])
        }
        None => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (MpscTx::Unbounded(tx), vec![MpscRx::Unbounded(rx)])
        }
    }
}

cell!(tokio_mpsc, mpsc, |tx, i| tx.send(i).await, |rx| rx
    .recv()
    .await);

fn cells(c: &mut Criterion) {
    for (multi, rt_name) in [(false, "ct"), (true, "mt2")] {
        let rt = runtime(multi);
        for (producers, consumers) in [(1, 1), (4, 1), (4, 4)] {
            for (cap, cap_name) in [(Some(1), "b1"), (Some(128), "b128"), (None, "unb")] {
                let mut group =
                    c.benchmark_group(format!("{rt_name}/{producers}p{consumers}c/{cap_name}"));
                group.sample_size(10);
                group.throughput(Throughput::Elements(MESSAGES as u64));
                let check = |n: usize| assert_eq!(n, MESSAGES);
                group.bench_function("async-patterns", |b| {
                    b.to_async(&rt)
                        .iter(|| async { check(ours(producers, consumers, cap).await) })
                });
                if consumers == 1 {
                    group.bench_function("tokio-mpsc", |b| {
                        b.to_async(&rt)
                            .iter(|| async { check(tokio_mpsc(producers, 1, cap).await) })
                    });
                }
                group.bench_function("async-channel", |b| {
                    b.to_async(&rt)
                        .iter(|| async { check(async_channel(producers, consumers, cap).await) })
                });
                group.bench_function("flume", |b| {
                    b.to_async(&rt)
                        .iter(|| async { check(flume(producers, consumers, cap).await) })
                });
                group.bench_function("kanal", |b| {
                    b.to_async(&rt)
                        .iter(|| async { check(kanal(producers, consumers, cap).await) })
                });
                group.finish();
            }
        }
    }
}

criterion_group!(benches, cells);
criterion_main!(benches);
