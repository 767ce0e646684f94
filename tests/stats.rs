//! `stats()` snapshots: every counter moves exactly when the docs say.

use std::time::Duration;

use async_patterns::actor::{self, Actor, Context};
use async_patterns::executor::TaskGroup;
use async_patterns::pool::Pool;
use async_patterns::queue;
use async_patterns::rate_limit::RateLimiter;
use async_patterns::timeout::Deadline;
use tokio::time::sleep;
use tokio_test::{assert_pending, task};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn queue_counts_every_way_in_and_out() {
    let (tx, rx) = queue::bounded::<u32>(2);
    tx.send(1).await.unwrap();
    tx.try_send(2).unwrap();
    // A blocked sender is a gauge, and counts as sent once granted.
    let mut blocked = task::spawn(tx.send(3));
    assert_pending!(blocked.poll());
    let stats = rx.stats();
    assert_eq!((stats.sent, stats.len, stats.senders_waiting), (2, 2, 1));
    let mut buf = Vec::new();
    rx.recv_many(&mut buf, 8).await;
    assert!(blocked.poll().is_ready());
    let permit = tx.reserve().await.unwrap();
    permit.send(4);
    let job = rx.recv_job().await.unwrap();
    let stats = tx.stats();
    assert_eq!((stats.sent, stats.received, stats.done), (4, 3, 2));
    assert_eq!(
        (stats.len, stats.unfinished, stats.capacity),
        (1, 2, Some(2))
    );
    drop(job);
    assert_eq!(tx.stats().done, 3);
    // `shutdown` discards: not received, not done.
    assert_eq!(rx.shutdown(), [4]);
    let stats = rx.stats();
    assert_eq!(
        (stats.sent, stats.received, stats.done, stats.unfinished),
        (4, 3, 3, 0)
    );
}

#[tokio::test]
async fn queue_counts_waiting_receivers() {
    let (tx, rx) = queue::unbounded::<u8>();
    let mut waiting = task::spawn(rx.recv());
    assert_pending!(waiting.poll());
    assert_eq!(tx.stats().receivers_waiting, 1);
    drop(waiting);
    assert_eq!(tx.stats().receivers_waiting, 0);
}

#[tokio::test(start_paused = true)]
async fn group_counts_every_ending_once() {
    let mut group = TaskGroup::new(1);
    group.spawn(async { sleep(ms(10)).await });
    group.spawn(async { panic!("boom") });
    Deadline::after(ms(50))
        .scope(async { group.spawn(sleep(ms(100))) })
        .await
        .unwrap();
    group.spawn(std::future::pending());
    group.spawn(std::future::pending());
    let stats = group.stats();
    assert_eq!(
        (stats.limit, stats.spawned, stats.running, stats.waiting),
        (1, 5, 1, 4)
    );
    // Three end on their own; then two are aborted (one running, one waiting).
    for _ in 0..3 {
        group.join_next().await.unwrap().ok();
    }
    group.abort_all();
    while group.join_next().await.is_some() {}
    let stats = group.stats();
    assert_eq!(stats.completed, 1);
    assert_eq!(stats.panicked, 1);
    assert_eq!((stats.cancelled, stats.elapsed), (3, 1));
    assert_eq!(stats.failed, 4);
    assert_eq!(stats.running + stats.waiting + stats.joinable, 0);
    assert_eq!(
        stats.spawned,
        stats.completed + stats.panicked + stats.cancelled
    );
}

#[tokio::test(start_paused = true)]
async fn limiter_counts_grants_refusals_and_waits() {
    let limiter = RateLimiter::per_second(10).burst(2);
    limiter.acquire_n(2).await.unwrap();
    assert!(limiter.acquire_n(3).await.is_err());
    assert!(limiter.try_acquire().is_err());
    // A wait within the deadline is a wait, not a refusal; one past it is a
    // refusal, not a wait.
    Deadline::after(ms(150))
        .scope(limiter.acquire_within())
        .await
        .unwrap()
        .unwrap();
    Deadline::after(ms(50))
        .scope(limiter.acquire_within())
        .await
        .unwrap()
        .unwrap_err();
    let stats = limiter.stats();
    assert_eq!((stats.granted, stats.refused, stats.waited), (3, 3, 1));
    assert_eq!((stats.wait_total, stats.wait_max), (ms(100), ms(100)));
    let mut queued = task::spawn(limiter.acquire());
    assert_pending!(queued.poll());
    assert_eq!(limiter.stats().waiting, 1);
    drop(queued);
    assert_eq!(limiter.stats().waiting, 0);
}

#[tokio::test(start_paused = true)]
async fn pool_counts_creations_checkouts_waits_and_timeouts() {
    let pool = Pool::new(1, || async {
        sleep(ms(5)).await;
        0_u8
    });
    let mut creating = task::spawn(pool.get());
    assert_pending!(creating.poll());
    assert_eq!(pool.stats().waiting, 1);
    sleep(ms(5)).await;
    let held = match creating.poll() {
        std::task::Poll::Ready(held) => held,
        std::task::Poll::Pending => panic!("created by now"),
    };
    assert!(pool.try_get().is_none());
    assert!(pool.get_timeout(ms(10)).await.is_err());
    drop(held);
    let again = pool.try_get().unwrap();
    let stats = pool.stats();
    assert_eq!((stats.created, stats.checkouts, stats.timed_out), (1, 2, 1));
    assert_eq!(
        (stats.in_use, stats.idle, stats.waiting, stats.max_size),
        (1, 0, 0, 1)
    );
    drop(again);
}

struct Slow;

impl Actor for Slow {
    type Message = ();

    async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {
        sleep(ms(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn actor_counts_its_mailbox() {
    let slow = actor::spawn_with_mailbox(Slow, 2);
    for _ in 0..3 {
        slow.send(()).await.unwrap();
    }
    let stats = slow.stats();
    assert_eq!((stats.sent, stats.mailbox_capacity), (3, 2));
    assert_eq!(stats.received + stats.mailbox_len as u64, 3);
    slow.stop();
    slow.join().await.unwrap();
    let stats = slow.stats();
    assert_eq!((stats.received, stats.mailbox_len), (3, 0));
}
