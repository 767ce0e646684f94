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
//! `tests/crawler.rs` includes `site.rs` and `crawl.rs` as modules and checks, on the
//! server's side, that every page is fetched exactly once and that the
//! concurrency and rate limits hold.

mod crawl;
mod ops;
// Some of the site's records are read only by `tests/crawler.rs`.
#[allow(dead_code)]
mod site;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crawl::*;
use site::*;

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
    println!("\n{summary}\n{}", summary.ops);
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
