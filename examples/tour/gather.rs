//! `asyncio.gather(*coros)` -> `async_patterns::executor::{gather, try_gather}`

use std::time::Duration;

use async_patterns::executor::{gather, try_gather};

pub(crate) async fn run() {
    // gather: every result, in input order, whatever order they finish in.
    let squares = gather(
        6,
        (1..=6_u64).map(|n| async move {
            tokio::time::sleep(Duration::from_millis(12 - 2 * n)).await;
            n * n
        }),
    )
    .await;
    println!("gather(..)      -> {squares:?} (the last one finished first)");

    // gather(..) where the first exception propagates: the rest are dropped.
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
    println!("try_gather(..)  -> {first_error:?}");
}
