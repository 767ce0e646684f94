//! Behaviour of the async resource pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::pool::Pool;
use tokio::time::{Instant, sleep};
use tokio_test::{assert_pending, assert_ready, task};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A resource that counts how many of its kind are alive.
#[derive(Debug)]
struct Conn {
    id: usize,
    alive: Arc<AtomicUsize>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

fn conn_pool(
    max: usize,
    create_latency: Duration,
) -> (Pool<Conn>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let alive = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(max, {
        let alive = alive.clone();
        let created = created.clone();
        move || {
            let alive = alive.clone();
            let id = created.fetch_add(1, Ordering::SeqCst);
            async move {
                sleep(create_latency).await;
                alive.fetch_add(1, Ordering::SeqCst);
                Conn { id, alive }
            }
        }
    });
    (pool, alive, created)
}

#[tokio::test(start_paused = true)]
async fn reuses_objects_and_creates_lazily() {
    let (pool, alive, created) = conn_pool(3, ms(5));
    assert_eq!(created.load(Ordering::SeqCst), 0);
    let first = pool.get().await;
    let id = first.id;
    drop(first);
    assert_eq!(pool.idle(), 1);
    assert_eq!(pool.get().await.id, id);
    assert_eq!(created.load(Ordering::SeqCst), 1);
    assert_eq!(alive.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_max_size_objects_alive() {
    let (pool, alive, created) = conn_pool(4, Duration::ZERO);
    let high_water = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let pool = pool.clone();
            let alive = alive.clone();
            let high_water = high_water.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    let conn = pool.get().await;
                    high_water.fetch_max(alive.load(Ordering::SeqCst), Ordering::SeqCst);
                    assert!(pool.in_use() <= pool.max_size());
                    tokio::task::yield_now().await;
                    drop(conn);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(high_water.load(Ordering::SeqCst) <= 4);
    assert!(created.load(Ordering::SeqCst) <= 4);
    assert_eq!(pool.in_use(), 0);
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order() {
    let (pool, _, _) = conn_pool(1, Duration::ZERO);
    let held = pool.get().await;
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 0..5 {
        let pool = pool.clone();
        let order = order.clone();
        waiters.push(tokio::spawn(async move {
            let conn = pool.get().await;
            order.lock().unwrap().push(i);
            sleep(ms(1)).await;
            drop(conn);
        }));
        // Make sure each waiter is queued before the next is spawned.
        tokio::task::yield_now().await;
    }
    drop(held);
    for w in waiters {
        w.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_gives_up_its_place() {
    let (pool, _, _) = conn_pool(1, Duration::ZERO);
    let held = pool.get().await;
    let mut first = task::spawn(pool.get());
    let mut second = task::spawn(pool.get());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    drop(first);
    drop(held);
    assert!(second.is_woken());
    let conn = assert_ready!(second.poll());
    assert_eq!(conn.id, 0);
}

#[tokio::test(start_paused = true)]
async fn cancelling_during_creation_frees_the_place() {
    let (pool, alive, created) = conn_pool(1, ms(100));
    let slow = pool.get_timeout(ms(10)).await;
    assert!(slow.is_err());
    assert_eq!(alive.load(Ordering::SeqCst), 0);
    assert_eq!(pool.in_use(), 0);
    let start = Instant::now();
    let conn = pool.get().await;
    assert_eq!(start.elapsed(), ms(100));
    assert_eq!(conn.id, 1);
    assert_eq!(created.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn detach_frees_a_place_for_a_replacement() {
    let (pool, alive, _) = conn_pool(1, Duration::ZERO);
    let kept = pool.get().await.detach();
    assert_eq!((pool.in_use(), pool.idle()), (0, 0));
    let replacement = pool.get().await;
    assert_ne!(replacement.id, kept.id);
    assert_eq!(alive.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn get_timeout_waits_for_a_returned_object() {
    let (pool, _, _) = conn_pool(1, Duration::ZERO);
    let held = pool.get().await;
    let releaser = tokio::spawn(async move {
        sleep(ms(30)).await;
        drop(held);
    });
    let start = Instant::now();
    let conn = pool.get_timeout(ms(50)).await.expect("returned in time");
    assert_eq!(start.elapsed(), ms(30));
    assert_eq!(conn.id, 0);
    releaser.await.unwrap();
    // Still held by us: the next caller times out, after exactly the limit.
    let start = Instant::now();
    assert!(pool.get_timeout(ms(50)).await.is_err());
    assert_eq!(start.elapsed(), ms(50));
    drop(conn);
    assert!(pool.get_timeout(ms(50)).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn try_get_only_hands_out_idle_objects() {
    let (pool, _, created) = conn_pool(2, Duration::ZERO);
    assert!(pool.try_get().is_none());
    drop(pool.get().await);
    let conn = pool.try_get().expect("one idle");
    assert!(pool.try_get().is_none());
    drop(conn);
    assert_eq!(created.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_object_comes_back_when_its_task_panics() {
    let pool = Pool::new(1, || async { 5u8 });
    let task = tokio::spawn({
        let pool = pool.clone();
        async move {
            let _conn = pool.get().await;
            panic!("worker failed");
        }
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(pool.idle(), 1);
    assert_eq!(*pool.get().await, 5);
}

#[test]
#[should_panic(expected = "max_size must be at least 1")]
fn zero_max_size_panics() {
    let _ = Pool::new(0, || async {});
}

#[tokio::test]
async fn debug_shows_counts() {
    let pool = Pool::new(2, || async { 1 });
    let conn = pool.get().await;
    assert_eq!(
        format!("{pool:?}"),
        "Pool { max_size: 2, in_use: 1, idle: 0, .. }"
    );
    assert_eq!(format!("{conn:?}"), "Pooled(1)");
}

/// Regression (issue 18, E2): a `get_timeout` that had failed but was kept
/// (polled by reference, as in a `select!` loop) stayed in line and took
/// the next returned object, which nobody then used.
#[tokio::test(start_paused = true)]
async fn a_timed_out_get_kept_alive_gives_up_its_place() {
    let pool = Pool::new(1, || async { 7u32 });
    let held = pool.get().await;
    let mut timed = task::spawn(pool.get_timeout(ms(10)));
    assert_pending!(timed.poll());
    sleep(ms(10)).await;
    assert!(assert_ready!(timed.poll()).is_err());
    // `timed` is still alive; a later `get` must get the object back.
    let mut later = task::spawn(pool.get());
    assert_pending!(later.poll());
    drop(held);
    assert!(later.is_woken());
    assert_eq!(*assert_ready!(later.poll()), 7);
    assert!(!timed.is_woken());
    drop(timed);
}

/// A factory that panics frees the place its object was to fill.
#[tokio::test]
async fn a_panicking_factory_frees_its_place() {
    let calls = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(1, {
        let calls = calls.clone();
        move || {
            let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                assert!(!first, "factory failed");
                5u32
            }
        }
    });
    let pool2 = pool.clone();
    let panicked = tokio::spawn(async move { *pool2.get().await }).await;
    assert!(panicked.unwrap_err().is_panic());
    assert_eq!(pool.in_use(), 0);
    assert_eq!(*pool.get().await, 5);
}
