//! The pool's lifecycle: close, drain, recycle and validate hooks,
//! `max_lifetime`, `idle_timeout` and eviction, on tokio's paused clock.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::pool::{Builder, Pool};
use tokio::time::sleep;
use tokio_test::{assert_pending, assert_ready, task};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A connection that knows its number and counts the live ones.
#[derive(Debug)]
struct Conn {
    id: usize,
    healthy: bool,
    alive: Arc<AtomicUsize>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A builder of `Conn`s numbered from 0, and the live count.
fn conns(max: usize) -> (Builder<Conn>, Arc<AtomicUsize>) {
    let alive = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let builder = Pool::builder(max, {
        let alive = alive.clone();
        move || {
            alive.fetch_add(1, Ordering::SeqCst);
            let id = made.fetch_add(1, Ordering::SeqCst);
            let alive = alive.clone();
            async move {
                Conn {
                    id,
                    healthy: true,
                    alive,
                }
            }
        }
    });
    (builder, alive)
}

fn live(alive: &AtomicUsize) -> usize {
    alive.load(Ordering::SeqCst)
}

#[tokio::test]
async fn close_returns_the_idle_objects_and_try_get_then_fails() {
    let (builder, alive) = conns(3);
    let pool = builder.build();
    let (a, b) = (pool.get().await, pool.get().await);
    drop(a);
    let idle = pool.close();
    assert_eq!(idle.iter().map(|c| c.id).collect::<Vec<_>>(), [0]);
    assert!(pool.is_closed());
    assert!(pool.try_get().is_none());
    // A checked-out object comes back into the closed pool, for a later close.
    drop(b);
    assert_eq!(pool.idle(), 1);
    assert_eq!(pool.close().len(), 1);
    drop(idle);
    assert_eq!(live(&alive), 0);
}

#[tokio::test]
async fn a_get_on_a_closed_pool_panics_also_one_already_waiting() {
    let pool = Pool::new(1, || async {});
    let held = pool.get().await;
    let waiting = tokio::spawn({
        let pool = pool.clone();
        async move {
            let _ = pool.get().await;
        }
    });
    tokio::task::yield_now().await;
    let _ = pool.close();
    let err = waiting.await.unwrap_err();
    assert!(err.is_panic());
    let late = tokio::spawn({
        let pool = pool.clone();
        async move {
            let _ = pool.get().await;
        }
    });
    assert!(late.await.unwrap_err().is_panic());
    drop(held);
}

#[tokio::test(start_paused = true)]
async fn drain_waits_for_every_checked_out_object_and_returns_all() {
    let (builder, alive) = conns(3);
    let pool = builder.build();
    let (a, b, c) = (pool.get().await, pool.get().await, pool.get().await);
    drop(a);
    tokio::spawn(async move {
        sleep(secs(1)).await;
        drop(b);
        sleep(secs(1)).await;
        drop(c);
    });
    let start = tokio::time::Instant::now();
    let mut all: Vec<usize> = pool.drain().await.iter().map(|c| c.id).collect();
    assert_eq!(start.elapsed(), secs(2));
    all.sort_unstable();
    assert_eq!(all, [0, 1, 2]);
    assert_eq!(live(&alive), 0, "drain's objects were dropped with the Vec");
    assert!(pool.is_closed());
}

#[tokio::test]
async fn drain_is_woken_by_each_return_and_skips_evicted_objects() {
    let (builder, _alive) = conns(2);
    let pool = builder.build();
    let (a, b) = (pool.get().await, pool.get().await);
    let mut drain = task::spawn(pool.drain());
    assert_pending!(drain.poll());
    drop(a);
    assert!(drain.is_woken());
    assert_pending!(drain.poll());
    b.evict();
    assert!(drain.is_woken());
    let all = assert_ready!(drain.poll());
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [0]);
}

#[tokio::test]
async fn a_dropped_drain_loses_nothing() {
    let (builder, _alive) = conns(1);
    let pool = builder.build();
    let conn = pool.get().await;
    let mut drain = task::spawn(pool.drain());
    assert_pending!(drain.poll());
    drop(drain);
    drop(conn);
    assert_eq!(pool.drain().await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn drain_waits_for_a_get_still_running_the_factory() {
    let pool = Pool::new(1, || async {
        sleep(secs(3)).await;
        "conn"
    });
    let user = tokio::spawn({
        let pool = pool.clone();
        async move {
            let conn = pool.get().await;
            sleep(secs(1)).await;
            drop(conn);
        }
    });
    tokio::task::yield_now().await;
    let start = tokio::time::Instant::now();
    assert_eq!(pool.drain().await, ["conn"]);
    assert_eq!(start.elapsed(), secs(4));
    user.await.unwrap();
}

#[tokio::test]
async fn recycle_resets_returned_objects_and_drops_the_rejected_ones() {
    let (builder, alive) = conns(1);
    let pool = builder.recycle(|conn| conn.healthy).build();
    drop(pool.get().await);
    assert_eq!((pool.idle(), live(&alive)), (1, 1));
    let mut conn = pool.get().await;
    assert_eq!(conn.id, 0);
    conn.healthy = false;
    drop(conn);
    assert_eq!((pool.idle(), pool.in_use(), live(&alive)), (0, 0, 0));
    assert_eq!(pool.get().await.id, 1, "a replacement");
}

#[tokio::test]
async fn a_waiter_gets_a_new_object_when_the_returned_one_is_rejected() {
    let (builder, _alive) = conns(1);
    let pool = builder.recycle(|conn| conn.healthy).build();
    let mut conn = pool.get().await;
    let mut waiter = task::spawn(pool.get());
    assert_pending!(waiter.poll());
    conn.healthy = false;
    drop(conn);
    assert!(waiter.is_woken());
    assert_eq!(assert_ready!(waiter.poll()).id, 1);
}

#[tokio::test]
async fn a_panicking_recycle_hook_drops_the_object_and_frees_its_place() {
    let (builder, alive) = conns(1);
    let pool = builder
        .recycle(|conn| {
            assert!(conn.healthy, "recycle hook");
            true
        })
        .build();
    let mut conn = pool.get().await;
    conn.healthy = false;
    assert!(catch_unwind(AssertUnwindSafe(|| drop(conn))).is_err());
    assert_eq!((pool.in_use(), pool.idle(), live(&alive)), (0, 0, 0));
    assert_eq!(pool.get().await.id, 1);
}

#[tokio::test]
async fn validate_runs_on_idle_objects_only_and_replaces_rejected_ones() {
    let checked = Arc::new(AtomicUsize::new(0));
    let (builder, alive) = conns(2);
    let pool = builder
        .validate({
            let checked = checked.clone();
            move |conn: Conn| {
                checked.fetch_add(1, Ordering::SeqCst);
                async move {
                    tokio::task::yield_now().await;
                    conn.healthy.then_some(conn)
                }
            }
        })
        .build();
    let mut conn = pool.get().await;
    assert_eq!(
        checked.load(Ordering::SeqCst),
        0,
        "a new object is not validated"
    );
    conn.healthy = false;
    drop(conn);
    let conn = pool.get().await;
    assert_eq!((conn.id, checked.load(Ordering::SeqCst)), (1, 1));
    drop(conn);
    assert_eq!(pool.get().await.id, 1, "a healthy one passes");
    assert_eq!((checked.load(Ordering::SeqCst), live(&alive)), (2, 1));
}

#[tokio::test]
async fn a_get_dropped_during_validate_drops_that_object_and_frees_its_place() {
    let (builder, alive) = conns(1);
    let pool = builder
        .validate(|conn: Conn| async move {
            std::future::pending::<()>().await;
            Some(conn)
        })
        .build();
    drop(pool.get().await);
    let mut get = task::spawn(pool.get());
    assert_pending!(get.poll());
    assert_eq!((pool.in_use(), pool.idle()), (1, 0));
    drop(get);
    assert_eq!((pool.in_use(), pool.idle(), live(&alive)), (0, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn max_lifetime_drops_old_objects_on_return_and_never_hands_them_out() {
    let (builder, alive) = conns(2);
    let pool = builder.max_lifetime(secs(60)).build();
    let old = pool.get().await;
    drop(pool.get().await); // #1, idle
    sleep(secs(59)).await;
    assert_eq!(old.id, 0, "one in use is not taken away");
    sleep(secs(1)).await;
    drop(old); // 60 s old: dropped on return
    assert_eq!(
        (pool.idle(), live(&alive)),
        (0, 0),
        "#1 expired in the pool too"
    );
    assert_eq!(pool.get().await.id, 2);
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_drops_objects_that_sat_unused() {
    let (builder, alive) = conns(3);
    let pool = builder.idle_timeout(secs(30)).build();
    let (a, b) = (pool.get().await, pool.get().await);
    drop(a);
    sleep(secs(20)).await;
    drop(b);
    assert_eq!(pool.evict_expired(), 0);
    sleep(secs(10)).await;
    assert_eq!(pool.evict_expired(), 1, "#0 idle for 30 s");
    assert_eq!((pool.idle(), live(&alive)), (1, 1));
    assert_eq!(pool.get().await.id, 1, "#1 idle for 10 s is reused");
    sleep(secs(30)).await;
    assert_eq!(pool.get().await.id, 2, "expired on get, replaced");
    assert_eq!(live(&alive), 1);
}

#[tokio::test]
async fn evict_frees_the_place_of_a_broken_object() {
    let (builder, alive) = conns(1);
    let pool = builder.build();
    let conn = pool.get().await;
    let mut waiter = task::spawn(pool.get());
    assert_pending!(waiter.poll());
    conn.evict();
    assert_eq!(live(&alive), 0);
    assert!(waiter.is_woken());
    assert_eq!(assert_ready!(waiter.poll()).id, 1);
}

#[test]
fn builder_debug_shows_the_configuration() {
    let (builder, _alive) = conns(4);
    let text = format!("{:?}", builder.max_lifetime(secs(5)));
    assert!(
        text.contains("max_size: 4") && text.contains("5s"),
        "{text}"
    );
}
