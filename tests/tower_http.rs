//! The HTTP layers on a real server: an axum `Router` served on 127.0.0.1,
//! called by reqwest (a new connection per request, so that axum clones the
//! service for each, as in production). Real time here: sockets are
//! involved; the waits are short.
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::rate_limit::{KeyedRateLimiter, RateLimiter};
use async_patterns::retry::{Backoff, Budget, RetryPolicy};
use async_patterns::timeout::Deadline;
use async_patterns::tower::http::{
    ConcurrencyLimitLayer, RateLimitLayer, RetryLayer, TimeoutLayer,
};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use futures::future::join_all;
use http::StatusCode;
use tokio::sync::Notify;
use tower::{Layer, Service, ServiceExt, service_fn};

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// A client that opens a new connection per request.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn statuses(addr: SocketAddr, path: &str, n: usize) -> Vec<reqwest::Response> {
    let client = client();
    let url = format!("http://{addr}{path}");
    join_all((0..n).map(|_| client.get(&url).send()))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_concurrent_burst_gets_exactly_burst_200s_and_honest_retry_afters() {
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(RateLimiter::per_second(5).burst(5)).reject());
    let addr = serve(app).await;
    let responses = statuses(addr, "/", 40).await;
    let ok = responses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert_eq!(ok, 5, "one shared limit across every connection");
    let limited: Vec<_> = responses
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(limited.len(), 35);
    let retry_after: u64 = limited[0].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry_after, 1);
    // Honest: a client that waits as told gets through.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = client()
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn keyed_by_client_ip_limits_each_client() {
    let limiter = KeyedRateLimiter::new(1, Duration::from_secs(60)).burst(3);
    let app = Router::new().route("/", get(|| async { "ok" })).layer(
        RateLimitLayer::keyed(limiter.clone(), |req: &http::Request<axum::body::Body>| {
            req.extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        })
        .reject(),
    );
    let addr = serve(app).await;
    let responses = statuses(addr, "/", 10).await;
    let ok = responses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert_eq!(ok, 3);
    assert_eq!(limiter.len(), 1); // one client: 127.0.0.1
}

#[tokio::test]
async fn wait_mode_spreads_requests_at_the_rate() {
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(RateLimiter::per_second(50)));
    let addr = serve(app).await;
    let start = std::time::Instant::now();
    let responses = statuses(addr, "/", 10).await;
    assert!(responses.iter().all(|r| r.status() == StatusCode::OK));
    // The first is free, then one every 20 ms.
    assert!(
        start.elapsed() >= Duration::from_millis(180),
        "{:?}",
        start.elapsed()
    );
}

/// Counts handler calls in flight; the most at once.
#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    started: Arc<AtomicUsize>,
}

#[tokio::test]
async fn no_more_than_n_in_flight_across_connections() {
    let gauge = Gauge::default();
    let layer = ConcurrencyLimitLayer::new(3);
    let g = gauge.clone();
    let app = Router::new()
        .route(
            "/",
            get(move || {
                let g = g.clone();
                async move {
                    let now = g.now.fetch_add(1, Ordering::SeqCst) + 1;
                    g.most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    g.now.fetch_sub(1, Ordering::SeqCst);
                    "ok"
                }
            }),
        )
        .layer(layer.clone());
    let addr = serve(app).await;
    let responses = statuses(addr, "/", 12).await;
    assert!(responses.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(gauge.most.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_dropped_in_flight_request_frees_its_permit_and_shed_answers_503_at_once() {
    let gauge = Gauge::default();
    let release = Arc::new(Notify::new());
    let layer = ConcurrencyLimitLayer::new(1).shed();
    let (g, r) = (gauge.clone(), release.clone());
    let app = Router::new()
        .route(
            "/",
            get(move || {
                let (g, r) = (g.clone(), r.clone());
                async move {
                    g.started.fetch_add(1, Ordering::SeqCst);
                    r.notified().await;
                    "ok"
                }
            }),
        )
        .layer(layer.clone());
    let addr = serve(app).await;
    let url = format!("http://{addr}/");
    let hanging = tokio::spawn(client().get(&url).send());
    while gauge.started.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(layer.available(), 0);
    // Full: the next request is shed at once.
    let shed = client().get(&url).send().await.unwrap();
    assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The client of the hanging request goes away: hyper drops the
    // response future, and the permit comes back.
    hanging.abort();
    let freed = tokio::time::timeout(Duration::from_secs(5), async {
        while layer.available() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(freed.is_ok(), "the permit was not given back");
    release.notify_waiters();
    let ok = tokio::spawn(client().get(&url).send());
    while gauge.started.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    release.notify_waiters();
    assert_eq!(ok.await.unwrap().unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_handler_sees_the_deadline_and_slow_ones_get_504() {
    let app = Router::new()
        .route(
            "/left",
            get(|| async { Deadline::current().remaining().as_millis().to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .layer(TimeoutLayer::new(Duration::from_millis(500)));
    let addr = serve(app).await;
    let client = client();
    let left_ms = |request: reqwest::RequestBuilder| async move {
        let body = request.send().await.unwrap().text().await.unwrap();
        body.parse::<u128>().unwrap()
    };
    let left = left_ms(client.get(format!("http://{addr}/left"))).await;
    assert!(left <= 500 && left > 0, "{left} ms left");
    // gRPC clients send their own deadline: it narrows ours.
    let left = left_ms(
        client
            .get(format!("http://{addr}/left"))
            .header("grpc-timeout", "100m"),
    )
    .await;
    assert!(left <= 100, "{left} ms left");
    let start = std::time::Instant::now();
    let slow = client
        .get(format!("http://{addr}/slow"))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// An HTTP client service on reqwest, for the client-side retry layer.
fn http_client() -> impl Service<
    http::Request<String>,
    Response = http::Response<String>,
    Error = reqwest::Error,
    Future = impl Send,
> + Clone {
    let client = client();
    service_fn(move |req: http::Request<String>| {
        let client = client.clone();
        async move {
            let response = client.execute(reqwest::Request::try_from(req)?).await?;
            let mut out = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value);
            }
            Ok(out.body(response.text().await?).unwrap())
        }
    })
}

/// A server whose `/flaky` answers 503 (`Retry-After: 0`) `fail` times.
async fn flaky_server(fail: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let (c, c2) = (calls.clone(), calls.clone());
    let flaky = move |n: usize| {
        if n < fail {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "0")],
                "busy",
            )
        } else {
            (StatusCode::OK, [("retry-after", "0")], "ok")
        }
    };
    let app = Router::new()
        .route(
            "/flaky",
            get(move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move { flaky(n) }
            }),
        )
        .route(
            "/flaky",
            post(move || {
                let n = c2.fetch_add(1, Ordering::SeqCst);
                async move { flaky(n) }
            }),
        );
    (serve(app).await, calls)
}

#[tokio::test]
async fn the_http_retry_layer_retries_503_for_idempotent_requests_only() {
    let (addr, calls) = flaky_server(2).await;
    let retry = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_secs(30))));
    let client = retry.layer(http_client());
    let get = http::Request::get(format!("http://{addr}/flaky"))
        .body(String::new())
        .unwrap();
    let start = std::time::Instant::now();
    let response = client.clone().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // `Retry-After: 0` was honoured over the schedule's 30 s.
    assert!(start.elapsed() < Duration::from_secs(10));

    let (addr, calls) = flaky_server(2).await;
    let post = http::Request::post(format!("http://{addr}/flaky"))
        .body(String::from("x"))
        .unwrap();
    let response = client.oneshot(post).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "POST is not idempotent");
}

#[tokio::test]
async fn the_http_retry_layer_stops_when_the_budget_refuses() {
    let (addr, calls) = flaky_server(usize::MAX).await;
    let client = RetryLayer::new(RetryPolicy::new(
        Backoff::constant(Duration::from_millis(1)).unlimited(),
    ))
    .budget(Budget::new(0.1, 2))
    .layer(http_client());
    let get = || {
        http::Request::get(format!("http://{addr}/flaky"))
            .body(String::new())
            .unwrap()
    };
    let response = client.clone().oneshot(get()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "1 call + the 2 retries of the allowance"
    );
    let response = client.oneshot(get()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(calls.load(Ordering::SeqCst) <= 4, "no retry storm");
}

#[tokio::test]
async fn the_http_retry_layer_retries_connection_errors() {
    // A port with nothing listening: every attempt fails to connect.
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let inner = http_client();
    let counting = service_fn(move |req: http::Request<String>| {
        counter.fetch_add(1, Ordering::SeqCst);
        inner.clone().oneshot(req)
    });
    let client = RetryLayer::new(RetryPolicy::new(
        Backoff::constant(Duration::from_millis(1)).max_retries(2),
    ))
    .layer(counting);
    let get = http::Request::get(format!("http://{addr}/"))
        .body(String::new())
        .unwrap();
    assert!(client.oneshot(get).await.is_err());
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[test]
fn the_layers_fit_an_axum_router() {
    // A compile-time check: all four, on one router, with the keyed limit.
    let _app: Router = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::keyed(
            KeyedRateLimiter::new(10, Duration::from_secs(1)),
            |req: &http::Request<axum::body::Body>| req.uri().path().to_owned(),
        ))
        .layer(RateLimitLayer::new(RateLimiter::per_second(100)).reject())
        .layer(ConcurrencyLimitLayer::new(64).shed())
        .layer(TimeoutLayer::new(Duration::from_secs(2)));
    let _: Option<Infallible> = None;
}
