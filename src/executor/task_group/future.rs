//! The futures [`TaskGroup`]'s joining methods return.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::TaskGroup;
use super::error::{GroupError, TaskError};
use super::shared::{Abort, WhenEmpty};

pin_project! {
    /// Future returned by [`TaskGroup::join_next`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct JoinNext<'a, T>
    where
        T: Send,
        T: 'static,
    {
        group: &'a mut TaskGroup<T>,
    }
}

impl<'a, T: Send + 'static> JoinNext<'a, T> {
    pub(super) fn new(group: &'a mut TaskGroup<T>) -> Self {
        JoinNext { group }
    }
}

impl<T: Send + 'static> Future for JoinNext<'_, T> {
    type Output = Option<Result<T, TaskError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().group.poll_join_next(cx)
    }
}

impl<T: Send + 'static> fmt::Debug for JoinNext<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinNext")
            .field("group", &self.group)
            .finish()
    }
}

pin_project! {
    /// Future returned by [`TaskGroup::join_all`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct JoinAll<T>
    where
        T: Send,
        T: 'static,
    {
        group: TaskGroup<T>,
        results: Vec<Result<T, TaskError>>,
    }
}

impl<T: Send + 'static> JoinAll<T> {
    pub(super) fn new(group: TaskGroup<T>) -> Self {
        JoinAll {
            group,
            results: Vec::new(),
        }
    }
}

impl<T: Send + 'static> Future for JoinAll<T> {
    type Output = Vec<Result<T, TaskError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        while let Some(result) = ready!(this.group.poll_join(cx, WhenEmpty::Close)) {
            this.results.push(result);
        }
        Poll::Ready(std::mem::take(this.results))
    }
}

impl<T: Send + 'static> fmt::Debug for JoinAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("group", &self.group)
            .field("collected", &self.results.len())
            .finish()
    }
}

pin_project! {
    /// Future returned by [`TaskGroup::try_join_all`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct TryJoinAll<T, E>
    where
        T: Send,
        T: 'static,
        E: Send,
        E: 'static,
    {
        group: TaskGroup<Result<T, E>>,
        values: Vec<T>,
        // The first failure; once set, the group is aborted and drained.
        failure: Option<GroupError<E>>,
    }
}

impl<T: Send + 'static, E: Send + 'static> TryJoinAll<T, E> {
    pub(super) fn new(group: TaskGroup<Result<T, E>>) -> Self {
        TryJoinAll {
            group,
            values: Vec::new(),
            failure: None,
        }
    }
}

impl<T: Send + 'static, E: Send + 'static> Future for TryJoinAll<T, E> {
    type Output = Result<Vec<T>, GroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        while let Some(result) = ready!(this.group.poll_join(cx, WhenEmpty::Close)) {
            if this.failure.is_some() {
                continue;
            }
            let failure = match result {
                Ok(Ok(value)) => {
                    this.values.push(value);
                    continue;
                }
                Ok(Err(e)) => GroupError::Failed(e),
                Err(e) => GroupError::Task(e),
            };
            *this.failure = Some(failure);
            this.values.clear();
            this.group.shared.abort_all(Abort::AndClose);
        }
        match this.failure.take() {
            Some(failure) => Poll::Ready(Err(failure)),
            None => Poll::Ready(Ok(std::mem::take(this.values))),
        }
    }
}

impl<T: Send + 'static, E: Send + 'static> fmt::Debug for TryJoinAll<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryJoinAll")
            .field("group", &self.group)
            .field("collected", &self.values.len())
            .field("failed", &self.failure.is_some())
            .finish()
    }
}

pin_project! {
    /// Future returned by [`TaskGroup::shutdown`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Shutdown<'a, T>
    where
        T: Send,
        T: 'static,
    {
        group: &'a mut TaskGroup<T>,
        started: bool,
    }
}

impl<'a, T: Send + 'static> Shutdown<'a, T> {
    pub(super) fn new(group: &'a mut TaskGroup<T>) -> Self {
        Shutdown {
            group,
            started: false,
        }
    }
}

impl<T: Send + 'static> Future for Shutdown<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if !*this.started {
            *this.started = true;
            this.group.shared.abort_all(Abort::AndClose);
        }
        while ready!(this.group.poll_join_next(cx)).is_some() {}
        Poll::Ready(())
    }
}

impl<T: Send + 'static> fmt::Debug for Shutdown<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("group", &self.group)
            .field("started", &self.started)
            .finish()
    }
}
