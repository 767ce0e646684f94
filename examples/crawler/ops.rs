//! The operator's view of a crawl: the crate's `stats()` snapshots sampled
//! while it runs, retries by cause, and the rate limiter's wait
//! distribution, printed as a table at the end.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_patterns::event::Event;
use async_patterns::executor::{GroupHandle, GroupStats};
use async_patterns::monitor::{Monitor, OpStats};
use async_patterns::queue::{QueueStats, Receiver};
use async_patterns::rate_limit::{LimiterStats, RateLimiter};

use crate::crawl::ErrorKind;

/// The name under which limiter waits are timed in the [`Monitor`].
pub const LIMITER_WAIT: &str = "limiter.wait";

/// One sample of the work in flight.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Time since the crawl started.
    pub at: Duration,
    /// Pages submitted to the group, waiting for a slot.
    pub waiting: usize,
    /// Pages being fetched.
    pub running: usize,
    /// Reports queued for the reporter.
    pub reports: usize,
}

/// What the crawl's handles said, for the table printed at the end.
#[derive(Debug, Clone, Default)]
pub struct Ops {
    /// Depth over time, one sample per [`Sampler`] tick.
    pub depth: Vec<Sample>,
    /// Retries, by the kind of the error that caused them.
    pub retries: BTreeMap<&'static str, usize>,
    /// Every limiter wait (`acquire` and `acquire_within`), timed.
    pub limiter_wait: Option<OpStats>,
    /// The last snapshots.
    pub limiter: LimiterStats,
    /// See above.
    pub group: GroupStats,
    /// See above.
    pub reports: QueueStats,
}

/// Counts retries by cause; shared by the page tasks.
#[derive(Debug, Clone, Default)]
pub struct RetryCauses(Arc<Mutex<BTreeMap<&'static str, usize>>>);

impl RetryCauses {
    /// One retry after an error of `kind`.
    pub fn add(&self, kind: ErrorKind) {
        let cause = match kind {
            ErrorKind::Timeout => "timeout",
            ErrorKind::ServerError => "5xx",
            ErrorKind::Throttled => "429",
            ErrorKind::ClientError => "4xx",
            ErrorKind::Transport => "transport",
            ErrorKind::Deadline => "deadline",
            ErrorKind::Panicked => "panicked",
        };
        let mut causes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *causes.entry(cause).or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<&'static str, usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Samples the group's and the report queue's gauges every `every` until
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<Event>,
    task: tokio::task::JoinHandle<Vec<Sample>>,
}

impl Sampler {
    pub fn start(
        every: Duration,
        group: GroupHandle<()>,
        reports: Receiver<impl Send + 'static>,
    ) -> Self {
        let stop = Arc::new(Event::new());
        let started = Instant::now();
        let task = tokio::spawn({
            let stop = Arc::clone(&stop);
            async move {
                let mut samples = Vec::new();
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = stop.wait() => break,
                        _ = ticks.tick() => {
                            let group = group.stats();
                            samples.push(Sample {
                                at: started.elapsed(),
                                waiting: group.waiting,
                                running: group.running,
                                reports: reports.len(),
                            });
                        }
                    }
                }
                samples
            }
        });
        Self { stop, task }
    }

    /// Stops sampling and puts together the table's data.
    pub async fn finish(
        self,
        retries: &RetryCauses,
        monitor: &Monitor,
        limiter: &RateLimiter,
        group: GroupStats,
        reports: QueueStats,
    ) -> Ops {
        self.stop.set();
        Ops {
            depth: self.task.await.unwrap_or_default(),
            retries: retries.snapshot(),
            limiter_wait: monitor.stats_of(LIMITER_WAIT),
            limiter: limiter.stats(),
            group,
            reports,
        }
    }
}

/// At most this many rows of the depth table: samples are picked evenly.
const DEPTH_ROWS: usize = 12;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl fmt::Display for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stats:")?;
        writeln!(
            f,
            "  {:>7}  {:>7}  {:>7}  {:>7}",
            "t", "waiting", "running", "reports"
        )?;
        let step = self.depth.len().div_ceil(DEPTH_ROWS).max(1);
        let last = self.depth.len().saturating_sub(1);
        let picked = (0..self.depth.len()).filter(|i| i % step == 0 || *i == last);
        for sample in picked.map(|i| &self.depth[i]) {
            writeln!(
                f,
                "  {:>6.2}s  {:>7}  {:>7}  {:>7}",
                sample.at.as_secs_f64(),
                sample.waiting,
                sample.running,
                sample.reports,
            )?;
        }
        let peak = self.depth.iter().map(|s| s.waiting).max().unwrap_or(0);
        writeln!(
            f,
            "  peak waiting: {peak} pages ({} samples)",
            self.depth.len()
        )?;
        write!(f, "  retries by cause: ")?;
        if self.retries.is_empty() {
            write!(f, "none")?;
        }
        for (i, (kind, count)) in self.retries.iter().enumerate() {
            write!(f, "{}{kind} {count}", if i == 0 { "" } else { ", " })?;
        }
        writeln!(f)?;
        let l = &self.limiter;
        write!(
            f,
            "  limiter: {} granted, {} refused, {} waited",
            l.granted, l.refused, l.waited
        )?;
        if let Some(wait) = &self.limiter_wait {
            write!(
                f,
                "; wait p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                ms(wait.percentile(0.5)),
                ms(wait.percentile(0.99)),
                ms(wait.max),
            )?;
        }
        writeln!(f)?;
        let g = &self.group;
        writeln!(
            f,
            "  group: {} spawned, {} completed, {} failed, {} panicked, {} cancelled",
            g.spawned, g.completed, g.failed, g.panicked, g.cancelled
        )?;
        let q = &self.reports;
        write!(
            f,
            "  reports queue: {} sent, {} received, {} left",
            q.sent, q.received, q.len
        )
    }
}
