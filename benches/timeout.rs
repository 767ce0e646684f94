//! `.timeout()` against `tokio::time::timeout`: on a ready future (the
//! overhead every call pays) and on a future that is pending once (the timer
//! is registered).

use std::hint::black_box;
use std::time::Duration;

use async_patterns::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};

const LIMIT: Duration = Duration::from_secs(5);

fn ready(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("timeout/ready_future");
    group.bench_function("async-patterns .timeout()", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(async { 1u64 }).timeout(LIMIT).await })
    });
    group.bench_function("tokio::time::timeout", |b| {
        b.to_async(&rt)
            .iter(|| async { tokio::time::timeout(LIMIT, black_box(async { 1u64 })).await })
    });
    group.bench_function("bare .await (baseline)", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(async { 1u64 }).await })
    });
    group.finish();

    let mut group = c.benchmark_group("timeout/pending_once");
    group.bench_function("async-patterns .timeout()", |b| {
        b.to_async(&rt)
            .iter(|| async { tokio::task::yield_now().timeout(LIMIT).await })
    });
    group.bench_function("tokio::time::timeout", |b| {
        b.to_async(&rt)
            .iter(|| async { tokio::time::timeout(LIMIT, tokio::task::yield_now()).await })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = ready
}
criterion_main!(benches);
