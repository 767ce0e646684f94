use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use super::hook::{NoNotify, NoRetryAfter, Notify, RetryAfter, RetryAll, When};
use super::{Budget, RetryEvent};
use crate::timeout::{Deadline, Elapsed};
use crate::timer::{CoopBudget, poll_sleep};

/// A [`Retry`] without hooks yet, as [`retry`] returns it.
pub type DefaultRetry<S, F, Fut, E> = Retry<S, F, Fut, E, RetryAll, NoNotify, NoRetryAfter>;

/// Retries `op` on error, waiting between attempts as `schedule` says.
///
/// `schedule` is a [`Backoff`](super::Backoff) or any
/// `IntoIterator<Item = Duration>` (each item is the delay before one more
/// attempt, so a schedule of `n` delays allows `n + 1` attempts). The
/// returned [`Retry`] future resolves to the first `Ok`, or to the last
/// error once the schedule (or [`when`](Retry::when),
/// [`max_elapsed`](Retry::max_elapsed), or the ambient
/// [`Deadline`]) says to stop.
///
/// The same as [`op.retry(schedule)`](super::Retryable::retry).
///
/// Runnable example: `retry` (`cargo run --example retry`),
/// a flaky operation retried with exponential backoff and jitter.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut calls = 0;
/// let result = retry(Backoff::exponential(Duration::from_millis(10)), || {
///     calls += 1;
///     let ok = calls == 3;
///     async move { if ok { Ok("done") } else { Err("flaky") } }
/// })
/// .await;
/// assert_eq!(result, Ok("done"));
/// assert_eq!(calls, 3);
/// # }
/// ```
///
/// # Cancel safety
///
/// Dropping the future stops the loop at once: the attempt in flight (if
/// any) is dropped, and no further attempt is made.
#[inline]
pub fn retry<B, F, Fut, T, E>(schedule: B, op: F) -> DefaultRetry<B::IntoIter, F, Fut, E>
where
    B: IntoIterator<Item = Duration>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry {
        schedule: schedule.into_iter(),
        op,
        when: RetryAll,
        notify: NoNotify,
        retry_after: NoRetryAfter,
        attempt_timeout: None,
        max_elapsed: None,
        budget: None,
        start: None,
        timer_armed: false,
        attempt: 0,
        sleep: None,
        state: State::Idle,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<Fut> {
        // The next attempt is due.
        Idle,
        // An attempt; with `attempt_timeout`, raced against `Retry::sleep`.
        Running { #[pin] fut: Fut },
        // Between attempts, on `Retry::sleep`.
        Sleeping,
        Done,
    }
}

pin_project! {
    /// The future of [`retry`] and [`Retryable::retry`](super::Retryable::retry):
    /// runs the operation until it succeeds or the retries run out, and
    /// resolves to its `Ok` value or its last error.
    ///
    /// Configure it before awaiting with [`when`](Self::when),
    /// [`notify`](Self::notify), [`retry_after`](Self::retry_after),
    /// [`attempt_timeout`](Self::attempt_timeout) and
    /// [`max_elapsed`](Self::max_elapsed).
    ///
    /// It never sleeps past the ambient [`Deadline`] (see
    /// [`Deadline::scope`]): when the next delay would end at or after it, the
    /// loop gives up with the last error instead.
    ///
    /// # Cancel safety
    ///
    /// Dropping it stops at once: the attempt in flight (if any) is dropped
    /// and no further attempt is made.
    ///
    /// # Panics
    ///
    /// Polling it after it returned `Ready` panics. It needs a tokio runtime
    /// with the time driver once it sleeps or races an attempt timeout.
    #[must_use = "futures do nothing unless you .await or poll them"]
    // `repr(C)`, in this order, for the happy path: a fresh `Retry` is
    // moved into its caller's future once, and with the default layout
    // that move copied the still-uninitialized `state` payload and the
    // padding between small fields through a stack temporary, stalling on
    // store-to-load forwarding (which cost more than the rest of the happy
    // path together). Here the schedule comes first (a `Backoff` is 64
    // bytes: whole vector moves), the zero-initialized and niche-filled
    // words follow, and `state`, whose payload is not initialized yet, is
    // last.
    #[repr(C)]
    pub struct Retry<S, F, Fut, E, W, N, A> {
        schedule: S,
        op: F,
        // The hooks; zero-sized `RetryAll`, `NoNotify`, `NoRetryAfter` when
        // not set.
        when: W,
        notify: N,
        retry_after: A,
        // The one timer: between attempts it ends the delay; during an
        // attempt with `attempt_timeout` it is that attempt's deadline (the
        // two never overlap). Boxed, created on first use and then reset, so
        // that the happy path neither builds nor moves a (large) tokio
        // `Sleep`.
        sleep: Option<Pin<Box<Sleep>>>,
        // Attempts started so far.
        pub(super) attempt: usize,
        // The limit and the conversion of its error (`E::from`), set only
        // through `attempt_timeout`, which requires `E: From<Elapsed>`.
        pub(super) attempt_timeout: Option<(Duration, fn(Elapsed) -> E)>,
        pub(super) max_elapsed: Option<Duration>,
        // Deposited into on success, withdrawn from before each retry.
        pub(super) budget: Option<Budget>,
        // When the first attempt started, read from the clock only when
        // something needs it (`max_elapsed`, `notify`), and only once the
        // first attempt returns `Pending` or fails: a first attempt that
        // succeeds at once stays clock-free. (The time the first poll spends
        // before that is not counted.)
        start: Option<Instant>,
        // Whether `sleep` is armed as the current attempt's deadline.
        timer_armed: bool,
        #[pin]
        state: State<Fut>,
    }
}

impl<S, F, Fut, E, W, N, A> Retry<S, F, Fut, E, W, N, A> {
    #[inline]
    pub(super) fn map_hooks<W2, N2, A2>(
        self,
        f: impl FnOnce(W, N, A) -> (W2, N2, A2),
    ) -> Retry<S, F, Fut, E, W2, N2, A2> {
        let (when, notify, retry_after) = f(self.when, self.notify, self.retry_after);
        Retry {
            schedule: self.schedule,
            op: self.op,
            when,
            notify,
            retry_after,
            attempt_timeout: self.attempt_timeout,
            max_elapsed: self.max_elapsed,
            budget: self.budget,
            start: self.start,
            timer_armed: self.timer_armed,
            attempt: self.attempt,
            sleep: self.sleep,
            state: self.state,
        }
    }
}

/// Reads the clock into `start` the first time it is `needed`.
fn start_clock(start: &mut Option<Instant>, needed: bool) {
    if needed && start.is_none() {
        *start = Some(Instant::now());
    }
}

/// Whether the loop may sleep `delay` and try again (non-generic).
pub(crate) fn budget_allows(
    delay: Duration,
    start: Option<Instant>,
    max_elapsed: Option<Duration>,
) -> bool {
    if let (Some(max), Some(start)) = (max_elapsed, start) {
        if start.elapsed().saturating_add(delay) >= max {
            return false;
        }
    }
    let deadline = Deadline::current();
    deadline == Deadline::never() || deadline.remaining() > delay
}

/// Polls the armed timer under the crate's budget policy
/// ([`crate::timer`]): an attempt that used the budget up does not keep its
/// deadline from firing.
fn poll_timer(
    sleep: &mut Option<Pin<Box<Sleep>>>,
    budget: CoopBudget,
    cx: &mut Context<'_>,
) -> Poll<()> {
    match sleep {
        Some(sleep) => poll_sleep(sleep.as_mut(), budget, cx),
        None => Poll::Pending,
    }
}

/// Spends one unit of tokio's cooperative budget; `Pending` (with the task
/// scheduled to run again) once it is used up. Unlimited outside a tokio
/// runtime.
fn spend_budget(cx: &mut Context<'_>) -> Poll<()> {
    let restore = ready!(tokio::task::coop::poll_proceed(cx));
    restore.made_progress();
    Poll::Ready(())
}

/// Sets the timer to fire `delay` from now (non-generic).
fn arm(sleep: &mut Option<Pin<Box<Sleep>>>, delay: Duration) {
    let at = crate::timeout::saturating_instant(Instant::now(), delay);
    match sleep {
        Some(sleep) => sleep.as_mut().reset(at),
        None => *sleep = Some(Box::pin(tokio::time::sleep_until(at))),
    }
}

impl<S, F, Fut, T, E, W, N, A> Future for Retry<S, F, Fut, E, W, N, A>
where
    S: Iterator<Item = Duration>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    W: When<E>,
    N: Notify<E>,
    A: RetryAfter<E>,
{
    type Output = Result<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let fut = match this.state.as_mut().project() {
                StateProj::Running { fut } => fut,
                StateProj::Idle => {
                    *this.attempt += 1;
                    *this.timer_armed = false;
                    let fut = (this.op)();
                    this.state.set(State::Running { fut });
                    // Poll the new attempt straight away (the projection
                    // cannot fail: `Running` was just set).
                    match this.state.as_mut().project() {
                        StateProj::Running { fut } => fut,
                        _ => unreachable!(),
                    }
                }
                StateProj::Sleeping => {
                    ready!(poll_timer(this.sleep, CoopBudget::untracked(), cx));
                    this.state.set(State::Idle);
                    continue;
                }
                StateProj::Done => panic!("`Retry` polled after completion"),
            };
            // Read only when a limit may need it: the happy path without
            // `attempt_timeout` stays free of the thread-local access.
            let budget = if this.attempt_timeout.is_some() {
                CoopBudget::before_inner()
            } else {
                CoopBudget::untracked()
            };
            let error = match fut.poll(cx) {
                Poll::Ready(Ok(value)) => {
                    if let Some(budget) = this.budget {
                        budget.deposit();
                    }
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(value));
                }
                Poll::Ready(Err(error)) => error,
                Poll::Pending => {
                    // Time only starts to matter once an attempt has to
                    // wait: an attempt that succeeds on its first poll
                    // never reads the clock.
                    start_clock(this.start, this.max_elapsed.is_some() || N::IS_SET);
                    let Some((limit, convert)) = *this.attempt_timeout else {
                        return Poll::Pending;
                    };
                    if !*this.timer_armed {
                        arm(this.sleep, limit);
                        *this.timer_armed = true;
                    }
                    // As with `timeout`: the attempt was polled first, so
                    // one that is ready wins over an expired limit.
                    ready!(poll_timer(this.sleep, budget, cx));
                    convert(Elapsed::new(limit))
                }
            };

            start_clock(this.start, this.max_elapsed.is_some() || N::IS_SET);
            let retryable = this.when.retry(&error);
            let scheduled = if retryable {
                this.schedule.next()
            } else {
                None
            };
            let Some(scheduled) = scheduled else {
                #[cfg(feature = "tracing")]
                super::trace::gave_up::<E>(*this.attempt, retryable);
                this.state.set(State::Done);
                return Poll::Ready(Err(error));
            };
            let delay = this.retry_after.hint(&error).unwrap_or(scheduled);
            let out_of_time = !budget_allows(delay, *this.start, *this.max_elapsed);
            if out_of_time || this.budget.as_ref().is_some_and(|b| !b.try_withdraw()) {
                #[cfg(feature = "tracing")]
                super::trace::gave_up::<E>(*this.attempt, true);
                this.state.set(State::Done);
                return Poll::Ready(Err(error));
            }
            if N::IS_SET {
                this.notify.notify(&RetryEvent {
                    attempt: *this.attempt,
                    error: &error,
                    delay,
                    elapsed: this.start.map(|s| s.elapsed()).unwrap_or_default(),
                });
            }
            #[cfg(feature = "tracing")]
            super::trace::attempt_failed::<E>(*this.attempt, delay);
            drop(error);
            if delay.is_zero() {
                this.state.set(State::Idle);
                // Attempts that fail at once, retried at once, would loop in
                // this poll for good: each such retry spends a unit of
                // tokio's cooperative budget, and the task yields when it
                // runs out, so a surrounding timeout or `select!` can stop
                // the loop and the runtime's other tasks get to run.
                ready!(spend_budget(cx));
            } else {
                arm(this.sleep, delay);
                this.state.set(State::Sleeping);
            }
        }
    }
}

impl<S, F, Fut, E, W, N, A> fmt::Debug for Retry<S, F, Fut, E, W, N, A>
where
    W: When<E>,
    N: Notify<E>,
    A: RetryAfter<E>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Idle => "idle",
            State::Running { .. } => "running",
            State::Sleeping => "sleeping",
            State::Done => "done",
        };
        f.debug_struct("Retry")
            .field("attempt", &self.attempt)
            .field("state", &state)
            .field("attempt_timeout", &self.attempt_timeout.map(|(d, _)| d))
            .field("max_elapsed", &self.max_elapsed)
            .field("when", &W::IS_SET)
            .field("notify", &N::IS_SET)
            .field("retry_after", &A::IS_SET)
            .finish_non_exhaustive()
    }
}
