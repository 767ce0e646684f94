use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use super::inner::inner_stream_access;

use crate::event::WaitOwned;

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::take_until_set`](super::StreamPatternsExt::take_until_set).
    #[must_use = "streams do nothing unless polled"]
    pub struct TakeUntilSet<S> {
        #[pin]
        stream: S,
        // Registered when the adapter was built, so a `set` after that is
        // seen even if the event is cleared again before the next poll.
        stop: WaitOwned,
        done: bool,
    }
}

impl<S> TakeUntilSet<S> {
    pub(super) fn new(stream: S, stop: WaitOwned) -> Self {
        TakeUntilSet {
            stream,
            stop,
            done: false,
        }
    }

    inner_stream_access! {
        /// The inner stream.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::sync::Arc;
        /// use futures::{stream, Stream};
        /// use async_patterns::event::Event;
        /// use async_patterns::prelude::*;
        ///
        /// let adapted = stream::iter([1, 2, 3]).take_until_set(Arc::new(Event::new()));
        /// assert_eq!(adapted.get_ref().size_hint(), (3, Some(3)));
        /// ```
        pub fn get_ref;

        /// Consumes the adapter, returning the inner stream (to drain what is
        /// left after the stop, for example).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::sync::Arc;
        /// use futures::{stream, StreamExt};
        /// use async_patterns::event::Event;
        /// use async_patterns::prelude::*;
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let stop = Arc::new(Event::new());
        /// let mut items = stream::iter(1..=4).take_until_set(stop.clone());
        /// assert_eq!(items.next().await, Some(1));
        /// stop.set();
        /// assert_eq!(items.next().await, None);
        /// let rest: Vec<i32> = items.into_inner().collect().await; // what was left
        /// assert_eq!(rest, [2, 3, 4]);
        /// # }
        /// ```
        pub fn into_inner;
    }
}

impl<S: Stream> Stream for TakeUntilSet<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        // The event first: once set, no further item goes out, even one the
        // input has ready.
        if Pin::new(this.stop).poll(cx).is_ready() {
            *this.done = true;
            return Poll::Ready(None);
        }
        let next = this.stream.poll_next(cx);
        if let Poll::Ready(None) = next {
            *this.done = true;
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            (0, self.stream.size_hint().1)
        }
    }
}

impl<S: Stream> FusedStream for TakeUntilSet<S> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S: fmt::Debug> fmt::Debug for TakeUntilSet<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakeUntilSet")
            .field("stream", &self.stream)
            .field("stop", &self.stop)
            .field("done", &self.done)
            .finish()
    }
}
