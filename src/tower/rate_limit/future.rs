use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_service::Service;

use super::RateLimitError;
use crate::rate_limit::NotUntil;
use crate::tower::oneshot::{Failure, NotReady, Oneshot};

pin_project! {
    #[project = StateProj]
    enum State<A, S, Req>
    where
        S: Service<Req>,
    {
        // Waiting for the permit future `A`; then `svc` serves `req`.
        Waiting { #[pin] permit: A, call: Option<(S, Req)> },
        Calling { #[pin] call: Oneshot<S, Req> },
        Limited { not_until: Option<NotUntil> },
    }
}

pin_project! {
    /// The response future of [`RateLimit`](super::RateLimit) and
    /// [`KeyedRateLimit`](super::KeyedRateLimit): waits for the permit
    /// future `A`, then calls the inner service.
    ///
    /// # Cancel safety
    ///
    /// Dropping it while it waits gives its place in the limiter's queue up
    /// and takes no permit; once the permit is taken, dropping it drops the
    /// inner call (the permit is spent, as the request went out).
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct ResponseFuture<A, S, Req>
    where
        S: Service<Req>,
    {
        #[pin]
        state: State<A, S, Req>,
    }
}

impl<A, S: Service<Req>, Req> ResponseFuture<A, S, Req> {
    pub(super) fn waiting(permit: A, svc: S, req: Req) -> Self {
        Self {
            state: State::Waiting {
                permit,
                call: Some((svc, req)),
            },
        }
    }

    pub(super) fn calling(svc: S, req: Req) -> Self {
        Self {
            state: State::Calling {
                call: Oneshot::new(svc, req, NotReady::Wait),
            },
        }
    }

    pub(super) fn limited(not_until: NotUntil) -> Self {
        Self {
            state: State::Limited {
                not_until: Some(not_until),
            },
        }
    }
}

impl<A, S, Req> Future for ResponseFuture<A, S, Req>
where
    A: Future<Output = ()>,
    S: Service<Req>,
{
    type Output = Result<S::Response, RateLimitError<S::Error>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Waiting { permit, call } => {
                    ready!(permit.poll(cx));
                    let Some((svc, req)) = call.take() else {
                        panic!("`ResponseFuture` polled after completion");
                    };
                    state.set(State::Calling {
                        call: Oneshot::new(svc, req, NotReady::Wait),
                    });
                }
                StateProj::Calling { call } => {
                    return Poll::Ready(ready!(call.poll(cx)).map_err(|failure| match failure {
                        Failure::Inner(e) => RateLimitError::Inner(e),
                        Failure::NotReady => unreachable!("a waiting `Oneshot` is never shed"),
                    }));
                }
                StateProj::Limited { not_until } => {
                    let not_until = not_until
                        .take()
                        .expect("`ResponseFuture` polled after completion");
                    return Poll::Ready(Err(RateLimitError::Limited(not_until)));
                }
            }
        }
    }
}

impl<A, S: Service<Req>, Req> fmt::Debug for ResponseFuture<A, S, Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Waiting { .. } => "waiting",
            State::Calling { .. } => "calling",
            State::Limited { .. } => "limited",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
