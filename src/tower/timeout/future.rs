use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::TimeoutError;
use crate::timeout::Scope;

pin_project! {
    /// The response future of [`Timeout`](super::Timeout): the inner call
    /// inside [`Deadline::scope`](crate::timeout::Deadline::scope).
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the inner call.
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Scope<F>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: Scope<F>) -> Self {
        Self { inner }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, TimeoutError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(match ready!(self.project().inner.poll(cx)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(TimeoutError::Inner(e)),
            Err(elapsed) => Err(TimeoutError::Elapsed(elapsed)),
        })
    }
}
