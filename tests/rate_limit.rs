//! Behaviour of `RateLimiter`, all on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_patterns::rate_limit::{Acquire, RateLimiter};
use tokio::time::{Instant, advance};
use tokio_test::task::{Spawn, spawn};
use tokio_test::{assert_pending, assert_ready, assert_ready_err, assert_ready_ok};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn paces_evenly_by_default() {
    let limiter = RateLimiter::per_second(10);
    let start = Instant::now();
    let mut at = Vec::new();
    for _ in 0..5 {
        limiter.acquire().await;
        at.push(start.elapsed());
    }
    assert_eq!(at, [ms(0), ms(100), ms(200), ms(300), ms(400)]);
}

#[tokio::test(start_paused = true)]
async fn burst_then_steady_rate() {
    let limiter = RateLimiter::new(4, Duration::from_secs(2)).burst(3);
    for _ in 0..3 {
        limiter.try_acquire().unwrap();
    }
    let err = limiter.try_acquire().unwrap_err();
    assert_eq!(err.wait(), ms(500));
    assert_eq!(err.earliest(), Instant::now() + ms(500));
    advance(ms(499)).await;
    assert!(limiter.try_acquire().is_err());
    advance(ms(1)).await;
    limiter.try_acquire().unwrap();
    // A long quiet period refills the burst, and only the burst.
    advance(Duration::from_secs(60)).await;
    for _ in 0..3 {
        limiter.try_acquire().unwrap();
    }
    assert!(limiter.try_acquire().is_err());
    assert_eq!(limiter.max_burst(), 3);
    assert_eq!(limiter.interval(), ms(500));
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_limit() {
    let a = RateLimiter::per_second(1);
    let b = a.clone();
    a.try_acquire().unwrap();
    assert!(b.try_acquire().is_err());
    let start = Instant::now();
    b.acquire().await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(a.try_acquire().is_err());
}

#[test]
#[should_panic(expected = "permits must be at least 1")]
fn zero_permits_panics() {
    let _ = RateLimiter::new(0, Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "period must not be zero")]
fn zero_period_panics() {
    let _ = RateLimiter::new(1, Duration::ZERO);
}

#[test]
#[should_panic(expected = "burst must be at least 1")]
fn zero_burst_panics() {
    let _ = RateLimiter::per_second(1).burst(0);
}

#[test]
#[should_panic(expected = "permits must be at least 1")]
fn zero_per_second_panics() {
    let _ = RateLimiter::per_second(0);
}

#[tokio::test(start_paused = true)]
async fn acquire_n_over_burst_is_an_error_not_a_hang() {
    let limiter = RateLimiter::per_second(10).burst(4);
    let err = limiter.acquire_n(5).await.unwrap_err();
    assert_eq!(err.requested(), 5);
    assert_eq!(err.burst(), 4);
    assert_eq!(
        err.to_string(),
        "asked for 5 permits at once, but the burst is 4"
    );
    // Nothing was taken by the failed call.
    limiter.acquire_n(4).await.unwrap();
    assert!(limiter.try_acquire().is_err());
    // Zero permits is always fine.
    limiter.acquire_n(0).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn acquire_n_waits_for_all_at_once() {
    let limiter = RateLimiter::per_second(10).burst(5);
    limiter.acquire_n(5).await.unwrap();
    let start = Instant::now();
    limiter.acquire_n(3).await.unwrap();
    assert_eq!(start.elapsed(), ms(300));
}

/// Polls every task in `order`; returns the indices that completed.
fn poll_all(tasks: &mut [Option<Spawn<impl Future<Output = ()>>>], order: &[usize]) -> Vec<usize> {
    let mut done = Vec::new();
    for &i in order {
        if let Some(task) = &mut tasks[i] {
            if task.poll().is_ready() {
                tasks[i] = None;
                done.push(i);
            }
        }
    }
    done
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order_and_one_wakeup_per_permit() {
    const N: usize = 100;
    let limiter = RateLimiter::per_second(100);
    limiter.try_acquire().unwrap();
    let mut tasks: Vec<_> = (0..N).map(|_| Some(spawn(limiter.acquire()))).collect();
    // Arrival order is the order of the first poll.
    let forward: Vec<usize> = (0..N).collect();
    let backward: Vec<usize> = (0..N).rev().collect();
    assert!(poll_all(&mut tasks, &forward).is_empty());
    // A waiter cannot be overtaken by `try_acquire`, even when due.
    advance(ms(10)).await;
    assert!(limiter.try_acquire().is_err());

    let mut served = Vec::new();
    for step in 0..N {
        if step > 0 {
            advance(ms(10)).await;
        }
        // The timer of the head, and only it, fired.
        let woken: Vec<usize> = (0..N)
            .filter(|&i| tasks[i].as_ref().is_some_and(|t| t.is_woken()))
            .collect();
        assert_eq!(woken, [step], "step {step}: only the head is woken");
        // Poll in reverse order: completion still follows arrival.
        let done = poll_all(&mut tasks, &backward);
        assert_eq!(done, [step]);
        served.extend(done);
        // Getting the permit woke exactly the next waiter, so it can arm
        // its timer; nobody else.
        if step + 1 < N {
            let woken: Vec<usize> = (0..N)
                .filter(|&i| tasks[i].as_ref().is_some_and(|t| t.is_woken()))
                .collect();
            assert_eq!(woken, [step + 1]);
            assert!(poll_all(&mut tasks, &backward).is_empty());
        }
    }
    assert_eq!(served, forward);
}

#[tokio::test(start_paused = true)]
async fn dropped_waiter_gives_its_place_up_and_leaks_nothing() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut a = spawn(limiter.acquire());
    let mut b = spawn(limiter.acquire());
    let mut c = spawn(limiter.acquire());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_pending!(c.poll());

    // Drop the head before its permit is due: the next waiter is woken and
    // gets the permit exactly when the head would have.
    advance(ms(50)).await;
    drop(a);
    assert!(b.is_woken());
    assert!(!c.is_woken());
    assert_pending!(b.poll());
    advance(ms(50)).await;
    assert!(b.is_woken());
    assert_ready!(b.poll());

    // Drop a head that was woken but not yet polled again (`b` getting its
    // permit woke `c`): the wake-up passes on to the one behind it, which
    // moves up. (A drop from the middle of the queue is the next test.)
    let mut d = spawn(limiter.acquire());
    assert_pending!(d.poll());
    assert!(c.is_woken());
    drop(c);
    assert!(d.is_woken());
    assert_pending!(d.poll());
    advance(ms(100)).await;
    assert_ready!(d.poll());
    // Nothing lingers in the queue.
    advance(ms(100)).await;
    limiter.try_acquire().unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropped_queued_waiter_in_the_middle_does_not_delay_others() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut a = spawn(limiter.acquire());
    let mut b = spawn(limiter.acquire());
    let mut c = spawn(limiter.acquire());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_pending!(c.poll());
    drop(b);
    assert!(!c.is_woken());
    advance(ms(100)).await;
    assert_ready!(a.poll());
    assert!(c.is_woken());
    assert_pending!(c.poll());
    advance(ms(100)).await;
    assert_ready!(c.poll());
}

#[tokio::test(start_paused = true)]
async fn big_request_is_not_starved_by_small_ones() {
    let limiter = RateLimiter::per_second(10).burst(5);
    limiter.acquire_n(5).await.unwrap();
    let mut big = spawn(limiter.acquire_n(5));
    let mut small = spawn(limiter.acquire());
    assert_pending!(big.poll());
    assert_pending!(small.poll());
    advance(ms(100)).await;
    // One permit is back, but the small request waits behind the big one.
    assert_pending!(small.poll());
    assert!(limiter.try_acquire().is_err());
    advance(ms(400)).await;
    assert_ready_ok!(big.poll());
    assert!(small.is_woken());
    assert_pending!(small.poll());
    advance(ms(100)).await;
    assert_ready!(small.poll());
}

#[tokio::test(start_paused = true)]
async fn try_acquire_reports_the_wait_behind_the_queue() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut a = spawn(limiter.acquire());
    let mut b = spawn(limiter.acquire());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_eq!(limiter.try_acquire().unwrap_err().wait(), ms(300));
}

#[tokio::test(start_paused = true)]
async fn pause_for_holds_everyone_back() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut a = spawn(limiter.acquire());
    assert_pending!(a.poll());
    limiter.pause_for(Duration::from_secs(2));
    advance(ms(100)).await;
    // Its timer fired at the old time, but the pause holds.
    assert_pending!(a.poll());
    assert!(limiter.try_acquire().is_err());
    advance(ms(1899)).await;
    assert_pending!(a.poll());
    advance(ms(1)).await;
    assert!(a.is_woken());
    assert_ready!(a.poll());
    // Then the steady rate again, no burst.
    assert_eq!(limiter.try_acquire().unwrap_err().wait(), ms(100));
    // A shorter pause does not shorten a longer one.
    limiter.pause_for(Duration::from_secs(5));
    limiter.pause_for(Duration::from_secs(1));
    assert_eq!(
        limiter.try_acquire().unwrap_err().wait(),
        Duration::from_secs(5)
    );
}

/// Spawns `waiters` tasks that take permits from `limiter` in a loop, each
/// counting those granted within `window` from now; sleeps until a second
/// after the window, aborts the tasks and returns each one's count.
async fn permits_per_waiter(limiter: &RateLimiter, waiters: usize, window: Duration) -> Vec<u64> {
    let per_task: Vec<Arc<AtomicU64>> = (0..waiters).map(|_| Arc::default()).collect();
    let start = Instant::now();
    let mut handles = Vec::new();
    for counter in &per_task {
        let limiter = limiter.clone();
        let counter = counter.clone();
        handles.push(tokio::spawn(async move {
            loop {
                limiter.acquire().await;
                if start.elapsed() >= window {
                    break;
                }
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(window + Duration::from_secs(1)).await;
    for handle in handles {
        handle.abort();
    }
    per_task.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

async fn achieved_rate(waiters: usize) {
    const RATE: u32 = 200;
    let limiter = RateLimiter::per_second(RATE);
    let counts = permits_per_waiter(&limiter, waiters, Duration::from_secs(10)).await;
    let got = counts.iter().sum::<u64>() as f64;
    let want = f64::from(RATE) * 10.0;
    assert!(
        (got - want).abs() / want <= 0.01,
        "{waiters} waiters: {got} permits in 10 s, want {want}"
    );
    if waiters <= 10 {
        // FIFO round robin: every waiter got its share (give or take the
        // first and the last round).
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(max - min <= 2, "unfair shares: {counts:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn achieved_rate_one_waiter() {
    achieved_rate(1).await;
}

#[tokio::test(start_paused = true)]
async fn achieved_rate_ten_waiters() {
    achieved_rate(10).await;
}

#[tokio::test(start_paused = true)]
async fn achieved_rate_thousand_waiters() {
    achieved_rate(1000).await;
}

#[tokio::test(start_paused = true)]
async fn owned_acquire_can_be_spawned() {
    let limiter = RateLimiter::per_second(4);
    limiter.try_acquire().unwrap();
    let start = Instant::now();
    tokio::spawn(limiter.clone().acquire_owned()).await.unwrap();
    assert_eq!(start.elapsed(), ms(250));
}

#[tokio::test(start_paused = true)]
async fn acquire_n_error_is_ready_on_first_poll() {
    let limiter = RateLimiter::per_second(1);
    let mut fut = spawn(limiter.acquire_n(2));
    assert_ready_err!(fut.poll());
}

/// Four tasks on clones of one limiter keep the total rate. (Paused time
/// needs the current-thread runtime, so the tasks share one thread; the
/// cross-thread races on the GCRA word are in the loom models.)
#[tokio::test(start_paused = true)]
async fn tasks_on_clones_keep_the_total_rate() {
    let rt_limiter = RateLimiter::per_second(1000).burst(10);
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..4 {
        let limiter = rt_limiter.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..50 {
                limiter.acquire().await;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    // 200 permits: 10 at once, then 190 at 1 ms each.
    assert_eq!(start.elapsed(), ms(190));
}

#[tokio::test(start_paused = true)]
async fn dropped_owned_waiter_gives_its_place_up() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut a = spawn(limiter.clone().acquire_owned());
    let mut b = spawn(limiter.clone().acquire_owned());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    drop(a);
    assert!(b.is_woken());
    assert_pending!(b.poll());
    advance(ms(100)).await;
    assert_ready!(b.poll());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// GCRA's guarantee: in any window, at most `burst` permits plus one
        /// per elapsed interval; and a refusal's `wait()` is exact: after
        /// waiting that long, a permit is there.
        #[test]
        fn never_more_than_the_rate_allows(
            permits in 1u32..50,
            burst in 1u32..6,
            steps in proptest::collection::vec(0u64..300, 1..60),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            rt.block_on(async {
                let limiter = RateLimiter::new(permits, Duration::from_secs(1)).burst(burst);
                let interval = limiter.interval();
                let start = Instant::now();
                let mut grants: Vec<Duration> = Vec::new();
                for step in steps {
                    advance(ms(step)).await;
                    loop {
                        match limiter.try_acquire() {
                            Ok(()) => grants.push(start.elapsed()),
                            Err(not_until) => {
                                let wait = not_until.wait();
                                prop_assert!(wait > Duration::ZERO);
                                prop_assert!(wait <= interval);
                                break;
                            }
                        }
                    }
                }
                for i in 0..grants.len() {
                    for j in i..grants.len() {
                        let span = grants[j] - grants[i];
                        let allowed = u128::from(burst) + span.as_nanos() / interval.as_nanos();
                        prop_assert!((j - i + 1) as u128 <= allowed, "{} grants in {span:?}", j - i + 1);
                    }
                }
                let wait = limiter.try_acquire().err().map_or(Duration::ZERO, |e| e.wait());
                advance(wait).await;
                prop_assert!(limiter.try_acquire().is_ok() || wait.is_zero());
                Ok(())
            })?;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_huge_period_does_not_saturate_into_no_limit() {
    // One permit per "forever": the first is granted, later ones are not
    // (the GCRA sums must not saturate down to the limit and pass).
    let limiter = RateLimiter::new(1, Duration::MAX);
    limiter.try_acquire().unwrap();
    for _ in 0..3 {
        assert!(limiter.try_acquire().is_err());
    }
    // A burst of two 250-year intervals (the most that fits is 584 years):
    // both are granted, then nothing.
    let centuries = Duration::from_secs(250 * 365 * 86_400);
    let limiter = RateLimiter::new(1, centuries).burst(2);
    limiter.try_acquire().unwrap();
    advance(ms(10)).await;
    limiter.try_acquire().unwrap();
    for _ in 0..3 {
        assert!(limiter.try_acquire().is_err());
    }
}

/// Rates whose interval is not a whole number of milliseconds (tokio's
/// timer resolution): a waiter woken a little late must not lose that
/// lateness, or 300/s becomes 250/s and 3,000/s becomes 1,000/s.
async fn achieved_rate_off_the_millisecond_grid(rate: u32, waiters: usize) {
    let limiter = RateLimiter::per_second(rate);
    let counts = permits_per_waiter(&limiter, waiters, Duration::from_secs(2)).await;
    let got = counts.iter().sum::<u64>() as f64;
    let want = f64::from(rate) * 2.0;
    assert!(
        (got - want).abs() / want <= 0.01,
        "{rate}/s with {waiters} waiters: {got} permits in 2 s, want {want}"
    );
}

#[tokio::test(start_paused = true)]
async fn achieved_rate_with_sub_millisecond_remainders() {
    for rate in [300, 700] {
        for waiters in [1, 10] {
            achieved_rate_off_the_millisecond_grid(rate, waiters).await;
        }
    }
    // Faster than one permit per timer tick: queued waiters are served in
    // per-tick batches (a single sequential caller is bounded by the tick).
    for rate in [3_000, 10_000] {
        achieved_rate_off_the_millisecond_grid(rate, 10).await;
    }
}

#[test]
#[should_panic(expected = "exceeds u64::MAX nanoseconds")]
fn a_burst_longer_than_584_years_is_rejected_when_built() {
    let _ = RateLimiter::new(1, Duration::from_secs(86_400)).burst(1_000_000);
}

#[test]
#[should_panic(expected = "exceeds u64::MAX nanoseconds")]
fn a_burst_of_two_unrepresentable_periods_is_rejected_when_built() {
    let _ = RateLimiter::new(1, Duration::MAX).burst(2);
}

#[tokio::test(start_paused = true)]
async fn a_fresh_limiter_grants_its_whole_burst_up_to_584_years() {
    // 200,000 days: about 548 years of tolerance, still representable.
    let limiter = RateLimiter::new(1, Duration::from_secs(86_400)).burst(200_000);
    let start = Instant::now();
    limiter.acquire_n(200_000).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(limiter.try_acquire().is_err());
}

/// Five waiters queued behind a spent limiter (10/s), then five seconds in
/// which their tasks were not polled.
async fn five_late_waiters(limiter: &RateLimiter) -> Vec<Spawn<Acquire<'_>>> {
    limiter.try_acquire().unwrap();
    let mut waiters: Vec<_> = (0..5).map(|_| spawn(limiter.acquire())).collect();
    for w in &mut waiters {
        assert_pending!(w.poll());
    }
    advance(Duration::from_secs(5)).await;
    waiters
}

#[tokio::test(start_paused = true)]
async fn late_waiters_polled_in_any_order_get_no_burst() {
    // As below, but the waiters behind the head are polled first: serving
    // the head on its behalf does not credit it more than its own timer.
    let limiter = RateLimiter::per_second(10);
    let mut waiters = five_late_waiters(&limiter).await;
    let ready = waiters
        .iter_mut()
        .rev()
        .map(|w| w.poll().is_ready())
        .filter(|&ready| ready)
        .count();
    assert_eq!(ready, 1);
}

#[tokio::test(start_paused = true)]
async fn a_late_waiter_is_credited_at_most_one_millisecond() {
    // Waiters that are polled late (a busy task) do not get a burst for the
    // whole time they were not polled: at most one timer tick of credit.
    let limiter = RateLimiter::per_second(10);
    let mut waiters = five_late_waiters(&limiter).await;
    assert_ready!(waiters[0].poll());
    assert_pending!(waiters[1].poll());
}

#[test]
fn stats_count_exactly_across_many_threads() {
    // More threads at once than there are per-thread slots, in waves, so
    // that slots are shared, freed and reused.
    let ok = RateLimiter::per_second(1_000_000_000).burst(1_000_000_000);
    let refusing = RateLimiter::new(1, Duration::from_secs(3600));
    refusing.try_acquire().unwrap();
    for _wave in 0..3 {
        std::thread::scope(|s| {
            for _ in 0..12 {
                s.spawn(|| {
                    for _ in 0..1_000 {
                        assert!(ok.try_acquire().is_ok());
                        assert!(refusing.try_acquire().is_err());
                    }
                });
            }
        });
    }
    assert_eq!(ok.stats().granted, 36_000);
    assert_eq!(refusing.stats().refused, 36_000);
    assert_eq!(refusing.stats().granted, 1);
}
