//! The data a [`TaskGroup`](super::TaskGroup)'s lock guards, and the
//! transitions on it that must happen in one critical section; the
//! invariants are in [`shared`](super::shared).

use std::collections::{HashMap, VecDeque};
use std::task::Waker;

use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use super::error::TaskError;
use super::work::Work;

pub(super) struct State<T> {
    /// Work submitted but not started, oldest first. Non-empty only while
    /// every slot is taken (see the module invariants).
    pub(super) queue: VecDeque<Work<T>>,
    /// One entry per slot taken, keyed by runner id; `len() <= limit`.
    pub(super) runners: HashMap<u64, Runner>,
    /// The id the next runner gets; ids are never reused.
    pub(super) next_id: u64,
    /// Results not yet joined, in completion order.
    pub(super) done: VecDeque<Result<T, TaskError>>,
    /// The owner's task waiting in `poll_join_next`, woken on each result
    /// and whenever the group becomes empty.
    pub(super) joiner: Option<Waker>,
    /// Handles' submissions are refused (shutdown, fail-fast, `join_all` or
    /// `try_join_all` done, owner gone).
    pub(super) closed: bool,
    /// The owner dropped the group: results are discarded, not stored.
    pub(super) detached: bool,
    /// Set by `try_join_all`: which outputs count as failures. A failure
    /// closes the group and aborts the rest (see `Shared::set_fail_fast`).
    pub(super) fail_fast: Option<fn(&T) -> bool>,
    /// The runtime the last runner was spawned on (or the one current at
    /// creation). Runners hand their slot on from blocking threads or from
    /// `Drop`, where no runtime context can be assumed, so they use this.
    pub(super) runtime: Option<Handle>,
    /// Cumulative counts for `stats()`; every job accepted by `submit` is
    /// counted once in `spawned` and, once it ends, once in `ended`.
    pub(super) counts: Counts,
}

/// How the jobs ended so far (see [`GroupStats`](super::GroupStats)).
#[derive(Default)]
pub(super) struct Counts {
    pub(super) spawned: u64,
    pub(super) completed: u64,
    pub(super) panicked: u64,
    pub(super) cancelled: u64,
    pub(super) elapsed: u64,
}

impl Counts {
    fn ended<T>(&mut self, result: &Result<T, TaskError>) {
        match result {
            Ok(_) => self.completed += 1,
            Err(e) if e.is_panic() => self.panicked += 1,
            Err(e) => {
                self.cancelled += 1;
                self.elapsed += u64::from(e.is_elapsed());
            }
        }
    }
}

/// The slot a runner holds.
pub(super) struct Runner {
    /// Set once the runner's task is spawned (it is spawned after the slot
    /// is reserved, outside the lock).
    pub(super) abort: Option<AbortHandle>,
    /// `abort_all` asked this runner to stop: it must not pick up more work.
    /// If `abort` was still `None`, whoever spawned it aborts it on
    /// registering the handle.
    pub(super) abort_requested: bool,
}

/// Things to drop or wake after the lock is released.
pub(super) struct Deferred<T> {
    waker: Option<Waker>,
    discarded: Option<Result<T, TaskError>>,
}

/// What `State::abort_all` leaves to do once the lock is released.
pub(super) struct Aborted<T> {
    dropped: Vec<Work<T>>,
    aborts: Vec<AbortHandle>,
    waker: Option<Waker>,
}

impl<T> Aborted<T> {
    pub(super) fn run(self) {
        for abort in self.aborts {
            abort.abort();
        }
        drop(self.dropped);
        if let Some(waker) = self.waker {
            waker.wake();
        }
    }
}

impl<T> State<T> {
    /// Drains the queue (each job reports `Cancelled` unless detached) and
    /// marks every runner but `except` as abort-requested, returning the
    /// jobs to drop and the tasks to abort once the lock is released.
    pub(super) fn abort_all(&mut self, except: Option<u64>) -> Aborted<T> {
        let dropped: Vec<Work<T>> = self.queue.drain(..).collect();
        self.counts.cancelled += dropped.len() as u64;
        if !self.detached {
            for _ in 0..dropped.len() {
                self.done.push_back(Err(TaskError::cancelled()));
            }
        }
        let mut aborts = Vec::with_capacity(self.runners.len());
        for (id, runner) in &mut self.runners {
            if Some(*id) == except {
                continue;
            }
            runner.abort_requested = true;
            if let Some(abort) = &runner.abort {
                aborts.push(abort.clone());
            }
        }
        let waker = if dropped.is_empty() {
            None
        } else {
            self.joiner.take()
        };
        Aborted {
            dropped,
            aborts,
            waker,
        }
    }

    /// Delivers `result` like `deliver`; then, with fail-fast on and
    /// `result` a failure, closes the group and aborts everything but the
    /// runner `except`. The failure is queued before the `Cancelled` results
    /// of the jobs it drops, so the joiner sees it first.
    pub(super) fn deliver_checked(
        &mut self,
        result: Result<T, TaskError>,
        except: u64,
    ) -> (Deferred<T>, Option<Aborted<T>>) {
        let failed = match (&result, self.fail_fast) {
            (_, None) => false,
            (Err(_), Some(_)) => true,
            (Ok(value), Some(is_failure)) => is_failure(value),
        };
        let deferred = self.deliver(result);
        if !failed || self.closed {
            return (deferred, None);
        }
        self.closed = true;
        (deferred, Some(self.abort_all(Some(except))))
    }

    /// Takes a slot for a new runner. The caller checked there is one.
    pub(super) fn reserve(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.runners.insert(
            id,
            Runner {
                abort: None,
                abort_requested: false,
            },
        );
        id
    }

    /// Stores a result (or sets it aside to be dropped if the owner is
    /// gone) and takes the joiner's waker.
    fn deliver(&mut self, result: Result<T, TaskError>) -> Deferred<T> {
        self.counts.ended(&result);
        let discarded = if self.detached {
            Some(result)
        } else {
            self.done.push_back(result);
            None
        };
        Deferred {
            waker: self.joiner.take(),
            discarded,
        }
    }
}

impl<T> Deferred<T> {
    pub(super) fn run(self) {
        drop(self.discarded);
        if let Some(waker) = self.waker {
            waker.wake();
        }
    }
}
