//! async resource pool (`async with pool.acquire() as conn`) -> async_patterns::pool

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::pool::Pool;

pub(crate) async fn run() {
    let opened = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(2, {
        let opened = opened.clone();
        move || {
            let id = opened.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await; // "connect"
                println!("  opened connection #{id}");
                format!("conn#{id}")
            }
        }
    });

    let queries: Vec<_> = (1..=5)
        .map(|query| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let conn = pool.get().await;
                println!("  query {query} runs on {}", *conn);
                tokio::time::sleep(Duration::from_millis(15)).await;
            })
        })
        .collect();
    for query in queries {
        query.await.expect("query panicked");
    }
    println!(
        "5 queries, {} connections opened (max_size 2); {pool:?}",
        opened.load(Ordering::SeqCst)
    );
}
