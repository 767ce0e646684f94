//! The HTTP retry layer's reading of `Retry-After` (RFC 9110 §10.2.3):
//! delay-seconds and HTTP-dates, on paused time with a `service_fn` server
//! (no socket).
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_patterns::retry::{Backoff, RetryPolicy};
use async_patterns::timeout::Deadline;
use async_patterns::tower::http::RetryLayer;
use http::{Request, Response, StatusCode};
use tokio::time::Instant;
use tower::{Layer, ServiceExt, service_fn};

/// The schedule's delay: far from every hint below, so a test tells which
/// one was used.
const SCHEDULED: Duration = Duration::from_secs(30);

/// Calls a server that answers its first call 503 with `headers`, its
/// second 200, through the HTTP retry layer on `policy`; returns the
/// final status, the number of calls and the (paused) time it took.
async fn call_with(
    policy: RetryPolicy,
    headers: &[(&'static str, String)],
) -> (StatusCode, usize, Duration) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let headers = headers.to_vec();
    let server = service_fn(move |_: Request<String>| {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        let mut response = Response::new(String::new());
        if first {
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            for (name, value) in &headers {
                response.headers_mut().insert(*name, value.parse().unwrap());
            }
        }
        async move { Ok::<_, Infallible>(response) }
    });
    let client = RetryLayer::new(policy).layer(server);
    let start = Instant::now();
    let response = client.oneshot(Request::new(String::new())).await.unwrap();
    (
        response.status(),
        calls.load(Ordering::SeqCst),
        start.elapsed(),
    )
}

fn constant() -> RetryPolicy {
    RetryPolicy::new(Backoff::constant(SCHEDULED).max_retries(1))
}

/// `time` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), rounded
/// down to the second.
fn imf_fixdate(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    // Walk the calendar from 1970: slow, plain, and independent of the
    // crate's arithmetic.
    let (mut year, mut left) = (1970, days);
    loop {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let len = if leap { 366 } else { 365 };
        if left < len {
            let lengths = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            let mut month = 0;
            while left >= lengths[month] {
                left -= lengths[month];
                month += 1;
            }
            return format!(
                "{}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
                DAYS[usize::try_from(days % 7).unwrap()],
                left + 1,
                MONTHS[month],
                of_day / 3600,
                of_day / 60 % 60,
                of_day % 60
            );
        }
        left -= len;
        year += 1;
    }
}

#[test]
fn the_test_formatter_writes_the_rfc_example() {
    let example = UNIX_EPOCH + Duration::from_secs(784_111_777);
    assert_eq!(imf_fixdate(example), "Sun, 06 Nov 1994 08:49:37 GMT");
}

#[tokio::test(start_paused = true)]
async fn delay_seconds_are_waited() {
    let (status, calls, took) = call_with(constant(), &[("retry-after", "3".into())]).await;
    assert_eq!(
        (status, calls, took),
        (StatusCode::OK, 2, Duration::from_secs(3))
    );
}

#[tokio::test(start_paused = true)]
async fn an_http_date_is_counted_from_the_response_date_in_all_three_forms() {
    let date = ("date", String::from("Sun, 06 Nov 1994 08:49:37 GMT"));
    for retry_after in [
        "Sun, 06 Nov 1994 08:49:40 GMT",
        "Sunday, 06-Nov-94 08:49:40 GMT",
        "Sun Nov  6 08:49:40 1994",
    ] {
        let headers = [date.clone(), ("retry-after", retry_after.into())];
        let (status, calls, took) = call_with(constant(), &headers).await;
        assert_eq!(
            (status, calls, took),
            (StatusCode::OK, 2, Duration::from_secs(3)),
            "{retry_after}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_http_date_without_a_response_date_is_counted_from_the_local_clock() {
    let at = imf_fixdate(SystemTime::now() + Duration::from_secs(5));
    let (status, calls, took) = call_with(constant(), &[("retry-after", at)]).await;
    assert_eq!((status, calls), (StatusCode::OK, 2));
    // The date has whole seconds, and the wall clock moves on meanwhile.
    assert!(
        took > Duration::from_secs(3) && took <= Duration::from_secs(5),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_http_date_in_the_past_means_retry_now() {
    let past = [("retry-after", String::from("Sun, 06 Nov 1994 08:49:37 GMT"))];
    let (status, calls, took) = call_with(constant(), &past).await;
    assert_eq!((status, calls, took), (StatusCode::OK, 2, Duration::ZERO));

    let before_date = [
        ("date", String::from("Sun, 06 Nov 1994 08:49:37 GMT")),
        ("retry-after", String::from("Sun, 06 Nov 1994 08:00:00 GMT")),
    ];
    let (status, calls, took) = call_with(constant(), &before_date).await;
    assert_eq!((status, calls, took), (StatusCode::OK, 2, Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn an_http_date_beyond_max_elapsed_or_the_deadline_is_not_waited() {
    let headers = [
        ("date", String::from("Sun, 06 Nov 1994 08:49:37 GMT")),
        ("retry-after", String::from("Sun, 06 Nov 1994 08:50:37 GMT")), // in 60 s
    ];
    let quick = || RetryPolicy::new(Backoff::constant(Duration::from_millis(1)).max_retries(1));

    let (status, calls, took) =
        call_with(quick().max_elapsed(Duration::from_secs(10)), &headers).await;
    assert_eq!(
        (status, calls, took),
        (StatusCode::SERVICE_UNAVAILABLE, 1, Duration::ZERO)
    );

    let within = Deadline::after(Duration::from_secs(10));
    let (status, calls, took) = within.scope(call_with(quick(), &headers)).await.unwrap();
    assert_eq!(
        (status, calls, took),
        (StatusCode::SERVICE_UNAVAILABLE, 1, Duration::ZERO)
    );
}

#[tokio::test(start_paused = true)]
async fn a_malformed_retry_after_leaves_the_delay_to_the_schedule() {
    for value in ["soon", "-1", "Sun, 31 Nov 1994 08:49:40 GMT"] {
        let (status, calls, took) = call_with(constant(), &[("retry-after", value.into())]).await;
        assert_eq!(
            (status, calls, took),
            (StatusCode::OK, 2, SCHEDULED),
            "{value}"
        );
    }
}
