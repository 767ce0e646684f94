//! The retry happy path (the operation succeeds at once) against a bare
//! `.await` of the same operation and against backon, in one criterion
//! group; the allocations per call, counted with a counting global
//! allocator; and the sizes of the futures.
//!
//! ```text
//! cargo bench -p async-patterns-benches --bench retry -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Every row runs on one current-thread runtime, inside a single
//! `block_on` (criterion's `to_async(..).iter`): per iteration, criterion
//! calls the routine, awaits the future it returns and `black_box`es the
//! output. Inside the timed loop, each row does everything one call needs:
//!
//! - `bare_await`: `op(black_box(1)).await`. `op` is an `async fn` that
//!   returns `Ok(black_box(x))`, so neither the argument nor the result can
//!   be constant-folded and the await is not optimized away; it is the
//!   floor (the loop, the op's own future, the `black_box`es).
//! - `async_patterns_retry`: the same op, retried on an exponential
//!   [`Backoff`] that is cloned for the call (a schedule is consumed by each
//!   retry loop, so every call needs its own), then awaited.
//! - `async_patterns_retry_fresh_backoff`: the same, with the `Backoff`
//!   built in the loop (`Backoff::exponential(10 ms)`), as backon's row
//!   builds its `ExponentialBuilder`.
//! - `async_patterns_retry_small_schedule`: the same op retried on a
//!   24-byte `std::iter::repeat_n` schedule: the cost of the combinator
//!   with a minimal schedule.
//! - `async_patterns_policy_max_elapsed`: `policy.retry(op)` on a shared
//!   `RetryPolicy` with `max_elapsed` (clones the schedule, sets the
//!   budget; no clock read on the happy path).
//! - `backon`: the same op with `backon::Retryable::retry` and
//!   `ExponentialBuilder::default()` built in the loop.
//!
//! The allocation counts call the same futures 10,000 times each on the
//! bench thread and divide the number of allocations the thread made
//! (`tests/support/counting_alloc.rs`, a per-thread counting global
//! allocator) by the number of calls.

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

fn sizes() {
    let schedule = Backoff::exponential(Duration::from_millis(10));
    println!("size_of Backoff: {}", std::mem::size_of::<Backoff>());
    println!("size_of op future: {}", std::mem::size_of_val(&op(1)));
    println!(
        "size_of async_patterns Retry<Backoff>: {}",
        std::mem::size_of_val(&retry(schedule, || op(1)))
    );
    println!(
        "size_of backon Retry<ExponentialBackoff>: {}",
        std::mem::size_of_val(&backon::Retryable::retry(
            || op(1),
            backon::ExponentialBuilder::default()
        ))
    );
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
    sizes();
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
    group.bench_function("async_patterns_retry_fresh_backoff", |b| {
        b.to_async(&rt).iter(|| async {
            (|| op(black_box(1)))
                .retry(Backoff::exponential(Duration::from_millis(10)))
                .await
                .unwrap()
        });
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
