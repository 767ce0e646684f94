//! Opting one spawn out of the ambient deadline: work that must outlive
//! the budget of the code that submits it.

use std::future::Future;

use super::error::SpawnError;
use super::shared::Submitter;
use super::work::Work;
use super::{GroupHandle, TaskGroup};
use crate::timeout::Deadline;

impl<T: Send + 'static> TaskGroup<T> {
    /// Submits `fut` like [`spawn`](Self::spawn), but not under the caller's
    /// ambient deadline: inside it [`Deadline::current`] is
    /// [`never`](Deadline::never) and the group does not cut it off (see
    /// [Deadlines](Self#deadlines)). For work that must outlive the request
    /// that caused it: a cache fill, an audit write, a reply to another
    /// party. It still obeys the group's limit, is joined like any other
    /// task, and with `tracing` still runs in the span current here.
    ///
    /// To give it a budget of its own, wrap it in a scope:
    /// `group.spawn_without_deadline(Deadline::after(d).scope(fut))`.
    ///
    /// # Panics
    ///
    /// Like [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::executor::TaskGroup;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(4);
    /// Deadline::after(Duration::from_millis(100))
    ///     .scope(async {
    ///         // Cut off with the request at 100 ms:
    ///         group.spawn(async { tokio::time::sleep(Duration::from_secs(1)).await });
    ///         // Runs to its end:
    ///         group.spawn_without_deadline(async {
    ///             tokio::time::sleep(Duration::from_secs(1)).await;
    ///         });
    ///     })
    ///     .await
    ///     .unwrap();
    /// let results = group.join_all().await;
    /// assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_without_deadline<F>(&mut self, fut: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        // The owner's `submit` never gives the work back.
        let work = Work::with_deadline(fut, Deadline::never());
        let _ = self.shared.submit(work, Submitter::Owner);
    }
}

impl<T: Send + 'static> GroupHandle<T> {
    /// Submits `fut` like [`spawn`](Self::spawn), but not under the caller's
    /// ambient deadline, like
    /// [`TaskGroup::spawn_without_deadline`](super::TaskGroup::spawn_without_deadline).
    ///
    /// # Errors
    ///
    /// Returns [`SpawnError`] if the group is closing; `fut` is then dropped
    /// without being polled.
    ///
    /// # Panics
    ///
    /// Like [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::executor::TaskGroup;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let group = TaskGroup::new(4);
    /// let handle = group.handle();
    /// Deadline::after(Duration::from_millis(100))
    ///     .scope(async {
    ///         handle
    ///             .spawn_without_deadline(async { Deadline::current() })
    ///             .unwrap();
    ///     })
    ///     .await
    ///     .unwrap();
    /// let results = group.join_all().await;
    /// assert_eq!(results[0].as_ref().unwrap(), &Deadline::never());
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_without_deadline<F>(&self, fut: F) -> Result<(), SpawnError>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let work = Work::with_deadline(fut, Deadline::never());
        self.shared
            .submit(work, Submitter::Handle)
            .map_err(|_rejected| SpawnError(()))
    }
}
