//! The generic tower `RetryLayer`'s response future: the settings each
//! request copies from the policy (`max_elapsed` counted from the call,
//! the budget), the boxed retries' drop, and polling after completion. On
//! paused time with `service_fn` (no socket).
#![cfg(feature = "tower")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use async_patterns::retry::{Backoff, Budget, RetryPolicy};
use async_patterns::tower::RetryLayer;
use futures::poll;
use tokio::time::{Instant, advance};
use tokio_test::{assert_pending, assert_ready, task::spawn};
use tower::{Layer, Service, ServiceExt, service_fn};

#[path = "support/failing_service.rs"]
mod failing_service;
use failing_service::failing;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The calls, and the time, an always-failing call takes through a layer
/// retrying every second under `max_elapsed(limit)`.
async fn calls_within(limit: Duration) -> (usize, Duration) {
    let calls = Arc::new(AtomicUsize::new(0));
    let policy = RetryPolicy::new(Backoff::constant(secs(1)).unlimited()).max_elapsed(limit);
    let svc = RetryLayer::new(policy).layer(failing(&calls, usize::MAX));
    let start = Instant::now();
    assert_eq!(svc.oneshot(0).await, Err("down"));
    (calls.load(Ordering::SeqCst), start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn no_attempt_starts_at_max_elapsed() {
    // Attempts at 0 and 1 s; the one due at 2 s would start at the limit.
    assert_eq!(calls_within(secs(2)).await, (2, secs(1)));
    // A nanosecond more lets it start.
    let limit = secs(2) + Duration::from_nanos(1);
    assert_eq!(calls_within(limit).await, (3, secs(2)));
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_counts_from_each_call() {
    let calls = Arc::new(AtomicUsize::new(0));
    let policy = RetryPolicy::new(Backoff::constant(secs(1)).unlimited())
        .max_elapsed(Duration::from_millis(2_500));
    let mut svc = RetryLayer::new(policy).layer(failing(&calls, usize::MAX));
    // Long after the service was made, and after another call, each call
    // still gets its own 2.5 s: attempts at 0, 1 and 2 s.
    advance(secs(60)).await;
    for round in 1..=2 {
        let start = Instant::now();
        let svc = svc.ready().await.unwrap();
        assert_eq!(svc.call(0).await, Err("down"));
        assert_eq!(calls.load(Ordering::SeqCst), 3 * round);
        assert_eq!(start.elapsed(), secs(2));
        advance(secs(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_success_after_retries_pays_into_the_budget() {
    // One token to start with, none coming back while the clock stands
    // still: the first call spends it on its retry and, succeeding then,
    // deposits one retry's worth, which the second call spends.
    let budget = Budget::new(1.0, 1);
    let layer = RetryLayer::new(RetryPolicy::new(
        Backoff::constant(Duration::ZERO).unlimited(),
    ))
    .budget(budget.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    assert_eq!(layer.layer(failing(&calls, 1)).oneshot(7).await, Ok(7));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let calls = Arc::new(AtomicUsize::new(0));
    let down = layer.layer(failing(&calls, usize::MAX));
    assert_eq!(down.oneshot(0).await, Err("down"));
    assert_eq!(calls.load(Ordering::SeqCst), 2); // one retry, paid by the success
    assert!(!budget.try_withdraw());
}

/// A service whose first call fails at once and whose later calls never
/// answer; each call's future holds a clone of `held` until dropped.
fn fails_then_hangs(
    held: &Arc<()>,
) -> impl Service<u32, Response = u32, Error = &'static str> + Clone {
    let held = held.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    service_fn(move |x: u32| {
        let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
        let held = held.clone();
        async move {
            let _held = held;
            if first {
                return Err("down");
            }
            std::future::pending::<()>().await;
            Ok(x)
        }
    })
}

#[tokio::test(start_paused = true)]
async fn dropping_the_future_during_a_retry_drops_the_attempt_in_flight() {
    let held = Arc::new(());
    let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(secs(1))))
        .layer(fails_then_hangs(&held));
    let mut fut = spawn(svc.oneshot(0));
    assert_pending!(fut.poll()); // the first attempt failed; sleeping
    advance(secs(1)).await;
    assert_pending!(fut.poll()); // the retry is in flight
    // This test's, the service clone's kept for the retries (`oneshot`
    // dropped the service it called), the attempt's.
    assert_eq!(Arc::strong_count(&held), 3);
    drop(fut);
    assert_eq!(Arc::strong_count(&held), 1);
}

/// A future ready at once with `out`, holding `_guard` until dropped
/// (unlike an `async` block, which drops its locals when it completes).
struct Holding<T> {
    out: Option<T>,
    _guard: Arc<()>,
}

impl<T: Unpin> std::future::Future for Holding<T> {
    type Output = T;

    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<T> {
        Poll::Ready(self.out.take().expect("polled after completion"))
    }
}

#[tokio::test(start_paused = true)]
async fn the_retries_are_dropped_when_the_call_ends() {
    // The second attempt fails (not retried): its future goes when the
    // call resolves, not when the response future is dropped.
    let held = Arc::new(());
    let guard = held.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |()| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let out = Err::<(), _>(if n == 0 { "busy" } else { "fatal" });
        Holding {
            out: Some(out),
            _guard: guard.clone(),
        }
    });
    let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(secs(1))))
        .when(|e: &&str| *e == "busy")
        .layer(inner);
    let mut fut = Box::pin(svc.oneshot(()));
    assert_eq!((&mut fut).await, Err("fatal"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // This test's and the service clone's kept for the retries, none left
    // in an attempt.
    assert_eq!(Arc::strong_count(&held), 2);
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "`ResponseFuture` polled after completion")]
async fn polling_after_completion_panics() {
    let mut svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(secs(1))))
        .layer(service_fn(|x: u32| async move { Ok::<_, ()>(x) }));
    let mut fut = spawn(svc.ready().await.unwrap().call(3));
    assert_eq!(assert_ready!(fut.poll()), Ok(3));
    let _ = fut.poll();
}

#[tokio::test(start_paused = true)]
async fn debug_shows_the_attempts_and_the_state() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut svc =
        RetryLayer::new(RetryPolicy::new(Backoff::constant(secs(1)))).layer(failing(&calls, 1));
    let mut fut = Box::pin(svc.ready().await.unwrap().call(3));
    assert_eq!(
        format!("{fut:?}"),
        "ResponseFuture { attempts: 1, state: \"calling\", .. }"
    );
    assert!(poll!(&mut fut).is_pending());
    assert_eq!(
        format!("{fut:?}"),
        "ResponseFuture { attempts: 1, state: \"sleeping\", .. }"
    );
    advance(secs(1)).await;
    assert_eq!(poll!(&mut fut), Poll::Ready(Ok(3)));
    assert_eq!(format!("{fut:?}"), "ResponseFuture { state: \"done\", .. }");
}

#[test]
fn the_response_future_is_send_and_sync_when_its_parts_are() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let mut svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(secs(1))))
        .budget(Budget::new(0.1, 1))
        .layer(service_fn(|x: u32| async move { Ok::<_, ()>(x) }));
    assert_send_sync(&svc);
    assert_send_sync(&svc.call(1));
}
