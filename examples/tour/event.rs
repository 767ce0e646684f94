//! asyncio.Event -> async_patterns::event::Event

use std::sync::Arc;
use std::time::Duration;

use async_patterns::event::Event;

pub(crate) async fn run() {
    let ready = Arc::new(Event::new());

    // Three workers block until the coordinator says "go".
    let workers: Vec<_> = (1..=3)
        .map(|id| {
            let ready = ready.clone();
            tokio::spawn(async move {
                println!("worker {id}: waiting for the event");
                ready.wait().await;
                println!("worker {id}: event set, working");
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(20)).await;
    println!("coordinator: setting the event");
    ready.set();
    for worker in workers {
        worker.await.expect("worker panicked");
    }

    ready.clear();
    let set_in_time = ready.wait_timeout(Duration::from_millis(30)).await;
    println!("after clear(): wait_timeout(30ms) -> {set_in_time} (nobody set it)");
}
