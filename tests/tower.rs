//! The generic tower layers, driven through `tower::service_fn` on tokio's
//! paused clock (no sockets: see `tower_http.rs` for axum over loopback).
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::rate_limit::{KeyedRateLimiter, RateLimiter};
use async_patterns::retry::{Backoff, Budget, RetryPolicy};
use async_patterns::timeout::Deadline;
use async_patterns::tower::{
    ConcurrencyLimitError, ConcurrencyLimitLayer, RateLimitError, RateLimitLayer, RetryLayer,
    TimeoutError, TimeoutLayer,
};
use futures::future::join_all;
use tokio::time::{Instant, advance};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready};
use tower::{BoxError, Layer, Service, ServiceExt, service_fn};

#[path = "support/failing_service.rs"]
mod failing_service;
use failing_service::failing;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn echo() -> impl Service<u32, Response = u32, Error = Infallible, Future = impl Send> + Clone + Send
{
    service_fn(|x: u32| async move { Ok::<_, Infallible>(x) })
}

/// A service that counts calls in flight and remembers the most at once.
#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Gauge {
    fn service(
        &self,
        hold: Duration,
    ) -> impl Service<u32, Response = u32, Error = Infallible> + Clone {
        let gauge = self.clone();
        service_fn(move |x: u32| {
            let gauge = gauge.clone();
            async move {
                let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
                gauge.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(hold).await;
                gauge.now.fetch_sub(1, Ordering::SeqCst);
                Ok(x)
            }
        })
    }
}

// ---- rate limit ----

#[tokio::test(start_paused = true)]
async fn clones_calling_concurrently_share_one_rate() {
    let layer = RateLimitLayer::new(RateLimiter::per_second(10));
    let start = Instant::now();
    // 10 services from one layer (as axum makes per connection), each
    // cloned again per request: 30 requests at 10 per second.
    let services: Vec<_> = (0..10).map(|_| layer.layer(echo())).collect();
    let calls = services
        .iter()
        .flat_map(|svc| (0..3).map(move |i| svc.clone().oneshot(i)));
    let results = join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(start.elapsed(), ms(2_900));
}

#[tokio::test(start_paused = true)]
async fn reject_mode_lets_exactly_the_burst_through_and_says_when_to_return() {
    let svc = RateLimitLayer::new(RateLimiter::per_second(5).burst(5))
        .reject()
        .layer(echo());
    let results = join_all((0..20).map(|i| svc.clone().oneshot(i))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 5);
    let waits: Vec<Duration> = results
        .into_iter()
        .filter_map(|r| match r {
            Err(RateLimitError::Limited(n)) => Some(n.wait()),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), 15);
    // Honest: after the wait a request gets through; before it, none does.
    let wait = waits[0];
    assert_eq!(wait, ms(200));
    advance(wait - ms(1)).await;
    assert!(svc.clone().oneshot(0).await.is_err());
    advance(ms(1)).await;
    assert!(svc.oneshot(0).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn waiting_requests_are_served_in_order_and_a_dropped_one_gives_its_place_up() {
    let svc = RateLimitLayer::new(RateLimiter::per_second(1)).layer(echo());
    svc.clone().oneshot(0).await.unwrap();
    let mut first = spawn(svc.clone().oneshot(1));
    let mut second = spawn(svc.clone().oneshot(2));
    let mut third = spawn(svc.clone().oneshot(3));
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    assert_pending!(third.poll());
    drop(second); // the client went away
    advance(Duration::from_secs(1)).await;
    assert_eq!(assert_ready!(first.poll()).unwrap(), 1);
    assert_pending!(third.poll());
    advance(Duration::from_secs(1)).await;
    assert!(third.is_woken());
    assert_eq!(assert_ready!(third.poll()).unwrap(), 3);
}

#[tokio::test(start_paused = true)]
async fn keyed_limits_each_key_on_its_own() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    let svc = RateLimitLayer::keyed(limiter.clone(), |x: &u32| x % 2)
        .reject()
        .layer(echo());
    assert!(svc.clone().oneshot(0).await.is_ok());
    assert!(svc.clone().oneshot(1).await.is_ok());
    assert!(matches!(
        svc.clone().oneshot(2).await,
        Err(RateLimitError::Limited(_))
    ));
    assert!(matches!(
        svc.clone().oneshot(3).await,
        Err(RateLimitError::Limited(_))
    ));
    assert_eq!(limiter.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn keyed_wait_mode_waits_per_key() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    let svc = RateLimitLayer::keyed(limiter, |x: &u32| x % 2).layer(echo());
    let start = Instant::now();
    let results = join_all([0, 2, 1, 3].map(|x| {
        let svc = svc.clone();
        async move {
            svc.oneshot(x).await.unwrap();
            (x, start.elapsed())
        }
    }))
    .await;
    assert_eq!(
        results,
        [(0, ms(0)), (2, ms(1000)), (1, ms(0)), (3, ms(1000))]
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_key_function_leaves_the_limiter_usable() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    let layer = RateLimitLayer::keyed(limiter.clone(), |x: &u32| {
        assert!(*x != 13, "unlucky request");
        *x
    });
    let svc = layer.layer(echo());
    let panicked = tokio::spawn(svc.clone().oneshot(13)).await;
    assert!(panicked.unwrap_err().is_panic());
    assert_eq!(svc.clone().oneshot(1).await.unwrap(), 1);
    assert!(limiter.try_acquire(&2).is_ok());
}

// ---- concurrency limit ----

#[tokio::test(start_paused = true)]
async fn no_more_than_n_in_flight_across_clones() {
    let gauge = Gauge::default();
    let layer = ConcurrencyLimitLayer::new(3);
    let services: Vec<_> = (0..5)
        .map(|_| layer.layer(gauge.service(ms(100))))
        .collect();
    let start = Instant::now();
    let calls = services
        .iter()
        .flat_map(|svc| (0..4).map(move |i| svc.clone().oneshot(i)));
    let results = join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(gauge.most.load(Ordering::SeqCst), 3);
    // 20 calls of 100 ms, 3 at a time: 7 rounds.
    assert_eq!(start.elapsed(), ms(700));
    assert_eq!(layer.available(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_in_flight_call_frees_its_permit() {
    let layer = ConcurrencyLimitLayer::new(1);
    let svc = layer.layer(service_fn(|()| {
        std::future::pending::<Result<(), Infallible>>()
    }));
    let mut in_flight = spawn(svc.clone().oneshot(()));
    assert_pending!(in_flight.poll());
    assert_eq!(layer.available(), 0);
    let mut waiting = spawn(svc.clone().oneshot(()));
    assert_pending!(waiting.poll());
    drop(in_flight);
    assert!(waiting.is_woken());
    assert_pending!(waiting.poll()); // now in flight itself
    drop(waiting);
    assert_eq!(layer.available(), 1);
}

#[tokio::test(start_paused = true)]
async fn concurrency_waiters_are_served_first_come_first_served() {
    let layer = ConcurrencyLimitLayer::new(1);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = order.clone();
    let svc = layer.layer(service_fn(move |x: u32| {
        log.lock().unwrap().push(x);
        async move {
            tokio::time::sleep(ms(10)).await;
            Ok::<_, Infallible>(x)
        }
    }));
    let mut tasks: Vec<_> = (0..5).map(|i| spawn(svc.clone().oneshot(i))).collect();
    for task in &mut tasks {
        assert_pending!(task.poll());
    }
    let mut done = [false; 5];
    for _ in 0..10 {
        advance(ms(10)).await;
        // Polled newest first: only a FIFO queue still serves 0, 1, 2, ...
        for (task, done) in tasks.iter_mut().zip(&mut done).rev() {
            if !*done {
                *done = task.poll().is_ready();
            }
        }
    }
    assert_eq!(done, [true; 5]);
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn shed_mode_fails_at_once_when_full() {
    let layer = ConcurrencyLimitLayer::new(2).shed();
    let svc = layer.layer(service_fn(|()| {
        std::future::pending::<Result<(), Infallible>>()
    }));
    let mut a = spawn(svc.clone().oneshot(()));
    let mut b = spawn(svc.clone().oneshot(()));
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    let mut shed = spawn(svc.clone().oneshot(()));
    assert!(matches!(
        assert_ready!(shed.poll()),
        Err(ConcurrencyLimitError::Overloaded)
    ));
    drop(a);
    let mut c = spawn(svc.clone().oneshot(()));
    assert_pending!(c.poll());
}

/// A service that is never ready.
#[derive(Clone)]
struct NeverReady;

impl Service<()> for NeverReady {
    type Response = ();
    type Error = Infallible;
    type Future = std::future::Ready<Result<(), Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Pending
    }

    fn call(&mut self, (): ()) -> Self::Future {
        unreachable!("never ready, never called")
    }
}

#[tokio::test(start_paused = true)]
async fn shed_mode_fails_when_the_inner_service_is_not_ready() {
    let layer = ConcurrencyLimitLayer::new(10).shed();
    let result = layer.layer(NeverReady).oneshot(()).await;
    assert!(matches!(result, Err(ConcurrencyLimitError::Overloaded)));
    assert_eq!(layer.available(), 10, "the permit is given back");
    // Without `shed`, the call waits for the inner service instead.
    let mut waiting = spawn(ConcurrencyLimitLayer::new(10).layer(NeverReady).oneshot(()));
    assert_pending!(waiting.poll());
}

// ---- timeout ----

#[tokio::test(start_paused = true)]
async fn the_handler_sees_the_deadline() {
    let svc = TimeoutLayer::new(Duration::from_secs(2)).layer(service_fn(|()| async {
        Ok::<_, Infallible>(Deadline::current().remaining())
    }));
    let remaining = svc.clone().oneshot(()).await.unwrap();
    assert!(remaining <= Duration::from_secs(2));
    assert_eq!(remaining, Duration::from_secs(2));
    // A request under a shorter deadline keeps it.
    let remaining = Deadline::after(ms(500))
        .scope(svc.oneshot(()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(remaining, ms(500));
}

#[tokio::test(start_paused = true)]
async fn timeout_is_a_matchable_error_and_drops_the_call() {
    let dropped = Arc::new(AtomicUsize::new(0));
    struct OnDrop(Arc<AtomicUsize>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let flag = dropped.clone();
    let svc = TimeoutLayer::new(ms(100)).layer(service_fn(move |()| {
        let guard = OnDrop(flag.clone());
        async move {
            let _guard = guard;
            std::future::pending::<Result<(), Infallible>>().await
        }
    }));
    let start = Instant::now();
    match svc.oneshot(()).await {
        Err(TimeoutError::Elapsed(e)) => assert_eq!(e.limit(), ms(100)),
        other => panic!("{other:?}"),
    }
    assert_eq!(start.elapsed(), ms(100));
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_inside_a_timeout_stop_at_the_deadline() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let svc = tower::ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .layer(RetryLayer::new(RetryPolicy::new(
            Backoff::constant(ms(300)).unlimited(),
        )))
        .service(service_fn(move |()| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>("down") }
        }));
    let start = Instant::now();
    // The retry loop sees the deadline and gives up with the last error
    // instead of sleeping past it.
    assert!(matches!(
        svc.oneshot(()).await,
        Err(TimeoutError::Inner("down"))
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 4); // at 0, 300, 600, 900 ms
    assert_eq!(start.elapsed(), ms(900));
}

// ---- retry ----

#[tokio::test(start_paused = true)]
async fn retry_follows_the_schedule_and_returns_the_last_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let policy = RetryPolicy::new(Backoff::exponential(ms(100)).max_retries(2));
    let svc = RetryLayer::new(policy).layer(failing(&calls, usize::MAX));
    let start = Instant::now();
    assert_eq!(svc.oneshot(1).await, Err("down"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), ms(300));
}

#[tokio::test(start_paused = true)]
async fn retry_when_and_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(ms(10))))
        .when(|e: &&str| *e != "fatal")
        .retry_after(|_: &&str| Some(Duration::from_secs(2)))
        .layer(failing(&calls, 1));
    let start = Instant::now();
    assert_eq!(svc.oneshot(5).await, Ok(5));
    assert_eq!(start.elapsed(), Duration::from_secs(2));

    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(ms(10))))
        .when(|e: &&str| *e != "fatal")
        .layer(service_fn(move |()| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>("fatal") }
        }));
    assert_eq!(svc.oneshot(()).await, Err("fatal"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_stop_when_the_budget_refuses() {
    let budget = Budget::new(0.1, 0);
    let ok_calls = Arc::new(AtomicUsize::new(0));
    let layer = RetryLayer::new(RetryPolicy::new(Backoff::constant(ms(1)).unlimited()))
        .budget(budget.clone());
    // 20 successes deposit 2 retries' worth.
    let ok = layer.layer(failing(&ok_calls, 0));
    for i in 0..20 {
        ok.clone().oneshot(i).await.unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let down = layer.layer(failing(&calls, usize::MAX));
    assert_eq!(down.clone().oneshot(0).await, Err("down"));
    assert_eq!(calls.load(Ordering::SeqCst), 3); // 1 call + 2 budgeted retries
    for _ in 0..10 {
        assert_eq!(down.clone().oneshot(0).await, Err("down"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 13); // no retry storm
}

#[tokio::test(start_paused = true)]
async fn retry_respects_max_elapsed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let policy = RetryPolicy::new(Backoff::constant(Duration::from_secs(1)).unlimited())
        .max_elapsed(ms(2_500));
    let svc = RetryLayer::new(policy).layer(failing(&calls, usize::MAX));
    assert_eq!(svc.oneshot(0).await, Err("down"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_retry_makes_no_further_attempt() {
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = RetryLayer::new(RetryPolicy::new(Backoff::constant(ms(100))))
        .layer(failing(&calls, usize::MAX));
    let mut fut = spawn(svc.oneshot(0));
    assert_pending!(fut.poll());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(fut);
    advance(Duration::from_secs(1)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

// ---- errors and panics ----

fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn errors_are_std_errors_that_box() {
    assert_error::<RateLimitError<std::io::Error>>();
    assert_error::<ConcurrencyLimitError<std::io::Error>>();
    assert_error::<TimeoutError<ConcurrencyLimitError<RateLimitError<std::io::Error>>>>();
    let boxed: BoxError =
        TimeoutError::Inner(ConcurrencyLimitError::<std::io::Error>::Overloaded).into();
    assert_eq!(boxed.to_string(), "service overloaded: request shed");
}

#[test]
#[should_panic(expected = "the limit must be at least 1")]
fn zero_concurrency_limit_panics() {
    let _ = ConcurrencyLimitLayer::new(0);
}

#[test]
fn layers_and_services_are_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>(_: &T) {}
    let rate = RateLimitLayer::new(RateLimiter::per_second(1));
    check(&rate);
    check(&rate.layer(echo()));
    let keyed = RateLimitLayer::keyed(
        KeyedRateLimiter::<u32>::new(1, Duration::from_secs(1)),
        |x: &u32| *x,
    );
    check(&keyed);
    check(&keyed.layer(echo()));
    let conc = ConcurrencyLimitLayer::new(1);
    check(&conc);
    check(&conc.layer(echo()));
    check(&TimeoutLayer::new(ms(1)).layer(echo()));
    let retry = RetryLayer::new(RetryPolicy::new(Backoff::constant(ms(1))));
    check(&retry);
    check(&retry.layer(echo()));
}

#[test]
fn response_futures_are_send() {
    fn check<T: Send>(_: T) {}
    let mut svc = tower::ServiceBuilder::new()
        .layer(TimeoutLayer::new(ms(1)))
        .layer(ConcurrencyLimitLayer::new(1))
        .layer(RateLimitLayer::new(RateLimiter::per_second(1)))
        .layer(RetryLayer::new(RetryPolicy::new(Backoff::constant(ms(1)))))
        .service(echo());
    check(svc.call(1));
}
