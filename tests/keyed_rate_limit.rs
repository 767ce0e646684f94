//! Behaviour of `KeyedRateLimiter`, on tokio's paused clock.

use std::time::Duration;

use async_patterns::rate_limit::KeyedRateLimiter;
use tokio::time::{Instant, advance};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn each_key_has_its_own_rate() {
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1)).burst(2);
    for key in ["a", "b", "c"] {
        assert!(limiter.try_acquire(&key).is_ok());
        assert!(limiter.try_acquire(&key).is_ok());
        let err = limiter.try_acquire(&key).unwrap_err();
        assert_eq!(err.wait(), ms(100));
    }
    advance(ms(100)).await;
    assert!(limiter.try_acquire(&"a").is_ok());
    assert!(limiter.try_acquire(&"a").is_err());
}

#[tokio::test(start_paused = true)]
async fn clones_share_every_key() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    let clone = limiter.clone();
    assert!(limiter.try_acquire(&7).is_ok());
    assert!(clone.try_acquire(&7).is_err());
}

#[tokio::test(start_paused = true)]
async fn len_stays_within_max_keys_after_many_distinct_keys() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(3600)).max_keys(1_000);
    let mut most = 0;
    for key in 0..100_000_u32 {
        // Every key is fresh, so each is granted; none of them is idle (its
        // burst is spent for an hour), so only the bound forgets them.
        assert!(limiter.try_acquire(&key).is_ok());
        most = most.max(limiter.len());
    }
    assert!(most <= 1_000, "{most} keys remembered");
    assert!(limiter.len() >= 900, "the bound is used, not undershot");
}

#[tokio::test(start_paused = true)]
async fn idle_keys_are_forgotten_by_later_calls() {
    // Small enough for a single shard, so that every call sweeps it.
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1)).max_keys(400);
    for key in 0..300_u32 {
        limiter.try_acquire(&key).unwrap();
    }
    assert_eq!(limiter.len(), 300);
    // After one interval every key's burst has refilled: each equals a
    // fresh key and carries no information.
    advance(ms(100)).await;
    // 10 active keys, one look per call: 300 calls visit every entry.
    for _ in 0..40 {
        for key in 1_000..1_010_u32 {
            limiter.try_acquire(&key).unwrap();
        }
        advance(ms(100)).await;
    }
    assert!(limiter.len() <= 10, "{} keys remembered", limiter.len());
}

#[tokio::test(start_paused = true)]
async fn idle_keys_are_forgotten_across_shards() {
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1));
    for key in 0..10_000_u32 {
        limiter.try_acquire(&key).unwrap();
    }
    advance(ms(100)).await;
    // New keys are added at the rate old ones are swept, twice: the count
    // goes down although every call adds a key.
    for key in 10_000..30_000_u32 {
        limiter.try_acquire(&key).unwrap();
        advance(ms(1)).await;
    }
    assert!(limiter.len() < 1_000, "{} keys remembered", limiter.len());
}

#[tokio::test(start_paused = true)]
async fn a_busy_key_is_not_forgotten_while_idle_ones_are() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(60)).max_keys(1);
    limiter.try_acquire(&"busy").unwrap();
    // One slot: a new key evicts the busy one (the bound wins) ...
    limiter.try_acquire(&"other").unwrap();
    assert_eq!(limiter.len(), 1);
    // ... but without pressure a busy key is kept and stays limited.
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(60)).max_keys(10);
    limiter.try_acquire(&"busy").unwrap();
    for _ in 0..100 {
        assert!(limiter.try_acquire(&"busy").is_err());
    }
    assert_eq!(limiter.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn acquire_waits_per_key_in_fifo_order() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    let start = Instant::now();
    limiter.acquire(&"a").await;
    let mut first = spawn(limiter.acquire(&"a"));
    let mut second = spawn(limiter.acquire(&"a"));
    let mut other = spawn(limiter.acquire(&"b"));
    assert_ready!(other.poll());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    advance(Duration::from_secs(1)).await;
    assert!(first.is_woken());
    assert_ready!(first.poll());
    assert_pending!(second.poll());
    advance(Duration::from_secs(1)).await;
    assert_ready!(second.poll());
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_gives_its_place_up() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    limiter.acquire(&"a").await;
    let mut first = spawn(limiter.acquire(&"a"));
    let mut second = spawn(limiter.acquire(&"a"));
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    drop(first);
    advance(Duration::from_secs(1)).await;
    assert!(second.is_woken());
    assert_ready!(second.poll());
}

#[tokio::test(start_paused = true)]
async fn a_waited_on_key_is_kept_even_when_idle() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1)).max_keys(100);
    let pending = limiter.acquire(&u32::MAX);
    // Not polled yet: the key's limiter is held by the future, so sweeps
    // must not forget it (a new entry would grant a second permit).
    for key in 0..1_000 {
        let _ = limiter.try_acquire(&key);
    }
    pending.await;
    assert!(limiter.try_acquire(&u32::MAX).is_err());
}

#[tokio::test(start_paused = true)]
async fn a_key_keeps_its_state_between_acquire_and_try_acquire() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1)).burst(2);
    limiter.try_acquire(&"a").unwrap();
    // The acquire gives the key a line of waiters; its state carries over.
    limiter.acquire(&"a").await;
    assert_eq!(
        limiter.try_acquire(&"a").unwrap_err().wait(),
        Duration::from_secs(1)
    );
    advance(Duration::from_secs(1)).await;
    // The future is gone: the check folds the state back, exactly.
    limiter.try_acquire(&"a").unwrap();
    assert!(limiter.try_acquire(&"a").is_err());
    limiter.acquire(&"a").await;
    assert_eq!(
        limiter.try_acquire(&"a").unwrap_err().wait(),
        Duration::from_secs(1)
    );
}

#[tokio::test(start_paused = true)]
async fn try_acquire_does_not_overtake_a_waiter_on_its_key() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    limiter.try_acquire(&"a").unwrap();
    let mut waiter = spawn(limiter.acquire(&"a"));
    assert_pending!(waiter.poll());
    advance(Duration::from_secs(1)).await;
    // The permit is due, and the queued waiter gets it.
    assert!(limiter.try_acquire(&"a").is_err());
    assert_ready!(waiter.poll());
    assert!(limiter.try_acquire(&"a").is_err());
    assert!(limiter.try_acquire(&"b").is_ok());
}

#[test]
#[should_panic(expected = "exceeds u64::MAX nanoseconds")]
fn a_burst_beyond_the_clock_panics_when_built() {
    let _ = KeyedRateLimiter::<u32>::new(1, Duration::from_secs(86_400)).burst(1_000_000);
}

#[test]
#[should_panic(expected = "permits must be at least 1")]
fn zero_permits_panics() {
    let _ = KeyedRateLimiter::<u32>::new(0, Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "the period must not be zero")]
fn zero_period_panics() {
    let _ = KeyedRateLimiter::<u32>::new(1, Duration::ZERO);
}

#[test]
#[should_panic(expected = "n must be at least 1")]
fn zero_max_keys_panics() {
    let _ = KeyedRateLimiter::<u32>::new(1, Duration::from_secs(1)).max_keys(0);
}

#[test]
fn auto_traits() {
    fn check<T: Send + Sync + 'static>() {}
    check::<KeyedRateLimiter<String>>();
    check::<async_patterns::rate_limit::KeyedAcquire>();
}

#[tokio::test(start_paused = true)]
async fn stats_count_every_key_and_survive_forgotten_keys() {
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1)).max_keys(256);
    let clone = limiter.clone();
    for key in 0..1_000_u32 {
        limiter.try_acquire(&key).unwrap();
        assert!(clone.try_acquire(&key).is_err());
        // Idle again after 100 ms: forgettable, but its counts stay.
        advance(ms(1)).await;
    }
    assert!(limiter.len() <= 256);
    let stats = clone.stats();
    assert_eq!((stats.granted, stats.refused), (1_000, 1_000));
    assert_eq!((stats.waited, stats.waiting), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn stats_time_the_waits_of_acquire_and_gauge_the_waiting() {
    let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1));
    limiter.acquire(&"a").await; // at once: not a wait
    let mut first = spawn(limiter.acquire(&"a"));
    let mut second = spawn(limiter.acquire(&"a"));
    let mut dropped = spawn(limiter.acquire(&"b"));
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    // "b" has its whole burst: granted on its first poll.
    assert_ready!(dropped.poll());
    let mut gone = spawn(limiter.acquire(&"b"));
    assert_pending!(gone.poll());
    assert_eq!(limiter.stats().waiting, 3);
    drop(gone);
    assert_eq!(limiter.stats().waiting, 2);

    advance(ms(100)).await;
    assert_ready!(first.poll());
    advance(ms(100)).await;
    assert_ready!(second.poll());
    let stats = limiter.stats();
    assert_eq!((stats.granted, stats.waited, stats.waiting), (4, 2, 0));
    assert_eq!(stats.wait_total, ms(300));
    assert_eq!(stats.wait_max, ms(200));
    assert_eq!(stats.refused, 0);
}
