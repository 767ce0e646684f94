use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::time::Instant;

use super::Op;

/// Whether a finished call counts as a success or an error in a
/// [`Monitor`](super::Monitor).
///
/// Implemented for `Result` (`Ok` is a success) and `()` (always one).
/// Implement it for your own output types to time them.
///
/// # Examples
///
/// ```
/// use async_patterns::monitor::{Monitor, Outcome};
///
/// enum Status {
///     Served,
///     Rejected,
/// }
///
/// impl Outcome for Status {
///     fn is_success(&self) -> bool {
///         matches!(self, Status::Served)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let monitor = Monitor::new();
/// monitor.timed("admit", async { Status::Rejected }).await;
/// assert_eq!(monitor.stats_of("admit").unwrap().err, 1);
/// # let _ = Status::Served;
/// # }
/// ```
pub trait Outcome {
    /// `true` to count the call as `ok`, `false` as `err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::monitor::Outcome;
    ///
    /// assert!(Ok::<u8, ()>(1).is_success());
    /// assert!(!Err::<u8, &str>("refused").is_success());
    /// assert!(().is_success());
    /// ```
    fn is_success(&self) -> bool;
}

impl<T, E> Outcome for Result<T, E> {
    fn is_success(&self) -> bool {
        self.is_ok()
    }
}

impl Outcome for () {
    fn is_success(&self) -> bool {
        true
    }
}

pin_project! {
    /// Future returned by [`Monitor::timed`](super::Monitor::timed): runs
    /// the inner future and records how it ended.
    ///
    /// The clock starts at the first poll. Completing records `ok` or `err`
    /// (by [`Outcome`]) and the latency; being dropped before completing,
    /// also by a panic unwinding through it, records `cancelled` and, if it
    /// was polled, the time until the drop.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Timed<F> {
        #[pin]
        inner: F,
        // `Some` until the call is recorded: exactly one record per call.
        op: Option<Arc<Op>>,
        started: Option<Instant>,
    }

    impl<F> PinnedDrop for Timed<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(op) = this.op.take() {
                op.record_cancelled(this.started.map(|at| at.elapsed()));
            }
        }
    }
}

impl<F> Timed<F> {
    pub(super) fn new(op: Arc<Op>, inner: F) -> Self {
        Self {
            inner,
            op: Some(op),
            started: None,
        }
    }
}

impl<F> Future for Timed<F>
where
    F: Future,
    F::Output: Outcome,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let started = *this.started.get_or_insert_with(Instant::now);
        let output = std::task::ready!(this.inner.poll(cx));
        if let Some(op) = this.op.take() {
            op.record_done(output.is_success(), started.elapsed());
        }
        Poll::Ready(output)
    }
}

impl<F> fmt::Debug for Timed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timed")
            .field("name", &self.op.as_ref().map(|op| &*op.name))
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}
