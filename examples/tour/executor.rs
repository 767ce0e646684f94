//! asyncio.gather + Semaphore / TaskGroup  ->  async_patterns::executor

use std::time::Duration;

use async_patterns::executor::{GroupHandle, TaskGroup, gather, try_gather};

/// A page of a tiny fake site and the links on it.
fn links(page: u32) -> Vec<u32> {
    if page < 4 {
        vec![page * 2 + 1, page * 2 + 2]
    } else {
        vec![]
    }
}

fn crawl(group: &GroupHandle<u32>, page: u32) {
    let handle = group.clone();
    let _ = group.spawn(async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        for link in links(page) {
            crawl(&handle, link);
        }
        page
    });
}

pub(crate) async fn run() {
    // gather(limit, ...): in place, input order.
    let squares = gather(
        3,
        (1..=6_u64).map(|n| async move {
            tokio::time::sleep(Duration::from_millis(12 - 2 * n)).await;
            n * n
        }),
    )
    .await;
    println!("gather(3, ..)            -> {squares:?}");

    // try_gather: the first error wins and cancels the rest.
    let first_error = try_gather(
        2,
        (1..=5).map(|n| async move {
            if n == 3 {
                Err(format!("job {n} failed"))
            } else {
                Ok(n)
            }
        }),
    )
    .await;
    println!("try_gather(2, ..)        -> {first_error:?}");

    // TaskGroup with a crawler that submits the links it finds.
    let group = TaskGroup::new(3);
    crawl(&group.handle(), 0);
    let mut pages: Vec<u32> = group
        .join_all()
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    pages.sort_unstable();
    println!("TaskGroup(3) crawler     -> visited {pages:?}");

    // Fail fast: an error aborts the siblings.
    let mut group = TaskGroup::new(4);
    group.spawn(async { Err::<u32, _>("timeout talking to db") });
    group.spawn(async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(1)
    });
    println!(
        "try_join_all             -> {:?}",
        group.try_join_all().await.map_err(|e| e.to_string())
    );

    // run_in_executor: blocking work under the same limit; abort_all cancels
    // what has not started.
    let mut group = TaskGroup::new(1);
    group.spawn_blocking(|| (1..=1_000_u64).sum::<u64>());
    group.spawn_blocking(|| (1..=2_000_u64).sum::<u64>());
    println!(
        "spawn_blocking x2, limit 1 -> running {}, waiting {}",
        group.running(),
        group.waiting()
    );
    group.abort_all();
    while let Some(result) = group.join_next().await {
        match result {
            Ok(sum) => println!("spawn_blocking           -> {sum}"),
            Err(e) => println!(
                "spawn_blocking           -> {e} (is_cancelled: {})",
                e.is_cancelled()
            ),
        }
    }
}
