//! A waiter whose task stalls (polled once, then neither polled nor
//! dropped: a `select!` branch that lost, a future kept in a struct) must
//! not hold up the waiters behind it. All on tokio's paused clock.

use std::time::Duration;

use async_patterns::pool::Pool;
use async_patterns::rate_limit::RateLimiter;
use async_patterns::stream::StreamPatternsExt;
use futures::StreamExt;
use tokio::time::{Instant, timeout};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(start_paused = true)]
async fn a_stalled_limiter_head_does_not_hold_up_the_line() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut stalled = spawn(limiter.acquire());
    assert_pending!(stalled.poll());

    let start = Instant::now();
    timeout(ms(1000), limiter.acquire())
        .await
        .expect("the waiter behind a stalled head is served");
    // The stalled head's turn (100 ms) passes to it a grace tick late.
    assert!(start.elapsed() <= ms(300), "{:?}", start.elapsed());

    // The stalled head was served in its turn: its permit waits for it.
    assert_ready!(stalled.poll());
    tokio::time::sleep(HOUR).await;
    limiter.try_acquire().unwrap();
}

#[tokio::test(start_paused = true)]
async fn try_acquire_is_not_refused_for_good_behind_a_stalled_head() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut stalled = spawn(limiter.acquire());
    assert_pending!(stalled.poll());
    // Not overtaken while the head's turn is not overdue.
    assert!(limiter.try_acquire().is_err());
    tokio::time::sleep(HOUR).await;
    // The stalled head is served now, so the next permit is one interval
    // away, and then it is there.
    let wait = limiter.try_acquire().unwrap_err().wait();
    assert!(wait <= ms(100), "{wait:?}");
    tokio::time::sleep(wait).await;
    limiter.try_acquire().unwrap();
    assert_ready!(stalled.poll());
}

#[tokio::test(start_paused = true)]
async fn a_woken_head_that_stalls_does_not_hold_up_the_line() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    // A keeps polling, B is woken as the new head when A is served and
    // stalls, C keeps polling behind B.
    let a = tokio::spawn(limiter.clone().acquire_owned());
    tokio::task::yield_now().await;
    let mut b = spawn(limiter.acquire());
    assert_pending!(b.poll());
    let start = Instant::now();
    timeout(ms(1000), limiter.acquire())
        .await
        .expect("the waiter behind a stalled head is served");
    a.await.unwrap();
    assert!(b.is_woken());
    assert!(start.elapsed() <= ms(400), "{:?}", start.elapsed());
    assert_ready!(b.poll());
}

#[tokio::test(start_paused = true)]
async fn waiters_that_keep_polling_are_served_in_order_around_a_stalled_one() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut stalled = None;
    for i in 0..5 {
        if i == 2 {
            let mut waiter = spawn(limiter.clone().acquire_owned());
            assert_pending!(waiter.poll());
            stalled = Some(waiter);
            continue;
        }
        let (limiter, tx) = (limiter.clone(), tx.clone());
        tokio::spawn(async move {
            limiter.acquire().await;
            tx.send(i).unwrap();
        });
        tokio::task::yield_now().await;
    }
    drop(tx);
    let mut order = Vec::new();
    let collect = async {
        while let Some(i) = rx.recv().await {
            order.push(i);
        }
    };
    timeout(ms(2000), collect)
        .await
        .expect("every waiter that keeps polling is served");
    assert_eq!(order, [0, 1, 3, 4]);
    assert_ready!(stalled.as_mut().unwrap().poll());
}

#[tokio::test(start_paused = true)]
async fn a_rate_limited_stream_left_unpolled_does_not_stall_its_limiter() {
    let limiter = RateLimiter::per_second(10);
    limiter.try_acquire().unwrap();
    let mut items = std::pin::pin!(futures::stream::iter(0..10).rate_limited(limiter.clone()));
    // `next()` is dropped (a lost `select!`) while its item waits for a
    // permit, and the stream is left alone.
    {
        let mut next = spawn(items.next());
        assert_pending!(next.poll());
    }
    timeout(ms(1000), limiter.acquire())
        .await
        .expect("the limiter is not held up by the idle stream");
    // The stream's item was served in its turn.
    assert_eq!(
        timeout(Duration::ZERO, items.next()).await.unwrap(),
        Some(0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_pool_get_holds_only_the_object_it_was_given() {
    let pool = Pool::new(2, || async { 0u8 });
    let first = pool.get().await;
    let second = pool.get().await;
    let mut stalled = spawn(pool.get());
    assert_pending!(stalled.poll());
    let mut behind = spawn(pool.get());
    assert_pending!(behind.poll());
    // The stalled get is given the first object back in its turn; the next
    // one returned goes past it to the get behind.
    drop(first);
    drop(second);
    assert!(behind.is_woken());
    let _object = assert_ready!(behind.poll());
    assert_ready!(stalled.poll());
}

#[tokio::test]
async fn a_dropped_stream_next_does_not_keep_the_wakeup_from_a_waiting_receiver() {
    let (tx, mut streamed) = async_patterns::queue::unbounded::<u32>();
    let other = streamed.clone();
    // `next()` loses a `select!`: its registration stays in the handle.
    {
        let mut next = spawn(streamed.next());
        assert_pending!(next.poll());
    }
    let mut recv = spawn(other.recv());
    assert_pending!(recv.poll());
    tx.try_send(1).unwrap();
    assert!(
        recv.is_woken(),
        "the waiting receiver is woken for the item"
    );
    assert_eq!(assert_ready!(recv.poll()), Ok(1));
    // The stream still works, and is woken too when nobody else waits.
    let mut next = spawn(streamed.next());
    assert_pending!(next.poll());
    tx.try_send(2).unwrap();
    assert!(next.is_woken());
    assert_eq!(assert_ready!(next.poll()), Some(2));
}
