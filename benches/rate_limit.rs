//! `RateLimiter::try_acquire` against governor's `check`, same workload,
//! same run: uncontended (one thread), and contended (two threads hammering
//! one shared limiter); `KeyedRateLimiter::try_acquire` against governor's
//! keyed `check_key`.
//!
//! What each row times (per iteration, nothing else in the loop):
//!
//! - `async_patterns_*` rows read the default clock (`LimiterClock::Tokio`),
//!   `async_patterns_fast_clock_*` rows `LimiterClock::fast()` (feature
//!   `fast-clock`: quanta, the clock governor reads).
//! - `*_ok`: one granted check on a limiter whose rate (10^9/s, burst
//!   10^9) no loop can exhaust: a clock read, a load and a successful CAS.
//! - `*_refused`: one refused check on a limiter that is exhausted for an
//!   hour (1 per hour, taken once before): a clock read and a load; the
//!   error value is built but not inspected.
//! - `clock_*`: one read of each clock, for reference. Both limiters read
//!   the clock on every check, and that read is most of their cost: ours
//!   reads `tokio::time::Instant` (so that tests on tokio's paused clock
//!   drive the limiter; with tokio's `test-util`, a dev-dependency here,
//!   that adds one atomic load until some test pauses the clock), which is
//!   `clock_gettime` (vDSO); governor reads quanta's TSC clock.
//! - contended: `iters` checks split over two threads that share one
//!   limiter, wall time including the two thread spawns (the same for both
//!   crates), each call made through the same `Arc<dyn Fn>`.
//! - `keyed`: one granted check per call, cycling over 1,000 keys
//!   (already remembered), ours vs governor's `DefaultKeyedRateLimiter`.
//!   1,000 per second per key with a burst no loop exhausts: each key's
//!   state runs ahead of the clock, so ours never forgets it (at 10^9 per
//!   second a key's state would equal a fresh one nanoseconds after each
//!   take, and ours would forget and re-create it on every call).
//!
//! ```text
//! cargo bench -p async-patterns-benches --bench rate_limit -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_patterns::rate_limit::{KeyedRateLimiter, LimiterClock, RateLimiter};
use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota, RateLimiter as Governor};

/// A rate no benchmark loop can reach, so every check succeeds.
const HUGE: u32 = 1_000_000_000;

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limit_uncontended");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));

    let ours = RateLimiter::per_second(HUGE).burst(HUGE);
    let fast = RateLimiter::per_second(HUGE)
        .burst(HUGE)
        .clock(LimiterClock::fast());
    let theirs = Governor::direct(Quota::per_second(NonZeroU32::new(HUGE).unwrap()));
    group.bench_function("async_patterns_try_acquire_ok", |b| {
        b.iter(|| black_box(ours.try_acquire().is_ok()));
    });
    group.bench_function("async_patterns_fast_clock_try_acquire_ok", |b| {
        b.iter(|| black_box(fast.try_acquire().is_ok()));
    });
    group.bench_function("governor_check_ok", |b| {
        b.iter(|| black_box(theirs.check().is_ok()));
    });

    // The clocks, for reference: the limiter reads `tokio::time::Instant`
    // once per call (so that paused test time drives it). Benches build
    // tokio with `test-util` (a dev-dependency feature), which adds a
    // paused-clock check to every read; without it, the tokio clock is the
    // std clock. governor reads its own (quanta) clock.
    group.bench_function("clock_tokio_instant_now", |b| {
        b.iter(|| black_box(tokio::time::Instant::now()));
    });
    group.bench_function("clock_std_instant_now", |b| {
        b.iter(|| black_box(Instant::now()));
    });
    {
        use governor::clock::Clock as _;
        let clock = governor::clock::DefaultClock::default();
        group.bench_function("clock_governor_default", |b| {
            b.iter(|| black_box(clock.now()));
        });
    }

    // Exhausted limiters: every check is refused.
    let ours = RateLimiter::new(1, Duration::from_secs(3600));
    ours.try_acquire().unwrap();
    let fast = RateLimiter::new(1, Duration::from_secs(3600)).clock(LimiterClock::fast());
    fast.try_acquire().unwrap();
    let theirs = Governor::direct(Quota::per_hour(NonZeroU32::new(1).unwrap()));
    theirs.check().unwrap();
    group.bench_function("async_patterns_try_acquire_refused", |b| {
        b.iter(|| black_box(ours.try_acquire().is_err()));
    });
    group.bench_function("async_patterns_fast_clock_try_acquire_refused", |b| {
        b.iter(|| black_box(fast.try_acquire().is_err()));
    });
    group.bench_function("governor_check_refused", |b| {
        b.iter(|| black_box(theirs.check().is_err()));
    });
    group.finish();
}

/// Runs `check` `iters` times split over two threads; returns the wall time.
fn two_threads(iters: u64, check: Arc<dyn Fn() -> bool + Send + Sync>) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let check = check.clone();
            std::thread::spawn(move || {
                for _ in 0..iters / 2 {
                    black_box(check());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed()
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limit_contended_2_threads");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let ours = RateLimiter::per_second(HUGE).burst(HUGE);
    let theirs = Arc::new(Governor::direct(Quota::per_second(
        NonZeroU32::new(HUGE).unwrap(),
    )));
    let fast = RateLimiter::per_second(HUGE)
        .burst(HUGE)
        .clock(LimiterClock::fast());
    group.bench_function("async_patterns_try_acquire", |b| {
        let ours = ours.clone();
        let check: Arc<dyn Fn() -> bool + Send + Sync> =
            Arc::new(move || ours.try_acquire().is_ok());
        b.iter_custom(|iters| two_threads(iters, check.clone()));
    });
    group.bench_function("async_patterns_fast_clock_try_acquire", |b| {
        let fast = fast.clone();
        let check: Arc<dyn Fn() -> bool + Send + Sync> =
            Arc::new(move || fast.try_acquire().is_ok());
        b.iter_custom(|iters| two_threads(iters, check.clone()));
    });
    group.bench_function("governor_check", |b| {
        let theirs = theirs.clone();
        let check: Arc<dyn Fn() -> bool + Send + Sync> = Arc::new(move || theirs.check().is_ok());
        b.iter_custom(|iters| two_threads(iters, check.clone()));
    });
    group.finish();
}

fn keyed(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limit_keyed");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let ours = KeyedRateLimiter::new(1_000, Duration::from_secs(1)).burst(HUGE);
    let fast = KeyedRateLimiter::new(1_000, Duration::from_secs(1))
        .burst(HUGE)
        .clock(LimiterClock::fast());
    let theirs = Governor::keyed(
        Quota::per_second(NonZeroU32::new(1_000).unwrap())
            .allow_burst(NonZeroU32::new(HUGE).unwrap()),
    );
    for key in 0..1_000_u64 {
        ours.try_acquire(&key).unwrap();
        fast.try_acquire(&key).unwrap();
        theirs.check_key(&key).unwrap();
    }
    // A macro, not a closure behind `dyn`: each row calls its limiter
    // directly, as a user would.
    macro_rules! bench {
        ($name:expr, |$key:ident| $check:expr) => {
            group.bench_function($name, |b| {
                let mut key = 0_u64;
                b.iter(|| {
                    key = (key + 1) % 1_000;
                    let $key = &key;
                    black_box($check)
                });
            });
        };
    }
    bench!("async_patterns_try_acquire", |key| ours
        .try_acquire(key)
        .is_ok());
    bench!("async_patterns_fast_clock_try_acquire", |key| fast
        .try_acquire(key)
        .is_ok());
    bench!("governor_check_key", |key| theirs.check_key(key).is_ok());
    group.finish();
}

criterion_group!(benches, uncontended, contended, keyed);
criterion_main!(benches);
