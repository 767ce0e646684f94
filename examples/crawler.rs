//! A web crawler over real HTTP, with every pattern of the crate at work.
//!
//! The program starts an `axum` server on `127.0.0.1:0` in the same process.
//! It serves a site of linked pages generated from a seed, where every page
//! is reachable from `/page/0`, answers after a random latency, and some pages
//! misbehave: *flaky* ones answer 500 to their first one or two requests,
//! *broken* ones always answer 500, and *hanging* ones never answer within
//! the client's timeout. Every so often the whole server is "overloaded" and
//! answers 429 with `Retry-After: 1`, whatever the page.
//!
//! The crawler (`reqwest`) uses:
//!
//! - a [`TaskGroup`] with a concurrency limit; each page task submits the new
//!   links it finds through a [`GroupHandle`], deduplicated by a shared
//!   visited set, so every page is fetched once (retries are attempts of that
//!   one fetch);
//! - one shared [`RateLimiter`] (requests per second) that every attempt goes
//!   through, [`pause_for`](RateLimiter::pause_for)'d on a 429;
//! - a [`RetryPolicy`]: exponential backoff with full jitter, transient errors
//!   only, the server's `Retry-After` honoured through
//!   [`retry_after`](async_patterns::retry::Retry::retry_after);
//! - a per-request timeout ([`TimeoutExt::timeout`](async_patterns::timeout::TimeoutExt::timeout))
//!   and an overall [`Deadline`] scope around each page;
//! - a closeable [`queue`] carrying attempt and page reports to a reporter
//!   task that prints a progress line and adds up the summary;
//! - an [`Event`] for graceful shutdown, set on Ctrl-C or when the
//!   `--seconds` budget runs out: pages in flight finish (within a grace
//!   period enforced by the deadline), pages not started are skipped.
//!
//! ```text
//! cargo run --example crawler
//! cargo run --example crawler -- --pages 1000 --concurrency 32 --rps 500 --seconds 5
//! ```
//!
//! `tests/crawler.rs` includes this file as a module and checks, on the
//! server's side, that every page is fetched exactly once and that the
//! concurrency and rate limits hold.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_patterns::event::Event;
use async_patterns::executor::{GroupHandle, TaskGroup};
use async_patterns::prelude::*;
use async_patterns::queue::{self, Receiver, Sender};
use async_patterns::rate_limit::RateLimiter;
use async_patterns::retry::{Backoff, Jitter, RetryPolicy};
use async_patterns::timeout::{Deadline, Elapsed};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use reqwest::Client;

// ---------------------------------------------------------------------------
// The site
// ---------------------------------------------------------------------------

/// The shape of the generated site.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Number of pages, `/page/0` to `/page/{pages - 1}`.
    pub pages: usize,
    /// Seed of the link structure, the misbehaving pages and the latencies.
    pub seed: u64,
    /// Links on each page (at least; the spanning tree may add a few).
    pub links_per_page: usize,
    /// Each answer is delayed by a random latency in this range.
    pub latency: (Duration, Duration),
    /// Pages that answer 500 to their first one or two requests.
    pub flaky: usize,
    /// Pages that always answer 500.
    pub broken: usize,
    /// Every `throttle_every`-th request the server receives is answered
    /// 429 with `Retry-After` (0: never).
    pub throttle_every: usize,
    /// The `Retry-After` of a 429, in whole seconds as HTTP sends it.
    pub retry_after_secs: u64,
    /// Pages that take `hang_for` to answer (then 503).
    pub hanging: usize,
    /// How long a hanging page takes.
    pub hang_for: Duration,
}

impl SiteConfig {
    /// The default site for `pages` pages: a tenth of them flaky, two
    /// broken, three hanging, and a 429 for every 150th request.
    pub fn new(pages: usize) -> Self {
        Self {
            pages,
            seed: 7,
            links_per_page: 4,
            latency: (Duration::from_millis(5), Duration::from_millis(40)),
            flaky: pages / 10,
            broken: 2,
            throttle_every: 150,
            retry_after_secs: 1,
            hanging: 3,
            hang_for: Duration::from_secs(5),
        }
    }
}

/// How one page behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 every time.
    Ok,
    /// 500 to the first `fails` requests, then 200.
    Flaky {
        /// How many requests fail before the first success.
        fails: u32,
    },
    /// 500 every time.
    Broken,
    /// Answers 503 only after `hang_for`, longer than any client timeout.
    Hanging,
}

impl Behaviour {
    /// Whether the page can be fetched in the end (so its links are found).
    pub fn succeeds(self) -> bool {
        matches!(self, Self::Ok | Self::Flaky { .. })
    }
}

/// One generated page.
#[derive(Debug)]
struct Page {
    behaviour: Behaviour,
    links: Vec<usize>,
}

/// Generates the site: deterministic for a given config, every page
/// reachable from page 0 through pages that eventually succeed.
fn generate(config: &SiteConfig) -> Vec<Page> {
    assert!(config.pages > 0, "the site needs at least one page");
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let mut behaviours = vec![Behaviour::Ok; config.pages];
    // Page 0 (the root) always behaves; the others are shuffled and dealt
    // out to the misbehaving kinds.
    let mut others: Vec<usize> = (1..config.pages).collect();
    rng.shuffle(&mut others);
    let mut others = others.into_iter();
    let kinds = [
        (config.broken, Behaviour::Broken),
        (config.hanging, Behaviour::Hanging),
        (config.flaky, Behaviour::Flaky { fails: 0 }),
    ];
    for (count, kind) in kinds {
        for page in others.by_ref().take(count) {
            behaviours[page] = match kind {
                Behaviour::Flaky { .. } => Behaviour::Flaky {
                    fails: rng.u32(1..=2),
                },
                other => other,
            };
        }
    }

    let mut links = vec![Vec::new(); config.pages];
    // A spanning tree first: each page is linked from an earlier page that
    // succeeds, so every page is reachable from the root.
    let mut good = vec![0];
    for (page, behaviour) in behaviours.iter().enumerate().skip(1) {
        let parent = good[rng.usize(..good.len())];
        links[parent].push(page);
        if behaviour.succeeds() {
            good.push(page);
        }
    }
    // Then random links (duplicates and back links included, as on the web).
    for (page, out) in links.iter_mut().enumerate() {
        while out.len() < config.links_per_page && config.pages > 1 {
            let to = rng.usize(..config.pages);
            if to != page {
                out.push(to);
            }
        }
    }
    behaviours
        .into_iter()
        .zip(links)
        .map(|(behaviour, links)| Page { behaviour, links })
        .collect()
}

/// One request the server received.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// The page asked for (`None`: not a page path).
    pub page: Option<usize>,
    /// When the handler started.
    pub arrived: Instant,
    /// When the handler returned its answer, or was dropped.
    pub answered: Instant,
    /// The status it answered, or 0 if the client went away first.
    pub status: u16,
}

impl Hit {
    /// How long the server spent on the request.
    pub fn took(&self) -> Duration {
        self.answered - self.arrived
    }
}

/// The most of the sorted `arrivals` that fall in any `window` (a window
/// that starts at an arrival and is `window` long, end excluded).
pub fn peak_in_window(arrivals: &[Instant], window: Duration) -> usize {
    let mut end = 0;
    let mut peak = 0;
    for (start, &at) in arrivals.iter().enumerate() {
        while end < arrivals.len() && arrivals[end] < at + window {
            end += 1;
        }
        peak = peak.max(end - start);
    }
    peak
}

/// What the server saw: every request, and the most handled at once.
#[derive(Debug, Default)]
pub struct ServerStats {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    hits: Mutex<Vec<Hit>>,
}

impl ServerStats {
    /// The most requests the server was handling at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every request so far, in the order their handlers finished.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Counts a request in flight from its arrival until it is dropped (after
/// the handler returned, or when the client went away first), then logs it.
struct InFlight<'a> {
    stats: &'a ServerStats,
    page: Option<usize>,
    arrived: Instant,
    status: u16,
}

impl<'a> InFlight<'a> {
    fn enter(stats: &'a ServerStats, page: Option<usize>) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self {
            stats,
            page,
            arrived: Instant::now(),
            status: 0,
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
        let hit = Hit {
            page: self.page,
            arrived: self.arrived,
            answered: Instant::now(),
            status: self.status,
        };
        self.stats
            .hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hit);
    }
}

#[derive(Debug)]
struct SiteState {
    config: SiteConfig,
    pages: Vec<Page>,
    // Requests received per page (429s not counted), to tell a page's first
    // request from its retries.
    requests: Vec<AtomicU32>,
    // Requests received in all, for `throttle_every`.
    total: AtomicUsize,
    stats: Arc<ServerStats>,
}

/// The site's HTTP server, running on a loopback port until dropped.
#[derive(Debug)]
pub struct Site {
    addr: SocketAddr,
    state: Arc<SiteState>,
    server: tokio::task::JoinHandle<()>,
}

impl Site {
    /// Generates the site and serves it on `127.0.0.1` (a free port).
    pub async fn start(config: SiteConfig) -> std::io::Result<Site> {
        let pages = generate(&config);
        let state = Arc::new(SiteState {
            requests: pages.iter().map(|_| AtomicU32::new(0)).collect(),
            pages,
            config,
            total: AtomicUsize::new(0),
            stats: Arc::default(),
        });
        let app = Router::new()
            .fallback(serve_page)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("server error: {error}");
            }
        });
        Ok(Site {
            addr,
            state,
            server,
        })
    }

    /// The URL of the root page.
    pub fn root_url(&self) -> String {
        format!("http://{}/page/0", self.addr)
    }

    /// How `page` behaves.
    pub fn behaviour(&self, page: usize) -> Behaviour {
        self.state.pages[page].behaviour
    }

    /// What the server saw so far.
    pub fn stats(&self) -> &ServerStats {
        &self.state.stats
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The latency of the `nth` request for `page`: pseudo-random, but the same
/// for the same seed.
fn latency(config: &SiteConfig, page: usize, nth: u32) -> Duration {
    let (low, high) = config.latency;
    let span = high.saturating_sub(low).as_micros().max(1) as u64;
    let mut rng = fastrand::Rng::with_seed(config.seed ^ ((page as u64) << 20) ^ u64::from(nth));
    low + Duration::from_micros(rng.u64(..span))
}

async fn serve_page(State(site): State<Arc<SiteState>>, request: Request) -> Response {
    let page = request
        .uri()
        .path()
        .strip_prefix("/page/")
        .and_then(|id| id.parse::<usize>().ok())
        .filter(|&id| id < site.pages.len());
    let mut in_flight = InFlight::enter(&site.stats, page);
    let Some(page) = page else {
        in_flight.status = 404;
        return StatusCode::NOT_FOUND.into_response();
    };
    let every = site.config.throttle_every;
    if every > 0 && (site.total.fetch_add(1, Ordering::SeqCst) + 1) % every == 0 {
        in_flight.status = 429;
        let retry_after = site.config.retry_after_secs.to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after)],
        )
            .into_response();
    }
    let nth = site.requests[page].fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(latency(&site.config, page, nth)).await;
    let answer = match site.pages[page].behaviour {
        Behaviour::Flaky { fails } if nth <= fails => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Behaviour::Broken => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Behaviour::Hanging => {
            tokio::time::sleep(site.config.hang_for).await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        _ => {
            let mut body = format!("<html><body><h1>Page {page}</h1><ul>\n");
            for link in &site.pages[page].links {
                body += &format!("<li><a href=\"/page/{link}\">page {link}</a></li>\n");
            }
            body += "</ul></body></html>\n";
            Html(body).into_response()
        }
    };
    in_flight.status = answer.status().as_u16();
    answer
}

// ---------------------------------------------------------------------------
// The crawler
// ---------------------------------------------------------------------------

/// How to crawl.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// Pages fetched at once (the `TaskGroup` limit).
    pub concurrency: usize,
    /// Requests per second, shared by all tasks (the `RateLimiter`).
    pub rps: u32,
    /// After this, no new page starts (the shutdown `Event` is set).
    pub budget: Duration,
    /// Pages in flight at the end of the budget get this long to finish
    /// (the overall `Deadline` is `budget + grace`).
    pub grace: Duration,
    /// The limit of one HTTP request.
    pub request_timeout: Duration,
    /// The first backoff delay (doubled on each retry, full jitter).
    pub backoff: Duration,
    /// Retries of one page after its first attempt.
    pub max_retries: usize,
    /// Print a progress line this often (`None`: quiet).
    pub progress: Option<Duration>,
    /// Set the shutdown event on Ctrl-C.
    pub ctrl_c: bool,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        Self {
            concurrency: 16,
            rps: 200,
            budget: Duration::from_secs(10),
            grace: Duration::from_secs(1),
            request_timeout: Duration::from_millis(250),
            backoff: Duration::from_millis(50),
            max_retries: 3,
            progress: Some(Duration::from_millis(250)),
            ctrl_c: true,
        }
    }
}

/// Why a page could not be fetched (the final error of its retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Every attempt timed out.
    Timeout,
    /// 5xx until the retries ran out.
    ServerError,
    /// 429 until the retries ran out.
    Throttled,
    /// A 4xx other than 429 (not retried).
    ClientError,
    /// Connection or protocol errors until the retries ran out.
    Transport,
    /// The overall deadline cut the page off.
    Deadline,
    /// The page task panicked.
    Panicked,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timeout",
            Self::ServerError => "5xx exhausted",
            Self::Throttled => "429 exhausted",
            Self::ClientError => "4xx",
            Self::Transport => "transport",
            Self::Deadline => "deadline",
            Self::Panicked => "panicked",
        })
    }
}

/// The error of one attempt.
#[derive(Debug)]
enum FetchError {
    Timeout(Elapsed),
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    Transport(reqwest::Error),
}

impl FetchError {
    /// Worth another attempt: timeouts, 5xx, 429 and connection errors.
    fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Transport(_) => true,
            Self::Status { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
        }
    }

    /// The server's `Retry-After`, which replaces the backoff delay.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::Timeout(_) => ErrorKind::Timeout,
            Self::Transport(_) => ErrorKind::Transport,
            Self::Status { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS => {
                ErrorKind::Throttled
            }
            Self::Status { status, .. } if status.is_server_error() => ErrorKind::ServerError,
            Self::Status { .. } => ErrorKind::ClientError,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(elapsed) => write!(f, "no answer within {:?}", elapsed.limit()),
            Self::Status { status, .. } => write!(f, "HTTP {status}"),
            Self::Transport(error) => write!(f, "{error}"),
        }
    }
}

impl From<reqwest::Error> for FetchError {
    fn from(error: reqwest::Error) -> Self {
        Self::Transport(error)
    }
}

/// What page tasks tell the reporter, through the results queue.
#[derive(Debug)]
enum Report {
    /// One HTTP attempt ended: its status (`None` if there was no answer),
    /// whether it timed out, and how long it took.
    Attempt {
        status: Option<StatusCode>,
        timed_out: bool,
        took: Duration,
    },
    /// A page is done: fetched, or failed with its last error.
    Page {
        path: String,
        outcome: Result<(), (ErrorKind, String)>,
        attempts: usize,
    },
    /// A page was not started because of the shutdown.
    Skipped,
}

/// The result of a crawl.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Distinct pages found (the root included).
    pub discovered: usize,
    /// Pages fetched successfully.
    pub fetched: usize,
    /// Pages that failed, by the kind of their final error.
    pub failed: BTreeMap<ErrorKind, usize>,
    /// Pages found but not started because of the shutdown.
    pub skipped: usize,
    /// HTTP requests sent (attempts).
    pub requests: usize,
    /// Attempts after the first of their page.
    pub retries: usize,
    /// 429 answers seen.
    pub throttled: usize,
    /// 5xx answers seen.
    pub server_errors: usize,
    /// Attempts that timed out.
    pub timeouts: usize,
    /// Attempts that failed without an answer (connection errors).
    pub transport_errors: usize,
    /// Median latency of the answered requests.
    pub p50: Duration,
    /// 99th percentile latency of the answered requests.
    pub p99: Duration,
    /// Wall time of the crawl.
    pub elapsed: Duration,
    /// What set the shutdown event, if anything did.
    pub stopped_by: Option<&'static str>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        writeln!(
            f,
            "pages:     {} fetched, {} failed, {} skipped, of {} discovered",
            self.fetched,
            self.failed.values().sum::<usize>(),
            self.skipped,
            self.discovered,
        )?;
        write!(f, "errors:    ")?;
        if self.failed.is_empty() {
            write!(f, "none")?;
        }
        for (i, (kind, count)) in self.failed.iter().enumerate() {
            write!(f, "{}{kind} {count}", if i == 0 { "" } else { ", " })?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "requests:  {} ({} retries; answers seen: {} x 429, {} x 5xx; {} timeouts, {} transport errors)",
            self.requests,
            self.retries,
            self.throttled,
            self.server_errors,
            self.timeouts,
            self.transport_errors,
        )?;
        writeln!(
            f,
            "latency:   p50 {:.1} ms, p99 {:.1} ms",
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
        )?;
        write!(
            f,
            "time:      {secs:.2} s ({:.0} requests/s)",
            self.requests as f64 / secs.max(1e-9),
        )?;
        if let Some(why) = self.stopped_by {
            write!(f, ", stopped early by {why}")?;
        }
        Ok(())
    }
}

/// What every page task shares.
#[derive(Debug)]
struct Crawler {
    client: Client,
    origin: String,
    limiter: RateLimiter,
    retry: RetryPolicy,
    request_timeout: Duration,
    deadline: Deadline,
    stop: Arc<Event>,
    visited: Mutex<HashSet<String>>,
    discovered: Arc<AtomicUsize>,
    group: GroupHandle<()>,
    reports: Sender<Report>,
}

impl Crawler {
    /// Submits `path` to the group unless it was seen before.
    fn discover(self: &Arc<Self>, path: &str) {
        let new = self
            .visited
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_owned());
        if !new {
            return;
        }
        self.discovered.fetch_add(1, Ordering::Relaxed);
        let crawler = Arc::clone(self);
        let path = path.to_owned();
        // The group refuses work only once it is closing; then nothing new
        // should start anyway.
        let _ = self.group.spawn(async move { crawler.visit(path).await });
    }

    /// One page task: fetch the page (within the overall deadline), report
    /// it, submit its links.
    async fn visit(self: Arc<Self>, path: String) {
        let attempts = AtomicUsize::new(0);
        let outcome = match self.deadline.scope(self.fetch(&path, &attempts)).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => {
                let _ = self.reports.send(Report::Skipped).await;
                return;
            }
            Err(elapsed) => Err((ErrorKind::Deadline, elapsed.to_string())),
        };
        let outcome = outcome.map(|body| {
            for link in links(&body) {
                self.discover(link);
            }
        });
        let report = Report::Page {
            path,
            outcome,
            attempts: attempts.load(Ordering::Relaxed),
        };
        // The queue closes only after every page task finished.
        let _ = self.reports.send(report).await;
    }

    /// Fetches a page with retries; `None` if the shutdown came before its
    /// first request.
    async fn fetch(
        &self,
        path: &str,
        attempts: &AtomicUsize,
    ) -> Option<Result<String, (ErrorKind, String)>> {
        // No new page starts once the shutdown event is set: wait for the
        // first permit or the event, whichever comes first.
        tokio::select! {
            biased;
            () = self.stop.wait() => return None,
            () = self.limiter.acquire() => {}
        }
        let result = self
            .retry
            .retry(|| {
                let first = attempts.fetch_add(1, Ordering::Relaxed) == 0;
                async move {
                    if !first {
                        self.limiter.acquire().await;
                    }
                    self.attempt(path).await
                }
            })
            .when(FetchError::is_transient)
            .retry_after(FetchError::retry_after)
            .await;
        Some(result.map_err(|error| (error.kind(), error.to_string())))
    }

    /// One HTTP request, with its own timeout. A 429 pauses the shared
    /// limiter for everyone.
    async fn attempt(&self, path: &str) -> Result<String, FetchError> {
        let started = Instant::now();
        let request = async {
            let response = self
                .client
                .get(format!("{}{path}", self.origin))
                .send()
                .await?;
            let status = response.status();
            if !status.is_success() {
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|secs| secs.trim().parse().ok())
                    .map(Duration::from_secs);
                return Err(FetchError::Status {
                    status,
                    retry_after,
                });
            }
            Ok(response.text().await?)
        };
        let result = match request.timeout(self.request_timeout).await {
            Ok(result) => result,
            Err(elapsed) => Err(FetchError::Timeout(elapsed)),
        };
        let status = match &result {
            Ok(_) => Some(StatusCode::OK),
            Err(FetchError::Status {
                status,
                retry_after,
            }) => {
                if *status == StatusCode::TOO_MANY_REQUESTS {
                    self.limiter
                        .pause_for(retry_after.unwrap_or(Duration::from_secs(1)));
                }
                Some(*status)
            }
            Err(_) => None,
        };
        let report = Report::Attempt {
            status,
            timed_out: matches!(result, Err(FetchError::Timeout(_))),
            took: started.elapsed(),
        };
        let _ = self.reports.send(report).await;
        result
    }
}

/// The `href="/..."` targets in an HTML page.
fn links(html: &str) -> impl Iterator<Item = &str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| link.starts_with('/'))
}

/// Adds up the reports until the queue is closed and drained, printing a
/// progress line every `progress`.
async fn reporter(
    reports: Receiver<Report>,
    discovered: Arc<AtomicUsize>,
    progress: Option<Duration>,
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut latencies = Vec::new();
    let mut ticks = tokio::time::interval(progress.unwrap_or(Duration::from_secs(3600)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            report = reports.recv() => match report {
                Ok(report) => {
                    if let (Some(_), Report::Page { path, outcome: Err((_, error)), attempts }) = (progress, &report) {
                        println!("          {path}: gave up after {attempts} attempt(s): {error}");
                    }
                    summary.add(report, &mut latencies);
                }
                Err(_closed) => break,
            },
            _ = ticks.tick(), if progress.is_some() => {
                println!(
                    "[{:>5.2}s] {:>4} fetched, {:>3} failed, {:>4} discovered | {:>4} requests, {:>3} retries, {} x 429, {:>3} x 5xx, {:>2} timeouts",
                    started.elapsed().as_secs_f64(),
                    summary.fetched,
                    summary.failed.values().sum::<usize>(),
                    discovered.load(Ordering::Relaxed),
                    summary.requests,
                    summary.retries,
                    summary.throttled,
                    summary.server_errors,
                    summary.timeouts,
                );
            }
        }
    }
    summary.discovered = discovered.load(Ordering::Relaxed);
    latencies.sort_unstable();
    summary.p50 = percentile(&latencies, 50);
    summary.p99 = percentile(&latencies, 99);
    summary
}

impl Summary {
    fn add(&mut self, report: Report, latencies: &mut Vec<Duration>) {
        match report {
            Report::Attempt {
                status,
                timed_out,
                took,
            } => {
                self.requests += 1;
                match status {
                    Some(status) => {
                        latencies.push(took);
                        self.throttled += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
                        self.server_errors += usize::from(status.is_server_error());
                    }
                    None if timed_out => self.timeouts += 1,
                    None => self.transport_errors += 1,
                }
            }
            Report::Page {
                outcome, attempts, ..
            } => {
                self.retries += attempts.saturating_sub(1);
                match outcome {
                    Ok(()) => self.fetched += 1,
                    Err((kind, _)) => *self.failed.entry(kind).or_default() += 1,
                }
            }
            Report::Skipped => self.skipped += 1,
        }
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p).div_ceil(100).clamp(1, sorted.len()) - 1]
}

/// Crawls from `root_url` and returns the summary.
///
/// # Panics
///
/// If `config.concurrency` or `config.rps` is 0.
pub async fn crawl(root_url: &str, config: &CrawlConfig) -> Summary {
    let started = Instant::now();
    let (origin, root) = split_url(root_url);
    let client = Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(config.concurrency)
        .build()
        .expect("a plain HTTP client builds");

    // Graceful shutdown: the event is set when the budget runs out or on
    // Ctrl-C; the hard deadline leaves pages in flight `grace` to finish.
    let stop = Arc::new(Event::new());
    let watchdog = tokio::spawn({
        let stop = Arc::clone(&stop);
        let (budget, ctrl_c) = (config.budget, config.ctrl_c);
        async move {
            let why = tokio::select! {
                () = tokio::time::sleep(budget) => "the --seconds budget",
                Ok(()) = tokio::signal::ctrl_c(), if ctrl_c => "Ctrl-C",
            };
            stop.set();
            why
        }
    });

    let (reports, received) = queue::bounded(1024);
    let discovered = Arc::new(AtomicUsize::new(0));
    let report_task = tokio::spawn(reporter(received, Arc::clone(&discovered), config.progress));

    let group = TaskGroup::new(config.concurrency);
    let crawler = Arc::new(Crawler {
        client,
        origin: origin.to_owned(),
        limiter: RateLimiter::per_second(config.rps),
        retry: RetryPolicy::new(
            Backoff::exponential(config.backoff)
                .jitter(Jitter::Full)
                .max_delay(Duration::from_secs(2))
                .max_retries(config.max_retries),
        ),
        request_timeout: config.request_timeout,
        deadline: Deadline::after(config.budget + config.grace),
        stop: Arc::clone(&stop),
        visited: Mutex::default(),
        discovered,
        group: group.handle(),
        reports: reports.clone(),
    });
    crawler.discover(root);
    drop(crawler);

    // Every task, including the ones submitted by other tasks while this
    // waits; a panicking page task is counted, not lost.
    let panicked = group
        .join_all()
        .await
        .into_iter()
        .filter(Result::is_err)
        .count();

    // No task can send any more: close the queue so that the reporter
    // drains it and finishes.
    reports.close();
    let mut summary = report_task.await.expect("the reporter does not panic");
    if panicked > 0 {
        summary.failed.insert(ErrorKind::Panicked, panicked);
    }
    summary.stopped_by = if stop.is_set() {
        watchdog.await.ok()
    } else {
        watchdog.abort();
        None
    };
    summary.elapsed = started.elapsed();
    summary
}

/// `http://host:port/path` into (`http://host:port`, `/path`).
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, "/"),
    }
}

// ---------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------

/// The command line: `--pages`, `--concurrency`, `--rps`, `--seconds`.
#[derive(Debug, Clone)]
pub struct Args {
    /// Pages of the generated site.
    pub pages: usize,
    /// Pages fetched at once.
    pub concurrency: usize,
    /// Requests per second.
    pub rps: u32,
    /// Time budget in seconds.
    pub seconds: f64,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            pages: 300,
            concurrency: 16,
            rps: 200,
            seconds: 10.0,
        }
    }
}

const USAGE: &str = "usage: crawler [--pages N] [--concurrency N] [--rps N] [--seconds S]";

impl Args {
    /// Parses `--flag value` and `--flag=value` pairs.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        fn value<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
            let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
            value
                .parse()
                .map_err(|_| format!("{flag}: cannot parse {value:?}"))
        }
        let mut parsed = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, v)) => (flag.to_owned(), Some(v.to_owned())),
                None => (arg, None),
            };
            let v = inline.or_else(|| {
                (flag != "--help" && flag != "-h")
                    .then(|| args.next())
                    .flatten()
            });
            match flag.as_str() {
                "--pages" => parsed.pages = value(&flag, v)?,
                "--concurrency" => parsed.concurrency = value(&flag, v)?,
                "--rps" => parsed.rps = value(&flag, v)?,
                "--seconds" => parsed.seconds = value(&flag, v)?,
                "--help" | "-h" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        if parsed.pages == 0 || parsed.concurrency == 0 || parsed.rps == 0 {
            return Err(format!(
                "--pages, --concurrency and --rps must be at least 1\n{USAGE}"
            ));
        }
        if !(parsed.seconds.is_finite() && parsed.seconds > 0.0) {
            return Err(format!("--seconds must be positive\n{USAGE}"));
        }
        Ok(parsed)
    }
}

/// Starts the site, crawls it and prints the summary.
pub async fn run(args: &Args) -> std::io::Result<Summary> {
    let site = Site::start(SiteConfig::new(args.pages)).await?;
    let config = CrawlConfig {
        concurrency: args.concurrency,
        rps: args.rps,
        budget: Duration::from_secs_f64(args.seconds),
        ..CrawlConfig::default()
    };
    println!(
        "crawling {} ({} pages) with concurrency {}, {} requests/s, {:.1} s budget (Ctrl-C stops)",
        site.root_url(),
        args.pages,
        config.concurrency,
        config.rps,
        args.seconds,
    );
    let summary = crawl(&site.root_url(), &config).await;
    println!("\n{summary}");
    let stats = site.stats();
    let hits = stats.hits();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for hit in &hits {
        *statuses.entry(hit.status).or_default() += 1;
    }
    let statuses: Vec<String> = statuses
        .iter()
        .map(|(status, count)| match status {
            0 => format!("{count} x dropped by the client"),
            status => format!("{count} x {status}"),
        })
        .collect();
    let longest = hits.iter().map(Hit::took).max().unwrap_or_default();
    let mut arrivals: Vec<Instant> = hits.iter().map(|hit| hit.arrived).collect();
    arrivals.sort_unstable();
    println!(
        "server:    {} requests ({}), at most {} in flight, at most {} in any 1 s, longest {:.0} ms",
        hits.len(),
        statuses.join(", "),
        stats.max_in_flight(),
        peak_in_window(&arrivals, Duration::from_secs(1)),
        longest.as_secs_f64() * 1e3,
    );
    Ok(summary)
}

#[tokio::main]
async fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&args).await {
        eprintln!("crawler: {error}");
        std::process::exit(1);
    }
}
