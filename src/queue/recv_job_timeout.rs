//! `recv_job` with a time limit: `Timeout<RecvJob>`, with the errors of
//! `recv_timeout`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::error::RecvTimeoutError;
use super::future::RecvJob;
use super::job::Job;
use crate::timeout::{Timeout, timeout};

pin_project! {
    /// Future of
    /// [`Receiver::recv_job_timeout`](super::Receiver::recv_job_timeout): a
    /// [`Job`], or why there is none.
    ///
    /// # Cancel safety
    ///
    /// The same as [`RecvJob`]: dropping it loses no item and no wakeup.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct RecvJobTimeout<'a, T> {
        #[pin]
        inner: Timeout<RecvJob<'a, T>>,
    }
}

impl<'a, T> RecvJobTimeout<'a, T> {
    pub(crate) fn new(recv: RecvJob<'a, T>, limit: Duration) -> Self {
        Self {
            inner: timeout(limit, recv),
        }
    }
}

impl<T> Future for RecvJobTimeout<'_, T> {
    type Output = Result<Job<T>, RecvTimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx).map(|outcome| match outcome {
            Ok(received) => received.map_err(RecvTimeoutError::from),
            Err(_elapsed) => Err(RecvTimeoutError::Timeout),
        })
    }
}

impl<T> fmt::Debug for RecvJobTimeout<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvJobTimeout")
            .field("recv", &self.inner.get_ref())
            .field("expires_at", &self.inner.expires_at())
            .finish()
    }
}
