use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use futures::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

/// One generator's hand-off slot, lent to the current thread while the
/// generator polls its producer.
struct Entry {
    /// The generator's id, shared with its [`Yielder`].
    id: u64,
    /// A `Box<VecDeque<T>>`: holds the item a [`Yield`] hands over during
    /// the poll (more than one only if a `Yield` was dropped after its first
    /// poll and the producer sent again in the same poll). Moving the box in
    /// and out (and downcasting it) allocates nothing; the queue keeps its
    /// buffer.
    slot: Box<dyn Any>,
    /// The waker to wake at the generator's next poll: the last [`Yield`]
    /// that handed an item over (see [`poll_lent`]); on entry, the previous
    /// one if it is this poll's own waker.
    waker: Option<Waker>,
}

thread_local! {
    /// The slots of the generators being polled on this thread, innermost
    /// last. A generator pushes its slot before polling its producer and
    /// pops it right after (also on unwind), so entries are properly nested
    /// and never outlive the poll that lent them. Items therefore never
    /// cross threads through here: the `Yield` runs inside the producer's
    /// poll, on the same thread.
    static CURRENT: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// A generator's hand-off slot. Boxed (which clippy's `box_collection`
/// dislikes) so that it moves in and out of the thread's `Box<dyn Any>`
/// without allocating on every poll.
#[allow(clippy::box_collection)]
type Queue<T> = Box<VecDeque<T>>;

/// Ids of generators, so that a [`Yielder`] finds its own slot even inside a
/// nested generator yielding the same type.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Polls `producer` with `slot` lent to the thread, so that its [`Yield`]s
/// can hand an item over.
///
/// A [`Yield`] returns `Pending` after the hand-over without anything to
/// wake it: the consumer asking for the next item is its wake-up. When the
/// producer awaits it directly, polling the producer polls it. But a
/// combinator between them that only polls the futures that were woken
/// (`FuturesUnordered`, `gather`, ...) would never poll it again, so the
/// `Yield` leaves its waker in `resume`, and the next poll wakes it first
/// unless it is this poll's own waker.
#[inline]
fn poll_lent<T: 'static, F: Future>(
    producer: Pin<&mut F>,
    slot: &mut Option<Queue<T>>,
    resume: &mut Option<Waker>,
    id: u64,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    // Kept when it is this poll's own waker, so that the usual `Yield`
    // (awaited directly) finds it in place and need not clone it.
    let waker = resume.take().and_then(|waker| {
        if waker.will_wake(cx.waker()) {
            Some(waker)
        } else {
            waker.wake();
            None
        }
    });
    let _lend = Lend::new(slot, resume, waker, id);
    producer.poll(cx)
}

/// Takes the item handed over during the last poll, if any.
#[inline]
fn take<T>(slot: &mut Option<Queue<T>>) -> Option<T> {
    slot.as_mut().and_then(|slot| slot.pop_front())
}

/// Lends `slot` to the thread for the duration of one poll of the producer;
/// returns it to `slot` when dropped, including on unwind.
struct Lend<'a, T: 'static> {
    slot: &'a mut Option<Queue<T>>,
    resume: &'a mut Option<Waker>,
    id: u64,
}

impl<'a, T: 'static> Lend<'a, T> {
    #[inline]
    fn new(
        slot: &'a mut Option<Queue<T>>,
        resume: &'a mut Option<Waker>,
        waker: Option<Waker>,
        id: u64,
    ) -> Self {
        let boxed: Box<dyn Any> = slot
            .take()
            .expect("generator slot is only lent during a poll");
        CURRENT.with(|stack| {
            stack.borrow_mut().push(Entry {
                id,
                slot: boxed,
                waker,
            })
        });
        Lend { slot, resume, id }
    }
}

impl<T: 'static> Drop for Lend<'_, T> {
    #[inline]
    fn drop(&mut self) {
        let entry = CURRENT.with(|stack| {
            let mut stack = stack.borrow_mut();
            // Polls nest (an inner generator's `Lend` is dropped before
            // ours), so ours is the last entry.
            match stack.pop() {
                Some(entry) if entry.id == self.id => Some(entry),
                other => {
                    stack.extend(other);
                    let at = stack.iter().rposition(|e| e.id == self.id)?;
                    Some(stack.remove(at))
                }
            }
        });
        if let Some(entry) = entry {
            *self.resume = entry.waker;
            *self.slot = entry.slot.downcast::<VecDeque<T>>().ok();
        }
    }
}

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
/// Runnable example: [`generators`](https://github.com/async-patterns/async-patterns/blob/main/examples/generators.rs) (`cargo run --example generators`),
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
/// The stream needs no runtime of its own: it runs under any executor
/// (tokio, `futures::executor::block_on`, ...) that can run the producer.
/// It is `Send` when the producer future and `T` are, so it can be spawned
/// and may move between worker threads between items.
///
/// Items must be `'static` (own their data, or borrow `'static` data): they
/// are handed over through a type-erased slot, without `unsafe` code. The
/// producer future itself may borrow.
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
    T: 'static,
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    let id = next_id();
    Generate {
        producer: f(Yielder::new(id)),
        slot: Some(Box::new(VecDeque::new())),
        resume: None,
        id,
        done: false,
    }
}

/// Builds a fallible [`Stream`] from an async closure returning a
/// `Result<(), E>`.
///
/// Items sent with the [`Yielder`] come out as `Ok(item)`. If the producer
/// returns `Err(e)` (typically through `?`), `Err(e)` is yielded as the last
/// item and the stream ends; `Ok(())` ends the stream without an error.
/// Laziness, back-pressure and drop behave as for [`generate`].
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
    T: 'static,
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let id = next_id();
    TryGenerate {
        producer: f(Yielder::new(id)),
        slot: Some(Box::new(VecDeque::new())),
        resume: None,
        id,
        state: TryState::Running,
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
pub struct Yielder<T> {
    id: u64,
    _item: PhantomData<fn(T)>,
}

impl<T> Yielder<T> {
    fn new(id: u64) -> Self {
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
            yielder: self,
            item: Some(item),
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
    yielder: &'a mut Yielder<T>,
    /// `Some` until the item is placed in the slot.
    item: Option<T>,
}

impl<T> Unpin for Yield<'_, T> {}

impl<T: 'static> Future for Yield<'_, T> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.item.is_none() {
            // Handed over on an earlier poll. The generator takes the item as
            // soon as its producer returns `Pending`, so the producer being
            // polled again means the consumer asked for the next item.
            return Poll::Ready(());
        }
        let id = this.yielder.id;
        CURRENT.with(|stack| {
            let mut stack = stack.borrow_mut();
            let entry = stack.iter_mut().rev().find(|entry| entry.id == id);
            let Some((slot, waker)) = entry.and_then(|entry| {
                let slot = entry.slot.downcast_mut::<VecDeque<T>>()?;
                Some((slot, &mut entry.waker))
            }) else {
                panic!(
                    "`Yielder::send` polled outside its generator: a Yielder only works \
                     inside the future its `generate` closure returned"
                )
            };
            // Woken at the next poll of the generator (see `poll_lent`).
            match waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                w => *w = Some(cx.waker().clone()),
            }
            this.hand_over(slot)
        })
    }
}

impl<T> Yield<'_, T> {
    fn hand_over(&mut self, slot: &mut VecDeque<T>) -> Poll<()> {
        // Normally the slot is empty. It holds an item already if a `Yield`
        // of this same producer poll was dropped after handing its item
        // over: queue ours behind it, so that a polled `send` always
        // delivers (the generator hands out the queue before it resumes the
        // producer).
        slot.extend(self.item.take());
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
        // `None` only while lent to the thread during a poll.
        slot: Option<Queue<T>>,
        // The waker of the `Yield` that handed the last item over.
        resume: Option<Waker>,
        id: u64,
        done: bool,
    }
}

impl<T: 'static, Fut> Stream for Generate<T, Fut>
where
    Fut: Future<Output = ()>,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        // Items queued by an earlier poll go out before the producer resumes.
        if let Some(item) = take(this.slot) {
            return Poll::Ready(Some(item));
        }
        if *this.done {
            return Poll::Ready(None);
        }
        let finished = poll_lent(this.producer, this.slot, this.resume, *this.id, cx).is_ready();
        if let Some(item) = take(this.slot) {
            // If the producer also finished, the next polls hand out what is
            // left in the slot, then see `done`.
            *this.done = finished;
            return Poll::Ready(Some(item));
        }
        if finished {
            *this.done = true;
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

impl<T: 'static, Fut> FusedStream for Generate<T, Fut>
where
    Fut: Future<Output = ()>,
{
    fn is_terminated(&self) -> bool {
        self.done && self.slot.as_ref().is_none_or(|slot| slot.is_empty())
    }
}

impl<T, Fut> fmt::Debug for Generate<T, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generate")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Where a [`TryGenerate`] is.
enum TryState<E> {
    Running,
    /// The producer failed while an item was still in the slot: the item
    /// goes out first, then this error.
    Failed(E),
    Done,
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
        // `None` only while lent to the thread during a poll.
        slot: Option<Queue<T>>,
        // The waker of the `Yield` that handed the last item over.
        resume: Option<Waker>,
        id: u64,
        state: TryState<E>,
    }
}

impl<T: 'static, E, Fut> Stream for TryGenerate<T, E, Fut>
where
    Fut: Future<Output = Result<(), E>>,
{
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>> {
        let this = self.project();
        // Items queued by an earlier poll go out before the producer resumes
        // (and before its error).
        if let Some(item) = take(this.slot) {
            return Poll::Ready(Some(Ok(item)));
        }
        match std::mem::replace(this.state, TryState::Done) {
            TryState::Running => {}
            TryState::Failed(err) => return Poll::Ready(Some(Err(err))),
            TryState::Done => return Poll::Ready(None),
        }
        let outcome = poll_lent(this.producer, this.slot, this.resume, *this.id, cx);
        let item = take(this.slot);
        match (item, outcome) {
            (Some(item), Poll::Pending) => {
                *this.state = TryState::Running;
                Poll::Ready(Some(Ok(item)))
            }
            (Some(item), Poll::Ready(Ok(()))) => Poll::Ready(Some(Ok(item))),
            (Some(item), Poll::Ready(Err(err))) => {
                *this.state = TryState::Failed(err);
                Poll::Ready(Some(Ok(item)))
            }
            (None, Poll::Pending) => {
                *this.state = TryState::Running;
                Poll::Pending
            }
            (None, Poll::Ready(Ok(()))) => Poll::Ready(None),
            (None, Poll::Ready(Err(err))) => Poll::Ready(Some(Err(err))),
        }
    }
}

impl<T: 'static, E, Fut> FusedStream for TryGenerate<T, E, Fut>
where
    Fut: Future<Output = Result<(), E>>,
{
    fn is_terminated(&self) -> bool {
        matches!(self.state, TryState::Done)
            && self.slot.as_ref().is_none_or(|slot| slot.is_empty())
    }
}

impl<T, E, Fut> fmt::Debug for TryGenerate<T, E, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            TryState::Running => "running",
            TryState::Failed(_) => "failed",
            TryState::Done => "done",
        };
        f.debug_struct("TryGenerate")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
