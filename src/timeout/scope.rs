use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::{Deadline, Elapsed, Timeout};

pin_project! {
    /// The future returned by [`Deadline::scope`]: the inner future under a
    /// deadline that is also the ambient [`Deadline::current`] inside it.
    ///
    /// Resolves to `Result<F::Output, Elapsed>`.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Scope<F> {
        #[pin]
        inner: Timeout<F>,
        // The deadline in force inside; narrowed to an enclosing scope's
        // deadline on the first poll, then fixed.
        deadline: Deadline,
        first_poll: bool,
    }
}

impl<F> Scope<F> {
    pub(super) fn new(deadline: Deadline, future: F) -> Self {
        Self::with_limit(deadline, deadline.remaining(), future)
    }

    /// A scope whose [`Elapsed`] reports `limit` (the deadline's remaining
    /// time, read by the caller from a clock it already read).
    pub(crate) fn with_limit(deadline: Deadline, limit: Duration, future: F) -> Self {
        Self {
            inner: Timeout::new(future, deadline.instant(), limit),
            deadline,
            first_poll: true,
        }
    }

    /// The deadline the scope enforces (named so that it is not shadowed by
    /// [`TimeoutExt::deadline`](super::TimeoutExt::deadline)).
    ///
    /// Before the first poll this is the deadline it was created with; from
    /// the first poll on, the earlier of that and the enclosing scope's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::timeout::Deadline;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let request = Deadline::after(Duration::from_secs(1));
    /// let scope = request.scope(async {});
    /// assert_eq!(scope.budget(), request);
    /// # }
    /// ```
    #[must_use]
    pub fn budget(&self) -> Deadline {
        self.deadline
    }
}

impl<F: Future> Future for Scope<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _ambient = if *this.first_poll {
            *this.first_poll = false;
            let created = *this.deadline;
            let ambient = this.deadline.narrow_and_enter();
            if *this.deadline != created {
                if let Some(at) = this.deadline.instant() {
                    this.inner.as_mut().reset(at);
                }
            }
            ambient
        } else {
            this.deadline.enter()
        };
        this.inner.poll(cx)
    }
}

impl<F> fmt::Debug for Scope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
