//! A background task scheduler: the seed's FastAPI task system (`POST
//! /tasks` returns an id, `GET /tasks/{id}` polls its status, `DELETE`
//! cancels it) without the web part, built on the crate's queue, `Event`
//! and `TaskGroup`.
//!
//! - [`Scheduler::submit`] queues a task and returns its id at once; a full
//!   queue is an error (an HTTP 503), not an unbounded backlog.
//! - A fixed number of workers (a `TaskGroup`) run the tasks: the
//!   concurrency limit.
//! - [`Scheduler::status`] / [`Scheduler::list`] poll: `Pending`,
//!   `Running`, `Done(result)`, `Failed(error)` or `Cancelled`;
//!   [`Scheduler::wait`] waits for the end instead.
//! - [`Scheduler::cancel`] cancels a pending task (it never starts) or a
//!   running one (its future is dropped at its next `.await`).
//! - [`Scheduler::shutdown`] stops accepting tasks, lets the queued and
//!   running ones finish within a grace period, then cancels the rest.
//!
//! ```text
//! cargo run --example scheduler
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_patterns::event::Event;
use async_patterns::executor::TaskGroup;
use async_patterns::prelude::*;
use async_patterns::queue::{self, Receiver, Sender, TrySendError};
use futures::FutureExt as _;

pub(crate) type TaskId = u64;

/// Where a task is in its life.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status<T> {
    Pending,
    Running,
    Done(T),
    Failed(String),
    Cancelled,
}

impl<T> Status<T> {
    fn is_finished(&self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// Why [`Scheduler::submit`] refused a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubmitError {
    /// `max_pending` tasks are already waiting: try again later.
    Full,
    /// The scheduler is shutting down.
    ShuttingDown,
}

type BoxTask<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

/// A queued task. The future is taken out when a worker starts it.
struct Work<T> {
    id: TaskId,
    task: Option<BoxTask<T>>,
}

struct Entry<T> {
    name: String,
    status: Status<T>,
    /// Set to ask the running task to stop.
    cancel: Arc<Event>,
    /// Set once `status` is final.
    finished: Arc<Event>,
}

struct Shared<T> {
    /// Every task submitted, by id. Only a worker moves a task out of
    /// `Running`, and only under this lock, so status changes never race.
    /// Finished tasks stay until the scheduler is dropped; a long-running
    /// service would evict them some time after they finish.
    tasks: Mutex<BTreeMap<TaskId, Entry<T>>>,
    next_id: AtomicU64,
}

impl<T: Clone> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<TaskId, Entry<T>>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `id` as finished with `status`; `false` if it already was.
    fn finish(&self, id: TaskId, status: Status<T>) -> bool {
        let mut tasks = self.lock();
        match tasks.get_mut(&id) {
            Some(entry) if !entry.status.is_finished() => {
                entry.status = status;
                entry.finished.set();
                true
            }
            _ => false,
        }
    }

    /// Moves `id` from `Pending` to `Running`; `None` if it was cancelled
    /// while it waited.
    fn start(&self, id: TaskId) -> Option<Arc<Event>> {
        let mut tasks = self.lock();
        let entry = tasks.get_mut(&id)?;
        if !matches!(entry.status, Status::Pending) {
            return None;
        }
        entry.status = Status::Running;
        Some(entry.cancel.clone())
    }
}

/// Runs submitted tasks in the background, `workers` at a time.
///
/// Dropping it aborts the workers and the tasks they run; call
/// [`shutdown`](Self::shutdown) for a graceful end.
pub(crate) struct Scheduler<T> {
    shared: Arc<Shared<T>>,
    queue: Sender<Work<T>>,
    /// Taken by `shutdown`.
    workers: Mutex<Option<TaskGroup<()>>>,
}

impl<T: Clone + Send + 'static> Scheduler<T> {
    /// A scheduler running at most `workers` tasks at once, with at most
    /// `max_pending` more waiting. Needs a tokio runtime.
    pub(crate) fn new(workers: usize, max_pending: usize) -> Self {
        let shared = Arc::new(Shared {
            tasks: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
        });
        let (queue, rx) = queue::bounded(max_pending);
        let mut group = TaskGroup::new(workers);
        for _ in 0..workers {
            group.spawn(worker(shared.clone(), rx.clone()));
        }
        Self {
            shared,
            queue,
            workers: Mutex::new(Some(group)),
        }
    }

    /// Queues `task` under `name` and returns its id without waiting.
    pub(crate) fn submit<F, E>(&self, name: &str, task: F) -> Result<TaskId, SubmitError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: fmt::Display,
    {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        self.shared.lock().insert(
            id,
            Entry {
                name: name.to_owned(),
                status: Status::Pending,
                cancel: Arc::new(Event::new()),
                finished: Arc::new(Event::new()),
            },
        );
        let task: BoxTask<T> = Box::pin(async move { task.await.map_err(|e| e.to_string()) });
        match self.queue.try_send(Work {
            id,
            task: Some(task),
        }) {
            Ok(()) => Ok(id),
            Err(refused) => {
                self.shared.lock().remove(&id);
                Err(match refused {
                    TrySendError::Full(_) => SubmitError::Full,
                    TrySendError::Closed(_) => SubmitError::ShuttingDown,
                })
            }
        }
    }

    /// The status of task `id`, or `None` if there is no such task.
    pub(crate) fn status(&self, id: TaskId) -> Option<Status<T>> {
        self.shared.lock().get(&id).map(|e| e.status.clone())
    }

    /// Every task: id, name and status, in submission order.
    pub(crate) fn list(&self) -> Vec<(TaskId, String, Status<T>)> {
        let tasks = self.shared.lock();
        tasks
            .iter()
            .map(|(&id, e)| (id, e.name.clone(), e.status.clone()))
            .collect()
    }

    /// Asks task `id` to stop: a pending task is cancelled at once, a
    /// running one at its next `.await` (if it finishes first, its result
    /// stands). `false` if the task is unknown or already finished.
    pub(crate) fn cancel(&self, id: TaskId) -> bool {
        let mut tasks = self.shared.lock();
        let Some(entry) = tasks.get_mut(&id) else {
            return false;
        };
        match entry.status {
            Status::Pending => {
                entry.status = Status::Cancelled;
                entry.finished.set();
            }
            Status::Running => entry.cancel.set(),
            _ => return false,
        }
        true
    }

    /// Waits until task `id` has finished and returns its final status
    /// (`None` if there is no such task).
    pub(crate) async fn wait(&self, id: TaskId) -> Option<Status<T>> {
        let finished = self.shared.lock().get(&id)?.finished.clone();
        finished.wait().await;
        self.status(id)
    }

    /// Stops accepting tasks and lets the queued and running ones finish
    /// for up to `grace`; then cancels what is left. Returns how many tasks
    /// that cancelled.
    pub(crate) async fn shutdown(&self, grace: Duration) -> usize {
        self.queue.close();
        let mut cancelled = 0;
        if self.queue.join().timeout(grace).await.is_err() {
            for work in self.queue.shutdown() {
                cancelled += usize::from(self.shared.finish(work.id, Status::Cancelled));
            }
            for entry in self.shared.lock().values() {
                if matches!(entry.status, Status::Running) {
                    entry.cancel.set();
                    cancelled += 1;
                }
            }
        }
        let workers = self
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(workers) = workers {
            workers.join_all().await;
        }
        cancelled
    }
}

/// A worker: runs queued tasks one at a time until the queue is closed and
/// empty. The `Job` guard keeps the task counted until it has finished, so
/// `join` on the queue waits for running tasks too.
async fn worker<T: Clone>(shared: Arc<Shared<T>>, rx: Receiver<Work<T>>) {
    while let Ok(mut job) = rx.recv_job().await {
        let id = job.id;
        let (Some(cancel), Some(task)) = (shared.start(id), job.task.take()) else {
            continue; // cancelled while it waited
        };
        let status = tokio::select! {
            () = cancel.wait() => Status::Cancelled,
            outcome = AssertUnwindSafe(task).catch_unwind() => match outcome {
                Ok(Ok(value)) => Status::Done(value),
                Ok(Err(error)) => Status::Failed(error),
                Err(panic) => Status::Failed(panic_message(&*panic)),
            },
        };
        shared.finish(id, status);
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string payload");
    format!("panicked: {message}")
}

/// A simulated job: `ms` of work, then its result.
async fn job(ms: u64, result: Result<&'static str, &'static str>) -> Result<String, String> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    result.map(str::to_owned).map_err(str::to_owned)
}

fn print_list(scheduler: &Scheduler<String>, start: Instant) {
    println!("  at {:>3} ms:", start.elapsed().as_millis());
    for (id, name, status) in scheduler.list() {
        println!("    #{id} {name:<14} {status:?}");
    }
}

/// Submits a handful of tasks to a scheduler with 2 workers, polls them,
/// cancels two, and shuts down with a grace period.
pub(crate) async fn run() {
    let start = Instant::now();
    let scheduler = Scheduler::new(2, 8);
    let submit = |name, ms, result| {
        scheduler
            .submit(name, job(ms, result))
            .expect("the queue has room")
    };
    let resize = submit("resize-photo", 20, Ok("thumbnail.png"));
    let export = submit("export-csv", 10_000, Ok("export.csv"));
    submit("send-report", 15, Err("SMTP 550: mailbox unavailable"));
    let cleanup = submit("cleanup", 5, Ok("removed 3 files"));
    submit("index-search", 25, Ok("indexed 120 docs"));

    tokio::time::sleep(Duration::from_millis(5)).await;
    print_list(&scheduler, start);
    println!(
        "  cancel #{cleanup} (pending) -> {}",
        scheduler.cancel(cleanup)
    );
    println!("  wait #{resize} -> {:?}", scheduler.wait(resize).await);
    println!(
        "  cancel #{export} (running) -> {}",
        scheduler.cancel(export)
    );
    println!("  wait #{export} -> {:?}", scheduler.wait(export).await);

    let stuck = submit("rebuild-cache", 10_000, Ok("rebuilt"));
    println!("  shutdown(grace 50 ms)...");
    let cancelled = scheduler.shutdown(Duration::from_millis(50)).await;
    println!(
        "  shut down, {cancelled} cancelled at the deadline; submit now -> {:?}",
        scheduler.submit("late", job(1, Ok("")))
    );
    assert_eq!(scheduler.status(stuck), Some(Status::Cancelled));
    print_list(&scheduler, start);
}

#[allow(dead_code)] // the tour includes this file and calls `run` itself
#[tokio::main]
async fn main() {
    run().await;
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize};

    use super::*;

    type Outcome = Result<u32, String>;

    async fn sleep_then(ms: u64, value: u32) -> Outcome {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(value)
    }

    #[tokio::test(start_paused = true)]
    async fn outcomes_are_reported() {
        let scheduler = Scheduler::new(2, 8);
        let done = scheduler.submit("ok", sleep_then(10, 7)).unwrap();
        let failed = scheduler
            .submit("err", async { Err::<u32, _>("no disk") })
            .unwrap();
        let panicked = scheduler
            .submit("panic", async { panic!("boom") as Outcome })
            .unwrap();
        assert_eq!(scheduler.status(done), Some(Status::Pending));
        assert_eq!(scheduler.wait(done).await, Some(Status::Done(7)));
        assert_eq!(
            scheduler.wait(failed).await,
            Some(Status::Failed("no disk".into()))
        );
        assert_eq!(
            scheduler.wait(panicked).await,
            Some(Status::Failed("panicked: boom".into()))
        );
        assert_eq!(scheduler.status(99), None);
        assert_eq!(scheduler.list().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_pending_and_running() {
        let scheduler = Scheduler::new(1, 8);
        let started = Arc::new(AtomicBool::new(false));
        let running = scheduler
            .submit("long", std::future::pending::<Outcome>())
            .unwrap();
        let pending = scheduler
            .submit("never", {
                let started = started.clone();
                async move {
                    started.store(true, Ordering::SeqCst);
                    Ok::<u32, String>(1)
                }
            })
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(scheduler.status(running), Some(Status::Running));

        assert!(scheduler.cancel(pending));
        assert_eq!(scheduler.status(pending), Some(Status::Cancelled));
        assert!(scheduler.cancel(running));
        assert_eq!(scheduler.wait(running).await, Some(Status::Cancelled));
        assert!(!scheduler.cancel(running), "already finished");

        assert_eq!(scheduler.shutdown(Duration::from_secs(1)).await, 0);
        assert!(
            !started.load(Ordering::SeqCst),
            "a cancelled task never starts"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_workers_tasks_run_at_once() {
        let scheduler = Scheduler::new(2, 16);
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let ids: Vec<_> = (0..6)
            .map(|i| {
                let (now, peak) = (now.clone(), peak.clone());
                scheduler
                    .submit("job", async move {
                        peak.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        Ok::<u32, String>(i)
                    })
                    .unwrap()
            })
            .collect();
        for (i, id) in (0..).zip(ids) {
            assert_eq!(scheduler.wait(id).await, Some(Status::Done(i)));
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_refuses_work() {
        let scheduler = Scheduler::new(1, 1);
        scheduler.submit("a", sleep_then(10, 1)).unwrap();
        assert_eq!(
            scheduler.submit("b", sleep_then(10, 2)),
            Err(SubmitError::Full)
        );
        assert_eq!(scheduler.list().len(), 1, "a refused task is not listed");
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_finishes_work_within_the_grace_period() {
        let scheduler = Scheduler::new(1, 8);
        let first = scheduler.submit("a", sleep_then(30, 1)).unwrap();
        let second = scheduler.submit("b", sleep_then(30, 2)).unwrap();
        assert_eq!(scheduler.shutdown(Duration::from_secs(1)).await, 0);
        assert_eq!(scheduler.status(first), Some(Status::Done(1)));
        assert_eq!(scheduler.status(second), Some(Status::Done(2)));
        assert_eq!(
            scheduler.submit("late", sleep_then(1, 3)),
            Err(SubmitError::ShuttingDown)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_cancels_what_outlives_the_grace_period() {
        let scheduler = Scheduler::new(1, 8);
        let running = scheduler.submit("a", sleep_then(10_000, 1)).unwrap();
        let queued = scheduler.submit("b", sleep_then(10, 2)).unwrap();
        let start = tokio::time::Instant::now();
        assert_eq!(scheduler.shutdown(Duration::from_millis(50)).await, 2);
        assert_eq!(start.elapsed(), Duration::from_millis(50));
        assert_eq!(scheduler.status(running), Some(Status::Cancelled));
        assert_eq!(scheduler.status(queued), Some(Status::Cancelled));
    }
}
