use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
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
    /// A `Box<Slot<T>>`. Moving the box in and out (and downcasting it)
    /// allocates nothing.
    slot: Box<dyn Any>,
}

thread_local! {
    /// The slot of the innermost generator being polled on this thread.
    ///
    /// A generator puts its slot here before polling its producer and takes
    /// it back right after (also on unwind), so entries never outlive the
    /// poll that lent them and items never cross threads through here: a
    /// `Yield` runs inside the producer's poll, on the same thread.
    ///
    /// A plain `Cell` keeps the per-item path to a few moves, without a
    /// borrow flag, and `ManuallyDrop` spares the thread-local a destructor
    /// (which would make every access check its registration). Nothing is
    /// leaked by it: the slot is always `None` between polls.
    static CURRENT: Cell<ManuallyDrop<Option<Entry>>> =
        const { Cell::new(ManuallyDrop::new(None)) };

    /// The slots of the generators being polled further out, innermost last:
    /// a nested generator moves the entry it displaces from `CURRENT` here
    /// and moves it back when its poll ends. Only a `Yielder` used inside a
    /// nested generator's producer looks here.
    static OUTER: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// Puts `entry` in `CURRENT` and returns what was there.
#[inline]
fn swap_current(entry: Option<Entry>) -> Option<Entry> {
    ManuallyDrop::into_inner(CURRENT.replace(ManuallyDrop::new(entry)))
}

/// A generator's hand-off slot.
///
/// Normally it holds at most one item, in `first`. More queue up only if a
/// [`Yield`] was dropped after handing its item over and the producer sent
/// again in the same poll: a polled `send` always delivers, in order.
/// Invariant: `first` is the oldest item whenever it is `Some`, because an
/// item goes to `first` only while `more` is empty.
struct Slot<T> {
    first: Option<T>,
    more: VecDeque<T>,
    /// The waker of the [`Yield`] that handed the last item over, woken at
    /// the generator's next poll unless it is that poll's own waker (see
    /// [`poll_lent`]).
    resume: Option<Waker>,
}

impl<T> Slot<T> {
    fn new() -> Box<Self> {
        Box::new(Slot {
            first: None,
            more: VecDeque::new(),
            resume: None,
        })
    }

    #[inline]
    fn put(&mut self, item: T) {
        if self.first.is_none() && self.more.is_empty() {
            self.first = Some(item);
        } else {
            self.more.push_back(item);
        }
    }

    #[inline]
    fn take(&mut self) -> Option<T> {
        match self.first.take() {
            Some(item) => Some(item),
            None => self.more.pop_front(),
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_none() && self.more.is_empty()
    }
}

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
/// `Yield` leaves its waker in the slot, and the next poll wakes it first
/// unless it is this poll's own waker (kept then, so that the usual `Yield`,
/// awaited directly, finds it in place and need not clone it).
#[inline]
fn poll_lent<T: 'static, F: Future>(
    producer: Pin<&mut F>,
    slot: &mut Option<Box<Slot<T>>>,
    id: u64,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    if let Some(slot) = slot.as_mut() {
        if let Some(waker) = slot.resume.take_if(|w| !w.will_wake(cx.waker())) {
            waker.wake();
        }
    }
    let _lend = Lend::new(slot, id);
    producer.poll(cx)
}

/// Takes the item handed over during the last poll, if any.
#[inline]
fn take<T>(slot: &mut Option<Box<Slot<T>>>) -> Option<T> {
    slot.as_mut().and_then(|slot| slot.take())
}

/// Lends `slot` to the thread for the duration of one poll of the producer;
/// returns it to `slot` when dropped, including on unwind.
struct Lend<'a, T: 'static> {
    slot: &'a mut Option<Box<Slot<T>>>,
    id: u64,
    /// Whether an outer generator's entry was moved to `OUTER`.
    nested: bool,
}

impl<'a, T: 'static> Lend<'a, T> {
    #[inline]
    fn new(slot: &'a mut Option<Box<Slot<T>>>, id: u64) -> Self {
        let boxed: Box<dyn Any> = slot
            .take()
            .expect("generator slot is only lent during a poll");
        let nested = match swap_current(Some(Entry { id, slot: boxed })) {
            Some(outer) => {
                OUTER.with_borrow_mut(|stack| stack.push(outer));
                true
            }
            None => false,
        };
        Lend { slot, id, nested }
    }
}

impl<T: 'static> Drop for Lend<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Polls nest: an inner generator's `Lend` was dropped before ours and
        // put our entry back, and a `Yield` always puts back what it takes.
        let ours = if self.nested {
            swap_current(OUTER.with_borrow_mut(|stack| stack.pop()))
        } else {
            swap_current(None)
        };
        if let Some(entry) = ours.filter(|entry| entry.id == self.id) {
            *self.slot = entry.slot.downcast::<Slot<T>>().ok();
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
/// # Performance
///
/// Each item costs a couple of moves of the slot through a thread-local
/// and two type checks: about 20 ns per item on a small VM, against about
/// 6 ns for `async-stream`'s `stream!` macro (which hands items over
/// through a raw pointer) and 3 ns for `futures::stream::unfold`
/// (`benches/stream.rs`, 10^6 integers). That is noise next to any I/O; for
/// a hot loop over millions of tiny items, write the state machine with
/// [`unfold`](futures::stream::unfold) instead.
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
        slot: Some(Slot::new()),
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
        slot: Some(Slot::new()),
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
        let handed_over = match swap_current(None) {
            Some(mut entry) => {
                let ours = entry.id == id;
                if ours {
                    this.hand_over(&mut entry, cx);
                }
                swap_current(Some(entry));
                ours
            }
            None => false,
        };
        if !handed_over {
            // A Yielder of an outer generator, used inside a nested one.
            OUTER.with_borrow_mut(|stack| {
                match stack.iter_mut().rev().find(|entry| entry.id == id) {
                    Some(entry) => this.hand_over(entry, cx),
                    None => outside_generator(),
                }
            });
        }
        Poll::Pending
    }
}

#[cold]
#[track_caller]
fn outside_generator() -> ! {
    panic!(
        "`Yielder::send` polled outside its generator: a Yielder only works \
         inside the future its `generate` closure returned"
    )
}

impl<T: 'static> Yield<'_, T> {
    /// Puts the item in `entry`'s slot and leaves our waker there, to be
    /// woken at the generator's next poll (see `poll_lent`).
    #[inline]
    fn hand_over(&mut self, entry: &mut Entry, cx: &Context<'_>) {
        let slot = entry
            .slot
            .downcast_mut::<Slot<T>>()
            .expect("a generator's id belongs to its item type");
        match &slot.resume {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.resume = Some(cx.waker().clone()),
        }
        if let Some(item) = self.item.take() {
            slot.put(item);
        }
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
        slot: Option<Box<Slot<T>>>,
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
        let finished = poll_lent(this.producer, this.slot, *this.id, cx).is_ready();
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
        slot: Option<Box<Slot<T>>>,
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
        let outcome = poll_lent(this.producer, this.slot, *this.id, cx);
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
