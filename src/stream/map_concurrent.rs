use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, FuturesOrdered, FuturesUnordered, Stream, StreamExt};
use pin_project_lite::pin_project;

/// The futures in flight, in input order or in completion order.
trait InFlight: Stream<Item = <Self::Fut as Future>::Output> + Unpin + Default {
    type Fut: Future;
    fn push(&mut self, fut: Self::Fut);
    fn len(&self) -> usize;
}

impl<Fut: Future> InFlight for FuturesOrdered<Fut> {
    type Fut = Fut;
    fn push(&mut self, fut: Fut) {
        self.push_back(fut);
    }
    fn len(&self) -> usize {
        FuturesOrdered::len(self)
    }
}

impl<Fut: Future> InFlight for FuturesUnordered<Fut> {
    type Fut = Fut;
    fn push(&mut self, fut: Fut) {
        FuturesUnordered::push(self, fut);
    }
    fn len(&self) -> usize {
        FuturesUnordered::len(self)
    }
}

pin_project! {
    /// Both adapters: `Q` (a [`FuturesOrdered`] or a [`FuturesUnordered`])
    /// decides the output order.
    struct Core<S, F, Q> {
        #[pin]
        stream: S,
        f: F,
        // At most `limit` futures.
        in_flight: Q,
        limit: usize,
        input_done: bool,
        // A poll panicked (set during each poll, cleared at its end): the
        // next poll drops what is in flight and ends the stream instead of
        // polling collections whose wakeups the panic may have cut.
        poisoned: bool,
    }
}

impl<S, F, Q> Core<S, F, Q> {
    #[track_caller]
    fn new(stream: S, limit: usize, f: F, in_flight: Q, name: &str) -> Self {
        assert!(
            limit > 0,
            "{name}: `limit` must be at least 1 (a limit of 0 would never run anything)"
        );
        Core {
            stream,
            f,
            in_flight,
            limit,
            input_done: false,
            poisoned: false,
        }
    }
}

impl<S, F, Q> Core<S, F, Q>
where
    S: Stream,
    F: FnMut(S::Item) -> Q::Fut,
    Q: InFlight,
{
    /// Tops up to `limit` futures in flight from the input, then polls them.
    ///
    /// A panic (in the input, in `f` or in a future) leaves `poisoned` set,
    /// so a consumer that catches it and polls on gets `None`, not a hang.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Q::Item>> {
        let this = self.project();
        if *this.poisoned {
            *this.input_done = true;
            drop(std::mem::take(this.in_flight));
            return Poll::Ready(None);
        }
        *this.poisoned = true;
        let polled = Self::top_up_and_poll(
            this.stream,
            this.f,
            this.in_flight,
            *this.limit,
            this.input_done,
            cx,
        );
        *this.poisoned = false;
        polled
    }

    fn top_up_and_poll(
        mut stream: Pin<&mut S>,
        f: &mut F,
        in_flight: &mut Q,
        limit: usize,
        input_done: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Q::Item>> {
        while !*input_done && in_flight.len() < limit {
            match stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => in_flight.push(f(item)),
                Poll::Ready(None) => *input_done = true,
                Poll::Pending => break,
            }
        }
        match in_flight.poll_next_unpin(cx) {
            Poll::Ready(None) if !*input_done => Poll::Pending,
            other => other,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let in_flight = self.in_flight.len();
        let (lower, upper) = if self.input_done {
            (0, Some(0))
        } else {
            self.stream.size_hint()
        };
        (
            lower.saturating_add(in_flight),
            upper.and_then(|upper| upper.checked_add(in_flight)),
        )
    }

    fn is_terminated(&self) -> bool {
        self.input_done && self.in_flight.len() == 0
    }
}

impl<S: fmt::Debug, F, Q> Core<S, F, Q> {
    fn debug(&self, name: &str, in_flight: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("stream", &self.stream)
            .field("in_flight", &in_flight)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::map_concurrent`](super::StreamPatternsExt::map_concurrent):
    /// outputs in input order.
    #[must_use = "streams do nothing unless polled"]
    pub struct MapConcurrent<S, F, Fut: Future> {
        // Outputs leave in the order of the input.
        #[pin]
        core: Core<S, F, FuturesOrdered<Fut>>,
    }
}

impl<S, F, Fut: Future> MapConcurrent<S, F, Fut> {
    #[track_caller]
    pub(super) fn new(stream: S, limit: usize, f: F) -> Self {
        let in_flight = FuturesOrdered::new();
        MapConcurrent {
            core: Core::new(stream, limit, f, in_flight, "map_concurrent"),
        }
    }

    /// How many futures are running (or finished and waiting for their turn).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use async_patterns::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut tens = stream::iter([1, 2, 3, 4]).map_concurrent(2, |n| async move { n * 10 });
    /// assert_eq!(tens.in_flight(), 0); // nothing starts before the first poll
    /// assert_eq!(tens.next().await, Some(10));
    /// assert_eq!(tens.in_flight(), 1); // the second, done and waiting its turn
    /// # }
    /// ```
    pub fn in_flight(&self) -> usize {
        self.core.in_flight.len()
    }
}

impl<S: fmt::Debug, F, Fut: Future> fmt::Debug for MapConcurrent<S, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.debug("MapConcurrent", self.in_flight(), f)
    }
}

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::map_concurrent_unordered`](super::StreamPatternsExt::map_concurrent_unordered):
    /// outputs in completion order.
    #[must_use = "streams do nothing unless polled"]
    pub struct MapConcurrentUnordered<S, F, Fut> {
        // Outputs leave as they finish.
        #[pin]
        core: Core<S, F, FuturesUnordered<Fut>>,
    }
}

impl<S, F, Fut> MapConcurrentUnordered<S, F, Fut> {
    #[track_caller]
    pub(super) fn new(stream: S, limit: usize, f: F) -> Self {
        let in_flight = FuturesUnordered::new();
        MapConcurrentUnordered {
            core: Core::new(stream, limit, f, in_flight, "map_concurrent_unordered"),
        }
    }

    /// How many futures are running.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use async_patterns::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut tens = stream::iter([1, 2, 3, 4]).map_concurrent_unordered(2, |n| async move { n * 10 });
    /// assert_eq!(tens.in_flight(), 0); // nothing starts before the first poll
    /// assert!(tens.next().await.is_some());
    /// assert!(tens.in_flight() <= 2);
    /// # }
    /// ```
    pub fn in_flight(&self) -> usize {
        self.core.in_flight.len()
    }
}

impl<S: fmt::Debug, F, Fut> fmt::Debug for MapConcurrentUnordered<S, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core
            .debug("MapConcurrentUnordered", self.in_flight(), f)
    }
}

/// `Stream` and `FusedStream` for a public adapter, passed on to its `core`.
macro_rules! stream_via_core {
    ($($name:ident),*) => {$(
        impl<S, F, Fut> Stream for $name<S, F, Fut>
        where
            S: Stream,
            F: FnMut(S::Item) -> Fut,
            Fut: Future,
        {
            type Item = Fut::Output;

            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Fut::Output>> {
                self.project().core.poll_next(cx)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.core.size_hint()
            }
        }

        impl<S, F, Fut> FusedStream for $name<S, F, Fut>
        where
            S: Stream,
            F: FnMut(S::Item) -> Fut,
            Fut: Future,
        {
            fn is_terminated(&self) -> bool {
                self.core.is_terminated()
            }
        }
    )*};
}

stream_via_core!(MapConcurrent, MapConcurrentUnordered);
