//! [`GroupStats`]: what an operator looks at.

/// A snapshot of a [`TaskGroup`](super::TaskGroup)'s cumulative counters
/// and current gauges, from [`TaskGroup::stats`](super::TaskGroup::stats)
/// or [`GroupHandle::stats`](super::GroupHandle::stats).
///
/// The counters only grow, so two snapshots taken `dt` apart subtract into
/// rates: `(b.completed - a.completed) / dt` is the throughput and
/// `(b.failed - a.failed) / dt` the failure rate. The gauges (`running`,
/// `waiting`, `joinable`) are values at the instant of the snapshot: a
/// `waiting` that keeps growing means work arrives faster than `limit`
/// tasks finish it; a `joinable` that grows means nobody joins. All fields
/// are updated and read under the lock the group takes for every spawn and
/// every result anyway: a plain add, no atomic, no clock read.
///
/// Every spawned job ends counted exactly once, in `completed`,
/// `panicked` or `cancelled`, so
/// `spawned == running + waiting + completed + panicked + cancelled`.
///
/// # Examples
///
/// ```
/// use async_patterns::executor::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut group = TaskGroup::new(2);
/// for n in 0..5_u64 {
///     group.spawn(async move { n });
/// }
/// let before = group.stats();
/// assert_eq!((before.running, before.waiting), (2, 3));
/// while group.join_next().await.is_some() {}
/// let after = group.stats();
/// assert_eq!(after.completed - before.completed, 5);
/// assert_eq!(after.running + after.waiting, 0);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GroupStats {
    /// The group's limit: at most this many tasks run at once.
    pub limit: usize,
    /// Jobs ever accepted (`spawn`, `spawn_blocking`, and their
    /// [`GroupHandle`](super::GroupHandle) variants that returned `Ok`).
    pub spawned: u64,
    /// Jobs running now ([`running`](super::TaskGroup::running)).
    pub running: usize,
    /// Jobs submitted but not started now, waiting for a free slot
    /// ([`waiting`](super::TaskGroup::waiting)).
    pub waiting: usize,
    /// Results delivered and not yet joined now.
    pub joinable: usize,
    /// Jobs that returned their output (whatever the value: a task that
    /// returns an `Err` of its own counts here).
    pub completed: u64,
    /// Jobs that ended without an output: `panicked + cancelled`.
    pub failed: u64,
    /// Jobs that panicked.
    pub panicked: u64,
    /// Jobs cancelled: aborted, shut down, dropped with the group, dropped
    /// by a runtime shutting down, or cut off by their deadline.
    pub cancelled: u64,
    /// Of `cancelled`, the jobs cut off by the [`Deadline`](crate::timeout::Deadline)
    /// they inherited at spawn ([`TaskError::is_elapsed`](super::TaskError::is_elapsed)).
    pub elapsed: u64,
}
