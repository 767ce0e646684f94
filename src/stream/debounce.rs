use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use tokio::time::Instant;

use super::inner::inner_stream_access;
use crate::timer::{CoopBudget, Timer};

/// Items taken from an always-ready input in one poll before yielding to
/// the executor, so a busy input cannot starve other tasks.
const BUDGET: usize = 64;

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::debounce`](super::StreamPatternsExt::debounce).
    #[must_use = "streams do nothing unless polled"]
    pub struct Debounce<S: Stream> {
        #[pin]
        stream: S,
        // Fires `quiet` after the latest item. Armed at the first item, so
        // that building the adapter needs no runtime; disarmed when the
        // quiet period is too long to represent (the item then waits for
        // the end of the input).
        #[pin]
        timer: Timer,
        latest: Option<S::Item>,
        quiet: Duration,
        // The input has ended.
        input_done: bool,
    }
}

impl<S: Stream> Debounce<S> {
    pub(super) fn new(stream: S, quiet: Duration) -> Self {
        Debounce {
            stream,
            timer: Timer::new(),
            latest: None,
            quiet,
            input_done: false,
        }
    }

    inner_stream_access! {
        /// The inner stream.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use futures::{stream, Stream};
        /// use async_patterns::prelude::*;
        ///
        /// let adapted = stream::iter([1, 2, 3]).debounce(Duration::from_millis(10));
        /// assert_eq!(adapted.get_ref().size_hint(), (3, Some(3)));
        /// ```
        pub fn get_ref;

        /// Consumes the adapter, returning the inner stream; an item waiting for
        /// its quiet period is dropped.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use futures::{stream, StreamExt};
        /// use async_patterns::prelude::*;
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let adapted = stream::iter([1, 2, 3]).debounce(Duration::from_millis(10));
        /// let plain: Vec<i32> = adapted.into_inner().collect().await; // every item, none debounced
        /// assert_eq!(plain, [1, 2, 3]);
        /// # }
        /// ```
        pub fn into_inner;
    }
}

impl<S: Stream> Stream for Debounce<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        let coop = CoopBudget::before_inner();
        let mut budget = BUDGET;
        while !*this.input_done {
            if budget == 0 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            budget -= 1;
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    *this.latest = Some(item);
                    match Instant::now().checked_add(*this.quiet) {
                        Some(at) => this.timer.as_mut().arm(at),
                        None => this.timer.as_mut().disarm(),
                    }
                }
                Poll::Ready(None) => *this.input_done = true,
                Poll::Pending => break,
            }
        }
        if *this.input_done {
            // End of input: the last item does not wait for its quiet period.
            return Poll::Ready(this.latest.take());
        }
        if this.latest.is_some() && this.timer.as_mut().poll_expired(coop, cx).is_ready() {
            this.timer.disarm();
            return Poll::Ready(this.latest.take());
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = usize::from(self.latest.is_some());
        if self.input_done {
            return (held, Some(held));
        }
        let (lower, upper) = self.stream.size_hint();
        let lower = usize::from(held > 0 || lower > 0);
        (lower, upper.and_then(|upper| upper.checked_add(held)))
    }
}

impl<S: Stream> FusedStream for Debounce<S> {
    fn is_terminated(&self) -> bool {
        self.input_done && self.latest.is_none()
    }
}

impl<S: Stream + fmt::Debug> fmt::Debug for Debounce<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Debounce")
            .field("stream", &self.stream)
            .field("quiet", &self.quiet)
            .field("holding", &self.latest.is_some())
            .finish()
    }
}
