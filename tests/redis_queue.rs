//! `redis::Queue` against a real `redis-server` (started per test).
#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_patterns::redis::{Queue, RecvError, SendError, TrySendError};
use redis_server::{Persistence, RedisServer};
use serde::{Deserialize, Serialize};

// Short enough to keep the tests fast, long enough that a busy machine
// does not miss a renewal (one every third of it).
const LEASE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Task {
    id: u32,
    url: String,
}

async fn open<T: Serialize + serde::de::DeserializeOwned + Send + 'static>(
    server: &RedisServer,
    name: &str,
) -> Queue<T> {
    Queue::builder(name)
        .lease(LEASE)
        .open(&server.client())
        .await
        .unwrap()
}

async fn raw(server: &RedisServer, args: &[&str]) -> redis::Value {
    let mut c = server
        .client()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(&mut c).await.unwrap()
}

/// `recv_job` with a limit, for "nothing is delivered" checks.
async fn recv_within<T>(q: &Queue<T>, d: Duration) -> Option<async_patterns::redis::Job<T>>
where
    T: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    tokio::time::timeout(d, q.recv_job())
        .await
        .ok()
        .map(|r| r.unwrap())
}

#[tokio::test]
async fn items_round_trip_as_json_and_jobs_finish() {
    let server = RedisServer::start();
    let q = open::<Task>(&server, "tasks").await;
    let task = Task {
        id: 7,
        url: "https://example.com/é".into(),
    };
    q.send(task.clone()).await.unwrap();
    assert_eq!(q.len().await.unwrap(), 1);
    assert_eq!(q.unfinished().await.unwrap(), 1);

    // Stored as readable JSON in the field `v`.
    let entries = raw(&server, &["XRANGE", "tasks", "-", "+"]).await;
    let text = format!("{entries:?}");
    assert!(text.contains("example.com"), "{text}");

    let job = q.recv_job().await.unwrap();
    assert_eq!(*job, task);
    assert_eq!(job.deliveries(), 1);
    assert_eq!(q.len().await.unwrap(), 0);
    assert_eq!(q.unfinished().await.unwrap(), 1);
    job.done().await.unwrap();
    assert_eq!(q.unfinished().await.unwrap(), 0);
    q.join().await.unwrap();
}

#[tokio::test]
async fn recv_is_done_on_delivery() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "plain").await;
    q.send(1).await.unwrap();
    assert_eq!(q.recv().await.unwrap(), 1);
    assert_eq!(q.unfinished().await.unwrap(), 0);
}

#[tokio::test]
async fn two_handles_see_each_others_items() {
    let server = RedisServer::start();
    let a = open::<String>(&server, "shared").await;
    let b = open::<String>(&server, "shared").await;
    a.send("from a".into()).await.unwrap();
    b.send("from b".into()).await.unwrap();
    let first = b.recv().await.unwrap();
    let second = a.recv().await.unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("from a", "from b"));
    a.join().await.unwrap();
    b.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_consumers_do_each_of_ten_thousand_items_exactly_once() {
    const N: u32 = 10_000;
    let server = RedisServer::start();
    let producer = open::<u32>(&server, "load").await;
    let seen = Arc::new(Mutex::new(HashMap::<u32, u32>::new()));
    let mut workers = Vec::new();
    for _ in 0..4 {
        // Separate handles: as separate processes would have.
        let q = open::<u32>(&server, "load").await;
        let seen = seen.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = 0;
            while let Ok(job) = q.recv_job().await {
                *seen.lock().unwrap().entry(*job).or_default() += 1;
                job.done().await.unwrap();
                mine += 1;
            }
            mine
        }));
    }
    for n in 0..N {
        producer.send(n).await.unwrap();
    }
    producer.join().await.unwrap();
    producer.close().await.unwrap();
    let mut per_worker = Vec::new();
    for w in workers {
        per_worker.push(w.await.unwrap());
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), N as usize);
    assert!(seen.values().all(|&c| c == 1), "an item was done twice");
    assert_eq!(per_worker.iter().sum::<u32>(), N);
    assert!(
        per_worker.iter().filter(|&&n| n > 0).count() >= 2,
        "{per_worker:?}"
    );
}

#[tokio::test]
async fn a_bounded_queue_refuses_or_waits_and_a_blocked_sender_proceeds_soon() {
    let server = RedisServer::start();
    let client = server.client();
    let q = Queue::<u32>::builder("bounded")
        .capacity(2)
        .lease(LEASE)
        .open(&client)
        .await
        .unwrap();
    q.send(1).await.unwrap();
    q.try_send(2).await.unwrap();
    assert!(matches!(q.try_send(3).await, Err(TrySendError::Full(3))));

    let sender = tokio::spawn({
        let q = q.clone();
        async move {
            q.send(3).await.unwrap();
            Instant::now()
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!sender.is_finished(), "send did not wait for space");
    let freed = Instant::now();
    let job = q.recv_job().await.unwrap(); // a leased item no longer counts
    let sent = sender.await.unwrap();
    assert!(
        sent.duration_since(freed) < Duration::from_millis(200),
        "the blocked sender took {:?} to notice the space",
        sent.duration_since(freed)
    );
    assert_eq!(q.len().await.unwrap(), 2);
    drop(job);
}

#[tokio::test]
async fn close_gives_items_back_wakes_senders_and_lets_receivers_drain() {
    let server = RedisServer::start();
    let client = server.client();
    let q = Queue::<u32>::builder("closing")
        .capacity(1)
        .lease(LEASE)
        .open(&client)
        .await
        .unwrap();
    q.send(1).await.unwrap();
    let blocked = tokio::spawn({
        let q = q.clone();
        async move { q.send(2).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(q.close().await.unwrap());
    assert!(!q.close().await.unwrap());
    let err = tokio::time::timeout(Duration::from_secs(2), blocked)
        .await
        .expect("the blocked sender woke")
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, SendError::Closed(2)));
    assert_eq!(q.send(3).await.unwrap_err().into_inner(), 3);

    // Receivers drain what is queued, then learn it is closed.
    let job = q.recv_job().await.unwrap();
    assert_eq!(*job, 1);
    job.done().await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(2), q.recv_job())
        .await
        .unwrap();
    assert!(matches!(end, Err(RecvError::Closed)));
}

#[tokio::test]
async fn a_closed_queue_finishes_only_when_leases_are_done() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "draining").await;
    q.send(1).await.unwrap();
    let job = q.recv_job().await.unwrap();
    q.close().await.unwrap();
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.recv_job().await.map(|j| *j) }
    });
    tokio::time::sleep(LEASE * 2).await;
    assert!(
        !waiting.is_finished(),
        "Closed while a lease could still come back"
    );
    job.done().await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(2), waiting)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(end, Err(RecvError::Closed)));
}

#[tokio::test]
async fn shutdown_returns_every_undelivered_item() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "stop").await;
    for n in 1..=4 {
        q.send(n).await.unwrap();
    }
    let leased = q.recv_job().await.unwrap();
    let retried = q.recv_job().await.unwrap();
    retried.retry_in(Duration::from_secs(60)).await.unwrap();
    let mut back = q.shutdown().await.unwrap();
    back.sort_unstable();
    assert_eq!(back, [2, 3, 4]); // 1 is leased; 2 was waiting for its retry
    assert!(q.send(5).await.is_err());
    assert_eq!(q.unfinished().await.unwrap(), 1);
    leased.done().await.unwrap();
    q.join().await.unwrap();
}

#[tokio::test]
async fn retry_in_delivers_again_after_the_delay_counting_deliveries() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "retry").await;
    q.send(9).await.unwrap();
    let job = q.recv_job().await.unwrap();
    let start = Instant::now();
    job.retry_in(Duration::from_millis(200)).await.unwrap();
    assert_eq!(q.unfinished().await.unwrap(), 1);
    let again = q.recv_job().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(190),
        "{:?}",
        start.elapsed()
    );
    assert_eq!((*again, again.deliveries()), (9, 2));
    again.retry_in(Duration::ZERO).await.unwrap();
    let third = q.recv_job().await.unwrap();
    assert_eq!(third.deliveries(), 3);
    third.done().await.unwrap();
    q.join().await.unwrap();
}

#[tokio::test]
async fn a_live_job_keeps_its_lease_however_long_the_work_takes() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "long").await;
    let other = open::<u32>(&server, "long").await;
    q.send(1).await.unwrap();
    let job = q.recv_job().await.unwrap();
    assert!(
        recv_within(&other, LEASE * 4).await.is_none(),
        "redelivered while alive"
    );
    job.done().await.unwrap();
    q.join().await.unwrap();
}

#[tokio::test]
async fn a_job_dropped_during_a_panic_is_put_back_at_once() {
    let server = RedisServer::start();
    // A long lease: a panic's backtrace can take longer than `LEASE`, and
    // an expired lease would redeliver the item without any put-back.
    let lease = Duration::from_secs(5);
    let q = Queue::<u32>::builder("panics")
        .lease(lease)
        .open(&server.client())
        .await
        .unwrap();
    q.send(5).await.unwrap();
    let worker = tokio::spawn({
        let q = q.clone();
        async move {
            let _job = q.recv_job().await.unwrap();
            panic!("worker failed");
        }
    });
    assert!(worker.await.unwrap_err().is_panic());
    let again = recv_within(&q, lease / 5)
        .await
        .expect("put back before the lease ran out");
    assert_eq!((*again, again.deliveries()), (5, 2));
}

#[tokio::test]
async fn a_dropped_job_is_acknowledged_in_the_background() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "dropped").await;
    q.send(5).await.unwrap();
    drop(q.recv_job().await.unwrap());
    tokio::time::timeout(Duration::from_secs(2), q.join())
        .await
        .unwrap()
        .unwrap();
    assert!(recv_within(&q, LEASE * 2).await.is_none());
}

#[tokio::test]
async fn a_dropped_recv_loses_nothing() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "cancel").await;
    // Dropped while blocked in XREADGROUP; the item arrives meanwhile.
    let pending = tokio::time::timeout(Duration::from_millis(50), q.recv_job()).await;
    assert!(pending.is_err());
    q.send(1).await.unwrap();
    let job = recv_within(&q, LEASE / 2)
        .await
        .expect("delivered before its lease ran out");
    assert_eq!(*job, 1);
}

#[tokio::test]
async fn poison_items_reach_the_dead_letters_and_join_does_not_hang() {
    let server = RedisServer::start();
    let client = server.client();
    let q = Queue::<u32>::builder("poison")
        .lease(LEASE)
        .max_deliveries(2)
        .open(&client)
        .await
        .unwrap();
    q.send(13).await.unwrap();
    for delivery in 1..=2 {
        let job = q.recv_job().await.unwrap();
        assert_eq!(job.deliveries(), delivery);
        job.retry_in(Duration::ZERO).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(2), q.join())
        .await
        .unwrap()
        .unwrap();
    let dead = open::<u32>(&server, "poison:dead").await;
    let job = dead.recv_job().await.unwrap();
    assert_eq!(*job, 13);
    let entries = format!(
        "{:?}",
        raw(&server, &["XRANGE", "poison:dead", "-", "+"]).await
    );
    assert!(entries.contains("not done after 2 deliveries"), "{entries}");
}

#[tokio::test]
async fn an_expired_lease_past_max_deliveries_is_dead_lettered() {
    let server = RedisServer::start();
    let client = server.client();
    let q = Queue::<u32>::builder("expiring")
        .lease(LEASE)
        .max_deliveries(1)
        .open(&client)
        .await
        .unwrap();
    q.send(1).await.unwrap();
    // A consumer that takes the entry and never renews it (a dead process).
    raw(
        &server,
        &[
            "XREADGROUP",
            "GROUP",
            "async-patterns",
            "ghost",
            "COUNT",
            "1",
            "STREAMS",
            "expiring",
            ">",
        ],
    )
    .await;
    assert!(recv_within(&q, LEASE * 3).await.is_none());
    q.join().await.unwrap();
    let dead = raw(&server, &["XLEN", "expiring:dead"]).await;
    assert_eq!(dead, redis::Value::Int(1));
}

#[tokio::test]
async fn malformed_raw_entries_do_not_stop_a_worker() {
    let server = RedisServer::start();
    let q = open::<Task>(&server, "mixed").await;
    raw(&server, &["XADD", "mixed", "*", "foo", "bar"]).await;
    raw(&server, &["XADD", "mixed", "*", "v", "{not json"]).await;
    raw(&server, &["XADD", "mixed", "*", "v", "42"]).await;
    let good = Task {
        id: 1,
        url: "ok".into(),
    };
    q.send(good.clone()).await.unwrap();
    let job = q.recv_job().await.unwrap();
    assert_eq!(*job, good);
    job.done().await.unwrap();
    q.join().await.unwrap();
    let dead = format!(
        "{:?}",
        raw(&server, &["XRANGE", "mixed:dead", "-", "+"]).await
    );
    assert!(dead.contains("no `v` field"), "{dead}");
    assert!(dead.contains("cannot decode"), "{dead}");
    assert_eq!(
        raw(&server, &["XLEN", "mixed:dead"]).await,
        redis::Value::Int(3)
    );
}

/// The worker process of `a_worker_killed_mid_job_has_its_job_redelivered`:
/// takes one job, says so, and hangs until killed.
#[tokio::test]
#[ignore = "run as a child process by a_worker_killed_mid_job_has_its_job_redelivered"]
async fn child_worker_that_hangs() {
    let Ok(url) = std::env::var("ASYNC_PATTERNS_CHILD_REDIS") else {
        return;
    };
    let client = redis::Client::open(url).unwrap();
    let q = Queue::<u32>::builder("crash")
        .lease(LEASE)
        .open(&client)
        .await
        .unwrap();
    let job = q.recv_job().await.unwrap();
    println!("GOT {}", *job);
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn a_worker_killed_mid_job_has_its_job_redelivered() {
    let server = RedisServer::start();
    let q = open::<u32>(&server, "crash").await;
    q.send(77).await.unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_worker_that_hangs",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("ASYNC_PATTERNS_CHILD_REDIS", server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let got = loop {
        let line = lines.next().expect("the child said what it got").unwrap();
        if let Some(rest) = line.strip_prefix("GOT ") {
            break rest.to_owned();
        }
    };
    assert_eq!(got, "77");
    // While the child lives, its lease is renewed.
    assert!(recv_within(&q, LEASE * 2).await.is_none());
    child.kill().unwrap(); // SIGKILL: no cleanup at all
    child.wait().unwrap();
    let start = Instant::now();
    let job = recv_within(&q, LEASE * 5)
        .await
        .expect("redelivered after the lease");
    assert_eq!((*job, job.deliveries()), (77, 2));
    assert!(start.elapsed() <= LEASE * 5);
    job.done().await.unwrap();
    q.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_with_aof_loses_no_accepted_item() {
    const N: u32 = 300;
    let mut server = RedisServer::start_with(Persistence::Aof);
    let client = server.client();
    let open_q = || {
        Queue::<u32>::builder("durable")
            .lease(LEASE)
            .timeout(Duration::from_millis(500))
            .open(&client)
    };
    let producer = open_q().await.unwrap();
    let consumer = open_q().await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let worker = tokio::spawn({
        let seen = seen.clone();
        async move {
            let mut errors = 0;
            loop {
                match consumer.recv_job().await {
                    Ok(job) => {
                        seen.lock().unwrap().push(*job);
                        if job.done().await.is_err() {
                            errors += 1;
                        }
                    }
                    Err(RecvError::Closed) => return errors,
                    Err(RecvError::Backend(_)) => {
                        errors += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }
    });
    let mut send_errors = 0;
    for n in 0..N {
        if n == N / 2 {
            server.restart();
        }
        let mut item = n;
        loop {
            match producer.send(item).await {
                Ok(()) => break,
                Err(e) => {
                    send_errors += 1;
                    item = e.into_inner();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    loop {
        match producer.join().await {
            Ok(()) => break,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    producer.close().await.unwrap();
    let recv_errors = tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .unwrap()
        .unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        (0..N).collect::<Vec<_>>(),
        "an accepted item was lost"
    );
    // The restart was felt (typed errors), not hidden, and did not stop anything.
    assert!(send_errors + recv_errors > 0, "the restart went unnoticed");
}

#[tokio::test]
async fn a_dead_server_gives_typed_errors_with_the_item_back() {
    let mut server = RedisServer::start();
    let client = server.client();
    let q = Queue::<u32>::builder("gone")
        .lease(LEASE)
        .timeout(Duration::from_millis(300))
        .open(&client)
        .await
        .unwrap();
    server.kill();
    let bounded = Duration::from_secs(10);
    let sent = tokio::time::timeout(bounded, q.send(5))
        .await
        .expect("send hung");
    assert!(matches!(sent, Err(SendError::Backend(5, _))), "{sent:?}");
    let received = tokio::time::timeout(bounded, q.recv_job())
        .await
        .expect("recv hung");
    assert!(
        matches!(received, Err(RecvError::Backend(_))),
        "{received:?}"
    );
    let joined = tokio::time::timeout(bounded, q.join())
        .await
        .expect("join hung");
    assert!(joined.is_err());
    // And it comes back by itself.
    server.restart();
    let mut tries = 0;
    while q.send(6).await.is_err() {
        tries += 1;
        assert!(tries < 100, "no reconnect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(q.recv().await.unwrap(), 6);
}

#[test]
fn handles_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Queue<Task>>();
    send_sync::<async_patterns::redis::Job<Task>>();
    send_sync::<async_patterns::redis::RateLimiter>();
    send_sync::<async_patterns::redis::Error>();
    send_sync::<SendError<Task>>();
    // Every returned future is a `Call`, `Send` so it can be spawned.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = RedisServer::start();
    rt.block_on(async {
        let q = open::<Task>(&server, "auto").await;
        send(&q.send(Task {
            id: 1,
            url: String::new(),
        }));
        send(&q.recv_job());
        send(&q.join());
    });
}
