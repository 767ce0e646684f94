//! [`GroupHandle`]: submit work to a [`TaskGroup`](super::TaskGroup) from
//! anywhere, including from its own tasks.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::error::SpawnError;
use super::shared::{Shared, Submitter};
use super::work::Work;

/// A cloneable handle that submits work to a [`TaskGroup`](super::TaskGroup).
///
/// Get one with [`TaskGroup::handle`](super::TaskGroup::handle) and move
/// clones into the group's own tasks, so that a running task can add more
/// work (a crawler submitting the links it finds). Work submitted through a
/// handle obeys the group's limit and is joined by the group's owner like
/// any other.
///
/// A handle does not keep the group open: once the group is closing (its
/// [`shutdown`](super::TaskGroup::shutdown) started, a fail-fast
/// [`try_join_all`](super::TaskGroup::try_join_all) saw a failure,
/// [`join_all`](super::TaskGroup::join_all) or `try_join_all` finished, or
/// the group was dropped), [`spawn`](Self::spawn) returns [`SpawnError`] and
/// drops the future.
pub struct GroupHandle<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

impl<T: Send + 'static> GroupHandle<T> {
    /// Submits `fut` to the group: it starts at once if fewer than `limit`
    /// tasks run, and waits in the group (unspawned) otherwise.
    ///
    /// Like [`TaskGroup::spawn`](super::TaskGroup::spawn), `fut` inherits the caller's ambient
    /// deadline (a task's own spawns inherit the task's); see
    /// [Deadlines](super::TaskGroup#deadlines).
    ///
    /// Runnable example: `crawler` (`cargo run --example crawler`),
    /// crawler tasks submitting the links they find.
    ///
    /// # Errors
    ///
    /// Returns [`SpawnError`] if the group is closing; `fut` is then dropped
    /// without being polled.
    ///
    /// # Panics
    ///
    /// Panics if the group must start a task now (fewer than `limit` run),
    /// no tokio runtime is current, and the group never saw one (at its
    /// creation or at an earlier spawn through it or any handle). Work that
    /// waits in the group never panics; a group created inside a runtime
    /// never panics here.
    ///
    /// # Examples
    ///
    /// A crawler: each page may submit the pages it links to.
    ///
    /// ```
    /// use async_patterns::executor::{GroupHandle, TaskGroup};
    ///
    /// fn visit(group: GroupHandle<u32>, depth: u32) {
    ///     let child = group.clone();
    ///     group
    ///         .spawn(async move {
    ///             if depth < 3 {
    ///                 visit(child.clone(), depth + 1);
    ///                 visit(child, depth + 1);
    ///             }
    ///             depth
    ///         })
    ///         .expect("the group is open");
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = TaskGroup::new(4);
    /// visit(group.handle(), 0);
    /// let pages = group.join_all().await;
    /// assert_eq!(pages.len(), 1 + 2 + 4 + 8);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> Result<(), SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.shared
            .submit(Work::new_async(fut), Submitter::Handle)
            .map_err(|_rejected| SpawnError(()))
    }

    /// Submits a blocking closure to the group, like
    /// [`TaskGroup::spawn_blocking`](super::TaskGroup::spawn_blocking).
    ///
    /// # Errors
    ///
    /// Returns [`SpawnError`] if the group is closing; `f` is then dropped
    /// without being called.
    ///
    /// # Panics
    ///
    /// Panics if the group must start a task now (fewer than `limit` run),
    /// no tokio runtime is current, and the group never saw one (at its
    /// creation or at an earlier spawn through it or any handle). Work that
    /// waits in the group never panics; a group created inside a runtime
    /// never panics here.
    ///
    /// # Examples
    ///
    /// An async task hands CPU-heavy work to the blocking pool, under the
    /// group's limit.
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(2);
    /// let handle = group.handle();
    /// group.spawn(async move {
    ///     handle
    ///         .spawn_blocking(|| (1..=10_u64).product())
    ///         .expect("the group is open");
    ///     0
    /// });
    /// let mut out: Vec<u64> = group.join_all().await.into_iter().map(Result::unwrap).collect();
    /// out.sort();
    /// assert_eq!(out, [0, 3_628_800]);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&self, f: F) -> Result<(), SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.shared
            .submit(Work::new_blocking(f), Submitter::Handle)
            .map_err(|_rejected| SpawnError(()))
    }

    /// Returns `true` if the group is closing and refuses new work.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<u32>::new(2);
    /// let handle = group.handle();
    /// assert!(!handle.is_closed());
    /// group.shutdown().await;
    /// assert!(handle.is_closed());
    /// assert!(handle.spawn(async { 1 }).is_err());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// A snapshot of the group's counters and gauges, as
    /// [`TaskGroup::stats`](super::TaskGroup::stats) returns it: a handle
    /// lets a monitoring task watch a group it does not own.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(4);
    /// let handle = group.handle();
    /// group.spawn(async {});
    /// handle.spawn(async {}).unwrap();
    /// assert_eq!(handle.stats().spawned, 2);
    /// while group.join_next().await.is_some() {}
    /// assert_eq!(handle.stats().completed, 2);
    /// # }
    /// ```
    pub fn stats(&self) -> super::GroupStats {
        self.shared.stats()
    }
}

impl<T> Clone for GroupHandle<T> {
    fn clone(&self) -> Self {
        GroupHandle {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for GroupHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupHandle").finish_non_exhaustive()
    }
}
