use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use tokio::time::Instant;

use super::inner::inner_stream_access;

use crate::timeout::Elapsed;
use crate::timer::{CoopBudget, Timer};

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::timeout_each`](super::StreamPatternsExt::timeout_each).
    #[must_use = "streams do nothing unless polled"]
    pub struct TimeoutEach<S> {
        #[pin]
        stream: S,
        // Armed at the first poll that waits for an item; disarmed when an
        // item or an error goes out, so the next wait gets a fresh limit.
        #[pin]
        timer: Timer,
        limit: Duration,
        done: bool,
    }
}

impl<S> TimeoutEach<S> {
    pub(super) fn new(stream: S, limit: Duration) -> Self {
        TimeoutEach {
            stream,
            timer: Timer::new(),
            limit,
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
        /// let adapted = stream::iter([1, 2, 3]).timeout_each(Duration::from_secs(1));
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
        /// let adapted = stream::iter([1, 2, 3]).timeout_each(Duration::from_secs(1));
        /// let plain: Vec<i32> = adapted.into_inner().collect().await; // plain items, no `Result`
        /// assert_eq!(plain, [1, 2, 3]);
        /// # }
        /// ```
        pub fn into_inner;
    }
}

impl<S: Stream> Stream for TimeoutEach<S> {
    type Item = Result<S::Item, Elapsed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let budget = CoopBudget::before_inner();
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                this.timer.disarm();
                return Poll::Ready(Some(Ok(item)));
            }
            Poll::Ready(None) => {
                *this.done = true;
                this.timer.disarm();
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if !this.timer.is_armed() {
            // A limit too long to represent never expires.
            let Some(at) = Instant::now().checked_add(*this.limit) else {
                return Poll::Pending;
            };
            this.timer.as_mut().arm(at);
        }
        ready!(this.timer.as_mut().poll_expired(budget, cx));
        this.timer.disarm();
        Poll::Ready(Some(Err(Elapsed::new(*this.limit))))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        // Any number of errors may come between items.
        (self.stream.size_hint().0, None)
    }
}

impl<S: Stream> FusedStream for TimeoutEach<S> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S: fmt::Debug> fmt::Debug for TimeoutEach<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutEach")
            .field("stream", &self.stream)
            .field("limit", &self.limit)
            .finish()
    }
}
