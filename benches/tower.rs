//! Per-request overhead of the `tower` feature's layers against tower's own
//! equivalents and a bare service.
//!
//! What each row times (per request, on a current-thread runtime, no
//! network): `ready().await` then `call(x).await` on one `service_fn` that
//! answers at once, in a loop inside one `block_on`. Limits are set so that
//! nothing ever waits (a rate of 10^9/s, a concurrency of 1024), so the rows
//! measure what each layer adds to the happy path:
//!
//! - `bare`: the `service_fn` alone.
//! - `rate_limit/*`: ours (the service clone per call and the limiter's
//!   lock-free take) vs `tower::limit::RateLimit` behind `Buffer` (how it
//!   has to be used under axum, which needs `Clone`).
//! - `concurrency/*`: ours vs `tower::limit::ConcurrencyLimit`.
//! - `timeout/*`: ours (`Deadline::scope`) vs `tower::timeout::Timeout`.
//! - `retry/*`: ours (success at once, request cloned for replay) vs
//!   `tower::retry::Retry` with a policy that clones the request and
//!   never retries.
//! - The keyed limiter against governor's `check_key` is in
//!   `rate_limit.rs` (group `rate_limit_keyed`).
//!
//! ```text
//! cargo bench --features tower --bench tower -- --warm-up-time 1 --measurement-time 3
//! ```

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::time::{Duration, Instant};

use async_patterns::rate_limit::RateLimiter;
use async_patterns::retry::{Backoff, RetryPolicy};
use async_patterns::tower as ours;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::{Layer, Service, ServiceExt, service_fn};

const HUGE: u32 = 1_000_000_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `iters` requests through `svc`, timed.
async fn drive<S>(svc: &mut S, iters: u64) -> Duration
where
    S: Service<u64>,
    S::Error: std::fmt::Debug,
{
    let start = Instant::now();
    for i in 0..iters {
        let svc = svc.ready().await.unwrap();
        black_box(svc.call(black_box(i)).await.unwrap());
    }
    start.elapsed()
}

fn bare()
-> impl Service<u64, Response = u64, Error = Infallible, Future = Ready<Result<u64, Infallible>>> + Clone
{
    service_fn(|x: u64| ready(Ok::<_, Infallible>(x)))
}

#[derive(Clone)]
struct NeverRetry;

impl<E> tower::retry::Policy<u64, u64, E> for NeverRetry {
    type Future = Ready<()>;

    fn retry(&mut self, _: &mut u64, _: &mut Result<u64, E>) -> Option<Self::Future> {
        None
    }

    fn clone_request(&mut self, req: &u64) -> Option<u64> {
        Some(*req)
    }
}

fn layers(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("tower");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));

    macro_rules! bench {
        ($name:expr, $svc:expr) => {{
            let mut svc = rt.block_on(async { $svc });
            group.bench_function($name, |b| {
                b.iter_custom(|iters| rt.block_on(drive(&mut svc, iters)));
            });
        }};
    }

    bench!("bare", bare());
    bench!(
        "rate_limit/async_patterns",
        ours::RateLimitLayer::new(RateLimiter::per_second(HUGE).burst(HUGE)).layer(bare())
    );
    bench!(
        "rate_limit/tower_buffered",
        tower::buffer::Buffer::new(
            tower::limit::RateLimit::new(
                bare(),
                tower::limit::rate::Rate::new(u64::from(HUGE), Duration::from_secs(1))
            ),
            1024
        )
    );
    bench!(
        "concurrency/async_patterns",
        ours::ConcurrencyLimitLayer::new(1024).layer(bare())
    );
    bench!(
        "concurrency/tower",
        tower::limit::ConcurrencyLimit::new(bare(), 1024)
    );
    bench!(
        "timeout/async_patterns",
        ours::TimeoutLayer::new(Duration::from_secs(60)).layer(bare())
    );
    bench!(
        "timeout/tower",
        tower::timeout::Timeout::new(bare(), Duration::from_secs(60))
    );
    bench!(
        "retry/async_patterns",
        ours::RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(
            1
        ))))
        .layer(bare())
    );
    bench!("retry/tower", tower::retry::Retry::new(NeverRetry, bare()));
    group.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);
