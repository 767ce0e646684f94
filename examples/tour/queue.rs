//! `asyncio.Queue` -> `async_patterns::queue`: put/get with back-pressure,
//! task_done/join via `Job` guards, then a graceful close and a shutdown
//! that hands the leftovers back.

use std::time::Duration;

use async_patterns::queue;

/// Producer/consumer with `put`, `get`, `task_done` and `join`.
pub(crate) async fn producer_consumer() {
    let (tx, rx) = queue::bounded::<&'static str>(2);

    // put / get with back-pressure
    tx.send("wash").await.unwrap();
    tx.send("dry").await.unwrap();
    println!("queued 2 of capacity 2; full = {}", tx.is_full());
    let sender = tx.clone();
    let blocked = tokio::spawn(async move { sender.send("fold").await });
    tokio::time::sleep(Duration::from_millis(5)).await;
    println!(
        "get() -> {:?} (frees a slot for the blocked put)",
        rx.recv().await
    );
    blocked.await.unwrap().unwrap();

    // task_done / join: a Job finishes when it drops, even on panic
    let workers: Vec<_> = (1..=2)
        .map(|id| {
            let rx = rx.clone();
            tokio::spawn(async move {
                while let Ok(job) = rx.recv_job().await {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    println!("  worker {id} finished {:?}", *job);
                }
            })
        })
        .collect();
    tx.send("iron").await.unwrap();
    println!(
        "unfinished = {}; join() waits for the workers...",
        tx.unfinished()
    );
    tx.join().await;
    println!("join() done, unfinished = {}", tx.unfinished());
    tx.close();
    for worker in workers {
        worker.await.unwrap();
    }
}

/// `q.shutdown()` (Python 3.13): graceful close, or immediate shutdown that
/// returns what was still queued.
pub(crate) async fn closeable() {
    let (tx, rx) = queue::unbounded();
    tx.send("sweep").await.unwrap();
    tx.send("dust").await.unwrap();
    tx.close();
    println!(
        "after close(): put -> {:?} (the item comes back)",
        tx.send("late").await.map_err(|e| e.into_inner())
    );
    while let Ok(chore) = rx.recv().await {
        println!("  drained {chore:?}");
    }
    println!("then get() -> {:?}", rx.recv().await);

    // shutdown(immediate=True), but nothing is dropped: you get it back
    let (tx, _rx) = queue::unbounded();
    for chore in ["mop", "vacuum", "polish"] {
        tx.try_send(chore).unwrap();
    }
    println!("shutdown() returned {:?}", tx.shutdown());
}
