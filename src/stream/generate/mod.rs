//! Async generators without a macro: [`generate`] and [`try_generate`].
//!
//! The hand-off of an item from a [`Yield`] to its stream lives in [`slot`],
//! the one module here with `unsafe` code.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

mod slot;

use slot::{Before, Id, Slot, hand_over, poll_lent};

/// Builds a [`Stream`] from an async closure: an async generator without a
/// macro.
///
/// `f` receives a [`Yielder`]; every `yielder.send(item).await` hands `item`
/// to the consumer, and the stream ends when the future returned by `f`
/// finishes. This is Python's
///
/// ```python
/// async def numbers():
///     for i in range(3):
///         yield i
/// ```
///
/// Runnable example: `generators` (`cargo run --example generators`),
/// `async_range` and a paged source as async generators.
///
/// # Laziness and back-pressure
///
/// `f` is called at once to build the producer future, but that future's
/// body does not run until the stream is first polled (code placed *before*
/// the `async move` block of a closure, if any, does run at once). After each
/// `send` the producer stays suspended until the consumer asks for the next
/// item, so a generator never runs ahead of its consumer and buffers at most
/// the one item in flight.
///
/// Dropping the stream drops the producer future immediately, wherever it is
/// suspended: its destructors run, like a Python generator's `finally`
/// blocks on `aclose()`.
///
/// If the producer panics, the panic comes out of the stream's poll; polled
/// again, the stream hands out what was sent before the panic, then ends
/// without resuming the producer.
///
/// The stream needs no runtime of its own: it runs under any executor
/// (tokio, `futures::executor::block_on`, ...) that can run the producer.
/// It is `Send` when the producer future and `T` are, so it can be spawned
/// and may move between worker threads between items.
///
/// # Borrowed items
///
/// Items need not be `'static`: a generator may yield references into data
/// that outlives the stream, and the compiler holds the consumer to that.
///
/// ```
/// use async_patterns::stream::generate;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let text = String::from("to be or not");
/// let words = text.as_str();
/// let longest = generate(|mut y| async move {
///     for word in words.split(' ') {
///         y.send(word).await;
///     }
/// })
/// .fold("", |best, w| async move { if w.len() > best.len() { w } else { best } })
/// .await;
/// assert_eq!(longest, "not");
/// # });
/// ```
///
/// An item cannot outlive what it borrows, even once the stream is gone
/// (async-stream#107 let this compile, and read freed memory): here `v` is
/// dropped while `kept` still borrows it, and the compiler says so.
///
/// ```compile_fail,E0597
/// use async_patterns::stream::generate;
/// use futures::StreamExt;
///
/// let kept: Vec<&i32>;
/// {
///     let v = vec![1, 2, 3];
///     let v = &v;
///     let s = generate(|mut y| async move {
///         for x in v {
///             y.send(x).await;
///         }
///     });
///     kept = futures::executor::block_on(s.collect());
/// }
/// println!("{kept:?}");
/// ```
///
/// # Pinning (`async for`)
///
/// The stream holds the producer future, which may point into itself
/// across an `.await` (as any `async` block can), so it is `!Unpin`:
/// `StreamExt::next` needs `Unpin` and rejects it with E0277 ("cannot be
/// unpinned"). Pin it first, on the stack with [`std::pin::pin!`] or on the
/// heap with `Box::pin` (to return or store it). Consuming adapters that
/// take the stream by value (`collect`, `for_each`, `chunks_timeout`, ...)
/// need nothing. `futures::stream::unfold` streams are `!Unpin` too.
///
/// ```
/// use async_patterns::stream::generate;
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let numbers = generate(|mut y| async move {
///     for i in 0..3u32 {
///         y.send(i).await;
///     }
/// });
/// let mut numbers = std::pin::pin!(numbers); // `async for i in numbers:`
/// let mut seen = Vec::new();
/// while let Some(i) = numbers.next().await {
///     seen.push(i);
/// }
/// assert_eq!(seen, [0, 1, 2]);
/// # }
/// ```
///
/// A fuller tour of generators and stream operators is the `stream`
/// section of `cargo run --example tour` (section 9).
///
/// # Performance
///
/// An item crosses from the producer to the consumer through a slot in the
/// stream, reached through a raw pointer published in a thread-local for
/// the duration of each poll (as `async-stream`'s `stream!` macro does, with
/// a generator id checked on top so that a misused `Yielder` panics instead
/// of writing elsewhere). Per item that is one flag checked before the
/// producer resumes, one thread-local read, one id compare and the item
/// written to the slot and read back. Counted by callgrind in the
/// `benches/stream.rs` binary itself (10^6 integers drained in a loop under
/// `futures::executor::block_on`; instructions of the whole run over items
/// delivered), `generate` costs 63 instructions per item against 77 for
/// `async-stream`'s `stream!`, and `try_generate` 62 against 78 for
/// `try_stream!`; [`unfold`](futures::stream::unfold) costs about 15. The
/// counts follow the compiler's inlining: in a harness where it inlined
/// async-stream's whole stream into the consumer's loop (and not ours),
/// async-stream counted 49 and 52 to our 62 and 61. In CPU time, on a
/// 2-core AMD EPYC (Zen 3) VM shared with other builds, both are level
/// within that machine's noise and 3 to 5× `unfold`: noise next to any I/O.
/// For a hot loop over millions of tiny items, write the state machine
/// with `unfold`.
///
/// # Examples
///
/// ```
/// use async_patterns::stream::generate;
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let squares = generate(|mut y| async move {
///     for i in 1..=4u32 {
///         y.send(i * i).await;
///     }
/// });
/// assert_eq!(squares.collect::<Vec<_>>().await, [1, 4, 9, 16]);
/// # }
/// ```
pub fn generate<T, F, Fut>(f: F) -> Generate<T, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    let id = Id::next();
    Generate {
        producer: f(Yielder::new(id)),
        slot: Slot::new(),
        id,
    }
}

/// Builds a fallible [`Stream`] from an async closure returning a
/// `Result<(), E>`.
///
/// Items sent with the [`Yielder`] come out as `Ok(item)`. If the producer
/// returns `Err(e)` (typically through `?`), `Err(e)` is yielded as the last
/// item and the stream ends; `Ok(())` ends the stream without an error.
/// Laziness, back-pressure, drop and a panicking producer behave as for
/// [`generate`].
///
/// # Examples
///
/// ```
/// use async_patterns::stream::try_generate;
/// use futures::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let parsed = try_generate(|mut y| async move {
///     for word in ["1", "2", "x", "4"] {
///         let n: u32 = word.parse()?;
///         y.send(n).await;
///     }
///     Ok::<_, std::num::ParseIntError>(())
/// });
/// let items: Vec<_> = parsed.collect().await;
/// assert_eq!(items.len(), 3);
/// assert_eq!(items[..2], [Ok(1), Ok(2)]);
/// assert!(items[2].is_err());
/// # }
/// ```
pub fn try_generate<T, E, F, Fut>(f: F) -> TryGenerate<T, E, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let id = Id::next();
    TryGenerate {
        producer: f(Yielder::new(id)),
        slot: Slot::new(),
        id,
        error: None,
    }
}

/// The sending half of a generator, handed to the closure of [`generate`] or
/// [`try_generate`].
///
/// # Using it elsewhere
///
/// A `Yielder` works only inside the producer future of its own generator
/// (directly, or in futures that the producer awaits, joins or selects on,
/// including nested generators). Items are handed over while the generator
/// stream polls its producer, on that thread; a `Yielder` moved into a
/// spawned task or another thread, or kept after its generator is gone, has
/// no generator polling it, so its [`send`](Self::send) future panics when
/// polled there instead of hanging silently. It is not a channel: use a
/// queue to feed a stream from other tasks.
// Not `Clone`: the hand-off (`slot.rs`) relies on at most one `Yield` per
// generator existing at a time.
pub struct Yielder<T> {
    id: Id,
    _item: PhantomData<fn(T)>,
}

impl<T> Yielder<T> {
    fn new(id: Id) -> Self {
        Yielder {
            id,
            _item: PhantomData,
        }
    }
}

impl<T> Yielder<T> {
    /// Hands `item` to the consumer and waits until it has been taken.
    ///
    /// The returned future stays pending until the stream has delivered the
    /// item and the consumer has asked for the next one: that is the
    /// generator's back-pressure.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::stream::generate;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let words = generate(|mut y| async move {
    ///     y.send("hello").await;
    ///     y.send("world").await;
    /// });
    /// assert_eq!(words.collect::<Vec<_>>().await, ["hello", "world"]);
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// The returned future panics if it is polled outside a poll of its own
    /// generator stream (see [Using it elsewhere](Yielder#using-it-elsewhere)).
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before its first poll, `item` is dropped.
    /// Once polled, the item has been handed over and will be delivered even
    /// if the future is dropped afterwards (say, by a `select!` branch that
    /// lost).
    pub fn send(&mut self, item: T) -> Yield<'_, T> {
        Yield {
            id: self.id,
            item: Some(item),
            _yielder: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Yielder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yielder").finish_non_exhaustive()
    }
}

/// Future returned by [`Yielder::send`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Yield<'a, T> {
    /// The `Yielder`'s id, copied so that the hand-over need not reach
    /// through `_yielder` for it.
    id: Id,
    /// `Some` until the item is placed in the slot.
    item: Option<T>,
    /// The `Yielder` stays mutably borrowed while this future lives: at most
    /// one `Yield` per generator exists at a time (`slot.rs` relies on it).
    _yielder: PhantomData<&'a mut Yielder<T>>,
}

impl<T> Unpin for Yield<'_, T> {}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // Look before taking: a resumed `Yield` (the usual poll after the
        // first) then stores nothing.
        if this.item.is_none() {
            // Handed over on an earlier poll. The generator takes the item as
            // soon as its producer returns `Pending`, so the producer being
            // polled again means the consumer asked for the next item.
            return Poll::Ready(());
        }
        if let Some(item) = this.item.take() {
            hand_over(this.id, item, cx.waker());
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("handed_over", &self.item.is_none())
            .finish()
    }
}

pin_project! {
    /// Stream returned by [`generate`].
    ///
    /// Yields the items sent through the [`Yielder`] and ends when the
    /// producer future finishes. Fused: it keeps returning `None` after
    /// the end.
    #[must_use = "streams do nothing unless polled"]
    pub struct Generate<T, Fut> {
        #[pin]
        producer: Fut,
        // Reached through a raw pointer while the producer is polled; also
        // knows whether the producer has ended.
        slot: Slot<T>,
        id: Id,
    }
}

impl<T, Fut> Stream for Generate<T, Fut>
where
    Fut: Future<Output = ()>,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        // Items queued by an earlier poll go out before the producer resumes.
        match this.slot.before_poll() {
            Before::Resume => {}
            Before::Queued(item) => return Poll::Ready(Some(item)),
            Before::Ended => return Poll::Ready(None),
        }
        let finished = poll_lent(this.producer, this.slot, *this.id, cx).is_ready();
        let item = this.slot.take();
        if finished {
            // The next polls hand out what is left in the slot, then `None`.
            this.slot.end();
        }
        match item {
            Some(item) => Poll::Ready(Some(item)),
            None if finished => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

impl<T, Fut> FusedStream for Generate<T, Fut>
where
    Fut: Future<Output = ()>,
{
    fn is_terminated(&self) -> bool {
        self.slot.is_drained()
    }
}

impl<T, Fut> fmt::Debug for Generate<T, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generate")
            .field("done", &self.slot.is_drained())
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Stream returned by [`try_generate`].
    ///
    /// Yields `Ok(item)` for every item sent through the [`Yielder`]; if the
    /// producer returns `Err(e)`, yields `Err(e)` as its last item. Fused.
    #[must_use = "streams do nothing unless polled"]
    pub struct TryGenerate<T, E, Fut> {
        #[pin]
        producer: Fut,
        // Reached through a raw pointer while the producer is polled; also
        // knows whether the producer has ended.
        slot: Slot<T>,
        id: Id,
        // The producer's error, once it has failed, until it goes out after
        // the items left in the slot.
        error: Option<E>,
    }
}

impl<T, E, Fut> Stream for TryGenerate<T, E, Fut>
where
    Fut: Future<Output = Result<(), E>>,
{
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>> {
        let this = self.project();
        // Items queued by an earlier poll go out before the producer resumes
        // (and before its error).
        match this.slot.before_poll() {
            Before::Resume => {}
            Before::Queued(item) => return Poll::Ready(Some(Ok(item))),
            Before::Ended => return Poll::Ready(this.error.take().map(Err)),
        }
        let outcome = poll_lent(this.producer, this.slot, *this.id, cx);
        let item = this.slot.take();
        match (item, outcome) {
            (Some(item), Poll::Pending) => Poll::Ready(Some(Ok(item))),
            (None, Poll::Pending) => Poll::Pending,
            (item, Poll::Ready(result)) => {
                this.slot.end();
                Poll::Ready(match (item, result) {
                    (Some(item), Err(err)) => {
                        // The item first, the error on the next poll.
                        *this.error = Some(err);
                        Some(Ok(item))
                    }
                    (Some(item), Ok(())) => Some(Ok(item)),
                    (None, Err(err)) => Some(Err(err)),
                    (None, Ok(())) => None,
                })
            }
        }
    }
}

impl<T, E, Fut> FusedStream for TryGenerate<T, E, Fut>
where
    Fut: Future<Output = Result<(), E>>,
{
    fn is_terminated(&self) -> bool {
        self.slot.is_drained() && self.error.is_none()
    }
}

impl<T, E, Fut> fmt::Debug for TryGenerate<T, E, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.error.is_some() {
            "failed"
        } else if self.slot.is_drained() {
            "done"
        } else {
            "running"
        };
        f.debug_struct("TryGenerate")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
