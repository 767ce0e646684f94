//! The retry happy path (the operation succeeds at once) against a bare
//! `.await` and against backon, in one criterion group; and the allocations
//! per call, counted with a counting global allocator.
//!
//! ```text
//! cargo bench --bench retry -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::time::Duration;

use async_patterns::prelude::*;
use async_patterns::retry::{Backoff, RetryPolicy, retry};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;

async fn op(x: u64) -> Result<u64, std::io::Error> {
    Ok(black_box(x))
}

fn allocations_per_call(rt: &tokio::runtime::Runtime) {
    const CALLS: usize = 10_000;
    let count = |name: &str, f: &dyn Fn()| {
        f();
        let before = counting_alloc::count();
        for _ in 0..CALLS {
            f();
        }
        let n = counting_alloc::count() - before;
        println!("allocations per call, {name}: {}", n as f64 / CALLS as f64);
    };
    let schedule = Backoff::exponential(Duration::from_millis(10));
    let policy = RetryPolicy::new(schedule.clone()).max_elapsed(Duration::from_secs(10));
    println!("size_of Backoff: {}", std::mem::size_of::<Backoff>());
    println!("size_of op future: {}", std::mem::size_of_val(&op(1)));
    println!(
        "size_of Retry: {}",
        std::mem::size_of_val(&retry(schedule.clone(), || op(1)))
    );
    println!(
        "size_of backon Retry: {}",
        std::mem::size_of_val(&backon::Retryable::retry(
            || op(1),
            backon::ExponentialBuilder::default()
        ))
    );
    count("bare await", &|| {
        rt.block_on(async { op(1).await.unwrap() });
    });
    count("async_patterns retry", &|| {
        rt.block_on(async { retry(schedule.clone(), || op(1)).await.unwrap() });
    });
    count("async_patterns policy + max_elapsed", &|| {
        rt.block_on(async { policy.retry(|| op(1)).await.unwrap() });
    });
    count("backon", &|| {
        rt.block_on(async {
            backon::Retryable::retry(|| op(1), backon::ExponentialBuilder::default())
                .await
                .unwrap()
        });
    });
}

fn happy_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    allocations_per_call(&rt);

    let mut group = c.benchmark_group("retry_happy_path");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let schedule = Backoff::exponential(Duration::from_millis(10));
    let policy = RetryPolicy::new(schedule.clone()).max_elapsed(Duration::from_secs(10));
    group.bench_function("bare_await", |b| {
        b.to_async(&rt)
            .iter(|| async { op(black_box(1)).await.unwrap() });
    });
    group.bench_function("async_patterns_retry", |b| {
        b.to_async(&rt)
            .iter(|| async { (|| op(black_box(1))).retry(schedule.clone()).await.unwrap() });
    });
    group.bench_function("async_patterns_retry_small_schedule", |b| {
        b.to_async(&rt).iter(|| async {
            (|| op(black_box(1)))
                .retry(std::iter::repeat_n(Duration::from_millis(10), 3))
                .await
                .unwrap()
        });
    });
    group.bench_function("async_patterns_policy_max_elapsed", |b| {
        b.to_async(&rt)
            .iter(|| async { policy.retry(|| op(black_box(1))).await.unwrap() });
    });
    group.bench_function("backon", |b| {
        b.to_async(&rt).iter(|| async {
            backon::Retryable::retry(|| op(black_box(1)), backon::ExponentialBuilder::default())
                .await
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, happy_path);
criterion_main!(benches);
