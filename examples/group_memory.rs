//! Peak memory of 10^6 submitted tasks, limit 64: `TaskGroup` (the waiting
//! ones stay unspawned boxed futures) against `JoinSet` + `Semaphore` with
//! the permit taken inside the task (10^6 runtime tasks exist at once), and
//! `JoinSet` with the permit taken before spawning (bounded, but the
//! submitter must wait and cannot hand the work off).
//!
//! Each mode runs in its own process, because the peak (`VmHWM` in
//! `/proc/self/status`, Linux only) never goes down:
//!
//! ```text
//! cargo run --release --example group_memory -- taskgroup
//! cargo run --release --example group_memory -- joinset
//! cargo run --release --example group_memory -- joinset-permit
//! ```

use std::sync::Arc;
use std::time::Instant;

use async_patterns::executor::TaskGroup;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const TASKS: usize = 1_000_000;
const LIMIT: usize = 64;

/// Peak resident set size of this process in KiB, if the OS tells.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn job(i: usize) -> usize {
    tokio::task::yield_now().await;
    i
}

#[tokio::main(worker_threads = 2)]
async fn main() {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "taskgroup".into());
    let before = peak_rss_kib();
    let start = Instant::now();
    let joined = match mode.as_str() {
        "taskgroup" => {
            let mut group = TaskGroup::new(LIMIT);
            for i in 0..TASKS {
                group.spawn(job(i));
            }
            println!(
                "submitted: running {}, waiting {}",
                group.running(),
                group.waiting()
            );
            group.join_all().await.len()
        }
        "joinset" => {
            let sem = Arc::new(Semaphore::new(LIMIT));
            let mut set = JoinSet::new();
            for i in 0..TASKS {
                let sem = sem.clone();
                set.spawn(async move {
                    let _permit = sem.acquire().await.unwrap();
                    job(i).await
                });
            }
            println!("submitted: {} runtime tasks", set.len());
            set.join_all().await.len()
        }
        "joinset-permit" => {
            let sem = Arc::new(Semaphore::new(LIMIT));
            let mut set = JoinSet::new();
            let mut n = 0;
            for i in 0..TASKS {
                let permit = sem.clone().acquire_owned().await.unwrap();
                set.spawn(async move {
                    let _permit = permit;
                    job(i).await
                });
                while set.try_join_next().is_some() {
                    n += 1;
                }
            }
            n + set.join_all().await.len()
        }
        other => panic!("unknown mode {other:?}: taskgroup, joinset or joinset-permit"),
    };
    assert_eq!(joined, TASKS);
    match (before, peak_rss_kib()) {
        (Some(b), Some(a)) => println!(
            "{mode}: {TASKS} tasks in {:.2?}, peak RSS {:.1} MiB (baseline {:.1} MiB, +{:.0} bytes per task)",
            start.elapsed(),
            a as f64 / 1024.0,
            b as f64 / 1024.0,
            (a - b) as f64 * 1024.0 / TASKS as f64
        ),
        _ => println!(
            "{mode}: done in {:.2?} (no /proc/self/status here)",
            start.elapsed()
        ),
    }
}
