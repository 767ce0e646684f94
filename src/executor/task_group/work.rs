//! One job of a [`TaskGroup`](super::TaskGroup): what it carries from the
//! code that submitted it (its deadline, and its span with `tracing`), and
//! how an async job runs to its result under that deadline.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures::FutureExt;

use super::error::TaskError;
use crate::timeout::Deadline;

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
pub(crate) type BoxBlocking<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// One unit of submitted work, with the ambient [`Deadline`] of the code
/// that submitted it (see [`Work::new_async`]).
pub(crate) enum Work<T> {
    Async(BoxFuture<T>, Deadline),
    Blocking(BoxBlocking<T>, Deadline),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Async,
    Blocking,
}

impl<T> Work<T> {
    /// A future that runs under the submitter's ambient deadline: inside it
    /// [`Deadline::current`] is that deadline, and the runner cuts it off
    /// there (see `run_one`).
    ///
    /// With the `tracing` feature it also runs in the span current here.
    pub(crate) fn new_async<F>(fut: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        Self::with_deadline(fut, Deadline::current())
    }

    /// A future that runs under `deadline` instead of the ambient one
    /// ([`Deadline::never`] opts out), still in the current span.
    pub(crate) fn with_deadline<F>(fut: F, deadline: Deadline) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        #[cfg(feature = "tracing")]
        let fut = tracing::Instrument::in_current_span(fut);
        Work::Async(Box::pin(fut), deadline)
    }

    /// A closure that sees the submitter's ambient deadline as
    /// [`Deadline::current`] (it cannot be cut off).
    pub(crate) fn new_blocking<F>(f: F) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        #[cfg(feature = "tracing")]
        let f = {
            let span = tracing::Span::current();
            move || span.in_scope(f)
        };
        Work::Blocking(Box::new(f), Deadline::current())
    }

    pub(super) fn kind(&self) -> Kind {
        match self {
            Work::Async(..) => Kind::Async,
            Work::Blocking(..) => Kind::Blocking,
        }
    }
}

/// Runs one async job to its result. Under a finite `deadline` the job runs
/// in [`Deadline::scope`], so the deadline is ambient inside it and a job
/// still pending at the deadline is dropped and reported as
/// [`TaskError::elapsed`]. Without one (the common case) no timer is armed.
pub(super) async fn run_one<T>(fut: BoxFuture<T>, deadline: Deadline) -> Result<T, TaskError> {
    let guarded = AssertUnwindSafe(fut).catch_unwind();
    if deadline == Deadline::never() {
        return guarded.await.map_err(TaskError::panicked);
    }
    match deadline.scope(guarded).await {
        Ok(result) => result.map_err(TaskError::panicked),
        Err(elapsed) => Err(TaskError::elapsed(elapsed)),
    }
}
