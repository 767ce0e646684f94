//! async iterators, async generators, `async for` -> `futures::Stream`,
//! `async_patterns::stream::generate` and `StreamPatternsExt`

use std::sync::Arc;
use std::time::Duration;

use async_patterns::event::Event;
use async_patterns::prelude::*;
use async_patterns::stream::generate;
use futures::StreamExt;
use tokio::time::Instant;

pub(crate) async fn run() {
    // An async iterator (a class with __aiter__/__anext__): a Stream built
    // from a state and a step, here a paged API with a simulated latency.
    let pages = futures::stream::unfold(1_u32, |page| async move {
        tokio::time::sleep(Duration::from_millis(2)).await;
        (page <= 3).then(|| (format!("page {page}"), page + 1))
    });
    println!(
        "async for over a paged source -> {:?}",
        pages.collect::<Vec<_>>().await
    );

    // async def countdown(n): while n: yield n; n -= 1
    let countdown = generate(|mut y| async move {
        for n in (1..=3).rev() {
            println!("  generator: yielding {n}");
            y.send(n).await;
        }
        println!("  generator: done");
    });
    let mut countdown = std::pin::pin!(countdown);
    while let Some(n) = countdown.next().await {
        println!("async for got {n}");
    }

    // Batches of at most 4, or whatever arrived within 30 ms.
    let ticks = generate(|mut y| async move {
        for i in 0..6 {
            y.send(i).await;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
        y.send(6).await;
    });
    let batches: Vec<Vec<i32>> = ticks
        .chunks_timeout(4, Duration::from_millis(30))
        .collect()
        .await;
    println!("chunks_timeout(4, 30ms) -> {batches:?}");

    // At most 3 fetches in flight, results in input order.
    let start = Instant::now();
    let pages: Vec<String> = futures::stream::iter([30u64, 10, 20, 10, 10])
        .map_concurrent(3, |ms| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            format!("{ms}ms")
        })
        .collect()
        .await;
    println!(
        "map_concurrent(3) -> {pages:?} in {:?}",
        start.elapsed().as_millis()
    );

    // A shutdown event ends an endless stream.
    let stop = Arc::new(Event::new());
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(25)).await;
        stopper.set();
    });
    let seen = futures::stream::iter(0..)
        .throttle(Duration::from_millis(10))
        .take_until_set(stop)
        .count()
        .await;
    println!("throttle(10ms) until the event after 25ms -> {seen} items");
}
