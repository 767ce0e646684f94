//! Per-request overhead of the `tower` feature's layers against tower's own
//! equivalents and a bare service. (The keyed limiter against governor's
//! `check_key` is in `rate_limit.rs`, group `rate_limit_keyed`.)
//!
//! What each row times (per request, on a current-thread runtime, no
//! network): `ready().await` then `call(x).await` on one `service_fn` that
//! answers at once, in a loop inside one `block_on`. Limits are set so that
//! nothing ever waits (a rate of 10^9/s, a concurrency of 1024), so the rows
//! measure what each layer adds to the happy path:
//!
//! - `bare`: the `service_fn` alone.
//! - `rate_limit/*`: ours (the service clone per call and the limiter's
//!   lock-free take) vs `tower::limit::RateLimit` behind `Buffer` (how it
//!   has to be used under axum, which needs `Clone`).
//! - `concurrency/*`: ours vs `tower::limit::ConcurrencyLimit`.
//! - `timeout/*`: ours (`Deadline::scope`) vs `tower::timeout::Timeout`.
//! - `retry/*`: ours (success at once; the request cloned for replay and
//!   the policy's settings copied, no reference count) vs
//!   `tower::retry::Retry` with a policy that clones the request and
//!   never retries (a zero-sized policy: tower's floor).
//! - `retry_backoff/*`: the same work with a policy that could retry as a
//!   service would: ours with `Backoff::exponential(..).max_retries(3)`,
//!   tower's `Retry` with a policy holding tower's `ExponentialBackoff`
//!   (jitter on) and a retry count, which tower clones per request.
//! - `retry_budget/*`: the same with a retry budget, each paying in on
//!   success: ours `.budget(Budget::new(0.1, 10))` vs tower's `Retry` with
//!   a policy holding an `Arc<TpsBudget>` (tower's documented way).
//!
//! ```text
//! cargo bench -p async-patterns-benches --bench tower -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! For a side-by-side figure on a machine whose speed drifts, time the rows
//! in interleaved rounds instead (a table of medians):
//!
//! ```text
//! TOWER_BENCH_ROUNDS=31 cargo bench -p async-patterns-benches --bench tower
//! ```
//!
//! On a loaded machine, count instructions instead: run one row with two
//! request counts under callgrind, and divide the difference of the totals
//! by the difference of the counts (setup cancels out):
//!
//! ```text
//! B=$(cargo bench -p async-patterns-benches --bench tower --no-run 2>&1 |
//!   grep -o '[^ (]*/deps/tower-[0-9a-f]*' | tail -1)
//! for n in 10000 20000; do TOWER_BENCH_ROW=retry/tower TOWER_BENCH_ITERS=$n \
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null $B 2>&1 | grep refs; done
//! ```

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_patterns::rate_limit::RateLimiter;
use async_patterns::retry::{Backoff, Budget, RetryPolicy};
use async_patterns::tower as ours;
use criterion::{Criterion, criterion_group};
use tower::retry::backoff::{
    Backoff as _, ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff,
};
use tower::retry::budget::{Budget as _, TpsBudget};
use tower::util::rng::HasherRng;
use tower::{Layer, Service, ServiceExt, service_fn};

const HUGE: u32 = 1_000_000_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `iters` requests through `svc`, timed.
async fn drive<S>(svc: &mut S, iters: u64) -> Duration
where
    S: Service<u64>,
    S::Error: std::fmt::Debug,
{
    let start = Instant::now();
    for i in 0..iters {
        let svc = svc.ready().await.unwrap();
        black_box(svc.call(black_box(i)).await.unwrap());
    }
    start.elapsed()
}

fn bare()
-> impl Service<u64, Response = u64, Error = Infallible, Future = Ready<Result<u64, Infallible>>> + Clone
{
    service_fn(|x: u64| ready(Ok::<_, Infallible>(x)))
}

#[derive(Clone)]
struct NeverRetry;

impl<E> tower::retry::Policy<u64, u64, E> for NeverRetry {
    type Future = Ready<()>;

    fn retry(&mut self, _: &mut u64, _: &mut Result<u64, E>) -> Option<Self::Future> {
        None
    }

    fn clone_request(&mut self, req: &u64) -> Option<u64> {
        Some(*req)
    }
}

/// Something done with each row of the `tower` group: timed by criterion,
/// or run a fixed number of times for an instruction count.
trait Rows {
    fn row<S>(&mut self, name: &str, make: impl FnOnce() -> S)
    where
        S: Service<u64> + 'static,
        S::Error: std::fmt::Debug;
}

/// Every row of the `tower` group, in order.
fn rows(r: &mut impl Rows) {
    r.row("bare", bare);
    r.row("rate_limit/async_patterns", || {
        ours::RateLimitLayer::new(RateLimiter::per_second(HUGE).burst(HUGE)).layer(bare())
    });
    r.row("rate_limit/tower_buffered", || {
        tower::buffer::Buffer::new(
            tower::limit::RateLimit::new(
                bare(),
                tower::limit::rate::Rate::new(u64::from(HUGE), Duration::from_secs(1)),
            ),
            1024,
        )
    });
    r.row("concurrency/async_patterns", || {
        ours::ConcurrencyLimitLayer::new(1024).layer(bare())
    });
    r.row("concurrency/tower", || {
        tower::limit::ConcurrencyLimit::new(bare(), 1024)
    });
    r.row("timeout/async_patterns", || {
        ours::TimeoutLayer::new(Duration::from_secs(60)).layer(bare())
    });
    r.row("timeout/tower", || {
        tower::timeout::Timeout::new(bare(), Duration::from_secs(60))
    });
    r.row("retry/async_patterns", || {
        ours::RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(
            1,
        ))))
        .layer(bare())
    });
    r.row("retry/tower", || {
        tower::retry::Retry::new(NeverRetry, bare())
    });
    r.row("retry_backoff/async_patterns", || {
        let schedule = Backoff::exponential(Duration::from_millis(1))
            .max_delay(Duration::from_secs(1))
            .max_retries(3);
        ours::RetryLayer::new(RetryPolicy::new(schedule)).layer(bare())
    });
    r.row("retry_backoff/tower", || {
        let backoff = ExponentialBackoffMaker::new(
            Duration::from_millis(1),
            Duration::from_secs(1),
            1.0,
            HasherRng::default(),
        )
        .expect("valid backoff")
        .make_backoff();
        tower::retry::Retry::new(
            WithBackoff {
                backoff,
                retries_left: 3,
            },
            bare(),
        )
    });
    r.row("retry_budget/async_patterns", || {
        let policy = RetryPolicy::new(Backoff::constant(Duration::from_millis(1)));
        ours::RetryLayer::new(policy)
            .budget(Budget::new(0.1, 10))
            .layer(bare())
    });
    r.row("retry_budget/tower", || {
        let budget = TpsBudget::new(Duration::from_secs(10), 10, 0.1);
        tower::retry::Retry::new(Budgeted(Arc::new(budget)), bare())
    });
}

struct Timed<'a, 'c> {
    rt: &'a tokio::runtime::Runtime,
    group: criterion::BenchmarkGroup<'c, criterion::measurement::WallTime>,
}

impl Rows for Timed<'_, '_> {
    fn row<S>(&mut self, name: &str, make: impl FnOnce() -> S)
    where
        S: Service<u64> + 'static,
        S::Error: std::fmt::Debug,
    {
        let rt = self.rt;
        // Inside the runtime: `Buffer::new` spawns its worker.
        let mut svc = rt.block_on(async { make() });
        self.group.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(drive(&mut svc, iters)));
        });
    }
}

/// Tower's documented way to budget retries: a policy sharing a
/// `TpsBudget`, cloned with the policy for every request, paying in on
/// success. Never retries here (the calls succeed).
#[derive(Clone)]
struct Budgeted(Arc<TpsBudget>);

impl<E> tower::retry::Policy<u64, u64, E> for Budgeted {
    type Future = Ready<()>;

    fn retry(&mut self, _: &mut u64, result: &mut Result<u64, E>) -> Option<Self::Future> {
        match result {
            Ok(_) => {
                self.0.deposit();
                None
            }
            Err(_) => self.0.withdraw().then(|| ready(())),
        }
    }

    fn clone_request(&mut self, req: &u64) -> Option<u64> {
        Some(*req)
    }
}

/// Tower's retry with what our rows' policy does: an exponential backoff
/// with jitter (tower's own `ExponentialBackoff`) and at most 3 retries,
/// copied with the policy for every request as tower's `Retry` does.
#[derive(Clone)]
struct WithBackoff {
    backoff: ExponentialBackoff,
    retries_left: usize,
}

impl<E> tower::retry::Policy<u64, u64, E> for WithBackoff {
    type Future = tokio::time::Sleep;

    fn retry(&mut self, _: &mut u64, result: &mut Result<u64, E>) -> Option<Self::Future> {
        match result {
            Err(_) if self.retries_left > 0 => {
                self.retries_left -= 1;
                Some(self.backoff.next_backoff())
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, req: &u64) -> Option<u64> {
        Some(*req)
    }
}

fn layers(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("tower");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let mut timed = Timed { rt: &rt, group };
    rows(&mut timed);
    timed.group.finish();
}

/// `TOWER_BENCH_ROW=<row> TOWER_BENCH_ITERS=<n>`: runs `n` requests through
/// that row once, untimed, and exits, for an instruction count per request
/// under `valgrind --tool=callgrind` (two runs with different `n`; the
/// difference of their totals divided by the difference of `n`).
struct Counted {
    name: String,
    iters: u64,
    found: bool,
}

impl Rows for Counted {
    fn row<S>(&mut self, name: &str, make: impl FnOnce() -> S)
    where
        S: Service<u64> + 'static,
        S::Error: std::fmt::Debug,
    {
        if name != self.name {
            return;
        }
        self.found = true;
        let rt = runtime();
        let mut svc = rt.block_on(async { make() });
        rt.block_on(drive(&mut svc, self.iters));
    }
}

/// `TOWER_BENCH_ROUNDS=<n>`: every row timed in `n` interleaved rounds of
/// 10^5 requests (each round in a new random order), and a table of
/// each row's median ns per request. Criterion times the rows one after the
/// other, which a machine whose speed drifts over minutes skews; here every
/// row gets the same share of fast and slow moments.
struct Rounds<'a> {
    rt: &'a tokio::runtime::Runtime,
    rows: Vec<(String, TimedRow<'a>)>,
}

/// Sends a number of requests through one row's service; their time.
type TimedRow<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

impl<'a> Rows for Rounds<'a> {
    fn row<S>(&mut self, name: &str, make: impl FnOnce() -> S)
    where
        S: Service<u64> + 'static,
        S::Error: std::fmt::Debug,
    {
        let rt = self.rt;
        let mut svc = rt.block_on(async { make() });
        let run = move |iters| rt.block_on(drive(&mut svc, iters));
        self.rows.push((name.to_string(), Box::new(run)));
    }
}

fn rounds(n: usize) {
    const ITERS: u64 = 100_000;
    let rt = runtime();
    let mut rounds = Rounds {
        rt: &rt,
        rows: Vec::new(),
    };
    rows(&mut rounds);
    let rows = &mut rounds.rows;
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(n); rows.len()];
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut rng = fastrand::Rng::with_seed(16);
    for _ in 0..n {
        rng.shuffle(&mut order);
        for &i in &order {
            let elapsed = (rows[i].1)(ITERS);
            times[i].push(elapsed.as_secs_f64() * 1e9 / ITERS as f64);
        }
    }
    println!("{n} rounds of {ITERS} requests, ns per request (median)\n");
    println!("| row | ns |\n|---|---|");
    for ((name, _), t) in rows.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        println!("| {name} | {:.2} |", t[t.len() / 2]);
    }
}

criterion_group!(benches, layers);

fn main() {
    if let Ok(n) = std::env::var("TOWER_BENCH_ROUNDS") {
        rounds(n.parse().expect("TOWER_BENCH_ROUNDS: a number of rounds"));
        return;
    }
    if let Ok(name) = std::env::var("TOWER_BENCH_ROW") {
        let iters = std::env::var("TOWER_BENCH_ITERS")
            .map_or(100_000, |n| n.parse().expect("TOWER_BENCH_ITERS: a number"));
        let mut counted = Counted {
            name,
            iters,
            found: false,
        };
        rows(&mut counted);
        assert!(
            counted.found,
            "TOWER_BENCH_ROW: no such row in the tower group"
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
