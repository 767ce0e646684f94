//! The crawler example (`examples/crawler/`), run small against its own
//! loopback server, checked from the server's side: every page fetched
//! exactly once, the concurrency and rate limits never exceeded, `Retry-After`
//! honoured, and the graceful shutdown starting no new page.
//!
//! These tests use real sockets and the real clock (tokio's paused clock
//! cannot drive a real server and client), so every tolerance below is
//! generous and documented, and each test takes about a second or two.

#![cfg(not(loom))]

#[allow(dead_code)]
#[path = "../examples/crawler/site.rs"]
mod site;

#[allow(dead_code)]
#[path = "../examples/crawler/crawl.rs"]
mod crawl;

#[allow(dead_code)]
#[path = "../examples/crawler/ops.rs"]
mod ops;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crawl::{CrawlConfig, Summary};
use site::{Behaviour, Hit, Site, SiteConfig, peak_in_window};

/// A small, well-behaved-in-the-end site: no broken and no hanging pages, so
/// every page can be fetched.
fn site(pages: usize, latency_ms: (u64, u64), throttle_every: usize) -> SiteConfig {
    SiteConfig {
        pages,
        seed: 42,
        links_per_page: 4,
        latency: (
            Duration::from_millis(latency_ms.0),
            Duration::from_millis(latency_ms.1),
        ),
        flaky: pages / 10,
        broken: 0,
        throttle_every,
        retry_after_secs: 1,
        hanging: 0,
        hang_for: Duration::ZERO,
    }
}

fn crawl_config(concurrency: usize, rps: u32) -> CrawlConfig {
    CrawlConfig {
        concurrency,
        rps,
        // Far above anything these crawls need, so that neither the budget
        // nor a request timeout can fire on a slow machine (a timed-out
        // request that the server still answers would be a second fetch).
        budget: Duration::from_secs(60),
        grace: Duration::from_secs(1),
        request_timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(10),
        max_retries: 3,
        progress: None,
        ctrl_c: false,
    }
}

fn hits_by_page(site: &Site) -> BTreeMap<usize, Vec<Hit>> {
    let mut by_page = BTreeMap::<usize, Vec<Hit>>::new();
    for hit in site.stats().hits() {
        let page = hit.page.expect("the crawler only asks for pages");
        by_page.entry(page).or_default().push(hit);
    }
    by_page
}

/// Every page fetched successfully exactly once, with exactly the requests
/// its behaviour calls for, and never asked for again after its success.
fn assert_each_page_fetched_once(site: &Site, pages: usize, summary: &Summary) {
    assert_eq!(summary.discovered, pages, "{summary}");
    assert_eq!(summary.fetched, pages, "{summary}");
    assert!(summary.failed.is_empty(), "{summary}");
    assert_eq!(summary.skipped, 0, "{summary}");
    assert_eq!(summary.stopped_by, None);

    let by_page = hits_by_page(site);
    assert_eq!(by_page.len(), pages, "every page was asked for");
    let mut total = 0;
    for (&page, hits) in &by_page {
        let successes: Vec<&Hit> = hits.iter().filter(|hit| hit.status == 200).collect();
        assert_eq!(successes.len(), 1, "page {page}: {hits:?}");
        let success = successes[0];
        assert!(
            hits.iter().all(|hit| hit.arrived <= success.answered),
            "page {page} was asked for again after its success: {hits:?}"
        );
        let throttled = hits.iter().filter(|hit| hit.status == 429).count();
        let expected = throttled
            + match site.behaviour(page) {
                Behaviour::Ok => 1,
                Behaviour::Flaky { fails } => fails as usize + 1,
                other => panic!("page {page} is {other:?}, which this site has none of"),
            };
        assert_eq!(hits.len(), expected, "page {page}: {hits:?}");
        total += hits.len();
    }
    assert_eq!(summary.requests, total, "{summary}");
    assert_eq!(summary.retries, total - pages, "{summary}");
    assert_eq!(summary.timeouts, 0, "{summary}");
    assert_eq!(summary.transport_errors, 0, "{summary}");
    assert_stats_table_adds_up(summary);
}

/// The stats table agrees with the summary: every retry has a cause, every
/// request waited on the limiter once, every page was one group task.
fn assert_stats_table_adds_up(summary: &Summary) {
    let ops = &summary.ops;
    let (retries, throttled) = (ops.retries.values().sum::<usize>(), ops.retries.get("429"));
    assert_eq!(retries, summary.retries, "{ops}");
    assert_eq!(throttled.copied().unwrap_or(0), summary.throttled, "{ops}");
    let waits = ops.limiter_wait.as_ref().expect("limiter waits are timed");
    assert_eq!(waits.calls(), summary.requests as u64, "{ops}");
    assert_eq!(ops.limiter.granted, summary.requests as u64, "{ops}");
    assert!(waits.percentile(0.5) <= waits.percentile(0.99), "{ops}");
    assert_eq!(ops.group.spawned, summary.discovered as u64, "{ops}");
    assert_eq!(ops.group.completed, summary.fetched as u64, "{ops}");
    assert!(!ops.depth.is_empty(), "{ops}");
    assert!(
        ops.depth.iter().all(|s| s.running <= ops.group.limit),
        "{ops}"
    );
    assert!(ops.to_string().contains("retries by cause"), "{ops}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_and_retry_after_hold_and_every_page_is_fetched_once() {
    const PAGES: usize = 60;
    const RPS: u32 = 100;
    // Fast pages, a low rate: the rate limiter is what paces this crawl.
    let site = Site::start(site(PAGES, (1, 4), 40)).await.unwrap();
    let config = crawl_config(4, RPS);
    let summary = crawl::crawl(&site.root_url(), &config).await;
    assert_each_page_fetched_once(&site, PAGES, &summary);
    assert_eq!(
        summary.throttled, 1,
        "one 429 in about 70 requests: {summary}"
    );
    assert!(site.stats().max_in_flight() <= config.concurrency);

    // The rate, over every window of 250 ms that starts at a request. The
    // limiter (burst 1, so one permit every 10 ms) grants at most
    // `RPS * W + 1` permits in a window of length W, plus 1 for the up to
    // 1 ms by which it credits a waiter that its timer woke late. A request
    // reaches the server a little after its permit, and that delay varies
    // (scheduling on a loaded machine), which can squeeze requests together;
    // but only the requests in flight can be squeezed into a window from
    // before it, and there are at most `concurrency` of them. So the bound
    // below holds whatever the delays; an unlimited crawl of these pages
    // sends hundreds per window.
    let hits = site.stats().hits();
    let mut arrivals: Vec<Instant> = hits.iter().map(|hit| hit.arrived).collect();
    arrivals.sort_unstable();
    let window = Duration::from_millis(250);
    let allowed = (f64::from(RPS) * window.as_secs_f64()) as usize + 1 + 1 + config.concurrency;
    let peak = peak_in_window(&arrivals, window);
    assert!(
        peak <= allowed,
        "{peak} requests within {window:?}, at most {allowed} allowed at {RPS}/s"
    );

    // The 429 (`Retry-After: 1`, to the server's 40th request) pauses the
    // shared limiter: after the requests already granted (which reach the
    // server within 200 ms even on a loaded machine), nothing arrives until
    // the second is over; and the throttled page itself is retried only after
    // `Retry-After`.
    let throttled = hits
        .iter()
        .find(|hit| hit.status == 429)
        .expect("the throttled page answered 429");
    // The server throttles its 40th request, about halfway through: there
    // is traffic to hold back.
    let after = hits
        .iter()
        .filter(|hit| hit.arrived > throttled.answered)
        .count();
    assert!(after >= 10, "only {after} requests after the 429");
    let quiet_from = throttled.answered + Duration::from_millis(200);
    let quiet_until = throttled.answered + Duration::from_millis(950);
    let during_pause: Vec<&Hit> = hits
        .iter()
        .filter(|hit| hit.arrived > quiet_from && hit.arrived < quiet_until)
        .collect();
    assert!(
        during_pause.is_empty(),
        "requests during the pause: {during_pause:?}"
    );
    let retried = hits
        .iter()
        .filter(|hit| hit.page == throttled.page && hit.arrived > throttled.arrived)
        .map(|hit| hit.arrived)
        .min()
        .expect("the throttled page was asked for again");
    // The client starts its 1 s wait (the `Retry-After` hint, and the paused
    // limiter) after the server answered; tokio's timers never fire early.
    assert!(retried >= throttled.answered + Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_limit_holds_and_every_page_is_fetched_once() {
    const PAGES: usize = 60;
    const CONCURRENCY: usize = 4;
    // Slow pages, a high rate: the concurrency limit is what paces this
    // crawl (the crawl would keep more than 4 pages in flight otherwise).
    let site = Site::start(site(PAGES, (20, 40), 0)).await.unwrap();
    let summary = crawl::crawl(&site.root_url(), &crawl_config(CONCURRENCY, 1000)).await;
    assert_each_page_fetched_once(&site, PAGES, &summary);
    // The handler's in-flight count rises before the client sees an answer
    // and falls before the answer is sent, so it never exceeds the client's.
    assert_eq!(
        site.stats().max_in_flight(),
        CONCURRENCY,
        "the crawl reaches its concurrency limit and never exceeds it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_stops_new_pages_and_the_deadline_ends_the_rest() {
    const PAGES: usize = 200;
    let budget = Duration::from_millis(400);
    let grace = Duration::from_millis(400);
    let site = Site::start(site(PAGES, (5, 10), 0)).await.unwrap();
    let config = CrawlConfig {
        budget,
        grace,
        ..crawl_config(4, 50)
    };
    let start = Instant::now();
    let summary = crawl::crawl(&site.root_url(), &config).await;
    let took = start.elapsed();

    // At 50 requests per second, 200 pages need about 4 s: the budget stops
    // the crawl long before.
    assert_eq!(summary.stopped_by, Some("the --seconds budget"));
    assert!(summary.skipped > 0, "{summary}");
    assert!(summary.fetched > 0, "{summary}");
    assert_eq!(
        summary.fetched + summary.failed.values().sum::<usize>() + summary.skipped,
        summary.discovered,
        "every discovered page is accounted for: {summary}"
    );
    assert!(
        took < budget + grace + Duration::from_millis(500),
        "took {took:?}"
    );

    // No page sends its first request after the stop (set at `budget`; allow
    // 100 ms for a request granted just before it to reach the server), and
    // nothing at all is sent after the hard deadline.
    for (page, hits) in hits_by_page(&site) {
        let first = hits.iter().map(|hit| hit.arrived).min().unwrap();
        assert!(
            first < start + budget + Duration::from_millis(100),
            "page {page} started {:?} after the crawl did",
            first - start
        );
        for hit in hits {
            assert!(hit.arrived < start + budget + grace + Duration::from_millis(100));
        }
    }
}
