//! Generators and batching, side by side with the peers.
use std::hint::black_box;

use std::time::Duration;

use async_patterns::prelude::*;
use async_patterns::stream::{generate, try_generate};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;

const N: u64 = 1_000_000;

/// Drains a generator, summing what it yields.
async fn sum(s: impl futures::Stream<Item = u64>) -> u64 {
    let mut s = std::pin::pin!(s);
    let mut sum = 0u64;
    while let Some(i) = s.next().await {
        sum = sum.wrapping_add(i);
    }
    sum
}

/// Drains a fallible generator, summing what it yields up to the first error.
async fn try_sum(s: impl futures::Stream<Item = Result<u64, ()>>) -> u64 {
    let mut s = std::pin::pin!(s);
    let mut sum = 0u64;
    while let Some(Ok(i)) = s.next().await {
        sum = sum.wrapping_add(i);
    }
    sum
}

fn generators(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate_1e6");
    group.sample_size(10);
    group.bench_function("async_patterns::generate", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s = generate(|mut y| async move {
                    for i in 0..N {
                        y.send(i).await;
                    }
                });
                black_box(sum(s).await)
            })
        })
    });
    group.bench_function("async_stream::stream!", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s = async_stream::stream! {
                    for i in 0..N {
                        yield i;
                    }
                };
                black_box(sum(s).await)
            })
        })
    });
    group.bench_function("async_patterns::try_generate", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s = try_generate(|mut y| async move {
                    for i in 0..N {
                        y.send(i).await;
                    }
                    Ok(())
                });
                black_box(try_sum(s).await)
            })
        })
    });
    group.bench_function("async_stream::try_stream!", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s = async_stream::try_stream! {
                    for i in 0..N {
                        yield i;
                    }
                };
                black_box(try_sum(s).await)
            })
        })
    });
    group.bench_function("futures::stream::unfold", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s =
                    futures::stream::unfold(0u64, |i| async move { (i < N).then_some((i, i + 1)) });
                black_box(sum(s).await)
            })
        })
    });
    group.finish();
}

const ITEMS: u64 = 100_000;
const BATCH: usize = 100;

/// The items fed through a bounded channel by a spawned task, and that task.
fn channel_input() -> (
    tokio_stream::wrappers::ReceiverStream<u64>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let feed = tokio::spawn(async move {
        for i in 0..ITEMS {
            tx.send(i).await.unwrap();
        }
    });
    (tokio_stream::wrappers::ReceiverStream::new(rx), feed)
}

/// Batching a ready input of 10^5 items into batches of 100 (a 1 s timer
/// per batch is armed and dropped each time), with a channel fed by a
/// second task in the other variant so the timer path is taken too.
fn chunks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("chunks_timeout_1e5");
    group.sample_size(20);
    group.bench_function("async_patterns::chunks_timeout", |b| {
        b.to_async(&rt).iter(|| async {
            let batches = futures::stream::iter(0..ITEMS)
                .chunks_timeout(BATCH, Duration::from_secs(1))
                .fold(0usize, |n, batch| async move { n + batch.len() })
                .await;
            black_box(batches)
        })
    });
    group.bench_function("tokio_stream::chunks_timeout", |b| {
        b.to_async(&rt).iter(|| async {
            let batches = tokio_stream::StreamExt::chunks_timeout(
                futures::stream::iter(0..ITEMS),
                BATCH,
                Duration::from_secs(1),
            )
            .fold(0usize, |n, batch| async move { n + batch.len() })
            .await;
            black_box(batches)
        })
    });
    group.bench_function("async_patterns::chunks_timeout/channel", |b| {
        b.to_async(&rt).iter(|| async {
            let (s, feed) = channel_input();
            let n = s
                .chunks_timeout(BATCH, Duration::from_secs(1))
                .fold(0usize, |n, batch| async move { n + batch.len() })
                .await;
            feed.await.unwrap();
            black_box(n)
        })
    });
    group.bench_function("tokio_stream::chunks_timeout/channel", |b| {
        b.to_async(&rt).iter(|| async {
            let (s, feed) = channel_input();
            let n = tokio_stream::StreamExt::chunks_timeout(s, BATCH, Duration::from_secs(1))
                .fold(0usize, |n, batch| async move { n + batch.len() })
                .await;
            feed.await.unwrap();
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, generators, chunks);
criterion_main!(benches);
