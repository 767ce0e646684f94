//! The crawler: every pattern of the crate at work against the site.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_patterns::event::Event;
use async_patterns::executor::{GroupHandle, TaskGroup};
use async_patterns::monitor::Monitor;
use async_patterns::prelude::*;
use async_patterns::queue::{self, Receiver, Sender};
use async_patterns::rate_limit::RateLimiter;
use async_patterns::retry::{Backoff, Jitter, RetryPolicy};
use async_patterns::timeout::{Deadline, Elapsed};
use axum::http::{StatusCode, header};
use reqwest::Client;

use crate::ops::{LIMITER_WAIT, Ops, RetryCauses, Sampler};

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
    /// The stats table: depth over time, retries by cause, limiter waits.
    pub ops: Ops,
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
    /// Times every limiter wait, for the p50/p99 of the stats table.
    monitor: Monitor,
    retry_causes: RetryCauses,
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
        // first permit or the event, whichever comes first. A permit that
        // could only come after the crawl's deadline is refused at once, so
        // the page is reported as out of time without sleeping into it.
        tokio::select! {
            biased;
            () = self.stop.wait() => return None,
            permit = self.monitor.timed(LIMITER_WAIT, self.limiter.acquire_within()) => {
                if let Err(elapsed) = permit {
                    return Some(Err((ErrorKind::Deadline, elapsed.to_string())));
                }
            }
        }
        let result = self
            .retry
            .retry(|| {
                let first = attempts.fetch_add(1, Ordering::Relaxed) == 0;
                async move {
                    if !first {
                        self.monitor
                            .timed(LIMITER_WAIT, self.limiter.acquire())
                            .await;
                    }
                    self.attempt(path).await
                }
            })
            .when(FetchError::is_transient)
            .retry_after(FetchError::retry_after)
            .notify(|event| self.retry_causes.add(event.error().kind()))
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
    let group = TaskGroup::new(config.concurrency);
    let sampler = Sampler::start(SAMPLE_EVERY, group.handle(), received.clone());
    let report_task = tokio::spawn(reporter(received, Arc::clone(&discovered), config.progress));

    let limiter = RateLimiter::per_second(config.rps);
    let (monitor, retry_causes) = (Monitor::new(), RetryCauses::default());
    let group_handle = group.handle();
    let crawler = Arc::new(Crawler {
        client,
        origin: origin.to_owned(),
        limiter: limiter.clone(),
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
        monitor: monitor.clone(),
        retry_causes: retry_causes.clone(),
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
    summary.ops = sampler
        .finish(
            &retry_causes,
            &monitor,
            &limiter,
            group_handle.stats(),
            reports.stats(),
        )
        .await;
    summary
}

/// How often the stats table samples the group and the report queue.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// `http://host:port/path` into (`http://host:port`, `/path`).
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, "/"),
    }
}
