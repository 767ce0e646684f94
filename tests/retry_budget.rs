//! Behaviour of `retry::Budget`, alone and in `Retry`/`RetryPolicy`, on
//! tokio's paused clock.

use std::time::Duration;

use async_patterns::retry::{Backoff, Budget, RetryPolicy, retry};
use tokio::time::advance;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn starts_with_one_second_of_allowance() {
    let budget = Budget::new(0.1, 3);
    assert!((0..3).all(|_| budget.try_withdraw()));
    assert!(!budget.try_withdraw());
}

#[tokio::test(start_paused = true)]
async fn allowance_refills_per_second_and_caps_at_one_second() {
    let budget = Budget::new(0.1, 4);
    assert!((0..4).all(|_| budget.try_withdraw()));
    advance(ms(250)).await;
    assert!(budget.try_withdraw());
    assert!(!budget.try_withdraw());
    // A long quiet spell gives back one second's worth, no more.
    advance(Duration::from_secs(60)).await;
    assert_eq!((0..10).filter(|_| budget.try_withdraw()).count(), 4);
}

#[tokio::test(start_paused = true)]
async fn deposits_pay_for_ratio_retries_per_success() {
    let budget = Budget::new(0.1, 0);
    for _ in 0..100 {
        budget.deposit();
    }
    assert_eq!((0..100).filter(|_| budget.try_withdraw()).count(), 10);
}

#[tokio::test(start_paused = true)]
async fn deposits_expire_after_ten_seconds() {
    let budget = Budget::new(1.0, 0);
    budget.deposit();
    advance(Duration::from_secs(9)).await;
    budget.deposit();
    advance(Duration::from_secs(1)).await;
    // The first deposit expired; the second is still there.
    assert!(budget.try_withdraw());
    assert!(!budget.try_withdraw());
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_bucket() {
    let budget = Budget::new(0.5, 0);
    let clone = budget.clone();
    budget.deposit();
    clone.deposit();
    assert!(clone.try_withdraw());
    assert!(!budget.try_withdraw());
}

#[tokio::test(start_paused = true)]
async fn retry_stops_when_the_budget_refuses_with_the_last_error() {
    let budget = Budget::new(0.1, 2);
    let mut calls = 0;
    let result: Result<(), u32> = retry(Backoff::constant(ms(1)).unlimited(), || {
        calls += 1;
        let n = calls;
        async move { Err(n) }
    })
    .budget(budget.clone())
    .await;
    // The first call and the two retries the allowance had.
    assert_eq!(result, Err(3));
    assert_eq!(calls, 3);
    // A storm of failing calls afterwards: no retries at all until refill.
    let mut storm = 0;
    for _ in 0..10 {
        let _ = retry(Backoff::constant(ms(1)), || {
            storm += 1;
            async { Err::<(), _>(()) }
        })
        .budget(budget.clone())
        .await;
    }
    assert_eq!(storm, 10);
}

#[tokio::test(start_paused = true)]
async fn successes_through_retry_pay_for_later_retries() {
    let policy = RetryPolicy::new(Backoff::constant(ms(1)).unlimited()).budget(Budget::new(0.5, 0));
    for _ in 0..4 {
        policy.retry(|| async { Ok::<_, ()>(()) }).await.unwrap();
    }
    let mut calls = 0;
    let result: Result<(), ()> = policy
        .retry(|| {
            calls += 1;
            async { Err(()) }
        })
        .await;
    assert!(result.is_err());
    assert_eq!(calls, 3); // four successes at 0.5 paid for two retries
}

#[test]
#[should_panic(expected = "the ratio must be a positive, finite number")]
fn zero_ratio_panics() {
    let _ = Budget::new(0.0, 10);
}

#[test]
#[should_panic(expected = "the ratio must be a positive, finite number")]
fn negative_ratio_panics() {
    let _ = Budget::new(-0.5, 10);
}

#[test]
#[should_panic(expected = "the ratio must be a positive, finite number")]
fn nan_ratio_panics() {
    let _ = Budget::new(f64::NAN, 10);
}

#[test]
fn auto_traits() {
    fn check<T: Clone + Send + Sync + Unpin + 'static>() {}
    check::<Budget>();
}
