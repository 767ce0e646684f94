//! The state a [`TaskGroup`](super::TaskGroup) shares with its handles and
//! with the runtime tasks that run its work.
//!
//! # Design
//!
//! Work is run by *runners*. A runner holds one of the group's `limit`
//! slots and is exactly one runtime task: an async task (from
//! `Handle::spawn`) for futures, or a blocking-pool task (from
//! `Handle::spawn_blocking`) for closures. Submitted work that finds every
//! slot taken waits in [`State::queue`] as a boxed, unpolled future or
//! closure; it is not a runtime task.
//!
//! When a runner finishes a job it delivers the result and, **under the same
//! lock**, takes the next waiting job (FIFO). A job of its own kind it runs
//! itself (an async runner loops, yielding to the scheduler through tokio's
//! coop budget between jobs; a blocking runner loops on its thread); a job of
//! the other kind is handed to a freshly spawned runner that inherits the
//! slot. So queued work, including work submitted by the tasks themselves
//! through a [`GroupHandle`](super::GroupHandle), starts as soon as a slot
//! frees, whether or not anybody is awaiting `join_next`.
//!
//! # Invariants (all under `Shared::state`)
//!
//! - `runners.len() <= limit`: a slot is reserved (an entry inserted) before
//!   its runtime task is spawned and released (the entry removed) in the same
//!   critical section that delivers the runner's last result.
//! - `!queue.is_empty()` implies `runners.len() == limit` (or the group is
//!   closed, in which case the queue is empty): a slot is never released
//!   while work waits. The one exception is a runtime shutting down, which
//!   drops runners without running anything; `poll_join_next` then starts
//!   runners for any work left waiting.
//! - Every submitted job yields exactly one result in `done` (its output, a
//!   panic, or `Cancelled`), unless the owner dropped the group (`detached`),
//!   after which results are discarded. A runner's [`RunnerSlot`] guard reports
//!   `Cancelled` for its current job if the runner is dropped before the job
//!   finished (abort, runtime shutdown), so no job is ever lost.
//! - No user code runs and no runtime task is spawned or aborted while the
//!   lock is held: user futures, closures and outputs are dropped, wakers
//!   woken, and tasks spawned or aborted only after it is released (spawning
//!   onto a runtime that is shutting down drops the task, and with it a
//!   `RunnerSlot` that takes this lock, synchronously).
//! - A runner marked `abort_requested` (by `abort_all`) never picks up more
//!   work: if a job waits when it finishes, the slot goes to a fresh runner,
//!   so work submitted after an `abort_all` is not cancelled by it.
//! - Fail-fast (`try_join_all`): the runner whose job failed closes the
//!   group and aborts every other runner in the critical section that
//!   delivers the failure, before the `Cancelled` results of the jobs it
//!   drops, so siblings stop even if the joiner is slow to run and the
//!   joiner sees the real failure first.
//! - A runner's current job is exactly the work its slot stands for, so
//!   `running() == runners.len()`, `waiting() == queue.len()`, and
//!   `len() == running + waiting + done.len()`.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::{Context, Poll};

use tokio::runtime::Handle;

use super::error::TaskError;
use super::state::{Counts, State};
use super::stats::GroupStats;
use super::work::{BoxBlocking, BoxFuture, Kind, Work, run_one};
use crate::timeout::Deadline;
// Plain `std` types: the group is built on tokio tasks, which loom cannot
// model, so this core is covered by the integration tests instead.
use crate::loom::lock_std;
use std::sync::{Arc, Mutex, MutexGuard};

/// Who calls [`Shared::submit`], which decides what a closed group does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Submitter {
    /// The owner's `spawn`: a closed group reopens.
    Owner,
    /// A `GroupHandle`: a closed group gives the job back.
    Handle,
}

/// What [`Shared::poll_join_next`] does on finding the group empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenEmpty {
    /// Nothing: `join_next` may be called again after more spawns.
    StayOpen,
    /// Close the group to its handles (the last join of `join_all` and
    /// `try_join_all`, which consume the group).
    Close,
}

/// How far [`Shared::abort_all`] goes besides aborting every task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abort {
    /// No further: handles may still submit (`TaskGroup::abort_all`).
    TasksOnly,
    /// Close the group to its handles (shutdown, fail-fast).
    AndClose,
    /// Close it and discard every result: the owner is gone (drop).
    AndDetach,
}

pub(crate) struct Shared<T> {
    /// The most runners (slots) alive at once; at least 1.
    limit: usize,
    state: Mutex<State<T>>,
}

/// Work to start after the lock is released: a reserved slot and its job.
pub(crate) struct Start<T> {
    runtime: Handle,
    id: u64,
    work: Work<T>,
}

thread_local! {
    /// Set while a `RunnerSlot` being dropped starts a replacement runner. If the
    /// runtime is shutting down, spawning drops the replacement (and its
    /// `RunnerSlot`) at once; the flag stops that drop from spawning again, so a
    /// long queue cannot recurse.
    static IN_DROP_HANDOFF: Cell<bool> = const { Cell::new(false) };
}

impl<T: Send + 'static> Shared<T> {
    pub(crate) fn new(limit: usize) -> Self {
        Shared {
            limit,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                runners: HashMap::new(),
                next_id: 0,
                done: VecDeque::new(),
                joiner: None,
                closed: false,
                detached: false,
                fail_fast: None,
                runtime: Handle::try_current().ok(),
                counts: Counts::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        lock_std(&self.state)
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Submits a job: starts it if a slot is free, queues it otherwise. A
    /// closed group reopens for the owner and gives a handle's job back.
    #[track_caller]
    pub(crate) fn submit(self: &Arc<Self>, work: Work<T>, by: Submitter) -> Result<(), Work<T>> {
        let mut st = self.lock();
        if st.closed {
            if by == Submitter::Handle {
                drop(st);
                return Err(work);
            }
            st.closed = false;
        }
        st.counts.spawned += 1;
        if st.runners.len() < self.limit {
            // Prefer the caller's runtime (a group may outlive the runtime
            // it was created on); fall back to the recorded one for callers
            // outside any runtime, such as plain threads holding a handle.
            let runtime = match Handle::try_current() {
                Ok(rt) => {
                    st.runtime = Some(rt.clone());
                    rt
                }
                Err(_) => match &st.runtime {
                    Some(rt) => rt.clone(),
                    None => {
                        drop(st);
                        panic!(
                            "TaskGroup: spawning needs a tokio runtime (call it from within one)"
                        )
                    }
                },
            };
            let id = st.reserve();
            drop(st);
            self.start(Start { runtime, id, work });
        } else {
            st.queue.push_back(work);
        }
        Ok(())
    }

    /// Spawns the runtime task for a reserved slot and registers its abort
    /// handle. Must be called without the lock held.
    fn start(self: &Arc<Self>, start: Start<T>) {
        let Start { runtime, id, work } = start;
        let slot = RunnerSlot {
            shared: Arc::clone(self),
            id,
            armed: true,
        };
        let abort = match work {
            Work::Async(fut, deadline) => {
                runtime.spawn(run_async(slot, fut, deadline)).abort_handle()
            }
            Work::Blocking(f, deadline) => runtime
                .spawn_blocking(move || run_blocking(slot, f, deadline))
                .abort_handle(),
        };
        let mut st = self.lock();
        let abort_now = match st.runners.get_mut(&id) {
            Some(runner) => {
                runner.abort = Some(abort.clone());
                runner.abort_requested
            }
            // The runner already finished and released its slot.
            None => false,
        };
        drop(st);
        if abort_now {
            abort.abort();
        }
    }

    /// `TaskGroup::poll_join_next`. With [`WhenEmpty::Close`], finding the
    /// group empty also closes it, in the same critical section: a handle's
    /// submission either comes before and is joined, or after and is
    /// refused, never accepted and then aborted unjoined.
    pub(crate) fn poll_join_next(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        when_empty: WhenEmpty,
    ) -> Poll<Option<Result<T, TaskError>>> {
        let mut st = self.lock();
        if let Some(result) = st.done.pop_front() {
            return Poll::Ready(Some(result));
        }
        if st.runners.is_empty() && st.queue.is_empty() {
            st.closed |= when_empty == WhenEmpty::Close;
            return Poll::Ready(None);
        }
        // Register before releasing the lock: every result and every slot
        // release happens under the lock and takes this waker, so none is
        // missed between the checks above and the return below.
        match &mut st.joiner {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        // Self-healing for the one case where the queue can outlive free
        // slots (runners dropped by a runtime shutting down).
        let mut starts = Vec::new();
        if !st.closed {
            while st.runners.len() < self.limit {
                let Some(runtime) = st.runtime.clone() else {
                    break;
                };
                let Some(work) = st.queue.pop_front() else {
                    break;
                };
                let id = st.reserve();
                starts.push(Start { runtime, id, work });
            }
        }
        drop(st);
        for start in starts {
            self.start(start);
        }
        Poll::Pending
    }

    /// Cancels every waiting job (each reports `Cancelled`) and aborts every
    /// runner; then closes or detaches the group as `abort` says.
    pub(crate) fn abort_all(&self, abort: Abort) {
        let mut st = self.lock();
        st.closed |= abort != Abort::TasksOnly;
        st.detached |= abort == Abort::AndDetach;
        let stale: VecDeque<_> = if st.detached {
            std::mem::take(&mut st.done)
        } else {
            VecDeque::new()
        };
        let aborted = st.abort_all(None);
        drop(st);
        aborted.run();
        drop(stale);
    }

    /// Makes the group fail fast: from now on a task that panics, is
    /// cancelled, or whose output `is_failure` says is a failure closes the
    /// group and aborts every other task itself, in the critical section
    /// that delivers its result, without waiting for the joiner to run.
    pub(crate) fn set_fail_fast(&self, is_failure: fn(&T) -> bool) {
        self.lock().fail_fast = Some(is_failure);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// A snapshot of the counts, in one critical section.
    pub(crate) fn stats(&self) -> GroupStats {
        let st = self.lock();
        let c = &st.counts;
        GroupStats {
            limit: self.limit,
            spawned: c.spawned,
            running: st.runners.len(),
            waiting: st.queue.len(),
            joinable: st.done.len(),
            completed: c.completed,
            failed: c.panicked + c.cancelled,
            panicked: c.panicked,
            cancelled: c.cancelled,
            elapsed: c.elapsed,
        }
    }

    /// `(running, waiting, joinable)`.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let st = self.lock();
        (st.runners.len(), st.queue.len(), st.done.len())
    }
}

/// A runner's hold on its slot. While armed, dropping it (the runner was
/// aborted or dropped by the runtime) reports the current job as
/// `Cancelled` and releases the slot, handing it to waiting work if any.
struct RunnerSlot<T: Send + 'static> {
    shared: Arc<Shared<T>>,
    id: u64,
    armed: bool,
}

impl<T: Send + 'static> RunnerSlot<T> {
    /// Delivers the current job's result and returns the next job of `kind`
    /// for this runner to run, or `None` if the runner must stop (its slot
    /// was released or handed to a new runner started here).
    fn finish(&mut self, result: Result<T, TaskError>, kind: Kind) -> Option<Work<T>> {
        let shared = &self.shared;
        let mut st = shared.lock();
        let (deferred, aborted) = st.deliver_checked(result, self.id);
        let abort_requested = st.runners.get(&self.id).is_some_and(|r| r.abort_requested);
        let mut next = None;
        let mut handoff = None;
        match (st.closed, st.queue.pop_front(), st.runtime.clone()) {
            (false, Some(work), _) if work.kind() == kind && !abort_requested => next = Some(work),
            (false, Some(work), Some(runtime)) => {
                st.runners.remove(&self.id);
                let id = st.reserve();
                handoff = Some(Start { runtime, id, work });
            }
            (_, work, _) => {
                // Closed (the queue is empty then) or nothing waits, or no
                // runtime recorded (cannot happen: this runner was spawned
                // on it). Keep any job queued and release the slot.
                if let Some(work) = work {
                    st.queue.push_front(work);
                }
                st.runners.remove(&self.id);
            }
        }
        if next.is_none() {
            self.armed = false;
        }
        drop(st);
        if let Some(aborted) = aborted {
            aborted.run();
        }
        deferred.run();
        if let Some(start) = handoff {
            shared.start(start);
        }
        next
    }
}

impl<T: Send + 'static> Drop for RunnerSlot<T> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let shared = &self.shared;
        let mut st = shared.lock();
        let (deferred, aborted) = st.deliver_checked(Err(TaskError::cancelled()), self.id);
        st.runners.remove(&self.id);
        let mut handoff = None;
        if !st.closed && !IN_DROP_HANDOFF.with(Cell::get) {
            if let Some(runtime) = st.runtime.clone() {
                if let Some(work) = st.queue.pop_front() {
                    let id = st.reserve();
                    handoff = Some(Start { runtime, id, work });
                }
            }
        }
        drop(st);
        if let Some(aborted) = aborted {
            aborted.run();
        }
        deferred.run();
        if let Some(start) = handoff {
            IN_DROP_HANDOFF.with(|f| f.set(true));
            shared.start(start);
            IN_DROP_HANDOFF.with(|f| f.set(false));
        }
    }
}

/// An async runner: runs its first job, then waiting async jobs, one after
/// another, until none is left for it.
async fn run_async<T: Send + 'static>(
    mut slot: RunnerSlot<T>,
    mut fut: BoxFuture<T>,
    mut deadline: Deadline,
) {
    loop {
        let result = run_one(fut, deadline).await;
        match slot.finish(result, Kind::Async) {
            Some(Work::Async(next, next_deadline)) => (fut, deadline) = (next, next_deadline),
            _ => return,
        }
        // Jobs that are always ready must not monopolise the worker thread.
        tokio::task::coop::consume_budget().await;
    }
}

/// A blocking runner: runs its first closure, then waiting closures, on its
/// blocking-pool thread. Each closure sees its submitter's deadline as the
/// ambient one.
fn run_blocking<T: Send + 'static>(
    mut slot: RunnerSlot<T>,
    mut f: BoxBlocking<T>,
    mut deadline: Deadline,
) {
    loop {
        let ambient = deadline.enter();
        let result = catch_unwind(AssertUnwindSafe(f)).map_err(TaskError::panicked);
        drop(ambient);
        match slot.finish(result, Kind::Blocking) {
            Some(Work::Blocking(next, next_deadline)) => (f, deadline) = (next, next_deadline),
            _ => return,
        }
    }
}
