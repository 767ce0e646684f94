use std::fmt;
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use crate::retry::{Budget, RetryAfter, RetryPolicy, When};

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
    enum State<F, I> {
        // The first attempt, sent by the service's `call`.
        First { #[pin] fut: F },
        // From the first retry on.
        Retrying { again: Retries<F, I> },
        Done,
    }
}

pin_project! {
    // The retries of one request.
    struct Again<F, I> {
        schedule: I,
        // The attempts made so far, the one in flight included.
        attempts: usize,
        // The delay before the attempt in `Phase::Sleeping`.
        #[pin]
        sleep: Sleep,
        #[pin]
        phase: Phase<F>,
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<F> {
        Sleeping,
        // Waiting for the readiness of the service clone.
        Ready,
        Calling { #[pin] fut: F },
    }
}

/// The retries of one request, boxed (a timer and the schedule are
/// large, and most requests never retry) in a slot whose drop is a test
/// inlined into the response future's, the retries' own drop (their timer,
/// the attempt in flight) kept out of line. `Some` until dropped.
struct Retries<F, I>(ManuallyDrop<Option<Pinned<Again<F, I>>>>);

type Pinned<T> = Pin<Box<T>>;

impl<F, I> Retries<F, I> {
    fn new(again: Again<F, I>) -> Self {
        Self(ManuallyDrop::new(Some(Box::pin(again))))
    }
}

impl<F, I> Drop for Retries<F, I> {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_some() {
            drop_cold(ManuallyDrop::into_inner(mem::replace(
                &mut self.0,
                ManuallyDrop::new(None),
            )));
        }
    }
}

#[cold]
#[inline(never)]
fn drop_cold<T>(value: T) {
    drop(value);
}

impl<F: Future, I> Again<F, I> {
    /// Sleeps, readies `svc`, sends it a clone of `req` and waits for the
    /// outcome.
    fn poll_attempt<S, Req>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        svc: &mut S,
        req: &Req,
    ) -> Poll<F::Output>
    where
        S: Service<Req, Future = F>,
        F: Future<Output = Result<S::Response, S::Error>>,
        Req: Clone,
    {
        let mut this = self.project();
        loop {
            match this.phase.as_mut().project() {
                PhaseProj::Sleeping => {
                    ready!(this.sleep.as_mut().poll(cx));
                    *this.attempts += 1;
                    this.phase.set(Phase::Ready);
                }
                PhaseProj::Ready => {
                    if let Err(e) = ready!(svc.poll_ready(cx)) {
                        return Poll::Ready(Err(e));
                    }
                    let fut = svc.call(req.clone());
                    this.phase.set(Phase::Calling { fut });
                }
                PhaseProj::Calling { fut } => return fut.poll(cx),
            }
        }
    }
}

/// The policy's settings one request needs to retry, copied into its
/// response future: a copy of these few words costs less than sharing the
/// policy (an `Arc`'s count is two atomic read-modify-writes per request).
///
/// `repr(C)`, the schedule first, as in the future (see there).
#[repr(C)]
struct Plan<B> {
    schedule: B,
    budget: Option<Budget>,
    // The call's start plus the policy's `max_elapsed`: no attempt starts
    // at or after it. `None` without a `max_elapsed` (the clock is not
    // read then), or one too long for the clock to count.
    give_up_at: Option<Instant>,
}

pin_project! {
    /// The response future of the retry layers: the first attempt, then
    /// (until the classifier `C` is satisfied, the policy's schedule `B`
    /// runs out, or the budget, `max_elapsed` or the ambient
    /// [`Deadline`](crate::timeout::Deadline) says stop) more attempts, each
    /// with a clone of the request on a clone of the inner service readied
    /// anew; resolves to the last outcome.
    ///
    /// Until a retry is due it only wraps the first call: the schedule is
    /// started, and a timer allocated, when the first retry is.
    ///
    /// # Cancel safety
    ///
    /// Dropping it stops at once: the attempt in flight (if any) is
    /// dropped and no further attempt is made.
    #[must_use = "futures do nothing unless you .await or poll them"]
    // `repr(C)` with the plan (the schedule first) at the start: so laid
    // out, the schedule is copied from the policy straight into the
    // future; in the compiler's own order it went through a temporary
    // (eight more instructions per request).
    #[repr(C)]
    pub struct ResponseFuture<S, Req, B, C>
    where
        S: Service<Req>,
        B: IntoIterator,
    {
        plan: Plan<B>,
        // The clone of the inner service that serves the retries, and the
        // request they replay; `None` when the request is not replayed.
        replay: Option<(S, Req)>,
        classify: C,
        #[pin]
        state: State<S::Future, B::IntoIter>,
    }
}

/// Whether a request is sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// It may be: the response future keeps a copy.
    Allowed,
    /// It is sent once.
    Never,
}

impl<S, Req, B, C> ResponseFuture<S, Req, B, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
    B: IntoIterator + Clone,
{
    /// Sends the first attempt on `svc`, which must be ready (as its
    /// `poll_ready` said); retries go to clones of it.
    #[inline]
    pub(crate) fn call(
        svc: &mut S,
        req: Req,
        replay: Replay,
        policy: &RetryPolicy<B>,
        classify: C,
    ) -> Self {
        let give_up_at = policy
            .max_elapsed_limit()
            .and_then(|limit| Instant::now().checked_add(limit));
        let (replay, fut) = match replay {
            Replay::Allowed => (Some((svc.clone(), req.clone())), svc.call(req)),
            Replay::Never => (None, svc.call(req)),
        };
        Self {
            replay,
            plan: Plan {
                schedule: policy.schedule().clone(),
                budget: policy.budget_ref().cloned(),
                give_up_at,
            },
            classify,
            state: State::First { fut },
        }
    }
}

impl<S, Req, B, C> Future for ResponseFuture<S, Req, B, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
    B: IntoIterator<Item = Duration> + Clone,
    C: Classify<S::Response, S::Error>,
{
    type Output = Result<S::Response, S::Error>;

    // The first attempt's outcome, when it is not retried, is handled
    // here (small enough to inline); retries out of line.
    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.as_mut().project();
        let StateProj::First { fut } = this.state.as_mut().project() else {
            return self.poll_again(cx, None);
        };
        let mut outcome = ready!(fut.poll(cx));
        let verdict = this.classify.classify(&mut outcome);
        if let (Verdict::Retry(hint), Some(_)) = (verdict, this.replay) {
            return self.poll_again(cx, Some((outcome, hint)));
        }
        // Before the deposit, which the compiler cannot see through.
        this.state.set(State::Done);
        if let (Verdict::Success, Some(budget)) = (verdict, &this.plan.budget) {
            budget.deposit();
        }
        Poll::Ready(outcome)
    }
}

type Outcome<S, Req> = Result<<S as Service<Req>>::Response, <S as Service<Req>>::Error>;

impl<S, Req, B, C> ResponseFuture<S, Req, B, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
    B: IntoIterator<Item = Duration> + Clone,
    C: Classify<S::Response, S::Error>,
{
    /// Everything but the first attempt's outcome when it is not retried:
    /// `failed` is that outcome when it is to be retried (after the hint,
    /// if any), else `None` (the retries are under way, or done).
    #[cold]
    #[inline(never)]
    fn poll_again(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut failed: Option<(Outcome<S, Req>, Option<Duration>)>,
    ) -> Poll<Outcome<S, Req>> {
        let mut this = self.project();
        loop {
            if let Some((outcome, hint)) = failed.take() {
                if !schedule_retry(this.state.as_mut(), hint, this.plan) {
                    this.state.set(State::Done);
                    return Poll::Ready(outcome);
                }
            }
            let again = match this.state.as_mut().project() {
                StateProj::First { .. } => unreachable!("the first attempt is polled by `poll`"),
                StateProj::Retrying { again } => again,
                StateProj::Done => panic!("`ResponseFuture` polled after completion"),
            };
            let (Some(again), Some((svc, req))) = (again.0.as_mut(), this.replay.as_mut()) else {
                unreachable!("only a replayable request retries");
            };
            let mut outcome = ready!(again.as_mut().poll_attempt(cx, svc, req));
            let hint = match this.classify.classify(&mut outcome) {
                Verdict::Success => {
                    if let Some(budget) = &this.plan.budget {
                        budget.deposit();
                    }
                    None
                }
                Verdict::Failure => None,
                Verdict::Retry(hint) => Some(hint),
            };
            match hint {
                Some(hint) => failed = Some((outcome, hint)),
                None => {
                    this.state.set(State::Done);
                    return Poll::Ready(outcome);
                }
            }
        }
    }
}

/// Moves `state` to the next retry's sleep (starting the schedule and the
/// timer at the first retry) and returns `true`, or returns `false` when
/// no retry is to be made (see [`next_delay`]).
fn schedule_retry<F, B: IntoIterator<Item = Duration> + Clone>(
    mut state: Pin<&mut State<F, B::IntoIter>>,
    hint: Option<Duration>,
    plan: &Plan<B>,
) -> bool {
    if let StateProj::Retrying { again } = state.as_mut().project() {
        let Some(again) = again.0.as_mut() else {
            unreachable!("the retries are there until dropped");
        };
        let mut again = again.as_mut().project();
        let Some(delay) = next_delay(again.schedule, hint, plan) else {
            return false;
        };
        again.sleep.set(tokio::time::sleep(delay));
        again.phase.set(Phase::Sleeping);
        return true;
    }
    let mut schedule = plan.schedule.clone().into_iter();
    let Some(delay) = next_delay(&mut schedule, hint, plan) else {
        return false;
    };
    let again = Retries::new(Again {
        schedule,
        attempts: 1,
        sleep: tokio::time::sleep(delay),
        phase: Phase::Sleeping,
    });
    state.set(State::Retrying { again });
    true
}

/// The delay before the next retry, or `None` when no retry is to be
/// made: the schedule ran out, or the delay (the server's `hint`, if any,
/// else the schedule's) would overrun `max_elapsed` or the ambient
/// deadline, or the budget refuses.
fn next_delay<I: Iterator<Item = Duration>, B>(
    schedule: &mut I,
    hint: Option<Duration>,
    plan: &Plan<B>,
) -> Option<Duration> {
    let scheduled = schedule.next()?;
    let delay = hint.unwrap_or(scheduled);
    // `now + delay < start + max_elapsed`: `budget_allows`'s test, with
    // the sum taken once per call.
    let before_limit = plan.give_up_at.is_none_or(|at| {
        Instant::now()
            .checked_add(delay)
            .is_some_and(|then| then < at)
    });
    let allowed = before_limit
        && crate::retry::budget_allows(delay, None, None)
        && plan.budget.as_ref().is_none_or(Budget::try_withdraw);
    allowed.then_some(delay)
}

impl<S: Service<Req>, Req, B: IntoIterator, C> fmt::Debug for ResponseFuture<S, Req, B, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (attempts, state) = match &self.state {
            State::First { .. } => (Some(1), "calling"),
            State::Retrying { again } => match &*again.0 {
                Some(again) => match again.phase {
                    Phase::Sleeping => (Some(again.attempts), "sleeping"),
                    Phase::Ready | Phase::Calling { .. } => (Some(again.attempts), "calling"),
                },
                None => (None, "done"),
            },
            State::Done => (None, "done"),
        };
        let mut f = f.debug_struct("ResponseFuture");
        if let Some(attempts) = attempts {
            f.field("attempts", &attempts);
        }
        f.field("state", &state).finish_non_exhaustive()
    }
}
