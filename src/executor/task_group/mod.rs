//! [`TaskGroup`]: spawned tasks with a concurrency limit.

mod error;
mod future;
mod handle;
mod no_deadline;
mod shared;
mod state;
mod stats;
mod work;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

pub use self::error::{GroupError, SpawnError, TaskError};
pub use self::future::{JoinAll, JoinNext, Shutdown, TryJoinAll};
pub use self::handle::GroupHandle;
pub use self::stats::GroupStats;

use self::shared::{Abort, Shared, Submitter, WhenEmpty};
use self::work::Work;

/// A set of spawned tasks of which at most `limit` run at once
/// (`asyncio.TaskGroup` with a `Semaphore`, or tokio's `JoinSet` with a
/// limit).
///
/// [`spawn`](Self::spawn) starts the future as a tokio task if fewer than
/// `limit` of the group's tasks run; otherwise it waits inside the group as
/// an unspawned, boxed future and starts, oldest first, as soon as a running
/// task finishes. So a million submitted futures cost a million boxed
/// futures in memory, never a million runtime tasks, and the runtime never
/// sees more than `limit` of them. [`spawn_blocking`](Self::spawn_blocking)
/// (`loop.run_in_executor`) runs a closure on tokio's blocking pool and
/// counts against the same limit.
///
/// Results come back in completion order through
/// [`join_next`](Self::join_next), [`join_all`](Self::join_all), or the
/// fail-fast [`try_join_all`](Self::try_join_all). A task that panics yields
/// [`TaskError`] (`is_panic`, payload kept); it never takes down the group or
/// the caller. A task stopped by [`abort_all`](Self::abort_all),
/// [`shutdown`](Self::shutdown) or dropping the group yields a cancelled
/// `TaskError` if it is still joined.
///
/// Running tasks submit more work through a [`GroupHandle`] (see
/// [`handle`](Self::handle)); waiting work starts when a slot frees even if
/// nobody is awaiting `join_next` at that moment, because the task that
/// finishes picks up the next waiting job itself.
///
/// Dropping the group aborts every running task, drops every waiting
/// future, and closes it to its handles.
///
/// Runnable example: `group_memory` (`cargo run --example group_memory`),
/// a million tasks in a group, memory compared with `JoinSet`.
///
/// # Results in input order
///
/// Results arrive in completion order. For input order, tag each task with
/// its index and place the results (or use [`gather`](super::gather) when
/// the futures need not run in parallel):
///
/// ```
/// use async_patterns::executor::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let urls = ["a", "bb", "ccc"];
/// let mut group = TaskGroup::new(2);
/// for (i, url) in urls.into_iter().enumerate() {
///     group.spawn(async move { (i, url.len()) });
/// }
/// let mut lens = vec![0; urls.len()];
/// for result in group.join_all().await {
///     let (i, len) = result.expect("no task failed");
///     lens[i] = len;
/// }
/// assert_eq!(lens, [1, 2, 3]);
/// # }
/// ```
///
/// # One task: await it or cancel it
///
/// [`spawn`](Self::spawn) returns nothing: a result is joined through the
/// group, and a task still waiting in the group has no runtime task to
/// abort. For one call awaited inline (`await loop.run_in_executor(pool, f,
/// x)`, `await asyncio.to_thread(f, x)`), use `tokio::task::spawn_blocking(f)
/// .await` (or `tokio::spawn(fut).await`); for one task cancelled on its own
/// (`task.cancel()`), keep tokio's `JoinHandle` and call `abort`, or wrap it
/// in a guard that aborts on drop. Inside a group, cancel one task by giving
/// it an [`Event`](crate::event::Event) it races with `select!` or
/// [`take_until_set`](crate::stream::StreamPatternsExt::take_until_set), or
/// all of them with [`abort_all`](Self::abort_all). (A per-task handle would
/// cost an allocation per task for a slot shared with the group; the group
/// keeps one for the whole set instead.)
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sum = tokio::task::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
/// assert_eq!(sum, 5050);
///
/// let task = tokio::spawn(std::future::pending::<()>());
/// task.abort(); // `task.cancel()`
/// assert!(task.await.unwrap_err().is_cancelled());
/// # }
/// ```
///
/// # Long-lived groups and background tasks
///
/// A group kept for a server's lifetime keeps every result until it is
/// joined: drain it, with a task looping on
/// [`join_next`](Self::join_next) next to the spawns (in a `select!`), or the
/// results pile up. Note that `join_next` on an empty group returns `None` at
/// once, so a reaper loop that only awaits `join_next` spins while the group
/// is idle; await it only while [`len`](Self::len) is non-zero, or in a
/// `select!` with the branch that spawns.
///
/// For fire-and-forget jobs (submit, maybe poll a status), prefer a fixed
/// set of workers reading a [`queue`](crate::queue): `recv_job` marks each
/// job done, `close` and `join` give a graceful shutdown, and memory is
/// bounded by the queue's capacity. The `scheduler` example (`cargo run
/// --example scheduler`) builds submit, status, cancel and shutdown that way.
///
/// # How the limit is kept
///
/// Each of the `limit` slots is one tokio task that runs a job, then the
/// next waiting job of the same kind, and so on; a blocking closure runs on
/// a blocking-pool thread that holds a slot the same way. A task's slot is
/// released in its last poll, just before its runtime task returns, so the
/// count of *user* futures and closures alive never exceeds `limit`.
///
/// # Deadlines
///
/// Work inherits the ambient [`Deadline`](crate::timeout::Deadline) of the
/// code that spawns it (as `asyncio.timeout()` covers the tasks of a
/// `TaskGroup` created inside it): inside a future spawned under
/// [`Deadline::scope`](crate::timeout::Deadline::scope),
/// [`Deadline::current`](crate::timeout::Deadline::current) is the
/// spawner's deadline, so nested timeouts, retries and rate-limit waits
/// stay within it, and a future still pending when it passes is dropped
/// and joined as a [`TaskError`] that [`is_elapsed`](TaskError::is_elapsed)
/// (and [`is_cancelled`](TaskError::is_cancelled)). The output type stays
/// `T`. A blocking closure sees the deadline as ambient too but, once
/// started, runs to its end. Outside any scope the deadline is
/// [`never`](crate::timeout::Deadline::never) and no timer is armed. Work
/// that must outlive the caller's budget (a cache fill after the request)
/// opts out per spawn with [`spawn_without_deadline`](Self::spawn_without_deadline)
/// (and [`GroupHandle::spawn_without_deadline`]).
///
/// # Tracing
///
/// With the `tracing` feature, work runs in the span that was current when
/// it was submitted (tokio's `spawn` does not carry it over), so its events
/// land under the request that caused them.
///
/// # Blocking work
///
/// A closure from [`spawn_blocking`](Self::spawn_blocking) cannot be
/// interrupted once it started: aborting or dropping the group only stops
/// the closures that have not started yet, and [`shutdown`](Self::shutdown)
/// waits for the running ones to return.
///
/// # Panics
///
/// [`new`](Self::new) panics if `limit` is 0. Spawning panics when the group
/// has no tokio runtime to spawn on: it spawns on the runtime current at the
/// call, or else on the last runtime it used (so a [`GroupHandle`] works from
/// plain threads once the group has spawned, or was created, inside one).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::executor::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut group = TaskGroup::new(3);
/// for job in 0..10_u64 {
///     group.spawn(async move {
///         tokio::time::sleep(Duration::from_millis(job)).await;
///         job * 2
///     });
/// }
/// assert!(group.running() <= 3);
/// let mut total = 0;
/// while let Some(result) = group.join_next().await {
///     total += result.expect("no task panicked");
/// }
/// assert_eq!(total, 90);
/// # }
/// ```
pub struct TaskGroup<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

impl<T: Send + 'static> TaskGroup<T> {
    /// Creates an empty group that runs at most `limit` tasks at once.
    ///
    /// # Panics
    ///
    /// Panics if `limit` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// let group = TaskGroup::<()>::new(8);
    /// assert!(group.is_empty());
    /// assert_eq!(group.limit(), 8);
    /// ```
    #[track_caller]
    pub fn new(limit: usize) -> Self {
        assert!(
            limit > 0,
            "TaskGroup::new: the limit must be at least 1 (a limit of 0 could never run a task)"
        );
        TaskGroup {
            shared: Arc::new(Shared::new(limit)),
        }
    }

    /// The most tasks this group runs at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// let group = TaskGroup::<()>::new(8);
    /// assert_eq!(group.limit(), 8);
    /// ```
    pub fn limit(&self) -> usize {
        self.shared.limit()
    }

    /// Submits `fut`: it is spawned at once if fewer than `limit` tasks run,
    /// and waits in the group otherwise. Its result is joined later.
    ///
    /// If a [`shutdown`](Self::shutdown) closed the group, this reopens it
    /// (for its handles too).
    ///
    /// `fut` runs under the ambient deadline of the caller, if any; see
    /// [Deadlines](Self#deadlines).
    ///
    /// # Panics
    ///
    /// Panics if the group must spawn now, no tokio runtime is current, and
    /// the group never saw one (at creation or at an earlier spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(1);
    /// group.spawn(async { 1 });
    /// group.spawn(async { 2 });
    /// assert_eq!((group.running(), group.waiting()), (1, 1));
    /// let mut out: Vec<i32> = group.join_all().await.into_iter().map(Result::unwrap).collect();
    /// out.sort();
    /// assert_eq!(out, [1, 2]);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        // The owner's `submit` never gives the work back.
        let _ = self.shared.submit(Work::new_async(fut), Submitter::Owner);
    }

    /// Submits a blocking closure (`loop.run_in_executor(None, f)`): it runs
    /// on tokio's blocking pool, counted against the same limit as the async
    /// tasks.
    ///
    /// A running closure cannot be aborted; see the type-level docs.
    ///
    /// Runnable example: `blocking_work` (`cargo run --example blocking_work`),
    /// CPU-heavy closures beside async waits under one limit.
    ///
    /// # Panics
    ///
    /// Like [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// for n in [10_u64, 20, 30] {
    ///     group.spawn_blocking(move || (1..=n).sum::<u64>());
    /// }
    /// let mut sums: Vec<u64> = group.join_all().await.into_iter().map(Result::unwrap).collect();
    /// sums.sort();
    /// assert_eq!(sums, [55, 210, 465]);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F)
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let _ = self.shared.submit(Work::new_blocking(f), Submitter::Owner);
    }

    /// Returns a cloneable handle that submits work to this group, for its
    /// own tasks to hold. See [`GroupHandle`].
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = TaskGroup::new(4);
    /// let handle = group.handle();
    /// // Another task submits work to the group.
    /// tokio::spawn(async move { handle.spawn(async { "from elsewhere" }).unwrap() })
    ///     .await
    ///     .unwrap();
    /// let results = group.join_all().await;
    /// assert_eq!(results[0].as_ref().ok(), Some(&"from elsewhere"));
    /// # }
    /// ```
    pub fn handle(&self) -> GroupHandle<T> {
        GroupHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Waits for the next task to finish and returns its result, in
    /// completion order; `None` once the group is empty (nothing running,
    /// waiting or unjoined).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a result is only taken out of the group in the poll that
    /// returns it, so dropping the future loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// group.spawn(async { "done" });
    /// assert_eq!(group.join_next().await.unwrap().unwrap(), "done");
    /// assert!(group.join_next().await.is_none());
    /// # }
    /// ```
    pub fn join_next(&mut self) -> JoinNext<'_, T> {
        JoinNext::new(self)
    }

    /// Polls for the next finished task; see [`join_next`](Self::join_next).
    ///
    /// Returns `Poll::Ready(None)` when the group is empty. On `Pending`, the
    /// waker of `cx` (the most recent one only) is woken when a result is
    /// available or the group becomes empty.
    ///
    /// Like tokio's `JoinSet`, it takes part in tokio's cooperative
    /// scheduling: a loop over many ready results yields to the runtime now
    /// and then instead of starving the other tasks on its thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// group.spawn(async { 7 });
    /// let first = poll_fn(|cx| group.poll_join_next(cx)).await;
    /// assert_eq!(first.unwrap().unwrap(), 7);
    /// assert!(poll_fn(|cx| group.poll_join_next(cx)).await.is_none());
    /// # }
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, TaskError>>> {
        self.poll_join(cx, WhenEmpty::StayOpen)
    }

    /// [`poll_join_next`](Self::poll_join_next); with [`WhenEmpty::Close`],
    /// finding the group empty closes it to its handles at once (see
    /// `Shared::poll_join_next`).
    fn poll_join(
        &mut self,
        cx: &mut Context<'_>,
        when_empty: WhenEmpty,
    ) -> Poll<Option<Result<T, TaskError>>> {
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        let polled = self.shared.poll_join_next(cx, when_empty);
        if polled.is_ready() {
            coop.made_progress();
        }
        polled
    }

    /// Waits for every task, including the ones submitted meanwhile by the
    /// tasks themselves, and returns every result in completion order.
    ///
    /// The moment it finds the group empty, it closes the group to its
    /// handles, so work submitted through a [`GroupHandle`] is either joined
    /// here or refused with [`SpawnError`](super::SpawnError), never run
    /// and lost.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the group: running tasks are aborted,
    /// waiting ones dropped, and the results collected so far are lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(4);
    /// group.spawn(async { Ok(1) });
    /// group.spawn(async { Err("bad") });
    /// let results = group.join_all().await;
    /// assert_eq!(results.len(), 2); // every result, failures included
    /// # }
    /// ```
    pub fn join_all(self) -> JoinAll<T> {
        JoinAll::new(self)
    }

    /// Aborts every running task and drops every waiting one, without
    /// waiting. Each async task and each waiting item is then joined as a
    /// cancelled [`TaskError`] (a task that finishes before the abort takes
    /// effect keeps its result). A blocking closure that is already running
    /// cannot be interrupted: it runs to the end and is joined with its own
    /// result (`Ok`, or its panic), not as cancelled; one still waiting for
    /// a slot is dropped and joined as cancelled.
    ///
    /// The group stays open: work submitted afterwards runs normally.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(1);
    /// group.spawn(std::future::pending::<u8>()); // running
    /// group.spawn(std::future::pending::<u8>()); // waiting
    /// group.abort_all();
    /// group.spawn(async { 7 });
    /// let results = group.join_all().await;
    /// assert_eq!(results.iter().filter(|r| r.as_ref().is_err_and(|e| e.is_cancelled())).count(), 2);
    /// assert!(results.iter().any(|r| matches!(r, Ok(7))));
    /// # }
    /// ```
    pub fn abort_all(&mut self) {
        self.shared.abort_all(Abort::TasksOnly);
    }

    /// Closes the group to its handles, aborts everything, and waits until
    /// no task of the group runs any more; every result is discarded, so the
    /// group is empty afterwards (`asyncio.TaskGroup` cancellation, tokio's
    /// `JoinSet::shutdown`). Running blocking closures are waited for.
    ///
    /// The group stays closed to its handles until the owner submits work
    /// again with [`spawn`](Self::spawn) or
    /// [`spawn_blocking`](Self::spawn_blocking).
    ///
    /// # Cancel safety
    ///
    /// The group is closed and aborted on the first poll; dropping the future
    /// afterwards only stops the waiting. The results not yet discarded stay
    /// in the group.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// let handle = group.handle();
    /// for _ in 0..5 {
    ///     group.spawn(std::future::pending::<()>());
    /// }
    /// group.shutdown().await;
    /// assert!(group.is_empty());
    /// assert!(handle.spawn(async {}).is_err());
    /// # }
    /// ```
    pub fn shutdown(&mut self) -> Shutdown<'_, T> {
        Shutdown::new(self)
    }
}

impl<T: Send + 'static, E: Send + 'static> TaskGroup<Result<T, E>> {
    /// Waits for every task, failing fast: at the first task that returns
    /// `Err` or panics, the group is closed to its handles, every other task
    /// is aborted (and waiting ones dropped), and once none of them runs any
    /// more the failure is returned. Like `asyncio.TaskGroup`, but with the
    /// first error returned rather than an exception group.
    ///
    /// On success the values come in completion order. Like
    /// [`join_all`](Self::join_all), finding the group empty closes it to
    /// its handles.
    ///
    /// # Errors
    ///
    /// [`GroupError::Failed`] with the first task's `Err`, or
    /// [`GroupError::Task`] if a task panicked (or was cancelled by a runtime
    /// shutdown) before any returned `Err`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the group: running tasks are aborted,
    /// waiting ones dropped, and the values collected so far are lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::{GroupError, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// group.spawn(async { Ok(1) });
    /// group.spawn(async { Err("no route to host") });
    /// group.spawn(std::future::pending()); // aborted by the failure
    /// match group.try_join_all().await {
    ///     Err(GroupError::Failed(e)) => assert_eq!(e, "no route to host"),
    ///     other => panic!("unexpected {other:?}"),
    /// }
    /// # }
    /// ```
    pub fn try_join_all(self) -> TryJoinAll<T, E> {
        self.shared.set_fail_fast(Result::is_err);
        TryJoinAll::new(self)
    }
}

impl<T: Send + 'static> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        self.shared.abort_all(Abort::AndDetach);
    }
}

impl<T: Send + 'static> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (running, waiting, joinable) = self.shared.counts();
        f.debug_struct("TaskGroup")
            .field("limit", &self.limit())
            .field("running", &running)
            .field("waiting", &waiting)
            .field("joinable", &joinable)
            .finish()
    }
}
