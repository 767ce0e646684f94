//! `asyncio.Queue` -> `async_patterns::queue`: put/get, task_done/join via
//! `Job`, graceful close, and shutdown that hands the leftovers back.

use std::time::Duration;

use async_patterns::queue;

pub(crate) async fn run() {
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
    let worker = {
        let rx = rx.clone();
        tokio::spawn(async move {
            while let Ok(job) = rx.recv_job().await {
                tokio::time::sleep(Duration::from_millis(5)).await;
                println!("  worker finished {:?}", *job);
            }
        })
    };
    println!(
        "unfinished = {}; join() waits for the worker...",
        tx.unfinished()
    );
    tx.join().await;
    println!("join() done, unfinished = {}", tx.unfinished());

    // graceful close: the worker drains and stops
    tx.send("iron").await.unwrap();
    tx.close();
    println!(
        "after close(): send -> {:?}",
        tx.send("late").await.map_err(|e| e.0)
    );
    worker.await.unwrap();

    // shutdown(immediate=True), but nothing is dropped: you get it back
    let (tx, _rx) = queue::unbounded();
    for chore in ["dust", "mop", "vacuum"] {
        tx.try_send(chore).unwrap();
    }
    println!("shutdown() returned {:?}", tx.shutdown());
}
