//! Behaviour of `Event`: wakeups, level semantics, registration cleanup.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::event::Event;
use tokio_test::{assert_pending, assert_ready, task};

fn waiter_count(event: &Event) -> usize {
    let debug = format!("{event:?}");
    let count = debug
        .split("waiters: ")
        .nth(1)
        .and_then(|rest| rest.trim_end_matches(" }").parse().ok());
    count.unwrap_or_else(|| panic!("unexpected Debug output: {debug}"))
}

#[test]
fn wait_on_a_set_event_is_ready_on_first_poll() {
    let event = Event::new();
    event.set();
    let mut wait = task::spawn(event.wait());
    assert_ready!(wait.poll());
    assert_eq!(waiter_count(&event), 0);
}

#[test]
fn set_wakes_a_pending_waiter() {
    let event = Event::new();
    let mut wait = task::spawn(event.wait());
    assert_pending!(wait.poll());
    assert_eq!(waiter_count(&event), 1);
    assert!(!wait.is_woken());
    event.set();
    assert!(wait.is_woken());
    assert_ready!(wait.poll());
    assert_eq!(waiter_count(&event), 0);
}

#[test]
fn set_wakes_two_waiters() {
    let event = Event::new();
    let mut a = task::spawn(event.wait());
    let mut b = task::spawn(event.wait());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    event.set();
    assert!(a.is_woken() && b.is_woken());
    assert_ready!(a.poll());
    assert_ready!(b.poll());
}

#[test]
fn a_wait_created_before_set_completes_even_if_clear_follows_before_it_is_polled() {
    let event = Event::new();
    let mut never_polled = task::spawn(event.wait());
    let mut polled = task::spawn(event.wait());
    assert_pending!(polled.poll());
    event.set();
    event.clear();
    assert_ready!(never_polled.poll());
    assert_ready!(polled.poll());

    // A wait created after the clear waits for the next set.
    let mut late = task::spawn(event.wait());
    assert_pending!(late.poll());
    event.set();
    assert_ready!(late.poll());
}

#[test]
fn a_wait_created_while_set_completes_even_if_cleared_before_polling() {
    let event = Event::new();
    event.set();
    let mut wait = task::spawn(event.wait());
    event.clear();
    assert_ready!(wait.poll());
}

#[test]
fn set_twice_is_idempotent_and_clear_rearms() {
    let event = Event::new();
    event.set();
    event.set();
    assert!(event.is_set());
    event.clear();
    event.clear();
    assert!(!event.is_set());
    let mut wait = task::spawn(event.wait());
    assert_pending!(wait.poll());
    assert_pending!(wait.poll());
    event.set();
    assert_ready!(wait.poll());
    // Once complete, it stays complete.
    event.clear();
    assert_ready!(wait.poll());
}

#[test]
fn only_the_latest_waker_is_woken() {
    let event = Event::new();
    let mut fut = Box::pin(event.wait());
    let mut first = task::spawn(());
    let mut second = task::spawn(());
    first.enter(|cx, _| assert!(fut.as_mut().poll(cx).is_pending()));
    second.enter(|cx, _| assert!(fut.as_mut().poll(cx).is_pending()));
    assert_eq!(waiter_count(&event), 1);
    event.set();
    assert!(!first.is_woken());
    assert!(second.is_woken());
}

#[test]
fn dropped_waiters_free_their_registrations() {
    let event = Event::new();
    // One at a time.
    for _ in 0..100_000 {
        let mut wait = task::spawn(event.wait());
        assert_pending!(wait.poll());
    }
    assert_eq!(waiter_count(&event), 0);
    // All at once, then dropped.
    let mut all: Vec<_> = (0..100_000).map(|_| task::spawn(event.wait())).collect();
    for wait in &mut all {
        assert_pending!(wait.poll());
    }
    assert_eq!(waiter_count(&event), 100_000);
    drop(all);
    assert_eq!(waiter_count(&event), 0);
    // The event still works afterwards.
    let mut wait = task::spawn(event.wait());
    assert_pending!(wait.poll());
    event.set();
    assert_ready!(wait.poll());
}

#[test]
fn a_dropped_waiter_does_not_disturb_the_others() {
    let event = Event::new();
    let mut keep = task::spawn(event.wait());
    let mut gone = task::spawn(event.wait());
    assert_pending!(keep.poll());
    assert_pending!(gone.poll());
    drop(gone);
    event.set();
    assert!(keep.is_woken());
    assert_ready!(keep.poll());
}

#[test]
fn a_waiter_dropped_after_being_woken_loses_nothing() {
    let event = Event::new();
    let mut woken = task::spawn(event.wait());
    let mut other = task::spawn(event.wait());
    assert_pending!(woken.poll());
    assert_pending!(other.poll());
    event.set();
    drop(woken);
    assert_ready!(other.poll());
    assert!(event.is_set());
    assert_eq!(waiter_count(&event), 0);
}

#[test]
fn works_without_a_tokio_runtime() {
    let event = Arc::new(Event::new());
    // The setter waits until the waiter has parked, so the `set` always
    // wakes a waker registered by a non-tokio executor (no sleep to order
    // the two).
    let (parked, go) = std::sync::mpsc::channel();
    let setter = std::thread::spawn({
        let event = event.clone();
        move || {
            go.recv().unwrap();
            event.set();
        }
    });
    let mut wait = std::pin::pin!(event.wait());
    futures::executor::block_on(std::future::poll_fn(|cx| {
        let poll = wait.as_mut().poll(cx);
        if poll.is_pending() {
            parked.send(()).unwrap();
        }
        poll
    }));
    futures::executor::block_on(event.clone().wait_owned());
    setter.join().unwrap();
}

#[tokio::test]
async fn set_from_a_plain_thread_wakes_async_waiters() {
    let event = Arc::new(Event::new());
    let waiters: Vec<_> = (0..8)
        .map(|_| tokio::spawn(event.clone().wait_owned()))
        .collect();
    tokio::task::yield_now().await;
    let setter = std::thread::spawn({
        let event = event.clone();
        move || event.set()
    });
    for waiter in waiters {
        waiter.await.unwrap();
    }
    setter.join().unwrap();
}

async fn wake_all_across_threads(n: usize) {
    let event = Arc::new(Event::new());
    let started = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let event = event.clone();
            let started = started.clone();
            tokio::spawn(async move {
                let wait = event.wait();
                started.fetch_add(1, Ordering::SeqCst);
                wait.await;
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < n {
        tokio::task::yield_now().await;
    }
    let setter = std::thread::spawn({
        let event = event.clone();
        move || event.set()
    });
    for waiter in waiters {
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("every waiter is woken")
            .unwrap();
    }
    setter.join().unwrap();
    assert_eq!(waiter_count(&event), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_wakes_one_waiter_across_threads() {
    wake_all_across_threads(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_wakes_two_waiters_across_threads() {
    wake_all_across_threads(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_wakes_a_thousand_waiters_across_threads() {
    for _ in 0..20 {
        wake_all_across_threads(1_000).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_set_and_clear_never_strands_a_waiter() {
    // A waiter created before a set must complete whatever clears follow.
    for _ in 0..2_000 {
        let event = Arc::new(Event::new());
        let waiter = tokio::spawn(event.clone().wait_owned());
        let toggler = std::thread::spawn({
            let event = event.clone();
            move || {
                event.set();
                event.clear();
            }
        });
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("woken")
            .unwrap();
        toggler.join().unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn wait_timeout_reports_whether_the_event_was_set() {
    let event = Arc::new(Event::new());
    let start = tokio::time::Instant::now();
    assert!(!event.wait_timeout(Duration::from_millis(100)).await);
    assert_eq!(start.elapsed(), Duration::from_millis(100));

    let setter = tokio::spawn({
        let event = event.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            event.set();
        }
    });
    assert!(event.wait_timeout(Duration::from_secs(5)).await);
    assert_eq!(start.elapsed(), Duration::from_millis(130));
    setter.await.unwrap();
    assert_eq!(waiter_count(&event), 0);
}

#[test]
fn debug_output_shows_state() {
    let event = Event::new();
    assert_eq!(format!("{event:?}"), "Event { is_set: false, waiters: 0 }");
    let wait = event.wait();
    assert!(format!("{wait:?}").starts_with("Wait { event: Event"));
    event.set();
    assert_eq!(format!("{event:?}"), "Event { is_set: true, waiters: 0 }");
}

/// Regression (issue 18, E2): a `wait_timeout` that had returned `false`
/// but was kept stayed registered as a waiter until it was dropped.
#[tokio::test(start_paused = true)]
async fn a_timed_out_wait_kept_alive_is_no_longer_a_waiter() {
    let event = Event::new();
    let mut timed = task::spawn(event.wait_timeout(Duration::from_millis(10)));
    assert_pending!(timed.poll());
    assert_eq!(waiter_count(&event), 1);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(!assert_ready!(timed.poll()));
    assert_eq!(waiter_count(&event), 0);
    event.set();
    assert!(!timed.is_woken());
    drop(timed);
}

#[test]
fn wait_timeout_on_a_set_event_needs_no_runtime() {
    // As its `Panics` note says: only a wait that has to wait needs the
    // time driver.
    let event = Event::new();
    event.set();
    assert!(futures::executor::block_on(
        event.wait_timeout(Duration::from_secs(1))
    ));
    let unset = Event::new();
    let mut unlimited = task::spawn(unset.wait_timeout(Duration::MAX));
    assert_pending!(unlimited.poll());
}
