//! Behaviour of the backoff schedules and the retry combinator, on tokio's
//! paused clock.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::prelude::*;
use async_patterns::retry::{Backoff, Jitter, RetryPolicy, retry, retry_blocking};
use async_patterns::timeout::Deadline;
use proptest::prelude::*;
use tokio::time::{Instant, advance};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// An operation that fails `fails` times, then succeeds; counts its calls.
fn flaky(
    fails: usize,
    calls: &Cell<usize>,
) -> impl FnMut() -> std::future::Ready<Result<usize, &'static str>> + '_ {
    move || {
        calls.set(calls.get() + 1);
        let n = calls.get();
        std::future::ready(if n <= fails { Err("fail") } else { Ok(n) })
    }
}

// ---- schedules ----

#[test]
fn exact_sequences() {
    let v: Vec<_> = Backoff::exponential(secs(1)).collect();
    assert_eq!(v, [secs(1), secs(2), secs(4)]);
    let v: Vec<_> = Backoff::fibonacci(secs(1)).max_retries(6).collect();
    assert_eq!(v, [secs(1), secs(1), secs(2), secs(3), secs(5), secs(8)]);
    let v: Vec<_> = Backoff::constant(ms(7)).max_retries(4).collect();
    assert_eq!(v, [ms(7); 4]);
    let v: Vec<_> = Backoff::exponential(ms(100))
        .factor(3.0)
        .max_delay(secs(1))
        .max_retries(5)
        .collect();
    assert_eq!(v, [ms(100), ms(300), ms(900), secs(1), secs(1)]);
    let v: Vec<_> = Backoff::fibonacci(secs(1))
        .max_delay(secs(4))
        .max_retries(6)
        .collect();
    assert_eq!(v, [secs(1), secs(1), secs(2), secs(3), secs(4), secs(4)]);
}

#[test]
fn default_is_three_retries() {
    assert_eq!(Backoff::constant(secs(1)).count(), 3);
    assert_eq!(Backoff::exponential(secs(1)).size_hint(), (3, Some(3)));
    assert_eq!(
        Backoff::constant(secs(1)).unlimited().size_hint(),
        (usize::MAX, None)
    );
}

#[test]
fn saturates_instead_of_panicking() {
    let v: Vec<_> = Backoff::exponential(Duration::MAX)
        .factor(1e300)
        .max_retries(5)
        .collect();
    assert_eq!(v, [Duration::MAX; 5]);
    let v: Vec<_> = Backoff::exponential(Duration::from_nanos(1))
        .factor(f64::INFINITY)
        .max_retries(3)
        .collect();
    assert_eq!(v, [Duration::from_nanos(1), Duration::MAX, Duration::MAX]);
    let v: Vec<_> = Backoff::exponential(secs(1))
        .factor(0.0)
        .max_retries(3)
        .collect();
    assert_eq!(v, [secs(1), Duration::ZERO, Duration::ZERO]);
    // inf * 0 is NaN in floating point: still no panic, and the NaN
    // saturates to a zero delay.
    let v: Vec<_> = Backoff::exponential(Duration::ZERO)
        .factor(f64::INFINITY)
        .max_retries(3)
        .collect();
    assert_eq!(v, [Duration::ZERO; 3]);
    let v: Vec<_> = Backoff::exponential(Duration::MAX)
        .factor(f64::INFINITY)
        .max_retries(3)
        .collect();
    assert_eq!(v, [Duration::MAX; 3]);
    let v: Vec<_> = Backoff::exponential(secs(1)).max_retries(2000).collect();
    assert_eq!(*v.last().unwrap(), Duration::MAX);
    let v: Vec<_> = Backoff::fibonacci(Duration::MAX).max_retries(4).collect();
    assert_eq!(v, [Duration::MAX; 4]);
    for jitter in [
        Jitter::Full,
        Jitter::Equal,
        Jitter::Ratio(1.0),
        Jitter::Ratio(0.0),
    ] {
        for d in Backoff::exponential(Duration::MAX)
            .jitter(jitter)
            .factor(1e308)
            .max_retries(10)
        {
            let _ = d;
        }
        for d in Backoff::decorrelated(Duration::MAX, Duration::MAX)
            .jitter(jitter)
            .max_retries(10)
        {
            let _ = d;
        }
    }
    let v: Vec<_> = Backoff::exponential(Duration::MAX)
        .jitter(Jitter::Ratio(1.0))
        .max_delay(secs(5))
        .max_retries(50)
        .collect();
    assert!(v.iter().all(|&d| d <= secs(5)));
}

#[test]
#[should_panic(expected = "factor must be >= 0")]
fn negative_factor_panics() {
    let _ = Backoff::exponential(secs(1)).factor(-1.0);
}

#[test]
#[should_panic(expected = "factor must be >= 0")]
fn nan_factor_panics() {
    let _ = Backoff::exponential(secs(1)).factor(f64::NAN);
}

#[test]
#[should_panic(expected = "ratio must be within [0, 1]")]
fn ratio_above_one_panics() {
    let _ = Backoff::constant(secs(1)).jitter(Jitter::Ratio(1.5));
}

#[test]
#[should_panic(expected = "ratio must be within [0, 1]")]
fn negative_ratio_panics() {
    let _ = Backoff::constant(secs(1)).jitter(Jitter::Ratio(-0.1));
}

#[test]
#[should_panic(expected = "ratio must be within [0, 1]")]
fn nan_ratio_panics() {
    let _ = Backoff::constant(secs(1)).jitter(Jitter::Ratio(f64::NAN));
}

#[test]
fn seeded_jitter_is_reproducible_and_unseeded_clones_differ() {
    let seeded = Backoff::exponential(secs(1))
        .jitter(Jitter::Full)
        .max_retries(8)
        .seed(1);
    let a: Vec<_> = seeded.clone().collect();
    let b: Vec<_> = seeded.collect();
    assert_eq!(a, b);
    let c: Vec<_> = Backoff::exponential(secs(1))
        .jitter(Jitter::Full)
        .max_retries(8)
        .seed(2)
        .collect();
    assert_ne!(a, c);
    let unseeded = Backoff::exponential(secs(1))
        .jitter(Jitter::Full)
        .max_retries(8);
    let x: Vec<_> = unseeded.clone().collect();
    let y: Vec<_> = unseeded.collect();
    assert_ne!(
        x, y,
        "clones of an unseeded schedule must not jitter in lockstep"
    );
}

#[test]
fn decorrelated_stays_within_base_and_cap() {
    let base = ms(100);
    let cap = secs(3);
    let mut prev = base;
    for d in Backoff::decorrelated(base, cap)
        .unlimited()
        .seed(9)
        .take(1000)
    {
        assert!(d >= base && d <= cap, "{d:?}");
        assert!(d <= (prev * 3).min(cap));
        prev = d;
    }
}

#[derive(Debug, Clone, Copy)]
enum KindCfg {
    Constant,
    Exponential(u32),
    Fibonacci,
}

fn reference(kind: KindCfg, initial: u128, n: usize, cap: Option<u128>) -> Vec<u128> {
    // Saturation happens at u64::MAX nanoseconds, which means Duration::MAX.
    let max = u128::from(u64::MAX);
    let mut out = Vec::new();
    let (mut a, mut b) = (initial, initial);
    let mut cur = initial;
    for _ in 0..n {
        let d = match kind {
            KindCfg::Constant => initial,
            KindCfg::Exponential(f) => {
                let d = cur;
                cur = cur.saturating_mul(u128::from(f)).min(max);
                d
            }
            KindCfg::Fibonacci => {
                let d = a;
                (a, b) = (b, a.saturating_add(b).min(max));
                d
            }
        };
        let d = cap.map_or(d, |c| d.min(c));
        out.push(if d == max {
            Duration::MAX.as_nanos()
        } else {
            d
        });
    }
    out
}

fn build(kind: KindCfg, initial: Duration) -> Backoff {
    match kind {
        KindCfg::Constant => Backoff::constant(initial),
        KindCfg::Exponential(f) => Backoff::exponential(initial).factor(f64::from(f)),
        KindCfg::Fibonacci => Backoff::fibonacci(initial),
    }
}

fn kind_strategy() -> impl Strategy<Value = KindCfg> {
    prop_oneof![
        Just(KindCfg::Constant),
        (1u32..=5).prop_map(KindCfg::Exponential),
        Just(KindCfg::Fibonacci),
    ]
}

fn jitter_strategy() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::Full),
        Just(Jitter::Equal),
        (0.0f64..=1.0).prop_map(Jitter::Ratio),
    ]
}

proptest! {
    #[test]
    fn unjittered_sequences_are_exact(
        kind in kind_strategy(),
        initial in 0u64..10_000_000_000,
        retries in 0usize..40,
        cap in proptest::option::of(0u64..100_000_000_000),
    ) {
        let mut schedule = build(kind, Duration::from_nanos(initial)).max_retries(retries);
        if let Some(cap) = cap {
            schedule = schedule.max_delay(Duration::from_nanos(cap));
        }
        let got: Vec<u128> = schedule.map(|d| d.as_nanos()).collect();
        let want = reference(kind, u128::from(initial), retries, cap.map(u128::from));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn jittered_delays_stay_within_bounds(
        kind in kind_strategy(),
        jitter in jitter_strategy(),
        initial in 0u64..10_000_000_000,
        retries in 0usize..40,
        cap in proptest::option::of(0u64..100_000_000_000),
        seed in any::<u64>(),
    ) {
        let mut plain = build(kind, Duration::from_nanos(initial)).max_retries(retries);
        if let Some(cap) = cap {
            plain = plain.max_delay(Duration::from_nanos(cap));
        }
        let jittered: Vec<Duration> = plain.clone().jitter(jitter).seed(seed).collect();
        let base: Vec<Duration> = plain.collect();
        prop_assert_eq!(jittered.len(), retries);
        let one = Duration::from_nanos(1);
        for (&j, &b) in jittered.iter().zip(&base) {
            if let Some(cap) = cap {
                prop_assert!(j <= Duration::from_nanos(cap));
            }
            let bf = b.as_secs_f64();
            match jitter {
                Jitter::Full => prop_assert!(j <= b),
                Jitter::Equal => prop_assert!(j + one >= b / 2 && j <= b),
                Jitter::Ratio(r) => {
                    prop_assert!(j.as_secs_f64() >= bf * (1.0 - r) - 1e-9);
                    prop_assert!(j.as_secs_f64() <= bf * (1.0 + r) + 1e-9);
                }
                Jitter::None => prop_assert_eq!(j, b),
            }
        }
    }

    #[test]
    fn decorrelated_within_bounds(
        base in 0u64..10_000_000_000,
        cap in 0u64..100_000_000_000,
        max_delay in proptest::option::of(0u64..100_000_000_000),
        retries in 0usize..40,
        seed in any::<u64>(),
    ) {
        let (base, cap) = (Duration::from_nanos(base), Duration::from_nanos(cap));
        let mut schedule = Backoff::decorrelated(base, cap).max_retries(retries).seed(seed);
        if let Some(m) = max_delay {
            schedule = schedule.max_delay(Duration::from_nanos(m));
        }
        let ceiling = max_delay.map_or(cap, |m| cap.min(Duration::from_nanos(m)));
        let delays: Vec<Duration> = schedule.collect();
        prop_assert_eq!(delays.len(), retries);
        for d in delays {
            prop_assert!(d <= ceiling);
            prop_assert!(d >= base.min(ceiling));
        }
    }
}

// ---- the retry loop ----

#[tokio::test(start_paused = true)]
async fn max_retries_n_means_n_plus_one_calls() {
    for n in 0..6 {
        let calls = Cell::new(0);
        let result = retry(
            Backoff::constant(ms(10)).max_retries(n),
            flaky(usize::MAX, &calls),
        )
        .await;
        assert_eq!(result, Err("fail"));
        assert_eq!(calls.get(), n + 1, "max_retries({n})");
    }
    // The default: 3 retries, 4 calls.
    let calls = Cell::new(0);
    let _ = flaky(usize::MAX, &calls)
        .retry(Backoff::exponential(ms(1)))
        .await;
    assert_eq!(calls.get(), 4);
}

#[tokio::test(start_paused = true)]
async fn success_stops_retrying_and_sleeps_as_scheduled() {
    let calls = Cell::new(0);
    let start = Instant::now();
    let result = retry(
        Backoff::exponential(secs(1)).max_retries(10),
        flaky(3, &calls),
    )
    .await;
    assert_eq!(result, Ok(4));
    assert_eq!(calls.get(), 4);
    assert_eq!(start.elapsed(), secs(1 + 2 + 4));
}

#[tokio::test(start_paused = true)]
async fn non_retryable_error_means_exactly_one_call() {
    let calls = Cell::new(0);
    let seen = Cell::new(0);
    let start = Instant::now();
    let result = retry(Backoff::constant(secs(1)), flaky(usize::MAX, &calls))
        .when(|e| {
            seen.set(seen.get() + 1);
            *e != "fail"
        })
        .await;
    assert_eq!(result, Err("fail"));
    assert_eq!(calls.get(), 1);
    assert_eq!(seen.get(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn when_sees_every_error_and_can_stop_midway() {
    let calls = Cell::new(0);
    let result = retry(Backoff::constant(ms(1)).unlimited(), || {
        calls.set(calls.get() + 1);
        let n = calls.get();
        async move { Err::<(), usize>(n) }
    })
    .when(|&n| n < 5)
    .await;
    assert_eq!(result, Err(5));
    assert_eq!(calls.get(), 5);
}

#[tokio::test(start_paused = true)]
async fn notify_sees_each_retry_but_not_the_final_failure() {
    let calls = Cell::new(0);
    let mut events = Vec::new();
    let result = retry(Backoff::exponential(secs(1)).max_retries(3), || {
        calls.set(calls.get() + 1);
        async {
            tokio::time::sleep(ms(500)).await;
            Err::<(), &str>("down")
        }
    })
    .notify(|ev| events.push((ev.attempt(), *ev.error(), ev.delay(), ev.elapsed())))
    .await;
    assert_eq!(result, Err("down"));
    assert_eq!(calls.get(), 4);
    assert_eq!(
        events,
        [
            (1, "down", secs(1), ms(500)),
            (2, "down", secs(2), ms(2000)),
            (3, "down", secs(4), ms(4500)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_hint_replaces_the_delay_and_counts_as_a_retry() {
    let start = Instant::now();
    let calls = Cell::new(0);
    let mut delays = Vec::new();
    let result = retry(
        Backoff::constant(ms(10)).max_retries(2),
        flaky(usize::MAX, &calls),
    )
    .retry_after(|_| Some(secs(3)))
    .notify(|ev| delays.push(ev.delay()))
    .await;
    assert_eq!(result, Err("fail"));
    assert_eq!(calls.get(), 3);
    assert_eq!(delays, [secs(3), secs(3)]);
    assert_eq!(start.elapsed(), secs(6));

    // `None` keeps the schedule.
    let calls = Cell::new(0);
    let start = Instant::now();
    let _ = retry(
        Backoff::constant(ms(10)).max_retries(2),
        flaky(usize::MAX, &calls),
    )
    .retry_after(|_| None)
    .await;
    assert_eq!(start.elapsed(), ms(20));
}

#[tokio::test(start_paused = true)]
async fn retry_after_hint_is_capped_by_max_elapsed() {
    let start = Instant::now();
    let calls = Cell::new(0);
    let result = retry(
        Backoff::constant(ms(10)).unlimited(),
        flaky(usize::MAX, &calls),
    )
    .retry_after(|_| Some(secs(60)))
    .max_elapsed(secs(30))
    .await;
    assert_eq!(result, Err("fail"));
    // Gave up at once instead of sleeping past the budget.
    assert_eq!(calls.get(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_counts_the_attempts_too() {
    let start = Instant::now();
    let calls = Cell::new(0);
    let result = retry(Backoff::constant(secs(1)).unlimited(), || {
        calls.set(calls.get() + 1);
        async {
            tokio::time::sleep(secs(1)).await;
            Err::<(), &str>("slow")
        }
    })
    .max_elapsed(secs(5))
    .await;
    assert_eq!(result, Err("slow"));
    // Attempts start at 0, 2 and 4 s; the third ends at 5 s, and a fourth
    // would start at 6 s, past the budget.
    assert_eq!(calls.get(), 3);
    assert_eq!(start.elapsed(), secs(5));
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_fails_slow_attempts_with_the_converted_error() {
    let calls = Cell::new(0);
    let mut errors = Vec::new();
    let start = Instant::now();
    let result: io::Result<usize> = retry(Backoff::constant(ms(100)).max_retries(5), || {
        calls.set(calls.get() + 1);
        let n = calls.get();
        async move {
            if n < 3 {
                std::future::pending::<()>().await;
            }
            Ok::<_, io::Error>(n)
        }
    })
    .attempt_timeout(secs(1))
    .notify(|ev| errors.push(ev.error().kind()))
    .await;
    assert_eq!(result.unwrap(), 3);
    assert_eq!(errors, [io::ErrorKind::TimedOut, io::ErrorKind::TimedOut]);
    assert_eq!(start.elapsed(), ms(2200));

    // All attempts time out: the last error is the timeout.
    let err = retry(Backoff::constant(ms(100)).max_retries(1), || async {
        std::future::pending::<io::Result<()>>().await
    })
    .attempt_timeout(secs(1))
    .await
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

/// An attempt cut by `attempt_timeout` is dropped at once, not kept until
/// the retry ends: during the delay before the next attempt (and after the
/// last one failed, with the `Retry` kept) it holds nothing.
#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_is_dropped_at_once() {
    let held = Arc::new(());
    let mut retrying = spawn(
        retry(Backoff::constant(secs(10)).max_retries(1), || {
            let held = held.clone();
            async move {
                let _held = held;
                std::future::pending::<io::Result<()>>().await
            }
        })
        .attempt_timeout(secs(1)),
    );
    assert_pending!(retrying.poll());
    assert_eq!(Arc::strong_count(&held), 2);
    advance(secs(1)).await;
    // Timed out, now waiting 10 s for the second attempt.
    assert_pending!(retrying.poll());
    assert_eq!(Arc::strong_count(&held), 1);
    advance(secs(10)).await;
    assert_pending!(retrying.poll());
    assert_eq!(Arc::strong_count(&held), 2);
    advance(secs(1)).await;
    let err = assert_ready!(retrying.poll()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(Arc::strong_count(&held), 1);
}

#[tokio::test(start_paused = true)]
async fn ambient_deadline_bounds_the_loop() {
    let calls = Cell::new(0);
    let start = Instant::now();
    let result = Deadline::after(ms(3500))
        .scope(retry(
            Backoff::constant(secs(1)).unlimited(),
            flaky(usize::MAX, &calls),
        ))
        .await;
    // The loop itself gave up with its last error (the scope did not have
    // to cut it): attempts at 0, 1, 2, 3 s; a fifth would start at 4 s.
    assert_eq!(result, Ok(Err("fail")));
    assert_eq!(calls.get(), 4);
    assert_eq!(start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn ambient_deadline_caps_retry_after_hints() {
    let calls = Cell::new(0);
    let start = Instant::now();
    let result = Deadline::after(secs(10))
        .scope(
            retry(
                Backoff::constant(ms(10)).unlimited(),
                flaky(usize::MAX, &calls),
            )
            .retry_after(|_| Some(secs(20))),
        )
        .await;
    assert_eq!(result, Ok(Err("fail")));
    assert_eq!(calls.get(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn dropping_while_sleeping_stops_at_once() {
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let mut fut = spawn(retry(Backoff::constant(secs(1)).unlimited(), move || {
        c.set(c.get() + 1);
        async { Err::<(), ()>(()) }
    }));
    assert_pending!(fut.poll());
    assert_eq!(calls.get(), 1);
    advance(secs(1)).await;
    assert!(fut.is_woken());
    assert_pending!(fut.poll());
    assert_eq!(calls.get(), 2);
    drop(fut);
    advance(secs(10)).await;
    assert_eq!(calls.get(), 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_during_an_attempt_drops_the_attempt() {
    struct Flag(Arc<AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let mut fut = spawn(retry(Backoff::constant(secs(1)), move || {
        let flag = Flag(d.clone());
        async move {
            let _flag = flag;
            std::future::pending::<Result<(), ()>>().await
        }
    }));
    assert_pending!(fut.poll());
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    drop(fut);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn zero_delays_do_not_sleep() {
    let calls = Cell::new(0);
    let mut fut = spawn(retry(
        Backoff::constant(Duration::ZERO).max_retries(5),
        flaky(3, &calls),
    ));
    assert_eq!(assert_ready!(fut.poll()), Ok(4));
}

/// An operation that fails at once until `stop` is set, and gives up
/// (returning `Ok(false)`) after a million attempts so that a loop that never
/// yields ends the test instead of hanging it.
fn fail_until(
    stop: &AtomicBool,
) -> impl FnMut() -> std::future::Ready<Result<bool, &'static str>> + '_ {
    let mut attempts = 0u32;
    move || {
        attempts += 1;
        std::future::ready(if stop.load(Ordering::SeqCst) {
            Ok(true)
        } else if attempts == 1_000_000 {
            Ok(false)
        } else {
            Err("fail")
        })
    }
}

#[tokio::test(flavor = "current_thread")]
async fn zero_delay_retries_do_not_starve_a_current_thread_runtime() {
    let stop = Arc::new(AtomicBool::new(false));
    let setter = tokio::spawn({
        let stop = stop.clone();
        async move { stop.store(true, Ordering::SeqCst) }
    });
    let stopped = retry(
        Backoff::constant(Duration::ZERO).unlimited(),
        fail_until(&stop),
    )
    .await;
    assert_eq!(stopped, Ok(true), "the other task ran between attempts");
    setter.await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_timeout_stops_a_retry_of_instant_failures() {
    let never = AtomicBool::new(false);
    // Zero delays from a constant schedule, a decorrelated one, and a zero
    // `Retry-After` hint.
    let timed_out = retry(
        Backoff::constant(Duration::ZERO).unlimited(),
        fail_until(&never),
    )
    .timeout(Duration::from_millis(5))
    .await;
    assert!(timed_out.is_err(), "{timed_out:?}");
    let timed_out = retry(
        Backoff::decorrelated(Duration::ZERO, Duration::ZERO).unlimited(),
        fail_until(&never),
    )
    .timeout(Duration::from_millis(5))
    .await;
    assert!(timed_out.is_err(), "{timed_out:?}");
    let timed_out = retry(Backoff::constant(secs(1)).unlimited(), fail_until(&never))
        .retry_after(|_: &&str| Some(Duration::ZERO))
        .timeout(Duration::from_millis(5))
        .await;
    assert!(timed_out.is_err(), "{timed_out:?}");
}

#[tokio::test(start_paused = true)]
async fn policy_is_reusable_and_each_use_starts_fresh() {
    let policy = RetryPolicy::new(Backoff::exponential(secs(1)).max_retries(2));
    for _ in 0..3 {
        let calls = Cell::new(0);
        let start = Instant::now();
        let result = policy.clone().retry(flaky(usize::MAX, &calls)).await;
        assert_eq!(result, Err("fail"));
        assert_eq!(calls.get(), 3);
        assert_eq!(start.elapsed(), secs(3));
    }
    let timed = policy.max_elapsed(secs(100)).attempt_timeout(secs(1));
    assert_eq!(timed.attempt_limit(), secs(1));
    let calls = Cell::new(0);
    let result: io::Result<()> = timed
        .retry(|| {
            calls.set(calls.get() + 1);
            std::future::pending()
        })
        .await;
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
    assert_eq!(calls.get(), 3);
}

#[tokio::test(start_paused = true)]
async fn any_iterator_is_a_schedule() {
    let calls = Cell::new(0);
    let start = Instant::now();
    let _ = retry([ms(5), ms(50)], flaky(usize::MAX, &calls)).await;
    assert_eq!(calls.get(), 3);
    assert_eq!(start.elapsed(), ms(55));
}

async fn fails_once(calls: &AtomicUsize) -> Result<u8, io::Error> {
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        Err(io::ErrorKind::ConnectionReset.into())
    } else {
        Ok(1)
    }
}

#[tokio::test(start_paused = true)]
async fn retryable_works_on_closures_over_async_fns_and_is_send() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let handle =
        tokio::spawn(async move { (|| fails_once(&c)).retry(Backoff::constant(ms(1))).await });
    assert_eq!(handle.await.unwrap().unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn retry_blocking_counts_calls() {
    let mut calls = 0;
    let result: Result<(), u32> =
        retry_blocking(Backoff::constant(Duration::ZERO).max_retries(4), || {
            calls += 1;
            Err(calls)
        });
    assert_eq!(result, Err(5));
    let mut calls = 0;
    let result = retry_blocking(Backoff::constant(Duration::from_micros(10)), || {
        calls += 1;
        if calls == 2 { Ok(calls) } else { Err(()) }
    });
    assert_eq!(result, Ok(2));
}

#[test]
fn debug_output_is_useful() {
    let fut = retry(Backoff::constant(secs(1)), || async { Ok::<(), ()>(()) }).max_elapsed(secs(9));
    let text = format!("{fut:?}");
    assert!(text.contains("max_elapsed: Some(9s)"), "{text}");
    assert!(format!("{:?}", Backoff::constant(secs(1))).contains("Constant"));
}

// ---- allocations ----

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

fn allocations(f: impl FnOnce()) -> usize {
    let before = counting_alloc::count();
    f();
    counting_alloc::count() - before
}

/// Polls a future that must be ready at once, without a runtime.
fn poll_once<F: Future>(fut: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(fut).poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("not ready"),
    }
}

#[test]
fn happy_path_allocates_nothing() {
    // The counter works.
    assert_eq!(allocations(|| drop(std::hint::black_box(Box::new(1)))), 1);
    let schedule = Backoff::exponential(ms(10)).jitter(Jitter::Full);
    let policy = RetryPolicy::new(schedule.clone()).max_elapsed(secs(10));
    // Warm up thread locals (the clock, the ambient deadline).
    let _ = poll_once(policy.retry(|| async { Ok::<u32, io::Error>(1) }));
    let n = allocations(|| {
        for i in 0..1000u32 {
            let out = poll_once(retry(schedule.clone(), || async move {
                Ok::<u32, io::Error>(i)
            }));
            assert_eq!(out.unwrap(), i);
            let out = poll_once(
                policy
                    .retry(|| async move { Ok::<u32, io::Error>(i) })
                    .when(|_| true)
                    .notify(|_| {}),
            );
            assert_eq!(out.unwrap(), i);
        }
    });
    assert_eq!(n, 0, "allocations in 2000 happy-path retries");
}

#[test]
fn schedules_allocate_nothing() {
    let n = allocations(|| {
        for d in Backoff::decorrelated(ms(1), secs(1))
            .jitter(Jitter::Equal)
            .max_retries(100)
        {
            assert!(d <= secs(1));
        }
    });
    assert_eq!(n, 0);
}

// ---- size (the happy path copies the whole future once) ----

#[test]
fn backoff_and_happy_path_future_stay_small() {
    assert!(
        std::mem::size_of::<Backoff>() <= 64,
        "{}",
        std::mem::size_of::<Backoff>()
    );
    let fut = retry(Backoff::constant(secs(1)), || async {
        Ok::<(), io::Error>(())
    });
    // Schedule, one `Option<Box<Sleep>>`, the attempt count, the budgets,
    // the start instant, the state: no room for hook state when there are
    // no hooks.
    assert!(
        std::mem::size_of_val(&fut) <= 168,
        "{}",
        std::mem::size_of_val(&fut)
    );
}

#[test]
fn seed_zero_is_deterministic_too() {
    let a: Vec<Duration> = Backoff::exponential(secs(1))
        .jitter(Jitter::Full)
        .seed(0)
        .collect();
    let b: Vec<Duration> = Backoff::exponential(secs(1))
        .jitter(Jitter::Full)
        .seed(0)
        .collect();
    assert_eq!(a, b);
    let c: Vec<Duration> = Backoff::decorrelated(ms(10), secs(5))
        .seed(0)
        .max_retries(20)
        .collect();
    let d: Vec<Duration> = Backoff::decorrelated(ms(10), secs(5))
        .seed(0)
        .max_retries(20)
        .collect();
    assert_eq!(c, d);
}

#[test]
fn backoff_debug_shows_the_configuration() {
    let text = format!(
        "{:?}",
        Backoff::exponential(ms(100))
            .factor(3.0)
            .max_delay(secs(2))
            .jitter(Jitter::Ratio(0.25))
    );
    for part in [
        "Exponential",
        "factor: 3.0",
        "max_delay: 2s",
        "Ratio(0.25)",
        "retries_left: 3",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(!format!("{:?}", Backoff::constant(secs(1)).unlimited()).contains("retries_left"));
}
