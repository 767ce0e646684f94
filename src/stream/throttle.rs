use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use super::inner::inner_stream_access;
use tokio::time::Instant;

use crate::timer::{CoopBudget, Timer};

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::throttle`](super::StreamPatternsExt::throttle).
    #[must_use = "streams do nothing unless polled"]
    pub struct Throttle<S> {
        #[pin]
        stream: S,
        // Armed after each item, until `period` after it; the inner stream
        // is not polled before it fires.
        #[pin]
        gap: Timer,
        period: Duration,
        done: bool,
    }
}

impl<S> Throttle<S> {
    pub(super) fn new(stream: S, period: Duration) -> Self {
        Throttle {
            stream,
            gap: Timer::new(),
            period,
            done: false,
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
        /// let adapted = stream::iter([1, 2, 3]).throttle(Duration::from_millis(10));
        /// assert_eq!(adapted.get_ref().size_hint(), (3, Some(3)));
        /// ```
        pub fn get_ref;

        /// Consumes the adapter, returning the inner stream.
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
        /// let adapted = stream::iter([1, 2, 3]).throttle(Duration::from_millis(10));
        /// let plain: Vec<i32> = adapted.into_inner().collect().await; // unthrottled
        /// assert_eq!(plain, [1, 2, 3]);
        /// # }
        /// ```
        pub fn into_inner;
    }
}

impl<S: Stream> Stream for Throttle<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        if this.gap.is_armed() {
            // No inner work before it in this poll: polled under the budget.
            ready!(this.gap.as_mut().poll_expired(CoopBudget::untracked(), cx));
            this.gap.as_mut().disarm();
        }
        match ready!(this.stream.poll_next(cx)) {
            Some(item) => {
                // Measured from when the item goes out, so a slow consumer
                // does not earn a burst.
                // A period too long to represent waits "forever" (30
                // years), as every other timer of the crate does.
                if !this.period.is_zero() {
                    let at = crate::timeout::saturating_instant(Instant::now(), *this.period);
                    this.gap.as_mut().arm(at);
                }
                Poll::Ready(Some(item))
            }
            None => {
                *this.done = true;
                Poll::Ready(None)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            self.stream.size_hint()
        }
    }
}

impl<S: Stream> FusedStream for Throttle<S> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S: fmt::Debug> fmt::Debug for Throttle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("stream", &self.stream)
            .field("period", &self.period)
            .field("waiting", &self.gap.is_armed())
            .finish()
    }
}
