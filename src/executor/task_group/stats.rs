//! [`GroupStats`] and the [`TaskGroup`] gauges: what an operator looks at.

use super::TaskGroup;

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

impl<T: Send + 'static> TaskGroup<T> {
    /// Tasks submitted and not yet joined: running, waiting, and finished
    /// but not yet returned by `join_next`.
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
    /// assert_eq!(group.len(), 2);
    /// group.join_next().await;
    /// assert_eq!(group.len(), 1);
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        let (running, waiting, joinable) = self.shared.counts();
        running + waiting + joinable
    }

    /// Returns `true` if [`len`](Self::len) is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// assert!(group.is_empty());
    /// group.spawn(async {});
    /// assert!(!group.is_empty());
    /// while group.join_next().await.is_some() {}
    /// assert!(group.is_empty());
    /// # }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks spawned on the runtime right now (never more than `limit`).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// for _ in 0..5 {
    ///     group.spawn(std::future::pending::<()>());
    /// }
    /// assert_eq!(group.running(), 2); // the limit
    /// group.abort_all();
    /// # }
    /// ```
    pub fn running(&self) -> usize {
        self.shared.counts().0
    }

    /// Tasks submitted and waiting, unspawned, for a free slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// for _ in 0..5 {
    ///     group.spawn(std::future::pending::<()>());
    /// }
    /// assert_eq!(group.waiting(), 3); // not spawned until a slot frees
    /// group.abort_all();
    /// # }
    /// ```
    pub fn waiting(&self) -> usize {
        self.shared.counts().1
    }

    /// Returns `true` if handles' submissions are refused (during and after
    /// [`shutdown`](Self::shutdown), until the owner spawns again).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<()>::new(2);
    /// assert!(!group.is_closed());
    /// group.shutdown().await;
    /// assert!(group.is_closed());
    /// group.spawn(async {}); // the owner's spawn reopens it
    /// assert!(!group.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// A snapshot of the group's counters and gauges, taken in one critical
    /// section; see [`GroupStats`].
    /// [`GroupHandle::stats`](super::GroupHandle::stats) reads the same.
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
    /// group.spawn(async { panic!("boom") });
    /// group.spawn(async { 3 });
    /// let stats = group.stats();
    /// assert_eq!((stats.spawned, stats.running, stats.waiting), (3, 1, 2));
    /// while group.join_next().await.is_some() {}
    /// let stats = group.stats();
    /// assert_eq!((stats.completed, stats.panicked, stats.failed), (2, 1, 1));
    /// # }
    /// ```
    pub fn stats(&self) -> GroupStats {
        self.shared.stats()
    }
}
