//! Beyond one process: a work queue and a rate limit shared by several
//! worker processes through Redis.
//!
//! ```text
//! cargo run --features redis --example distributed
//! cargo run --features redis --example distributed -- --redis-url redis://127.0.0.1:6379/
//! ```
//!
//! Without `--redis-url`, it starts its own `redis-server` (from `PATH`) on a
//! free loopback port and stops it at the end; with it, it uses that server
//! (and deletes the `distributed:*` keys first).
//!
//! The program is its own producer and its workers: it spawns `--workers`
//! copies of itself (`--worker N`), sends `--items` fetch jobs plus two
//! poison jobs that always fail, and then:
//!
//! - kills worker 0 with SIGKILL in the middle of its first job: that job
//!   is delivered again to another worker once its lease (1 s) expires;
//! - every worker takes one permit of a shared rate limit (40 per second,
//!   for all of them together) before each job;
//! - the poison jobs are retried, then moved to `distributed:jobs:dead`
//!   after 3 deliveries;
//! - `join()` returns when every job is done or dead, and the producer
//!   checks that each one was done.

mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_patterns::redis::{Queue, RateLimiter, RecvError};
use serde::{Deserialize, Serialize};

const QUEUE: &str = "distributed:jobs";
const RATE: &str = "distributed:rate";
const LEASE: Duration = Duration::from_secs(1);
const PERMITS_PER_SECOND: u32 = 40;

#[derive(Debug, Serialize, Deserialize)]
struct Fetch {
    id: u32,
    url: String,
    /// A job that fails every time (a page that always times out).
    poison: bool,
}

struct Args {
    redis_url: Option<String>,
    worker: Option<u32>,
    workers: u32,
    items: u32,
}

fn args() -> Args {
    let mut args = Args {
        redis_url: None,
        worker: None,
        workers: 3,
        items: 60,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--redis-url" => args.redis_url = Some(value()),
            "--worker" => args.worker = Some(value().parse().expect("--worker N")),
            "--workers" => args.workers = value().parse().expect("--workers N"),
            "--items" => args.items = value().parse().expect("--items N"),
            other => panic!("unknown flag {other}; see the top of examples/distributed/main.rs"),
        }
    }
    args
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    match (args.worker, &args.redis_url) {
        (Some(id), Some(url)) => worker(id, url).await,
        (Some(_), None) => Err("--worker needs --redis-url".into()),
        (None, _) => producer(args).await,
    }
}

async fn open(url: &str) -> Result<(Queue<Fetch>, RateLimiter), Box<dyn std::error::Error>> {
    let client = redis::Client::open(url)?;
    let queue = Queue::builder(QUEUE)
        .lease(LEASE)
        .max_deliveries(3)
        .open(&client)
        .await?;
    let limiter =
        RateLimiter::open(&client, RATE, PERMITS_PER_SECOND, Duration::from_secs(1)).await?;
    Ok((queue, limiter))
}

/// One worker process: prints a line per event for the producer to read.
async fn worker(id: u32, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let (queue, limiter) = open(url).await?;
    loop {
        let job = match queue.recv_job().await {
            Ok(job) => job,
            Err(RecvError::Closed) => break,
            Err(RecvError::Backend(e)) => {
                eprintln!("worker {id}: {e}; trying again");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        println!("START {id} {} {}", job.id, job.deliveries());
        if id == 0 {
            // The victim: stuck in its first job until the producer kills it.
            std::future::pending::<()>().await;
        }
        limiter.acquire().await?;
        tokio::time::sleep(Duration::from_millis(20)).await; // "fetch" the page
        if job.poison {
            job.retry_in(Duration::from_millis(100)).await?;
        } else {
            println!("DONE {id} {} {}", job.id, job.deliveries());
            job.done().await?;
        }
    }
    Ok(())
}

async fn producer(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (_server, url) = match args.redis_url {
        Some(url) => {
            println!("using the Redis server at {url}");
            (None, url)
        }
        None => {
            let server = server::LocalRedis::start()?;
            println!(
                "started redis-server at {} (pass --redis-url to use another)",
                server.url()
            );
            let url = server.url();
            (Some(server), url)
        }
    };
    let client = redis::Client::open(url.as_str())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    redis::cmd("DEL")
        .arg(&[QUEUE, "distributed:jobs:delayed", "distributed:jobs:meta"])
        .arg(&["distributed:jobs:dead", "distributed:jobs:space", RATE])
        .query_async::<()>(&mut conn)
        .await?;
    let (queue, _) = open(&url).await?;

    let exe = std::env::current_exe()?;
    let mut children: Vec<Child> = (0..args.workers)
        .map(|id| {
            Command::new(&exe)
                .args(["--worker", &id.to_string(), "--redis-url", &url])
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    // One reader thread per worker forwards its lines here.
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    for child in &mut children {
        let out = BufReader::new(child.stdout.take().expect("piped"));
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);

    let start = Instant::now();
    for id in 0..args.items {
        let url = format!("https://example.com/page/{id}");
        queue
            .send(Fetch {
                id,
                url,
                poison: false,
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    for id in [1000, 1001] {
        let url = format!("https://example.com/slow/{id}");
        queue
            .send(Fetch {
                id,
                url,
                poison: true,
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    println!(
        "sent {} jobs and 2 poison jobs to {} workers (lease {LEASE:?}, {PERMITS_PER_SECOND} permits/s shared)",
        args.items, args.workers
    );

    // Read events until join() says every job is done or dead.
    let mut done: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut per_worker: BTreeMap<u32, (u32, u32)> = BTreeMap::new(); // (done, redeliveries)
    let mut killed = None;
    let join = queue.join();
    tokio::pin!(join);
    loop {
        tokio::select! {
            joined = &mut join => { joined?; break; }
            Some(line) = lines.recv() => {
                let parts: Vec<&str> = line.split_whitespace().collect();
                let [kind, worker, job, deliveries] = parts[..] else { continue };
                let (worker, job, deliveries): (u32, u32, u32) =
                    (worker.parse()?, job.parse()?, deliveries.parse()?);
                let stats = per_worker.entry(worker).or_default();
                match kind {
                    "START" if worker == 0 && killed.is_none() => {
                        children[0].kill()?; // SIGKILL: no goodbye, the lease just stops
                        children[0].wait()?;
                        println!("killed worker 0 (pid {}) in the middle of job {job}", children[0].id());
                        killed = Some(job);
                    }
                    "START" if deliveries > 1 => stats.1 += 1,
                    "DONE" => {
                        stats.0 += 1;
                        done.entry(job).or_default().push(worker);
                    }
                    _ => {}
                }
            }
        }
    }
    let elapsed = start.elapsed();
    queue.close().await?;
    for child in children.iter_mut().skip(1) {
        child.wait()?;
    }
    while let Ok(line) = lines.try_recv() {
        if let ["DONE", worker, job, _] = line.split_whitespace().collect::<Vec<_>>()[..] {
            done.entry(job.parse()?).or_default().push(worker.parse()?);
            per_worker.entry(worker.parse()?).or_default().0 += 1;
        }
    }

    for (worker, (n, redelivered)) in &per_worker {
        let note = if *worker == 0 { " (killed)" } else { "" };
        println!("worker {worker}{note}: {n} jobs done, {redelivered} redelivered jobs taken");
    }
    if let Some(job) = killed {
        let by = done
            .get(&job)
            .map(|w| format!("{w:?}"))
            .unwrap_or_else(|| "nobody".into());
        println!("job {job} (worker 0's when it died) was done by worker {by}");
    }
    let dead = Queue::<Fetch>::builder(format!("{QUEUE}:dead"))
        .open(&client)
        .await?;
    let dead_letters = dead.shutdown().await?;
    let dead_ids: BTreeSet<u32> = dead_letters.iter().map(|f| f.id).collect();
    println!("dead letters: {dead_ids:?} (after 3 deliveries each)");
    let expected: BTreeSet<u32> = (0..args.items).collect();
    let all_done = done.keys().copied().collect::<BTreeSet<_>>() == expected;
    println!(
        "join() returned after {elapsed:.2?}: {} of {} jobs done{}",
        done.len(),
        args.items,
        if all_done {
            ", every one of them"
        } else {
            " -- SOME WERE LOST"
        }
    );
    if !all_done {
        return Err("not every job was done".into());
    }
    Ok(())
}
