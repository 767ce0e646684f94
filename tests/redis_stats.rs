//! `stats()` of the Redis queue and rate limiter: client-side counters of
//! this process, per opened handle, against a real `redis-server` (started
//! per test; real time).
#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::Duration;

use async_patterns::redis::{AcquireError, Queue, QueueStats, RateLimiter};
use redis_server::RedisServer;

const LEASE: Duration = Duration::from_secs(2);

async fn open<T>(server: &RedisServer, name: &str) -> Queue<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    Queue::builder(name)
        .lease(LEASE)
        .open(&server.client())
        .await
        .unwrap()
}

#[tokio::test]
async fn queue_stats_count_what_this_handle_did() {
    let server = RedisServer::start();
    let producer = open::<u32>(&server, "counted").await;
    let worker = open::<u32>(&server, "counted").await;
    let strings = open::<String>(&server, "counted").await;
    for n in 1..=3 {
        producer.send(n).await.unwrap();
    }
    assert_eq!(worker.recv().await.unwrap(), 1);
    worker.recv_job().await.unwrap().done().await.unwrap();
    let job = worker.recv_job().await.unwrap();
    job.retry_in(Duration::ZERO).await.unwrap();
    let again = worker.recv_job().await.unwrap();
    assert_eq!((*again, again.deliveries()), (3, 2));
    again.done().await.unwrap();
    // Not a `u32`: the worker moves it to the dead letters and waits on.
    strings.send("poison".to_owned()).await.unwrap();
    let nothing = tokio::time::timeout(Duration::from_millis(500), worker.recv_job()).await;
    assert!(nothing.is_err(), "nothing decodable is left");

    let mut produced = producer.stats();
    assert_eq!(produced.sent, 3);
    produced.sent = 0;
    assert_eq!(
        produced,
        QueueStats::default(),
        "the producer received nothing"
    );
    let worker_stats = worker.stats();
    assert_eq!(
        (
            worker_stats.sent,
            worker_stats.received,
            worker_stats.done,
            worker_stats.retried,
            worker_stats.dead_lettered,
        ),
        (0, 5, 3, 1, 1)
    );
    // Clones share the counters; every `open` has its own.
    assert_eq!(worker.clone().stats(), worker_stats);
    assert_eq!(strings.stats().sent, 1);
    assert_eq!(strings.stats().received, 0);
}

#[tokio::test]
async fn a_dropped_job_counts_as_done_once_the_background_acknowledges_it() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "dropped").await;
    q.send(1).await.unwrap();
    drop(q.recv_job().await.unwrap());
    tokio::time::timeout(Duration::from_secs(2), async {
        while q.stats().done == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the background task acknowledges the dropped job");
    assert_eq!((q.stats().received, q.stats().retried), (1, 0));
}

#[tokio::test]
async fn limiter_stats_count_grants_refusals_and_waits_of_this_process() {
    let server = RedisServer::start();
    let client = server.client();
    let per = Duration::from_secs(1);
    let limiter = RateLimiter::open(&client, "rate:stats", 10, per)
        .await
        .unwrap();
    let other = RateLimiter::open(&client, "rate:stats", 10, per)
        .await
        .unwrap();

    limiter.acquire().await.unwrap(); // free
    assert!(limiter.try_acquire().await.is_err());
    assert!(matches!(
        limiter.acquire_n(2).await,
        Err(AcquireError::InsufficientCapacity(_))
    ));
    // Two at once: the second queues behind the first, which sleeps ~100 ms.
    let (a, b) = tokio::join!(limiter.acquire(), limiter.acquire());
    a.unwrap();
    b.unwrap();

    let stats = limiter.stats();
    assert_eq!((stats.granted, stats.refused, stats.waited), (3, 2, 2));
    assert_eq!(stats.waiting, 0);
    assert!(stats.wait_max >= Duration::from_millis(150), "{stats:?}");
    assert!(
        stats.wait_total >= stats.wait_max + Duration::from_millis(50),
        "{stats:?}"
    );
    assert_eq!(other.stats().granted, 0, "another handle counts its own");
}
