//! An axum API behind the crate's four tower layers, exercised by clients
//! on loopback that print what each of them saw.
//!
//! - a rate limit per client (the `x-client` header): 5 per second, burst
//!   5, answered `429` with an honest `Retry-After` beyond that;
//! - a global concurrency limit of 4 that sheds (`503`) instead of queueing;
//! - a 2 s timeout (`504`) whose `Deadline` reaches the handler, where a
//!   flaky downstream call is retried within what is left of it.
//!
//! ```text
//! cargo run --example axum_service --features tower
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_patterns::rate_limit::KeyedRateLimiter;
use async_patterns::retry::{Backoff, retry};
use async_patterns::timeout::Deadline;
use async_patterns::tower::http::{ConcurrencyLimitLayer, RateLimitLayer, TimeoutLayer};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use futures::future::join_all;

/// A downstream service that fails two calls out of three.
async fn downstream(calls: &AtomicU32) -> Result<u32, &'static str> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = calls.fetch_add(1, Ordering::Relaxed);
    if n % 3 == 2 {
        Ok(n)
    } else {
        Err("downstream busy")
    }
}

async fn quote(State(calls): State<Arc<AtomicU32>>) -> String {
    let left = Deadline::current().remaining();
    // The retry loop sees the request's deadline and stops before it.
    match retry(Backoff::exponential(Duration::from_millis(100)), || {
        downstream(&calls)
    })
    .await
    {
        Ok(n) => format!(
            "quote #{n} ({} ms of budget left at the start)",
            left.as_millis()
        ),
        Err(e) => format!("gave up: {e}"),
    }
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

fn app() -> Router {
    let per_client = KeyedRateLimiter::new(5, Duration::from_secs(1)).burst(5);
    Router::new()
        .route("/quote", get(quote))
        .route("/slow", get(slow))
        .route("/ping", get(|| async { "pong" }))
        .with_state(Arc::new(AtomicU32::new(0)))
        .layer(
            RateLimitLayer::keyed(per_client, |req: &http::Request<Body>| {
                req.headers().get("x-client").map(|v| v.as_bytes().to_vec())
            })
            .reject(),
        )
        .layer(ConcurrencyLimitLayer::new(4).shed())
        .layer(TimeoutLayer::new(Duration::from_secs(2)))
}

/// `n` concurrent requests from `client`; the count of each status.
async fn burst(addr: SocketAddr, client: &str, path: &str, n: usize) -> BTreeMap<String, usize> {
    let http = reqwest::Client::new();
    let url = format!("http://{addr}{path}");
    let responses =
        join_all((0..n).map(|_| http.get(&url).header("x-client", client).send())).await;
    let mut seen = BTreeMap::new();
    for response in responses {
        let response = response.expect("the server is up");
        let mut status = response.status().to_string();
        if let Some(after) = response.headers().get("retry-after") {
            status += &format!(" (Retry-After: {})", after.to_str().unwrap_or("?"));
        }
        *seen.entry(status).or_default() += 1;
    }
    seen
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app()).await.unwrap() });

    println!("alice, 8 requests at once to /quote (4 in flight at most, the rest shed):");
    println!("  {:?}", burst(addr, "alice", "/quote", 8).await);

    println!("dave, 8 requests to /ping one after another (his limit: 5 per second, burst 5):");
    let mut seen = BTreeMap::new();
    for _ in 0..8 {
        for (status, n) in burst(addr, "dave", "/ping", 1).await {
            *seen.entry(status).or_insert(0) += n;
        }
    }
    println!("  {seen:?}");

    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("bob, 3 requests to /quote, one after another:");
    for _ in 0..3 {
        let body = reqwest::Client::new()
            .get(format!("http://{addr}/quote"))
            .header("x-client", "bob")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        println!("  {body}");
    }

    println!("carol, 1 request to /slow (the handler takes 5 s, the limit is 2 s):");
    println!("  {:?}", burst(addr, "carol", "/slow", 1).await);
}
