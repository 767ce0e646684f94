//! `LimiterClock::Fast` (feature `fast-clock`), driven by quanta's mock
//! clock: the limiter's time moves only when the test moves it, and tokio's
//! clock (paused) only when the test advances it, so each can be moved
//! without the other.
#![cfg(feature = "fast-clock")]

use std::sync::Arc;
use std::time::Duration;

use async_patterns::rate_limit::{KeyedRateLimiter, LimiterClock, RateLimiter};
use quanta::{Clock, Mock};
use tokio::time::{Instant, advance};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn mock() -> (LimiterClock, Arc<Mock>) {
    let (clock, mock) = Clock::mock();
    (LimiterClock::Fast(clock), mock)
}

#[tokio::test(start_paused = true)]
async fn try_acquire_follows_the_fast_clock_not_tokio() {
    let (clock, time) = mock();
    let limiter = RateLimiter::per_second(10).burst(2).clock(clock);
    assert_eq!(limiter.max_burst(), 2, "clock() keeps the burst");
    assert_eq!(limiter.interval(), ms(100), "and the rate");
    assert!(limiter.try_acquire().is_ok());
    assert!(limiter.try_acquire().is_ok());
    assert!(limiter.try_acquire().is_err());

    // tokio's clock moving changes nothing: the limiter does not read it.
    advance(Duration::from_secs(10)).await;
    assert!(limiter.try_acquire().is_err());

    time.increment(ms(99));
    assert!(limiter.try_acquire().is_err());
    time.increment(ms(1));
    assert!(limiter.try_acquire().is_ok());
    assert!(limiter.try_acquire().is_err());
    let stats = limiter.stats();
    assert_eq!((stats.granted, stats.refused), (3, 4));
}

#[tokio::test(start_paused = true)]
async fn not_until_maps_fast_time_to_tokio_instants_from_construction() {
    let (clock, time) = mock();
    let built = Instant::now();
    let limiter = RateLimiter::per_second(10).clock(clock);
    limiter.try_acquire().unwrap();
    time.increment(ms(30));
    let err = limiter.try_acquire().unwrap_err();
    // Due 100 ms after the fast clock's zero, which was read together with
    // tokio's `built`.
    assert_eq!(err.earliest(), built + ms(100));
    assert_eq!(err.wait(), ms(100), "tokio's clock has not moved");
    advance(ms(40)).await;
    assert_eq!(err.wait(), ms(60));
}

#[tokio::test(start_paused = true)]
async fn a_waiter_sleeps_on_tokio_for_what_the_fast_clock_says_is_left() {
    let (clock, time) = mock();
    let limiter = RateLimiter::per_second(10).clock(clock);
    limiter.try_acquire().unwrap();
    let start = Instant::now();
    let mut waiter = spawn(limiter.acquire());
    assert_pending!(waiter.poll());

    // Its timer is due in 100 ms of tokio time.
    advance(ms(99)).await;
    assert!(!waiter.is_woken());
    time.increment(ms(100));
    advance(ms(1)).await;
    assert!(waiter.is_woken());
    assert_ready!(waiter.poll());
    assert_eq!(start.elapsed(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn a_waiter_woken_before_the_fast_clock_agrees_sleeps_again() {
    let (clock, time) = mock();
    let limiter = RateLimiter::per_second(10).clock(clock);
    limiter.try_acquire().unwrap();
    let mut waiter = spawn(limiter.acquire());
    assert_pending!(waiter.poll());

    // The clocks drift: tokio's timer fires after 100 ms, but the fast
    // clock has only moved 60 ms. No permit yet; it sleeps for the 40 ms
    // left (not a spin on an instant already past).
    time.increment(ms(60));
    advance(ms(100)).await;
    assert!(waiter.is_woken());
    assert_pending!(waiter.poll());
    assert_eq!(limiter.stats().granted, 1);

    advance(ms(39)).await;
    assert!(!waiter.is_woken());
    time.increment(ms(40));
    advance(ms(1)).await;
    assert!(waiter.is_woken());
    assert_ready!(waiter.poll());
    assert_eq!(limiter.stats().granted, 2);
}

#[tokio::test(start_paused = true)]
async fn try_acquire_does_not_overtake_a_waiter_on_the_fast_clock() {
    let (clock, time) = mock();
    let limiter = RateLimiter::per_second(10).clock(clock);
    limiter.try_acquire().unwrap();
    let mut waiter = spawn(limiter.acquire());
    assert_pending!(waiter.poll());
    time.increment(ms(100));
    // The permit is due, but the queued waiter comes first.
    assert!(limiter.try_acquire().is_err());
    advance(ms(100)).await;
    assert_ready!(waiter.poll());
}

#[tokio::test(start_paused = true)]
async fn keyed_limiter_reads_the_fast_clock_for_every_key() {
    let (clock, time) = mock();
    // One shard (max_keys below 256), so that every key is swept.
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1))
        .burst(2)
        .max_keys(100)
        .clock(clock);
    for key in ["a", "b"] {
        limiter.try_acquire(&key).unwrap();
        limiter.try_acquire(&key).unwrap();
        assert_eq!(limiter.try_acquire(&key).unwrap_err().wait(), ms(100));
    }
    advance(Duration::from_secs(10)).await;
    assert!(limiter.try_acquire(&"a").is_err(), "tokio time is not read");

    time.increment(ms(100));
    limiter.try_acquire(&"a").unwrap();
    assert!(limiter.try_acquire(&"a").is_err());

    // Once the fast clock has refilled every burst, later calls forget the
    // idle keys.
    time.increment(ms(200));
    limiter.try_acquire(&"c").unwrap();
    limiter.try_acquire(&"c").unwrap();
    assert_eq!(limiter.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn keyed_waiter_sleeps_for_what_the_fast_clock_says_is_left() {
    let (clock, time) = mock();
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1)).clock(clock);
    limiter.try_acquire(&"a").unwrap();
    let start = Instant::now();
    let mut waiter = spawn(limiter.acquire(&"a"));
    assert_pending!(waiter.poll());
    time.increment(ms(100));
    advance(ms(100)).await;
    assert!(waiter.is_woken());
    assert_ready!(waiter.poll());
    assert_eq!(start.elapsed(), ms(100));
}

#[test]
fn debug_names_the_clock() {
    let (clock, _time) = mock();
    assert_eq!(format!("{clock:?}"), "Fast");
    assert_eq!(format!("{:?}", LimiterClock::default()), "Tokio");
    let limiter = KeyedRateLimiter::<u32>::new(1, Duration::from_secs(1)).clock(clock);
    assert!(format!("{limiter:?}").contains("clock: Fast"));
}
