//! Errors of the executor module.

use std::any::Any;
use std::fmt;

use crate::panic::Panic;
use crate::timeout::Elapsed;

/// Why a task of a [`TaskGroup`](super::TaskGroup) produced no value.
///
/// A task either panicked (the payload is kept: [`into_panic`](Self::into_panic)
/// hands it back, for example to [`std::panic::resume_unwind`]) or was
/// cancelled before it finished (by [`abort_all`](super::TaskGroup::abort_all),
/// [`shutdown`](super::TaskGroup::shutdown), the runtime shutting down, or
/// the [`Deadline`](crate::timeout::Deadline) it inherited at spawn passing:
/// see [`is_elapsed`](Self::is_elapsed)). A cancelled task is never reported as a panic, and a panic is never
/// re-raised by the group on its own.
///
/// `TaskError` is `Send + Sync` (the payload sits behind a lock that is only
/// taken by [`into_panic`](Self::into_panic)), so it fits in `anyhow`-style
/// error boxes.
pub struct TaskError {
    repr: Repr,
}

enum Repr {
    Panicked(Panic),
    /// With `Some` when the inherited deadline cut the task off.
    Cancelled(Option<Elapsed>),
}

impl TaskError {
    pub(crate) fn panicked(payload: Box<dyn Any + Send + 'static>) -> Self {
        TaskError {
            repr: Repr::Panicked(Panic::new(payload)),
        }
    }

    pub(crate) fn cancelled() -> Self {
        TaskError {
            repr: Repr::Cancelled(None),
        }
    }

    pub(crate) fn elapsed(elapsed: Elapsed) -> Self {
        TaskError {
            repr: Repr::Cancelled(Some(elapsed)),
        }
    }

    /// Returns `true` if the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<()>::new(1);
    /// group.spawn(async { panic!("boom") });
    /// let err = group.join_next().await.unwrap().unwrap_err();
    /// assert!(err.is_panic());
    /// assert_eq!(err.panic_message(), Some("boom"));
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked(_))
    }

    /// Returns `true` if the task was cancelled before it finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(1);
    /// group.spawn(std::future::pending::<()>());
    /// group.abort_all();
    /// let err = group.join_next().await.unwrap().unwrap_err();
    /// assert!(err.is_cancelled());
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled(_))
    }

    /// Returns `true` if the task was cancelled because the ambient
    /// [`Deadline`](crate::timeout::Deadline) it inherited at spawn passed
    /// (such a task is also [`is_cancelled`](Self::is_cancelled)).
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
    /// let mut group = TaskGroup::new(1);
    /// Deadline::after(Duration::from_secs(1))
    ///     .scope(async { group.spawn(std::future::pending::<()>()) })
    ///     .await
    ///     .unwrap();
    /// let err = group.join_next().await.unwrap().unwrap_err();
    /// assert!(err.is_elapsed() && err.is_cancelled());
    /// # }
    /// ```
    pub fn is_elapsed(&self) -> bool {
        matches!(self.repr, Repr::Cancelled(Some(_)))
    }

    /// The panic message, when the task panicked with a `&str` or a `String`
    /// (what `panic!("...")` produces).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<u32>::new(1);
    /// group.spawn(async { panic!("disk full") });
    /// let err = group.join_next().await.unwrap().unwrap_err();
    /// assert_eq!(err.panic_message(), Some("disk full"));
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panicked(panic) => panic.message(),
            Repr::Cancelled(_) => None,
        }
    }

    /// Returns the panic payload.
    ///
    /// # Panics
    ///
    /// Panics if the task was cancelled rather than panicked; use
    /// [`try_into_panic`](Self::try_into_panic) when that is possible.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<()>::new(1);
    /// group.spawn(async { std::panic::panic_any(42_u32) });
    /// let err = group.join_next().await.unwrap().unwrap_err();
    /// let payload = err.into_panic();
    /// assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    /// # }
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(_) => panic!("TaskError::into_panic called on a cancelled task"),
        }
    }

    /// Returns the panic payload, or gives the error back if the task was
    /// cancelled.
    ///
    /// # Errors
    ///
    /// Returns `Err(self)` if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::new(1);
    /// group.spawn(std::future::pending::<()>());
    /// group.abort_all();
    /// let err = group.join_next().await.unwrap().unwrap_err();
    /// let err = err.try_into_panic().unwrap_err(); // cancelled, no payload
    /// assert!(err.is_cancelled());
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, TaskError> {
        // A `TaskError` is not `Clone`, so a panic's payload is still there.
        let taken = match &self.repr {
            Repr::Panicked(panic) => panic.take(),
            Repr::Cancelled(_) => None,
        };
        taken.ok_or(self)
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked(panic) => f
                .debug_struct("TaskError::Panicked")
                .field("message", &panic.message())
                .finish_non_exhaustive(),
            Repr::Cancelled(None) => f.write_str("TaskError::Cancelled"),
            Repr::Cancelled(Some(elapsed)) => f
                .debug_tuple("TaskError::Cancelled")
                .field(elapsed)
                .finish(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked(panic) => match panic.message() {
                Some(m) => write!(f, "task panicked: {m}"),
                None => f.write_str("task panicked"),
            },
            Repr::Cancelled(None) => f.write_str("task was cancelled"),
            Repr::Cancelled(Some(elapsed)) => write!(f, "task was cancelled: {elapsed}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// The first failure of a fail-fast
/// [`try_join_all`](super::TaskGroup::try_join_all).
///
/// Both variants display as the failure they carry.
#[derive(Debug, thiserror::Error)]
pub enum GroupError<E> {
    /// A task returned `Err(E)`; this is that error.
    #[error(transparent)]
    Failed(E),
    /// A task panicked or was cancelled.
    #[error(transparent)]
    Task(TaskError),
}

impl<E> GroupError<E> {
    /// Returns the task's own error, if a task returned `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<Result<(), &str>>::new(2);
    /// group.spawn(async { Err("bad input") });
    /// let err = group.try_join_all().await.unwrap_err();
    /// assert!(!err.is_panic());
    /// assert_eq!(err.into_failed(), Some("bad input"));
    /// # }
    /// ```
    pub fn into_failed(self) -> Option<E> {
        match self {
            GroupError::Failed(e) => Some(e),
            GroupError::Task(_) => None,
        }
    }

    /// Returns the [`TaskError`], if a task panicked or was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<Result<u32, String>>::new(2);
    /// group.spawn(async { panic!("bug") });
    /// let err = group.try_join_all().await.unwrap_err();
    /// let task_error = err.into_task_error().expect("a panic, not an Err");
    /// assert_eq!(task_error.panic_message(), Some("bug"));
    /// # }
    /// ```
    pub fn into_task_error(self) -> Option<TaskError> {
        match self {
            GroupError::Failed(_) => None,
            GroupError::Task(e) => Some(e),
        }
    }

    /// Returns `true` if a task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::executor::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut group = TaskGroup::<Result<u32, String>>::new(2);
    /// group.spawn(async { Err("refused".to_string()) });
    /// let err = group.try_join_all().await.unwrap_err();
    /// assert!(!err.is_panic()); // an `Err` from a task, not a panic
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, GroupError::Task(e) if e.is_panic())
    }
}

/// [`GroupHandle::spawn`](super::GroupHandle::spawn) was refused because the
/// group is closing: it is shutting down, a fail-fast
/// [`try_join_all`](super::TaskGroup::try_join_all) saw a failure,
/// [`join_all`](super::TaskGroup::join_all) or `try_join_all` finished, or
/// the [`TaskGroup`](super::TaskGroup) was dropped. The rejected future has been
/// dropped without being polled.
///
/// # Examples
///
/// ```
/// use async_patterns::executor::{SpawnError, TaskGroup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let group = TaskGroup::<u32>::new(2);
/// let handle = group.handle();
/// drop(group);
/// let err: SpawnError = handle.spawn(async { 1 }).unwrap_err();
/// assert_eq!(err.to_string(), "the task group is closed");
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the task group is closed")]
pub struct SpawnError(pub(crate) ());
