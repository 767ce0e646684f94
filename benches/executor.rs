//! Bounded concurrency, ours next to the usual hand-rolled patterns, same
//! workload and same run:
//!
//! - in place, limit 64: `gather` vs `stream::iter(..).buffered(64)` vs
//!   `buffer_unordered(64)`, for 10^5 trivial futures and for 10^4 futures
//!   that yield three times;
//! - spawned, limit 64: `TaskGroup` vs `JoinSet` + `Semaphore` (permit taken
//!   inside the task) vs `JoinSet` with the permit taken before spawning,
//!   same two workloads, on a 2-worker multi-thread runtime.
//!
//! ```text
//! cargo bench -p async-patterns-benches --bench executor -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::sync::Arc;

use async_patterns::executor::{TaskGroup, gather};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const LIMIT: usize = 64;

/// (name, number of futures, yields per future)
const WORKLOADS: [(&str, usize, usize); 2] =
    [("trivial_1e5", 100_000, 0), ("yield3_1e4", 10_000, 3)];

async fn work(i: usize, yields: usize) -> usize {
    for _ in 0..yields {
        tokio::task::yield_now().await;
    }
    black_box(i)
}

fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn in_place(c: &mut Criterion) {
    let rt = current_thread();
    let mut group = c.benchmark_group("executor/in_place_limit64");
    group.sample_size(20);
    for (name, n, yields) in WORKLOADS {
        group.bench_with_input(BenchmarkId::new("gather", name), &n, |b, &n| {
            b.to_async(&rt).iter(|| async move {
                let out = gather(LIMIT, (0..n).map(|i| work(i, yields))).await;
                assert_eq!(out.len(), n);
            });
        });
        group.bench_with_input(BenchmarkId::new("buffered", name), &n, |b, &n| {
            b.to_async(&rt).iter(|| async move {
                let out: Vec<usize> = futures::stream::iter((0..n).map(|i| work(i, yields)))
                    .buffered(LIMIT)
                    .collect()
                    .await;
                assert_eq!(out.len(), n);
            });
        });
        group.bench_with_input(BenchmarkId::new("buffer_unordered", name), &n, |b, &n| {
            b.to_async(&rt).iter(|| async move {
                let out: Vec<usize> = futures::stream::iter((0..n).map(|i| work(i, yields)))
                    .buffer_unordered(LIMIT)
                    .collect()
                    .await;
                assert_eq!(out.len(), n);
            });
        });
    }
    group.finish();
}

fn spawned(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = c.benchmark_group("executor/spawned_limit64");
    group.sample_size(10);
    for (name, n, yields) in WORKLOADS {
        group.bench_with_input(BenchmarkId::new("TaskGroup", name), &n, |b, &n| {
            b.to_async(&rt).iter(|| async move {
                let mut tg = TaskGroup::new(LIMIT);
                for i in 0..n {
                    tg.spawn(work(i, yields));
                }
                let mut count = 0;
                while let Some(r) = tg.join_next().await {
                    black_box(r.unwrap());
                    count += 1;
                }
                assert_eq!(count, n);
            });
        });
        group.bench_with_input(
            BenchmarkId::new("JoinSet+Semaphore_in_task", name),
            &n,
            |b, &n| {
                b.to_async(&rt).iter(|| async move {
                    let sem = Arc::new(Semaphore::new(LIMIT));
                    let mut set = JoinSet::new();
                    for i in 0..n {
                        let sem = sem.clone();
                        set.spawn(async move {
                            let _permit = sem.acquire().await.unwrap();
                            work(i, yields).await
                        });
                    }
                    let mut count = 0;
                    while let Some(r) = set.join_next().await {
                        black_box(r.unwrap());
                        count += 1;
                    }
                    assert_eq!(count, n);
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("JoinSet+permit_before_spawn", name),
            &n,
            |b, &n| {
                b.to_async(&rt).iter(|| async move {
                    let sem = Arc::new(Semaphore::new(LIMIT));
                    let mut set = JoinSet::new();
                    let mut count = 0;
                    for i in 0..n {
                        let permit = sem.clone().acquire_owned().await.unwrap();
                        set.spawn(async move {
                            let _permit = permit;
                            work(i, yields).await
                        });
                        // Reap what finished so the set stays small.
                        while let Some(r) = set.try_join_next() {
                            black_box(r.unwrap());
                            count += 1;
                        }
                    }
                    while let Some(r) = set.join_next().await {
                        black_box(r.unwrap());
                        count += 1;
                    }
                    assert_eq!(count, n);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, in_place, spawned);
criterion_main!(benches);
