//! The site: an `axum` server of generated, linked pages that misbehave on
//! purpose, and that records every request it receives.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

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
