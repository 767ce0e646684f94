//! Drives one request through a service of its own: `poll_ready`, then
//! `call`, then the response future. The layers that wait (for a rate
//! permit, a concurrency permit or a retry delay) call a clone of the inner
//! service this way once the wait is over, so that the inner service is
//! only reserved when the request can go.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_service::Service;

/// What to do while the inner service is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotReady {
    /// Wait for it (backpressure).
    Wait,
    /// Fail at once with [`Failure::NotReady`] (load shedding).
    Shed,
}

/// Why a [`Oneshot`] ended without a response.
#[derive(Debug)]
pub(crate) enum Failure<E> {
    /// The inner service failed (in `poll_ready` or in its response future).
    Inner(E),
    /// The inner service was not ready and the mode is [`NotReady::Shed`].
    NotReady,
}

pin_project! {
    #[project = OneshotProj]
    pub(crate) enum Oneshot<S, Req>
    where
        S: Service<Req>,
    {
        Ready { svc: S, req: Option<Req>, mode: NotReady },
        Called { #[pin] fut: S::Future },
    }
}

impl<S: Service<Req>, Req> Oneshot<S, Req> {
    pub(crate) fn new(svc: S, req: Req, mode: NotReady) -> Self {
        Oneshot::Ready {
            svc,
            req: Some(req),
            mode,
        }
    }
}

impl<S: Service<Req>, Req> Future for Oneshot<S, Req> {
    type Output = Result<S::Response, Failure<S::Error>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match self.as_mut().project() {
                OneshotProj::Ready { svc, req, mode } => {
                    match svc.poll_ready(cx) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(Failure::Inner(e))),
                        Poll::Pending if *mode == NotReady::Shed => {
                            return Poll::Ready(Err(Failure::NotReady));
                        }
                        Poll::Pending => return Poll::Pending,
                    }
                    let Some(req) = req.take() else {
                        panic!("`Oneshot` polled after completion");
                    };
                    let fut = svc.call(req);
                    self.set(Oneshot::Called { fut });
                }
                OneshotProj::Called { fut } => {
                    return Poll::Ready(ready!(fut.poll(cx)).map_err(Failure::Inner));
                }
            }
        }
    }
}

impl<S: Service<Req>, Req> fmt::Debug for Oneshot<S, Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self {
            Oneshot::Ready { .. } => "ready",
            Oneshot::Called { .. } => "called",
        };
        f.debug_struct("Oneshot")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
