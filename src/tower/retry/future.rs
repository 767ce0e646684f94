use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use crate::retry::{Budget, RetryAfter, When};

/// How a retry layer judges the outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A success: done, and it pays into the [`Budget`].
    Success,
    /// A failure not worth retrying: done.
    Failure,
    /// Worth retrying, after the server's hint if it gave one (else after
    /// the schedule's next delay).
    Retry(Option<Duration>),
}

mod sealed {
    pub trait Sealed {}
}

/// How a retry layer classifies an outcome: [`OnError`] for the generic
/// [`RetryLayer`](super::RetryLayer), and the HTTP layer's own. Sealed.
pub trait Classify<T, E>: sealed::Sealed {
    /// The verdict on `outcome`, which the classifier may annotate (the
    /// HTTP layer marks a response it could not retry).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::retry::{NoRetryAfter, RetryAll};
    /// use async_patterns::tower::retry::{Classify, OnError, Verdict};
    ///
    /// let mut classify = OnError::new(RetryAll, NoRetryAfter);
    /// assert_eq!(classify.classify(&mut Ok::<_, ()>(1)), Verdict::Success);
    /// assert_eq!(classify.classify(&mut Err::<u8, _>(())), Verdict::Retry(None));
    /// ```
    fn classify(&mut self, outcome: &mut Result<T, E>) -> Verdict;
}

/// The classifier of the generic [`RetryLayer`](super::RetryLayer): `Ok` is
/// a success; an error is retried if the `when` hook says so, after the
/// `retry_after` hook's hint.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::tower::retry::{Classify, OnError, Verdict};
///
/// let mut classify = OnError::new(|e: &u16| *e == 503, |_: &u16| Some(Duration::from_secs(1)));
/// assert_eq!(classify.classify(&mut Err::<(), _>(503)), Verdict::Retry(Some(Duration::from_secs(1))));
/// assert_eq!(classify.classify(&mut Err::<(), _>(400)), Verdict::Failure);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OnError<W, A> {
    when: W,
    retry_after: A,
}

impl<W, A> OnError<W, A> {
    /// A classifier from the two hooks.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::retry::{NoRetryAfter, RetryAll};
    /// use async_patterns::tower::retry::OnError;
    ///
    /// let classify = OnError::new(RetryAll, NoRetryAfter);
    /// # let _ = classify;
    /// ```
    pub const fn new(when: W, retry_after: A) -> Self {
        Self { when, retry_after }
    }
}

impl<W, A> sealed::Sealed for OnError<W, A> {}

impl<T, E, W: When<E>, A: RetryAfter<E>> Classify<T, E> for OnError<W, A> {
    fn classify(&mut self, outcome: &mut Result<T, E>) -> Verdict {
        match outcome {
            Ok(_) => Verdict::Success,
            Err(e) if self.when.retry(e) => Verdict::Retry(self.retry_after.hint(e)),
            Err(_) => Verdict::Failure,
        }
    }
}

pub(crate) use sealed::Sealed;

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // Waiting for the service's readiness to send `attempt`.
        Ready,
        Calling { #[pin] fut: F },
        // Boxed: a tokio `Sleep` is large, and most requests never sleep.
        Sleeping { sleep: Pin<Box<Sleep>> },
        Done,
    }
}

pin_project! {
    /// The response future of the retry layers: calls its clone of the
    /// inner service (readied anew for each attempt) with a clone of the
    /// request until the classifier `C` is
    /// satisfied, the schedule `I` runs out, or the budget, `max_elapsed`
    /// or the ambient [`Deadline`](crate::timeout::Deadline) says stop;
    /// resolves to the last outcome.
    ///
    /// # Cancel safety
    ///
    /// Dropping it stops at once: the attempt in flight (if any) is
    /// dropped and no further attempt is made.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct ResponseFuture<S, Req, I, C>
    where
        S: Service<Req>,
    {
        // Serves every attempt: each one waits for its readiness, then
        // calls it.
        svc: S,
        // The request of the attempt waiting in `State::Ready`.
        attempt: Option<Req>,
        // The request to replay; `None` when it must not be replayed.
        req: Option<Req>,
        schedule: I,
        classify: C,
        budget: Option<Budget>,
        max_elapsed: Option<Duration>,
        start: Option<Instant>,
        attempts: usize,
        #[pin]
        state: State<S::Future>,
    }
}

/// The settings of one retried request, from the policy.
pub(crate) struct Plan<I> {
    pub(crate) schedule: I,
    pub(crate) budget: Option<Budget>,
    pub(crate) max_elapsed: Option<Duration>,
}

impl<S, Req, I, C> ResponseFuture<S, Req, I, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
{
    /// The first attempt starts at once; `replay: false` makes it the only
    /// one.
    pub(crate) fn new(svc: S, req: Req, replay: bool, plan: Plan<I>, classify: C) -> Self {
        let (first, req) = if replay {
            (req.clone(), Some(req))
        } else {
            (req, None)
        };
        Self {
            state: State::Ready,
            svc,
            attempt: Some(first),
            req,
            schedule: plan.schedule,
            classify,
            start: plan.max_elapsed.map(|_| Instant::now()),
            budget: plan.budget,
            max_elapsed: plan.max_elapsed,
            attempts: 1,
        }
    }
}

impl<S, Req, I, C> Future for ResponseFuture<S, Req, I, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
    I: Iterator<Item = Duration>,
    C: Classify<S::Response, S::Error>,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let mut outcome = match this.state.as_mut().project() {
                StateProj::Ready => match ready!(this.svc.poll_ready(cx)) {
                    Ok(()) => {
                        let Some(req) = this.attempt.take() else {
                            unreachable!("each attempt has its request until it is sent");
                        };
                        let fut = this.svc.call(req);
                        this.state.set(State::Calling { fut });
                        continue;
                    }
                    Err(e) => Err(e),
                },
                StateProj::Calling { fut } => ready!(fut.poll(cx)),
                StateProj::Sleeping { sleep } => {
                    ready!(sleep.as_mut().poll(cx));
                    let Some(req) = this.req.clone() else {
                        unreachable!("only a replayable request sleeps");
                    };
                    *this.attempts += 1;
                    *this.attempt = Some(req);
                    this.state.set(State::Ready);
                    continue;
                }
                StateProj::Done => panic!("`ResponseFuture` polled after completion"),
            };
            let hint = match this.classify.classify(&mut outcome) {
                Verdict::Success => {
                    if let Some(budget) = this.budget {
                        budget.deposit();
                    }
                    None
                }
                Verdict::Failure => None,
                Verdict::Retry(hint) => Some(hint),
            };
            let delay = hint.filter(|_| this.req.is_some()).and_then(|hint| {
                let scheduled = this.schedule.next()?;
                Some(hint.unwrap_or(scheduled))
            });
            let go = delay.filter(|&delay| {
                crate::retry::budget_allows(delay, *this.start, *this.max_elapsed)
                    && this.budget.as_ref().is_none_or(Budget::try_withdraw)
            });
            let Some(delay) = go else {
                this.state.set(State::Done);
                return Poll::Ready(outcome);
            };
            drop(outcome);
            this.state.set(State::Sleeping {
                sleep: Box::pin(tokio::time::sleep(delay)),
            });
        }
    }
}

impl<S: Service<Req>, Req, I, C> fmt::Debug for ResponseFuture<S, Req, I, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Ready | State::Calling { .. } => "calling",
            State::Sleeping { .. } => "sleeping",
            State::Done => "done",
        };
        f.debug_struct("ResponseFuture")
            .field("attempts", &self.attempts)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
