use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use super::inner::inner_stream_access;

use crate::rate_limit::{AcquireOwned, RateLimiter};

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::rate_limited`](super::StreamPatternsExt::rate_limited).
    #[must_use = "streams do nothing unless polled"]
    pub struct RateLimited<S: Stream> {
        #[pin]
        stream: S,
        limiter: RateLimiter,
        // The item taken from the input, waiting for its permit; `permit` is
        // `Some` exactly while `held` is.
        held: Option<S::Item>,
        #[pin]
        permit: Option<AcquireOwned>,
        done: bool,
    }
}

impl<S: Stream> RateLimited<S> {
    pub(super) fn new(stream: S, limiter: RateLimiter) -> Self {
        RateLimited {
            stream,
            limiter,
            held: None,
            permit: None,
            done: false,
        }
    }

    /// The limiter this stream draws from.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::stream;
    /// use async_patterns::prelude::*;
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// let paced = stream::iter([1, 2, 3]).rate_limited(RateLimiter::per_second(5));
    /// assert_eq!(paced.limiter().interval(), Duration::from_millis(200));
    /// ```
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    inner_stream_access! {
        /// Consumes the adapter, returning the inner stream; an item waiting for
        /// its permit is dropped.
        ///
        /// # Examples
        ///
        /// ```
        /// use futures::{stream, StreamExt};
        /// use async_patterns::prelude::*;
        /// use async_patterns::rate_limit::RateLimiter;
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let paced = stream::iter([1, 2, 3]).rate_limited(RateLimiter::per_second(5));
        /// let plain: Vec<i32> = paced.into_inner().collect().await; // no permits taken
        /// assert_eq!(plain, [1, 2, 3]);
        /// # }
        /// ```
        pub fn into_inner;
    }
}

impl<S: Stream> Stream for RateLimited<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        if this.held.is_none() {
            if *this.done {
                return Poll::Ready(None);
            }
            match ready!(this.stream.poll_next(cx)) {
                Some(item) => {
                    *this.held = Some(item);
                    this.permit.set(Some(this.limiter.clone().acquire_owned()));
                }
                None => {
                    *this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
        if let Some(permit) = this.permit.as_mut().as_pin_mut() {
            ready!(permit.poll(cx));
        }
        this.permit.set(None);
        Poll::Ready(this.held.take())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = usize::from(self.held.is_some());
        if self.done {
            return (held, Some(held));
        }
        let (lower, upper) = self.stream.size_hint();
        (
            lower.saturating_add(held),
            upper.and_then(|upper| upper.checked_add(held)),
        )
    }
}

impl<S: Stream> FusedStream for RateLimited<S> {
    fn is_terminated(&self) -> bool {
        self.done && self.held.is_none()
    }
}

impl<S: Stream + fmt::Debug> fmt::Debug for RateLimited<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimited")
            .field("stream", &self.stream)
            .field("limiter", &self.limiter)
            .field("waiting", &self.held.is_some())
            .finish()
    }
}
