//! Exporting the crate's `stats()` to Prometheus through the `metrics`
//! facade, offline: a small pipeline (a bounded queue drained by a
//! `TaskGroup` of workers through a rate limiter and a connection pool)
//! runs, then one "scrape" publishes every snapshot with `metrics` macros
//! and prints the text exposition format that Prometheus reads.
//!
//! ```text
//! cargo run --example prometheus
//! ```
//!
//! The crate's counters are cumulative, so they are published with
//! `Counter::absolute` on each scrape (no double counting, however often
//! it runs) and the gauges with `Gauge::set`. In a service, install the
//! recorder of your choice once (`metrics-exporter-prometheus` serves
//! `/metrics` itself) and call `publish` from its scrape hook or a timer.
//! To keep the example light, its recorder is the small `TextRecorder`
//! below, which stores the values and renders them as text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_patterns::executor::{GroupStats, TaskGroup};
use async_patterns::pool::{Pool, PoolStats};
use async_patterns::queue::{self, QueueStats};
use async_patterns::rate_limit::{LimiterStats, RateLimiter};
use metrics::atomics::AtomicU64;
use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit, counter,
    describe_counter, describe_gauge, gauge,
};

/// The snapshots of one scrape.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    queue: QueueStats,
    group: GroupStats,
    limiter: LimiterStats,
    pool: PoolStats,
}

/// Publishes one scrape through whatever recorder is installed.
fn publish(name: &'static str, s: &Snapshot) {
    let q = &s.queue;
    counter!("queue_sent_total", "queue" => name).absolute(q.sent);
    counter!("queue_received_total", "queue" => name).absolute(q.received);
    counter!("queue_done_total", "queue" => name).absolute(q.done);
    gauge!("queue_len", "queue" => name).set(q.len as f64);
    gauge!("queue_unfinished", "queue" => name).set(q.unfinished as f64);
    gauge!("queue_senders_waiting", "queue" => name).set(q.senders_waiting as f64);

    let g = &s.group;
    counter!("group_spawned_total", "group" => name).absolute(g.spawned);
    for (outcome, n) in [
        ("completed", g.completed),
        ("failed", g.failed),
        ("panicked", g.panicked),
        ("cancelled", g.cancelled),
    ] {
        counter!("group_finished_total", "group" => name, "outcome" => outcome).absolute(n);
    }
    gauge!("group_running", "group" => name).set(g.running as f64);
    gauge!("group_waiting", "group" => name).set(g.waiting as f64);

    let l = &s.limiter;
    counter!("limiter_granted_total", "limiter" => name).absolute(l.granted);
    counter!("limiter_refused_total", "limiter" => name).absolute(l.refused);
    counter!("limiter_waited_total", "limiter" => name).absolute(l.waited);
    // Whole microseconds: `absolute` takes an integer, and a counter of
    // seconds in a float would need `Gauge` semantics.
    let wait_us = u64::try_from(l.wait_total.as_micros()).unwrap_or(u64::MAX);
    counter!("limiter_wait_microseconds_total", "limiter" => name).absolute(wait_us);

    let p = &s.pool;
    counter!("pool_created_total", "pool" => name).absolute(p.created);
    counter!("pool_checkouts_total", "pool" => name).absolute(p.checkouts);
    counter!("pool_timed_out_total", "pool" => name).absolute(p.timed_out);
    gauge!("pool_in_use", "pool" => name).set(p.in_use as f64);
    gauge!("pool_idle", "pool" => name).set(p.idle as f64);
}

/// The two kinds of metric the example publishes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

/// Each metric's name, kind and help line.
const HELP: &[(&str, Kind, &str)] = &[
    ("queue_sent_total", Kind::Counter, "Items ever queued."),
    (
        "queue_received_total",
        Kind::Counter,
        "Items ever taken out by receivers.",
    ),
    (
        "queue_done_total",
        Kind::Counter,
        "Received items finished.",
    ),
    ("queue_len", Kind::Gauge, "Items queued now."),
    (
        "queue_unfinished",
        Kind::Gauge,
        "Items queued or in progress now.",
    ),
    (
        "queue_senders_waiting",
        Kind::Gauge,
        "Senders blocked on a full queue now.",
    ),
    (
        "group_spawned_total",
        Kind::Counter,
        "Tasks ever submitted.",
    ),
    (
        "group_finished_total",
        Kind::Counter,
        "Tasks finished, by outcome.",
    ),
    ("group_running", Kind::Gauge, "Tasks running now."),
    (
        "group_waiting",
        Kind::Gauge,
        "Tasks waiting for a slot now.",
    ),
    ("limiter_granted_total", Kind::Counter, "Permits granted."),
    ("limiter_refused_total", Kind::Counter, "Permits refused."),
    (
        "limiter_waited_total",
        Kind::Counter,
        "Grants that had to wait.",
    ),
    (
        "limiter_wait_microseconds_total",
        Kind::Counter,
        "Total time waited for permits.",
    ),
    (
        "pool_created_total",
        Kind::Counter,
        "Objects the factory made.",
    ),
    ("pool_checkouts_total", Kind::Counter, "Successful gets."),
    (
        "pool_timed_out_total",
        Kind::Counter,
        "Gets that timed out.",
    ),
    ("pool_in_use", Kind::Gauge, "Objects checked out now."),
    ("pool_idle", Kind::Gauge, "Objects idle in the pool now."),
];

/// The help lines; once, at startup.
fn describe() {
    for &(name, kind, help) in HELP {
        match kind {
            Kind::Counter => describe_counter!(name, help),
            Kind::Gauge => describe_gauge!(name, help),
        }
    }
}

/// A `metrics` recorder that keeps counters and gauges and renders them
/// in the Prometheus text format. Histograms are not kept.
#[derive(Debug, Clone, Default)]
struct TextRecorder {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    /// Metric name to its help line.
    help: BTreeMap<String, String>,
    counters: BTreeMap<Key, Arc<AtomicU64>>,
    /// The `f64` bits of each gauge.
    gauges: BTreeMap<Key, Arc<AtomicU64>>,
}

impl TextRecorder {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn describe(&self, key: KeyName, help: SharedString) {
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        self.registry().help.insert(key.as_str().to_owned(), help);
    }

    /// The exposition text: `# HELP`, `# TYPE`, then one line per series.
    fn render(&self, prefix: &str) -> String {
        let registry = self.registry();
        let mut out = String::new();
        let mut last = "";
        let series = registry
            .counters
            .iter()
            .map(|(k, v)| (k, v.load(Ordering::Relaxed) as f64, "counter"))
            .chain(
                registry
                    .gauges
                    .iter()
                    .map(|(k, v)| (k, f64::from_bits(v.load(Ordering::Relaxed)), "gauge")),
            );
        let mut series: Vec<_> = series.collect();
        series.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value, kind) in series {
            if key.name() != last {
                last = key.name();
                if let Some(help) = registry.help.get(last) {
                    let _ = writeln!(out, "# HELP {prefix}{last} {help}");
                }
                let _ = writeln!(out, "# TYPE {prefix}{last} {kind}");
            }
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}=\"{}\"", l.key(), escape(l.value())))
                .collect();
            let _ = if labels.is_empty() {
                writeln!(out, "{prefix}{last} {value}")
            } else {
                writeln!(out, "{prefix}{last}{{{}}} {value}", labels.join(","))
            };
        }
        out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

impl Recorder for TextRecorder {
    fn describe_counter(&self, key: KeyName, _unit: Option<Unit>, help: SharedString) {
        self.describe(key, help);
    }

    fn describe_gauge(&self, key: KeyName, _unit: Option<Unit>, help: SharedString) {
        self.describe(key, help);
    }

    fn describe_histogram(&self, _key: KeyName, _unit: Option<Unit>, _help: SharedString) {}

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        let cell = self
            .registry()
            .counters
            .entry(key.clone())
            .or_default()
            .clone();
        Counter::from_arc(cell)
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        let cell = self
            .registry()
            .gauges
            .entry(key.clone())
            .or_default()
            .clone();
        Gauge::from_arc(cell)
    }

    fn register_histogram(&self, _key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

/// The pipeline: jobs through 4 workers, a rate limiter and a pool of 2
/// connections.
#[derive(Debug)]
struct Pipeline {
    producer: tokio::task::JoinHandle<()>,
    jobs: queue::Receiver<u64>,
    workers: TaskGroup<()>,
    limiter: RateLimiter,
    pool: Pool<String>,
}

impl Pipeline {
    /// Starts the workers and a producer of `items` jobs.
    fn start(items: u64) -> Self {
        let (tx, jobs) = queue::bounded::<u64>(8);
        let limiter = RateLimiter::per_second(500).burst(10);
        let pool = Pool::new(2, || async { String::from("conn") });
        let mut workers = TaskGroup::new(4);
        for _ in 0..4 {
            let (jobs, limiter, pool) = (jobs.clone(), limiter.clone(), pool.clone());
            workers.spawn(async move {
                while let Ok(job) = jobs.recv_job().await {
                    limiter.acquire().await;
                    let _conn = pool.get().await;
                    tokio::time::sleep(Duration::from_millis(1 + *job % 3)).await;
                    job.done();
                }
            });
        }
        let producer = tokio::spawn(async move {
            for n in 0..items {
                tx.send(n).await.expect("the workers keep the queue open");
            }
        });
        Self {
            producer,
            jobs,
            workers,
            limiter,
            pool,
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            queue: self.jobs.stats(),
            group: self.workers.stats(),
            limiter: self.limiter.stats(),
            pool: self.pool.stats(),
        }
    }

    /// Waits until every job is done and the workers returned.
    async fn finish(mut self) -> Snapshot {
        (&mut self.producer)
            .await
            .expect("the producer does not panic");
        self.jobs.join().await;
        self.jobs.close();
        while self.workers.join_next().await.is_some() {}
        self.snapshot()
    }
}

/// Prefixes every metric name, as an exporter's namespace would.
const PREFIX: &str = "async_patterns_";

#[tokio::main]
async fn main() {
    let recorder = TextRecorder::default();
    metrics::set_global_recorder(recorder.clone()).expect("no recorder installed yet");
    describe();
    let pipeline = Pipeline::start(200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    publish("jobs", &pipeline.snapshot());
    println!("# scrape while the pipeline runs");
    print!("{}", recorder.render(PREFIX));
    publish("jobs", &pipeline.finish().await);
    println!("\n# scrape at the end");
    print!("{}", recorder.render(PREFIX));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_scrape_renders_every_snapshot_in_the_text_format() {
        let recorder = TextRecorder::default();
        let snapshot = Pipeline::start(50).finish().await;
        metrics::with_local_recorder(&recorder, || {
            describe();
            publish("jobs", &snapshot);
            // A second scrape of the same snapshot changes nothing.
            publish("jobs", &snapshot);
        });
        let text = recorder.render(PREFIX);
        for line in [
            "# HELP async_patterns_queue_sent_total Items ever queued.",
            "# TYPE async_patterns_queue_sent_total counter",
            "async_patterns_queue_sent_total{queue=\"jobs\"} 50",
            "async_patterns_queue_done_total{queue=\"jobs\"} 50",
            "async_patterns_queue_len{queue=\"jobs\"} 0",
            "# TYPE async_patterns_queue_len gauge",
            "async_patterns_group_spawned_total{group=\"jobs\"} 4",
            "async_patterns_group_finished_total{group=\"jobs\",outcome=\"completed\"} 4",
            "async_patterns_limiter_granted_total{limiter=\"jobs\"} 50",
            "async_patterns_pool_checkouts_total{pool=\"jobs\"} 50",
            "async_patterns_pool_in_use{pool=\"jobs\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
        // The limiter (500/s, burst 10) paces the 50 jobs.
        let waited = text
            .lines()
            .find_map(|l| l.strip_prefix("async_patterns_limiter_waited_total{limiter=\"jobs\"} "))
            .and_then(|v| v.parse::<u64>().ok());
        assert!(waited.is_some_and(|n| n > 0), "{text}");
        // Every sample line is `name{labels} value` with a numeric value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
