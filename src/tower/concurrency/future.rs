use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use super::{ConcurrencyLimitError, Mode};
use crate::tower::oneshot::{Failure, NotReady, Oneshot};

type Acquire = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// What a [`ResponseFuture`] resolves to.
type Output<S, Req> =
    Result<<S as Service<Req>>::Response, ConcurrencyLimitError<<S as Service<Req>>::Error>>;

pin_project! {
    #[project = StateProj]
    enum State<S, Req>
    where
        S: Service<Req>,
    {
        // In the semaphore's queue (boxed: tokio's acquire future has no
        // name); only requests that find no permit free get here.
        Waiting { permit: Acquire, call: Option<(S, Req)> },
        // Holding `permit` until the call completes (then `None`) or is
        // dropped.
        Calling { permit: Option<OwnedSemaphorePermit>, #[pin] call: Oneshot<S, Req> },
        Overloaded,
        Done,
    }
}

pin_project! {
    /// The response future of [`ConcurrencyLimit`](super::ConcurrencyLimit):
    /// waits for a permit, then calls the inner service and holds the
    /// permit until the response is ready.
    ///
    /// # Cancel safety
    ///
    /// Dropping it while it waits gives its place in the queue up; dropping
    /// it during the call drops the call and gives the permit back.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct ResponseFuture<S, Req>
    where
        S: Service<Req>,
    {
        #[pin]
        state: State<S, Req>,
    }
}

impl<S: Service<Req>, Req> ResponseFuture<S, Req> {
    pub(super) fn calling(permit: OwnedSemaphorePermit, svc: S, req: Req, mode: Mode) -> Self {
        let not_ready = match mode {
            Mode::Wait => NotReady::Wait,
            Mode::Shed => NotReady::Shed,
        };
        Self {
            state: State::Calling {
                permit: Some(permit),
                call: Oneshot::new(svc, req, not_ready),
            },
        }
    }

    /// Holds `permit` until `fut`, the inner call, completes.
    pub(super) fn called(permit: OwnedSemaphorePermit, fut: S::Future) -> Self {
        Self {
            state: State::Calling {
                permit: Some(permit),
                call: Oneshot::Called { fut },
            },
        }
    }

    pub(super) fn waiting(permits: Arc<Semaphore>, svc: S, req: Req) -> Self
    where
        S: Service<Req>,
    {
        Self {
            state: State::Waiting {
                permit: Box::pin(permits.acquire_owned()),
                call: Some((svc, req)),
            },
        }
    }

    pub(super) fn overloaded() -> Self {
        Self {
            state: State::Overloaded,
        }
    }
}

impl<S: Service<Req>, Req> Future for ResponseFuture<S, Req> {
    type Output = Result<S::Response, ConcurrencyLimitError<S::Error>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            if let StateProj::Calling { permit, call } = state.as_mut().project() {
                // The permit is gone once the call completed.
                assert!(permit.is_some(), "`ResponseFuture` polled after completion");
                let result = ready!(call.poll(cx));
                // Give the permit back before the caller sees the response,
                // so that a caller looping on the service finds it free.
                drop(permit.take());
                return Poll::Ready(result.map_err(|failure| match failure {
                    Failure::Inner(e) => ConcurrencyLimitError::Inner(e),
                    Failure::NotReady => ConcurrencyLimitError::Overloaded,
                }));
            }
            if let Some(output) = ready!(poll_not_calling(state.as_mut(), cx)) {
                return Poll::Ready(output);
            }
        }
    }
}

/// The states other than `Calling` (out of line so that the common path of
/// `poll` stays small enough to inline): `Ready(None)` once the state is
/// `Calling`.
#[cold]
#[inline(never)]
fn poll_not_calling<S: Service<Req>, Req>(
    mut state: Pin<&mut State<S, Req>>,
    cx: &mut Context<'_>,
) -> Poll<Option<Output<S, Req>>> {
    match state.as_mut().project() {
        StateProj::Waiting { permit, call } => {
            // The semaphore is never closed, so acquiring cannot fail.
            let permit = ready!(permit.as_mut().poll(cx)).ok();
            let Some((svc, req)) = call.take() else {
                panic!("`ResponseFuture` polled after completion");
            };
            state.set(State::Calling {
                permit,
                call: Oneshot::new(svc, req, NotReady::Wait),
            });
            Poll::Ready(None)
        }
        StateProj::Calling { .. } => Poll::Ready(None),
        StateProj::Overloaded => {
            state.set(State::Done);
            Poll::Ready(Some(Err(ConcurrencyLimitError::Overloaded)))
        }
        StateProj::Done => panic!("`ResponseFuture` polled after completion"),
    }
}

impl<S: Service<Req>, Req> fmt::Debug for ResponseFuture<S, Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Waiting { .. } => "waiting",
            State::Calling {
                permit: Some(_), ..
            } => "calling",
            State::Calling { permit: None, .. } | State::Done => "done",
            State::Overloaded => "overloaded",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
