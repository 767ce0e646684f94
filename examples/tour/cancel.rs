//! `task.cancel()` -> drop the future (or abort the task): it never runs
//! again, and its destructors run, so cleanup lives in `Drop`.

use std::time::Duration;

use async_patterns::executor::TaskGroup;
use async_patterns::prelude::*;

/// Prints when the work it guards is cancelled (Python's `finally:`).
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("  cleanup: {} released", self.0);
    }
}

async fn slow_download(name: &'static str) -> &'static str {
    let _guard = Cleanup(name);
    tokio::time::sleep(Duration::from_secs(60)).await;
    name
}

pub(crate) async fn run() {
    // Cancelling a coroutine is dropping its future, here by a timeout.
    let outcome = slow_download("socket A")
        .timeout(Duration::from_millis(10))
        .await;
    println!("dropped by a timeout      -> {outcome:?}");

    // task.cancel() on a spawned task: abort its handle.
    let task = tokio::spawn(slow_download("socket B"));
    tokio::time::sleep(Duration::from_millis(5)).await;
    task.abort();
    let err = task.await.unwrap_err();
    println!(
        "JoinHandle::abort         -> cancelled: {}",
        err.is_cancelled()
    );

    // TaskGroup: the first failure cancels the siblings (asyncio.TaskGroup).
    let mut group = TaskGroup::new(4);
    group.spawn(async { Err::<&str, _>("timeout talking to db") });
    group.spawn(async { Ok(slow_download("socket C").await) });
    println!(
        "try_join_all              -> {:?}",
        group.try_join_all().await.map_err(|e| e.to_string())
    );

    // abort_all: every task is joined as a cancelled TaskError.
    let mut group = TaskGroup::new(2);
    group.spawn(slow_download("socket D"));
    group.spawn(slow_download("socket E"));
    tokio::time::sleep(Duration::from_millis(5)).await;
    group.abort_all();
    while let Some(result) = group.join_next().await {
        let cancelled = result.as_ref().is_err_and(|e| e.is_cancelled());
        println!("abort_all                 -> cancelled: {cancelled}");
    }
}
