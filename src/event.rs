//! [`Event`]: a flag that tasks can wait for, like `asyncio.Event`.
//!
//! | asyncio | async-patterns |
//! |---|---|
//! | `event = asyncio.Event()` | `let event = Arc::new(`[`Event::new()`]`);` |
//! | `event.set()` | [`event.set()`](Event::set) |
//! | `event.clear()` | [`event.clear()`](Event::clear) |
//! | `event.is_set()` | [`event.is_set()`](Event::is_set) |
//! | `await event.wait()` | [`event.wait().await`](Event::wait) |
//! | `await asyncio.wait_for(event.wait(), 5)` | [`event.wait_timeout(d).await`](Event::wait_timeout) (`false` on timeout) |
//!
//! Not provided, use instead: a signal that carries a value →
//! `tokio::sync::watch`; a one-shot result → `tokio::sync::oneshot`; waking
//! exactly one waiter → `tokio::sync::Notify::notify_one`.
//!
//! Use it for one-shot or resettable broadcast signals: "config loaded",
//! "shutdown requested", "the cache is warm". [`Event::set`] wakes every
//! waiter; waiters created while the event is set are ready at once.
//!
//! Compared with [`tokio::sync::Notify`], an `Event` has a level, not a
//! pulse: a `set` is not lost when nobody is waiting yet, and nobody has to
//! call `enable()` on a future before checking a condition. Compared with a
//! `watch::channel(bool)`, it needs no receiver handles and works without a
//! tokio runtime (only [`Event::wait_timeout`] needs the tokio timer).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use async_patterns::event::Event;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let ready = Arc::new(Event::new());
//! let worker = tokio::spawn({
//!     let ready = ready.clone();
//!     async move {
//!         ready.wait().await;
//!         "started after the signal"
//!     }
//! });
//! ready.set();
//! assert_eq!(worker.await.unwrap(), "started after the signal");
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `tour` (`cargo run --example tour`): workers released by one `set`, `wait_timeout` after `clear`;
//! - `scheduler` (`cargo run --example scheduler`): an `Event` per task to cancel it while it runs, and one to wait for its end;
//! - `crawler` (`cargo run --example crawler`): an `Event` for a Ctrl-C style graceful shutdown.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use std::sync::Arc;

use crate::loom::{AtomicU64, Mutex, Ordering, lock};
use crate::timeout::{Timeout, timeout};
use crate::waiters::{SlotState, WaiterList, WakeList};

/// Bit 0 of [`Event::state`]: the event is set.
const SET: u64 = 1;
/// [`Event::state`] counts `set` transitions in the bits above bit 0.
const GENERATION_ONE: u64 = 2;

/// A flag that tasks can wait for: `asyncio.Event`.
///
/// [`set`](Self::set) raises the flag and wakes every waiter;
/// [`clear`](Self::clear) lowers it; [`wait`](Self::wait) completes once the
/// flag has been raised at some point since the future was created (or
/// immediately, if it is raised now). So a waiter cannot miss a `set` that is
/// followed at once by a `clear`.
///
/// Share it with `Arc<Event>` (or borrow it); it is `Send + Sync`. No tokio
/// runtime is needed, except by [`wait_timeout`](Self::wait_timeout).
///
/// # Examples
///
/// ```
/// use async_patterns::event::Event;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let event = Event::new();
/// assert!(!event.is_set());
/// event.set();
/// event.wait().await; // ready at once
/// event.clear();
/// assert!(!event.is_set());
/// # }
/// ```
pub struct Event {
    /// `SET` bit plus the number of `set` transitions times `GENERATION_ONE`.
    ///
    /// Invariant: the generation only changes under the `waiters` lock, in
    /// the same critical section that takes every registered waker. A waiter
    /// that registers under the lock and then still sees its generation has
    /// therefore not been passed over: the next `set` will find its waker.
    /// `clear` only turns the `SET` bit off and needs no lock.
    state: AtomicU64,
    /// Registrations of pending `Wait`/`WaitOwned` futures: parked ones of
    /// the current generation, and woken ones their owners have not
    /// removed yet.
    ///
    /// The crate's shared FIFO list rather than a list of its own: a slab
    /// that `set` takes whole under the lock (and each woken future then
    /// leaves without locking) was measured no faster on
    /// `benches/event.rs` (`set` waking 1,000 spawned waiters: 2.1 to
    /// 3.2 ms for either, within the noise), because waking and scheduling
    /// the tasks dominates; one list is less code to trust.
    waiters: Mutex<WaiterList<()>>,
}

impl Event {
    /// A new event, not set.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::event::Event;
    ///
    /// assert!(!Event::new().is_set());
    /// assert!(!Event::default().is_set());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// Sets the event and wakes every task waiting for it.
    ///
    /// Setting an event that is already set does nothing. Callable from any
    /// thread, inside or outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use async_patterns::event::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let event = Arc::new(Event::new());
    /// let waiters: Vec<_> = (0..3)
    ///     .map(|_| tokio::spawn(event.clone().wait_owned()))
    ///     .collect();
    /// std::thread::spawn({
    ///     let event = event.clone();
    ///     move || event.set()
    /// });
    /// for waiter in waiters {
    ///     waiter.await.unwrap();
    /// }
    /// # }
    /// ```
    pub fn set(&self) {
        if self.state.load(Ordering::Acquire) & SET != 0 {
            return;
        }
        let wakers = {
            let mut waiters = lock(&self.waiters);
            let state = self.state.load(Ordering::Acquire);
            if state & SET != 0 {
                return;
            }
            // Under the lock nobody else changes the generation, and `clear`
            // only turns off a bit that is off, so a plain store is exact.
            self.state.store(
                (state | SET).wrapping_add(GENERATION_ONE),
                Ordering::Release,
            );
            let mut wake = WakeList::new();
            waiters.notify_all(SlotState::Notified, &mut wake);
            wake
        };
        // Woken outside the lock: a waker may run arbitrary code.
        wakers.wake();
    }

    /// Clears the event: later [`wait`](Self::wait) futures wait for the
    /// next [`set`](Self::set).
    ///
    /// Futures created before the `clear` that saw (or were woken by) an
    /// earlier `set` still complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::event::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let event = Event::new();
    /// let early = event.wait();
    /// event.set();
    /// event.clear();
    /// early.await; // the set it was created before still counts
    /// assert!(!event.is_set());
    /// # }
    /// ```
    pub fn clear(&self) {
        self.state.fetch_and(!SET, Ordering::Release);
    }

    /// Whether the event is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::event::Event;
    ///
    /// let event = Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    #[must_use]
    #[inline]
    pub fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Waits until the event is set.
    ///
    /// The returned future completes if the event is set when it is created
    /// or polled, or was set at any point after it was created, even if it
    /// was cleared again before the future was polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::event::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let event = Event::new();
    /// let (_, ()) = tokio::join!(async { event.set() }, event.wait());
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future only removes its registration; no
    /// `set` is consumed, and other waiters are unaffected.
    #[inline]
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            waiter: Waiter::new(self),
        }
    }

    /// Waits until the event is set, holding an `Arc` so the future is
    /// `'static` and can be moved into a spawned task.
    ///
    /// Same semantics as [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use async_patterns::event::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let shutdown = Arc::new(Event::new());
    /// let task = tokio::spawn(shutdown.clone().wait_owned());
    /// shutdown.set();
    /// task.await.unwrap();
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`wait`](Self::wait).
    #[inline]
    pub fn wait_owned(self: Arc<Self>) -> WaitOwned {
        let waiter = Waiter::new(&self);
        WaitOwned {
            event: self,
            waiter,
        }
    }

    /// Waits until the event is set or `limit` passes; `true` if it was set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::event::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let event = Event::new();
    /// assert!(!event.wait_timeout(Duration::from_secs(1)).await);
    /// event.set();
    /// assert!(event.wait_timeout(Duration::from_secs(1)).await);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Polling the returned future panics if the event is not set yet and
    /// there is no tokio runtime with the time driver enabled, unless
    /// `limit` is too large to represent as an instant ([`Duration::MAX`]:
    /// no limit). An event already set needs no runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`wait`](Self::wait). Once it has returned `false`,
    /// it is no longer registered as a waiter, even if it is kept.
    pub fn wait_timeout(&self, limit: Duration) -> WaitTimeout<'_> {
        WaitTimeout {
            inner: timeout(limit, self.wait()),
        }
    }

    /// Number of registrations (polled waiters, including woken ones that
    /// have not completed yet), for `Debug`.
    fn waiter_count(&self) -> usize {
        lock(&self.waiters).in_use()
    }
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .field("waiters", &self.waiter_count())
            .finish()
    }
}

/// The state one waiting future keeps: the generation it waits past, and its
/// slot among the event's waiters once it has registered.
#[derive(Debug)]
struct Waiter {
    generation: u64,
    /// Set while registered; the owner removes it, also after a `set` woke
    /// it.
    slot: Option<usize>,
    done: bool,
}

impl Waiter {
    #[inline]
    fn new(event: &Event) -> Self {
        let state = event.state.load(Ordering::Acquire);
        Self {
            generation: state & !SET,
            // Created while set: complete on the first poll, whatever
            // happens in between.
            done: state & SET != 0,
            slot: None,
        }
    }

    #[inline]
    fn fired(&self, state: u64) -> bool {
        state & SET != 0 || state & !SET != self.generation
    }

    #[inline]
    fn poll(&mut self, event: &Event, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        if self.fired(event.state.load(Ordering::Acquire)) {
            // A `set` woke the registration but leaves it to its owner.
            if let Some(slot) = self.slot.take() {
                lock(&event.waiters).remove(slot);
            }
            self.done = true;
            return Poll::Ready(());
        }
        let mut waiters = lock(&event.waiters);
        // Re-check under the lock: a `set` that ran after the check above
        // has bumped the generation, and one that runs after this check will
        // find the waker registered below.
        if self.fired(event.state.load(Ordering::Acquire)) {
            if let Some(slot) = self.slot.take() {
                waiters.remove(slot);
            }
            self.done = true;
            return Poll::Ready(());
        }
        match self.slot {
            Some(slot) => waiters.set_waker(slot, cx.waker()),
            None => self.slot = Some(waiters.push_back(cx.waker(), None)),
        }
        Poll::Pending
    }

    #[inline]
    fn release(&mut self, event: &Event) {
        if let Some(slot) = self.slot.take() {
            lock(&event.waiters).remove(slot);
        }
    }
}

/// Future returned by [`Event::wait`]; completes once the event is set.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Wait<'a> {
    event: &'a Event,
    waiter: Waiter,
}

impl Future for Wait<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(this.event, cx)
    }
}

impl Drop for Wait<'_> {
    #[inline]
    fn drop(&mut self) {
        self.waiter.release(self.event);
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("event", self.event)
            .field("done", &self.waiter.done)
            .finish()
    }
}

/// Future returned by [`Event::wait_owned`]: `'static`, for spawned tasks.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WaitOwned {
    event: Arc<Event>,
    waiter: Waiter,
}

impl Future for WaitOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.event, cx)
    }
}

impl Drop for WaitOwned {
    fn drop(&mut self) {
        self.waiter.release(&self.event);
    }
}

impl fmt::Debug for WaitOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOwned")
            .field("event", &*self.event)
            .field("done", &self.waiter.done)
            .finish()
    }
}

pin_project! {
    /// Future returned by [`Event::wait_timeout`]: `true` if the event was
    /// set, `false` if the limit passed first.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct WaitTimeout<'a> {
        #[pin]
        inner: Timeout<Wait<'a>>,
    }
}

impl Future for WaitTimeout<'_> {
    type Output = bool;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        self.project().inner.poll(cx).map(|outcome| outcome.is_ok())
    }
}

impl fmt::Debug for WaitTimeout<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitTimeout")
            .field("wait", &self.inner.get_ref())
            .field("expires_at", &self.inner.expires_at())
            .finish()
    }
}
