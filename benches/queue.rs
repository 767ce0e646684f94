//! The queue against the channels people would use instead: tokio `mpsc`
//! (single consumer only), `async-channel`, `flume` and `kanal`, on the same
//! workload in the same run.
//!
//! Cells: {1P1C, 4P1C, 4P4C} x {bounded(1), bounded(128), unbounded} x
//! {multi-thread runtime with 2 workers, current_thread}. One iteration moves
//! `MESSAGES` `usize`s from spawned producer tasks to spawned consumer tasks.
//! Extra groups: `recv_many` vs `recv`, `recv_job` + drop vs `recv`,
//! uncontended `try_send`/`try_recv`, and the timed `recv_timeout` /
//! `send_timeout` against their untimed forms.
//!
//! Short run: `cargo bench -p async-patterns-benches --bench queue` (the groups set short warm-up and
//! measurement times). Filter with e.g. `cargo bench -p async-patterns-benches --bench queue -- 4p4c`.

use std::hint::black_box;
use std::time::Duration;

use async_patterns::queue;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use tokio::runtime::Runtime;

const MESSAGES: usize = 10_000;

fn runtime(multi: bool) -> Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }
}

/// Splits `MESSAGES` over `producers`.
fn share(p: usize, producers: usize) -> usize {
    MESSAGES / producers + usize::from(p < MESSAGES % producers)
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<usize>>) -> usize {
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total
}

/// Defines `async fn $name(producers, consumers, cap) -> usize` for a cloneable
/// MPMC channel: `producers` tasks split `MESSAGES` between them, `consumers`
/// tasks count what they receive until the channel closes. `$send` and `$recv`
/// are the channel's async send and receive, spelled with the given names.
macro_rules! mpmc {
    (
        $name:ident, $bounded:path, $unbounded:path,
        send: |$tx:ident, $i:ident| $send:expr,
        recv: |$rx:ident| $recv:expr $(,)?
    ) => {
        async fn $name(producers: usize, consumers: usize, cap: Option<usize>) -> usize {
            let (tx, rx) = match cap {
                Some(c) => $bounded(c),
                None => $unbounded(),
            };
            let mut tasks = Vec::new();
            for p in 0..producers {
                let $tx = tx.clone();
                tasks.push(tokio::spawn(async move {
                    for $i in 0..share(p, producers) {
                        $send.expect("open");
                    }
                    0
                }));
            }
            drop(tx);
            for _ in 0..consumers {
                let $rx = rx.clone();
                tasks.push(tokio::spawn(async move {
                    let mut n = 0;
                    while let Ok(v) = $recv {
                        black_box(v);
                        n += 1;
                    }
                    n
                }));
            }
            drop(rx);
            join_all(tasks).await
        }
    };
}

mpmc!(ours, queue::bounded, queue::unbounded,
    send: |tx, i| tx.send(i).await,
    recv: |rx| rx.recv().await,
);
mpmc!(async_channel, async_channel::bounded, async_channel::unbounded,
    send: |tx, i| tx.send(i).await,
    recv: |rx| rx.recv().await,
);
mpmc!(flume, flume::bounded, flume::unbounded,
    send: |tx, i| tx.send_async(i).await,
    recv: |rx| rx.recv_async().await,
);
mpmc!(kanal, kanal::bounded_async, kanal::unbounded_async,
    send: |tx, i| tx.send(i).await,
    recv: |rx| rx.recv().await,
);

async fn tokio_mpsc(producers: usize, cap: Option<usize>) -> usize {
    let mut tasks = Vec::new();
    match cap {
        Some(c) => {
            let (tx, mut rx) = tokio::sync::mpsc::channel(c);
            for p in 0..producers {
                let tx = tx.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..share(p, producers) {
                        tx.send(i).await.expect("open");
                    }
                    0
                }));
            }
            drop(tx);
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                while let Some(v) = rx.recv().await {
                    black_box(v);
                    n += 1;
                }
                n
            }));
        }
        None => {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for p in 0..producers {
                let tx = tx.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..share(p, producers) {
                        tx.send(i).expect("open");
                    }
                    0
                }));
            }
            drop(tx);
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                while let Some(v) = rx.recv().await {
                    black_box(v);
                    n += 1;
                }
                n
            }));
        }
    }
    join_all(tasks).await
}

fn short(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .sample_size(10);
}

fn cells(c: &mut Criterion) {
    for (multi, rt_name) in [(true, "mt2"), (false, "ct")] {
        let rt = runtime(multi);
        for (producers, consumers) in [(1, 1), (4, 1), (4, 4)] {
            for (cap, cap_name) in [
                (Some(1), "bounded1"),
                (Some(128), "bounded128"),
                (None, "unbounded"),
            ] {
                let name = format!("queue/{rt_name}/{producers}p{consumers}c/{cap_name}");
                let mut group = c.benchmark_group(&name);
                short(&mut group);
                let check = |n: usize| assert_eq!(n, MESSAGES);
                group.bench_function("async-patterns", |b| {
                    b.to_async(&rt)
                        .iter(|| async { check(ours(producers, consumers, cap).await) })
                });
                if consumers == 1 {
                    group.bench_function("tokio-mpsc", |b| {
                        b.to_async(&rt)
                            .iter(|| async { check(tokio_mpsc(producers, cap).await) })
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

/// One producer sends `MESSAGES` into `$channel` (a `(tx, rx)` pair with an
/// async `send` and tokio-style `recv_many`); one consumer drains it 128 at a
/// time. Expands to the iteration's future.
macro_rules! recv_many_1p1c {
    ($channel:expr) => {
        async {
            #[allow(unused_mut)] // only tokio's `recv_many` takes `&mut self`
            let (tx, mut rx) = $channel;
            let producer = tokio::spawn(async move {
                for i in 0..MESSAGES {
                    tx.send(i).await.expect("open");
                }
            });
            let consumer = tokio::spawn(async move {
                let mut buf = Vec::with_capacity(128);
                let mut n = 0;
                loop {
                    let got = rx.recv_many(&mut buf, 128).await;
                    if got == 0 {
                        break n;
                    }
                    n += got;
                    black_box(&buf);
                    buf.clear();
                }
            });
            producer.await.expect("task");
            assert_eq!(consumer.await.expect("task"), MESSAGES);
        }
    };
}

/// `recv_many` against `recv`, 1P1C bounded(128), multi-thread runtime.
fn recv_many(c: &mut Criterion) {
    let rt = runtime(true);
    let mut group = c.benchmark_group("queue/recv_many_vs_recv/mt2/1p1c/bounded128");
    short(&mut group);
    group.bench_function("async-patterns recv", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(ours(1, 1, Some(128)).await, MESSAGES) })
    });
    group.bench_function("async-patterns recv_many(128)", |b| {
        b.to_async(&rt)
            .iter(|| recv_many_1p1c!(queue::bounded(128)))
    });
    group.bench_function("tokio-mpsc recv_many(128)", |b| {
        b.to_async(&rt)
            .iter(|| recv_many_1p1c!(tokio::sync::mpsc::channel(128)))
    });
    group.finish();
}

/// The cost of work tracking: `recv_job` + drop against `recv`.
fn tracking(c: &mut Criterion) {
    for (multi, rt_name) in [(true, "mt2"), (false, "ct")] {
        let rt = runtime(multi);
        let mut group =
            c.benchmark_group(format!("queue/recv_job_vs_recv/{rt_name}/1p1c/bounded128"));
        short(&mut group);
        group.bench_function("recv", |b| {
            b.to_async(&rt)
                .iter(|| async { assert_eq!(ours(1, 1, Some(128)).await, MESSAGES) })
        });
        group.bench_function("recv_job + drop", |b| {
            b.to_async(&rt).iter(|| async {
                let (tx, rx) = queue::bounded(128);
                let producer = tokio::spawn(async move {
                    for i in 0..MESSAGES {
                        tx.send(i).await.expect("open");
                    }
                });
                let consumer = tokio::spawn(async move {
                    let mut n = 0;
                    while let Ok(job) = rx.recv_job().await {
                        black_box(*job);
                        n += 1;
                    }
                    n
                });
                producer.await.expect("task");
                assert_eq!(consumer.await.expect("task"), MESSAGES);
            })
        });
        group.finish();
    }
}

/// `try_send` then `try_recv` on one thread, no contention, no waiting.
fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("queue/try_send_try_recv/uncontended");
    short(&mut group);
    let (tx, rx) = queue::bounded(128);
    group.bench_function("async-patterns", |b| {
        b.iter(|| {
            tx.try_send(black_box(1usize)).expect("space");
            black_box(rx.try_recv().expect("item"))
        })
    });
    let (mtx, mut mrx) = tokio::sync::mpsc::channel(128);
    group.bench_function("tokio-mpsc", |b| {
        b.iter(|| {
            mtx.try_send(black_box(1usize)).expect("space");
            black_box(mrx.try_recv().expect("item"))
        })
    });
    let (atx, arx) = async_channel::bounded(128);
    group.bench_function("async-channel", |b| {
        b.iter(|| {
            atx.try_send(black_box(1usize)).expect("space");
            black_box(arx.try_recv().expect("item"))
        })
    });
    let (ftx, frx) = flume::bounded(128);
    group.bench_function("flume", |b| {
        b.iter(|| {
            ftx.try_send(black_box(1usize)).expect("space");
            black_box(frx.try_recv().expect("item"))
        })
    });
    let (ktx, krx) = kanal::bounded(128);
    group.bench_function("kanal", |b| {
        b.iter(|| {
            assert!(ktx.try_send(black_box(1usize)).expect("open"));
            black_box(krx.try_recv().expect("open").expect("item"))
        })
    });
    group.finish();
}

/// `recv_timeout` and `send_timeout` on one current_thread runtime: the
/// overhead of the limit when the operation completes at once, and when the
/// receiver has to wait once (the timer is created, then an item comes).
fn timed(c: &mut Criterion) {
    const LIMIT: Duration = Duration::from_secs(5);
    let rt = runtime(false);
    let mut group = c.benchmark_group("queue/recv_timeout/current_thread");
    short(&mut group);
    let (tx, rx) = queue::bounded(128);
    group.bench_function("recv_timeout (item ready)", |b| {
        b.to_async(&rt).iter(|| async {
            tx.try_send(black_box(1usize)).expect("space");
            black_box(rx.recv_timeout(LIMIT).await.expect("item"))
        })
    });
    group.bench_function("recv (item ready, baseline)", |b| {
        b.to_async(&rt).iter(|| async {
            tx.try_send(black_box(1usize)).expect("space");
            black_box(rx.recv().await.expect("item"))
        })
    });
    group.bench_function("recv_timeout (waits once)", |b| {
        b.to_async(&rt).iter(|| async {
            let tx = tx.clone();
            let sender = tokio::spawn(async move { tx.send(black_box(1usize)).await });
            let item = rx.recv_timeout(LIMIT).await.expect("item");
            sender.await.expect("task").expect("open");
            black_box(item)
        })
    });
    group.bench_function("send_timeout (space) + try_recv", |b| {
        b.to_async(&rt).iter(|| async {
            tx.send_timeout(black_box(1usize), LIMIT)
                .await
                .expect("space");
            black_box(rx.try_recv().expect("item"))
        })
    });
    group.finish();
}

criterion_group!(benches, cells, recv_many, tracking, uncontended, timed);
criterion_main!(benches);
