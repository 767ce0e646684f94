use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, FuturesOrdered, FuturesUnordered, Stream, StreamExt};
use pin_project_lite::pin_project;

/// The futures in flight, in input order or in completion order.
trait InFlight<Fut: Future>: Stream<Item = Fut::Output> + Unpin + Default {
    fn push(&mut self, fut: Fut);
    fn len(&self) -> usize;
}

impl<Fut: Future> InFlight<Fut> for FuturesOrdered<Fut> {
    fn push(&mut self, fut: Fut) {
        self.push_back(fut);
    }
    fn len(&self) -> usize {
        FuturesOrdered::len(self)
    }
}

impl<Fut: Future> InFlight<Fut> for FuturesUnordered<Fut> {
    fn push(&mut self, fut: Fut) {
        FuturesUnordered::push(self, fut);
    }
    fn len(&self) -> usize {
        FuturesUnordered::len(self)
    }
}

/// Shared poll of both adapters: top up to `limit` futures in flight from
/// the input, then poll them.
///
/// A panic (in the input, in `f` or in a future) leaves `*poisoned` set:
/// the next poll drops what is in flight and ends the stream, instead of
/// polling collections whose wakeups the panic may have cut.
fn poll_in_flight<S, F, Fut, Q>(
    stream: Pin<&mut S>,
    f: &mut F,
    in_flight: &mut Q,
    limit: usize,
    input_done: &mut bool,
    poisoned: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Fut::Output>>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
    Q: InFlight<Fut>,
{
    if *poisoned {
        *input_done = true;
        drop(std::mem::take(in_flight));
        return Poll::Ready(None);
    }
    *poisoned = true;
    let polled = top_up_and_poll(stream, f, in_flight, limit, input_done, cx);
    *poisoned = false;
    polled
}

fn top_up_and_poll<S, F, Fut, Q>(
    mut stream: Pin<&mut S>,
    f: &mut F,
    in_flight: &mut Q,
    limit: usize,
    input_done: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Fut::Output>>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
    Q: InFlight<Fut>,
{
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

fn size_hint(
    input: (usize, Option<usize>),
    input_done: bool,
    in_flight: usize,
) -> (usize, Option<usize>) {
    let (lower, upper) = if input_done { (0, Some(0)) } else { input };
    (
        lower.saturating_add(in_flight),
        upper.and_then(|upper| upper.checked_add(in_flight)),
    )
}

#[track_caller]
fn check_limit(limit: usize, name: &str) {
    assert!(
        limit > 0,
        "{name}: `limit` must be at least 1 (a limit of 0 would never run anything)"
    );
}

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::map_concurrent`](super::StreamPatternsExt::map_concurrent):
    /// outputs in input order.
    #[must_use = "streams do nothing unless polled"]
    pub struct MapConcurrent<S, F, Fut: Future> {
        #[pin]
        stream: S,
        f: F,
        // At most `limit` futures; outputs leave in the order of the input.
        in_flight: FuturesOrdered<Fut>,
        limit: usize,
        input_done: bool,
        // A poll panicked (it is set during each poll and cleared at its
        // end); the stream ends at the next poll.
        poisoned: bool,
    }
}

impl<S, F, Fut: Future> MapConcurrent<S, F, Fut> {
    #[track_caller]
    pub(super) fn new(stream: S, limit: usize, f: F) -> Self {
        check_limit(limit, "map_concurrent");
        MapConcurrent {
            stream,
            f,
            in_flight: FuturesOrdered::new(),
            limit,
            input_done: false,
            poisoned: false,
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
        self.in_flight.len()
    }
}

impl<S, F, Fut> Stream for MapConcurrent<S, F, Fut>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    type Item = Fut::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Fut::Output>> {
        let this = self.project();
        poll_in_flight(
            this.stream,
            this.f,
            this.in_flight,
            *this.limit,
            this.input_done,
            this.poisoned,
            cx,
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        size_hint(
            self.stream.size_hint(),
            self.input_done,
            self.in_flight.len(),
        )
    }
}

impl<S, F, Fut> FusedStream for MapConcurrent<S, F, Fut>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    fn is_terminated(&self) -> bool {
        self.input_done && self.in_flight.is_empty()
    }
}

impl<S: fmt::Debug, F, Fut: Future> fmt::Debug for MapConcurrent<S, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapConcurrent")
            .field("stream", &self.stream)
            .field("in_flight", &self.in_flight.len())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Stream returned by
    /// [`StreamPatternsExt::map_concurrent_unordered`](super::StreamPatternsExt::map_concurrent_unordered):
    /// outputs in completion order.
    #[must_use = "streams do nothing unless polled"]
    pub struct MapConcurrentUnordered<S, F, Fut> {
        #[pin]
        stream: S,
        f: F,
        // At most `limit` futures; outputs leave as they finish.
        in_flight: FuturesUnordered<Fut>,
        limit: usize,
        input_done: bool,
        // A poll panicked (it is set during each poll and cleared at its
        // end); the stream ends at the next poll.
        poisoned: bool,
    }
}

impl<S, F, Fut> MapConcurrentUnordered<S, F, Fut> {
    #[track_caller]
    pub(super) fn new(stream: S, limit: usize, f: F) -> Self {
        check_limit(limit, "map_concurrent_unordered");
        MapConcurrentUnordered {
            stream,
            f,
            in_flight: FuturesUnordered::new(),
            limit,
            input_done: false,
            poisoned: false,
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
        self.in_flight.len()
    }
}

impl<S, F, Fut> Stream for MapConcurrentUnordered<S, F, Fut>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    type Item = Fut::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Fut::Output>> {
        let this = self.project();
        poll_in_flight(
            this.stream,
            this.f,
            this.in_flight,
            *this.limit,
            this.input_done,
            this.poisoned,
            cx,
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        size_hint(
            self.stream.size_hint(),
            self.input_done,
            self.in_flight.len(),
        )
    }
}

impl<S, F, Fut> FusedStream for MapConcurrentUnordered<S, F, Fut>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    fn is_terminated(&self) -> bool {
        self.input_done && self.in_flight.is_empty()
    }
}

impl<S: fmt::Debug, F, Fut> fmt::Debug for MapConcurrentUnordered<S, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapConcurrentUnordered")
            .field("stream", &self.stream)
            .field("in_flight", &self.in_flight.len())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
