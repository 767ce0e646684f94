//! `redis::RateLimiter` against a real `redis-server` (started per test).
//! The server's clock decides, so these tests run in real time (about a
//! second each).
#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use async_patterns::redis::{AcquireError, RateLimiter, TryAcquireError};
use redis_server::RedisServer;

async fn open(server: &RedisServer, key: &str, permits: u32, per: Duration) -> RateLimiter {
    RateLimiter::open(&server.client(), key, permits, per)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_handles_on_one_key_share_one_rate() {
    let server = RedisServer::start();
    let a = open(&server, "rate:shared", 20, Duration::from_secs(1)).await;
    let b = open(&server, "rate:shared", 20, Duration::from_secs(1)).await;
    let start = Instant::now();
    let (ra, rb) = tokio::join!(
        async {
            for _ in 0..11 {
                a.acquire().await.unwrap();
            }
        },
        async {
            for _ in 0..10 {
                b.acquire().await.unwrap();
            }
        }
    );
    let _ = (ra, rb);
    // 21 permits at 20/s: the first is free, then one every 50 ms.
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(950), "too fast: {took:?}");
    assert!(took < Duration::from_millis(1500), "too slow: {took:?}");
}

#[tokio::test]
async fn a_separate_key_has_its_own_rate() {
    let server = RedisServer::start();
    let a = open(&server, "rate:a", 1, Duration::from_secs(10)).await;
    let b = open(&server, "rate:b", 1, Duration::from_secs(10)).await;
    a.try_acquire().await.unwrap();
    b.try_acquire().await.unwrap();
    assert!(a.try_acquire().await.is_err());
}

#[tokio::test]
async fn try_acquire_refusal_says_how_long_to_wait() {
    let server = RedisServer::start();
    let limiter = open(&server, "rate:try", 20, Duration::from_secs(1)).await;
    limiter.try_acquire().await.unwrap();
    let Err(TryAcquireError::NotUntil(not_until)) = limiter.try_acquire().await else {
        panic!("the second permit within 50 ms was granted");
    };
    let wait = not_until.wait();
    assert!(
        wait > Duration::from_millis(20) && wait <= Duration::from_millis(50),
        "{wait:?}"
    );
    tokio::time::sleep(wait).await;
    limiter.try_acquire().await.unwrap();
}

#[tokio::test]
async fn pause_for_holds_every_handle_back() {
    let server = RedisServer::start();
    let a = open(&server, "rate:paused", 100, Duration::from_secs(1)).await;
    let b = open(&server, "rate:paused", 100, Duration::from_secs(1)).await;
    a.acquire().await.unwrap();
    let start = Instant::now();
    a.pause_for(Duration::from_millis(400)).await.unwrap();
    assert!(
        matches!(b.try_acquire().await, Err(TryAcquireError::NotUntil(n)) if n.wait() > Duration::from_millis(300))
    );
    let (ta, tb) = tokio::join!(
        async {
            a.acquire().await.unwrap();
            start.elapsed()
        },
        async {
            b.acquire().await.unwrap();
            start.elapsed()
        }
    );
    assert!(
        ta >= Duration::from_millis(380),
        "a went through after {ta:?}"
    );
    assert!(
        tb >= Duration::from_millis(380),
        "b went through after {tb:?}"
    );
}

#[tokio::test]
async fn burst_lets_permits_through_back_to_back_and_acquire_n_checks_it() {
    let server = RedisServer::start();
    let limiter = open(&server, "rate:burst", 5, Duration::from_secs(1))
        .await
        .burst(5);
    let start = Instant::now();
    limiter.acquire_n(5).await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(150));
    assert!(matches!(
        limiter.acquire_n(6).await,
        Err(AcquireError::InsufficientCapacity(e)) if e.requested() == 6 && e.burst() == 5
    ));
    // The burst is spent: the next permit comes 200 ms later.
    let Err(TryAcquireError::NotUntil(n)) = limiter.try_acquire().await else {
        panic!("granted beyond the burst");
    };
    assert!(n.wait() > Duration::from_millis(100), "{:?}", n.wait());
}

#[tokio::test]
async fn waiters_of_one_process_are_served_in_order() {
    let server = RedisServer::start();
    let limiter = open(&server, "rate:fifo", 50, Duration::from_secs(1)).await;
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let limiter = limiter.clone();
        let order = order.clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire().await.unwrap();
            order.lock().unwrap().push(i);
        }));
        // Each waiter queues before the next is spawned.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_dropped_waiter_gives_its_place_up() {
    let server = RedisServer::start();
    let limiter = open(&server, "rate:drop", 10, Duration::from_secs(1)).await;
    limiter.acquire().await.unwrap();
    // The head reserves the next permit (100 ms away) and sleeps; a second
    // waiter queues behind it in this process and is dropped.
    let head = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    let queued = tokio::time::timeout(Duration::from_millis(20), limiter.acquire()).await;
    assert!(queued.is_err());
    head.await.unwrap();
    // The dropped waiter took nothing: the next permit is 100 ms after the head's.
    let start = Instant::now();
    limiter.acquire().await.unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_not_a_hang() {
    let server = RedisServer::start();
    let limiter = open(&server, "rate:gone", 10, Duration::from_secs(1)).await;
    drop(server);
    let result = tokio::time::timeout(Duration::from_secs(15), limiter.acquire()).await;
    assert!(result.expect("acquire hung").is_err());
}
