//! A crawler with a concurrency limit, a rate limit and retries (the seed's
//! aiohttp + Semaphore + aiolimiter + tenacity crawler), against an
//! in-memory fake site with simulated latency, 429s, 500s and a few pages
//! that hang. The same crawler over real HTTP: `cargo run --example crawler`.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_patterns::executor::{GroupHandle, TaskGroup};
use async_patterns::monitor::Monitor;
use async_patterns::rate_limit::RateLimiter;
use async_patterns::retry::{Backoff, Jitter, retry};
use async_patterns::timeout::{Deadline, Elapsed};

const PAGES: u32 = 40;
const CONCURRENCY: usize = 4;
const REQUESTS_PER_SECOND: u32 = 300;

#[derive(Debug)]
enum FetchError {
    TooManyRequests { retry_after: Duration },
    Server(u16),
    Timeout,
}

impl FetchError {
    fn kind(&self) -> String {
        match self {
            Self::TooManyRequests { .. } => "429".to_owned(),
            Self::Server(status) => status.to_string(),
            Self::Timeout => "timeout".to_owned(),
        }
    }
}

impl From<Elapsed> for FetchError {
    fn from(_: Elapsed) -> Self {
        Self::Timeout
    }
}

/// The fake site: page `p` links to `2p + 1`, `2p + 2` and `7p mod PAGES`.
/// Every tenth page answers its first request with a 429, pages ending in 7
/// fail twice with a 500, and a few pages hang on their first request.
struct Site {
    /// Requests received, per page.
    requests: Vec<AtomicU32>,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// Counts a request as in flight until it answers or is dropped (timed out).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Site {
    fn new() -> Self {
        Self {
            requests: (0..PAGES).map(|_| AtomicU32::new(0)).collect(),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
        }
    }

    async fn get(&self, page: u32) -> Result<Vec<u32>, FetchError> {
        let attempt = self.requests[page as usize].fetch_add(1, Ordering::SeqCst) + 1;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        let _in_flight = InFlight(&self.in_flight);

        tokio::time::sleep(Duration::from_millis(2 + u64::from(page * 7 % 9))).await;
        match (page % 10, attempt) {
            (3, 1) => Err(FetchError::TooManyRequests {
                retry_after: Duration::from_millis(20),
            }),
            (7, 1 | 2) => Err(FetchError::Server(500)),
            (5, 1) => std::future::pending().await,
            _ => Ok([page * 2 + 1, page * 2 + 2, page * 7 % PAGES]
                .into_iter()
                .filter(|&link| link < PAGES)
                .collect()),
        }
    }

    fn total_requests(&self) -> u32 {
        self.requests.iter().map(|n| n.load(Ordering::SeqCst)).sum()
    }
}

struct Crawler {
    site: Site,
    limiter: RateLimiter,
    seen: Mutex<HashSet<u32>>,
    /// Failed attempts that were retried, by kind of error.
    retried: Mutex<BTreeMap<String, u32>>,
    monitor: Monitor,
}

impl Crawler {
    /// One page: rate limited, each attempt timed out after 40 ms, retried
    /// with exponential backoff and full jitter, honouring `Retry-After`.
    async fn fetch(&self, page: u32) -> Result<Vec<u32>, FetchError> {
        let schedule = Backoff::exponential(Duration::from_millis(5))
            .jitter(Jitter::Full)
            .max_retries(4);
        retry(schedule, || async {
            self.limiter.acquire().await;
            let answer = self.monitor.timed("GET", self.site.get(page)).await;
            if let Err(FetchError::TooManyRequests { retry_after }) = &answer {
                self.limiter.pause_for(*retry_after); // everyone backs off
            }
            answer
        })
        .retry_after(|e| match e {
            FetchError::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        })
        .attempt_timeout(Duration::from_millis(40))
        .notify(|event| {
            let mut retried = self.retried.lock().unwrap_or_else(PoisonError::into_inner);
            *retried.entry(event.error().kind()).or_default() += 1;
        })
        .await
    }
}

type PageResult = Result<u32, FetchError>;

/// Submits `page` to the group unless it was seen; its task submits the
/// links it finds.
fn visit(crawler: &Arc<Crawler>, group: &GroupHandle<PageResult>, page: u32) {
    let new = crawler
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(page);
    if !new {
        return;
    }
    let (crawler, handle) = (crawler.clone(), group.clone());
    // Err only once the group is closing (the deadline passed): nothing to do.
    let _ = group.spawn(async move {
        for link in crawler.fetch(page).await? {
            visit(&crawler, &handle, link);
        }
        Ok(page)
    });
}

pub(crate) async fn run() {
    let start = Instant::now();
    let crawler = Arc::new(Crawler {
        site: Site::new(),
        limiter: RateLimiter::per_second(REQUESTS_PER_SECOND).burst(CONCURRENCY as u32),
        seen: Mutex::new(HashSet::new()),
        retried: Mutex::new(BTreeMap::new()),
        monitor: Monitor::new(),
    });
    let group = TaskGroup::new(CONCURRENCY);
    visit(&crawler, &group.handle(), 0);
    // The whole crawl gets 2 s; every wait inside (rate limit, backoff) obeys it.
    // On time, every result; past the deadline, the group is dropped and
    // what still runs is aborted.
    let results = Deadline::after(Duration::from_secs(2))
        .scope(group.join_all())
        .await
        .unwrap_or_else(|elapsed| {
            println!("stopped: {elapsed}");
            Vec::new()
        });

    let crawled = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let failed: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().ok()?.as_ref().err())
        .collect();
    let requests = crawler.site.total_requests();
    let elapsed = start.elapsed();
    println!("crawled {crawled}/{PAGES} pages, failed {failed:?}, in {elapsed:.0?}");
    println!(
        "{requests} requests (retried: {:?}), at most {} in flight (limit {CONCURRENCY}), {:.0}/s (limit {REQUESTS_PER_SECOND}/s)",
        crawler
            .retried
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
        crawler.site.peak_in_flight.load(Ordering::SeqCst),
        f64::from(requests) / elapsed.as_secs_f64(),
    );
    print!("{}", crawler.monitor);
    println!("over real HTTP (axum + reqwest on loopback): cargo run --example crawler");
}
