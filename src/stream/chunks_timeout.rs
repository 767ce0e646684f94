use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use tokio::time::Instant;

use super::inner::inner_stream_access;
use crate::timeout::saturating_instant;
use crate::timer::{CoopBudget, Timer};

/// Largest capacity reserved up front for a batch; bigger batches grow.
const MAX_RESERVE: usize = 1024;

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::chunks_timeout`](super::StreamPatternsExt::chunks_timeout).
    #[must_use = "streams do nothing unless polled"]
    pub struct ChunksTimeout<S: Stream> {
        #[pin]
        stream: S,
        // Armed at the first item of a batch; disarmed while the batch is
        // empty.
        #[pin]
        deadline: Timer,
        batch: Vec<S::Item>,
        max: usize,
        period: Duration,
        // The input has ended (and the last batch has been flushed).
        done: bool,
    }
}

impl<S: Stream> ChunksTimeout<S> {
    #[track_caller]
    pub(super) fn new(stream: S, max: usize, period: Duration) -> Self {
        assert!(max > 0, "chunks_timeout: `max` must be at least 1");
        ChunksTimeout {
            stream,
            deadline: Timer::new(),
            batch: Vec::new(),
            max,
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
        /// let adapted = stream::iter([1, 2, 3]).chunks_timeout(2, Duration::from_secs(1));
        /// assert_eq!(adapted.get_ref().size_hint(), (3, Some(3)));
        /// ```
        pub fn get_ref;

        /// Consumes the adapter, returning the inner stream; items of the
        /// current partial batch are dropped.
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
        /// let adapted = stream::iter([1, 2, 3]).chunks_timeout(2, Duration::from_secs(1));
        /// let plain: Vec<i32> = adapted.into_inner().collect().await; // unbatched
        /// assert_eq!(plain, [1, 2, 3]);
        /// # }
        /// ```
        pub fn into_inner;
    }
}

impl<S: Stream> Stream for ChunksTimeout<S> {
    type Item = Vec<S::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let budget = CoopBudget::before_inner();
        // Bounded by `max`: a full batch returns.
        loop {
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    if this.batch.is_empty() {
                        let at = saturating_instant(Instant::now(), *this.period);
                        this.deadline.as_mut().arm(at);
                        this.batch.reserve(MAX_RESERVE.min(*this.max));
                    }
                    this.batch.push(item);
                    if this.batch.len() >= *this.max {
                        this.deadline.disarm();
                        return Poll::Ready(Some(std::mem::take(this.batch)));
                    }
                }
                Poll::Ready(None) => {
                    *this.done = true;
                    this.deadline.disarm();
                    if this.batch.is_empty() {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(std::mem::take(this.batch)));
                }
                Poll::Pending => break,
            }
        }
        if this.deadline.as_mut().poll_expired(budget, cx).is_ready() {
            this.deadline.disarm();
            Poll::Ready(Some(std::mem::take(this.batch)))
        } else {
            Poll::Pending
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lower, upper) = self.stream.size_hint();
        if self.done {
            return (0, Some(0));
        }
        let buffered = self.batch.len();
        let lower = lower.saturating_add(buffered).div_ceil(self.max);
        // At worst every item (and the current batch) goes out alone.
        let upper = upper.and_then(|upper| upper.checked_add(usize::from(buffered > 0)));
        (lower, upper)
    }
}

impl<S: Stream> FusedStream for ChunksTimeout<S> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S: Stream + fmt::Debug> fmt::Debug for ChunksTimeout<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunksTimeout")
            .field("stream", &self.stream)
            .field("buffered", &self.batch.len())
            .field("max", &self.max)
            .field("period", &self.period)
            .finish()
    }
}
