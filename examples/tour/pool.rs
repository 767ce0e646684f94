//! async resource pool (`async with pool.acquire() as conn`) -> async_patterns::pool

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::pool::Pool;

/// A pretend database connection.
#[derive(Debug)]
struct Conn {
    id: usize,
    /// Set when the server hung up; `validate` throws the connection away.
    broken: bool,
}

impl Conn {
    async fn ping(self) -> Option<Self> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        if self.broken {
            println!("  conn#{} failed its ping: dropped", self.id);
            None
        } else {
            Some(self)
        }
    }

    /// The async cleanup no `Drop` can run (`await conn.close()`).
    async fn close(self) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        println!("  closed conn#{}", self.id);
    }
}

/// `async with pool.acquire() as conn:` as a scope function taking an async
/// closure; the connection goes back when the guard drops, even on a panic.
async fn with_connection<R>(pool: &Pool<Conn>, body: impl AsyncFnOnce(&mut Conn) -> R) -> R {
    let mut conn = pool.get().await;
    body(&mut conn).await
}

pub(crate) async fn run() {
    let opened = Arc::new(AtomicUsize::new(0));
    let pool = Pool::builder(2, {
        let opened = opened.clone();
        move || {
            let id = opened.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await; // "connect"
                println!("  opened connection #{id}");
                Conn { id, broken: false }
            }
        }
    })
    .validate(Conn::ping)
    .max_lifetime(Duration::from_secs(30 * 60))
    .build();

    let queries: Vec<_> = (1..=5)
        .map(|query| {
            let pool = pool.clone();
            tokio::spawn(async move {
                with_connection(&pool, async |conn| {
                    println!("  query {query} runs on conn#{}", conn.id);
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    conn.broken = query == 5; // the server drops this one
                })
                .await;
            })
        })
        .collect();
    for query in queries {
        query.await.expect("query panicked");
    }
    let id = with_connection(&pool, async |conn| conn.id).await;
    println!("  a 6th query gets conn#{id}");
    println!(
        "6 queries, {} connections opened (max_size 2); {pool:?}",
        opened.load(Ordering::SeqCst)
    );
    // Graceful shutdown: wait for every connection, then close each.
    for conn in pool.drain().await {
        conn.close().await;
    }
}
