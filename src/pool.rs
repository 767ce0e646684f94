//! An async resource pool: connections, clients, buffers, anything costly
//! to create and cheap to reuse. The Python seed is an async context manager
//! (`async with pool.acquire() as conn:`).
//!
//! | Python | async-patterns |
//! |---|---|
//! | `pool = Pool(create=make_conn, max_size=10)` | [`Pool::new`]`(10, make_conn)` |
//! | `async with pool.acquire() as conn:` | `let conn = pool.`[`get`](Pool::get)`().await;` (returned on drop) |
//! | `await asyncio.wait_for(pool.acquire(), 1)` | [`pool.get_timeout(d).await`](Pool::get_timeout) |
//! | "keep this one, don't return it" | [`Pooled::detach`] |
//!
//! At most `max_size` objects exist at once (checked out plus idle). A
//! [`get`](Pool::get) reuses an idle object if there is one, creates one with
//! the async factory if the pool is below `max_size`, and otherwise waits.
//! Waiters are served first come, first served. The guard, [`Pooled`],
//! dereferences to the object and puts it back when dropped, also when the
//! task holding it panics: scope ends are the `async with` block.
//!
//! # Examples
//!
//! ```
//! use async_patterns::pool::Pool;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let pool = Pool::new(2, || async { Vec::<u8>::with_capacity(4096) });
//! {
//!     let mut buffer = pool.get().await;
//!     buffer.extend_from_slice(b"hello");
//! } // returned here
//! assert_eq!(pool.idle(), 1);
//! let buffer = pool.get().await; // the same buffer, reused
//! assert_eq!(&buffer[..], b"hello");
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - [`tour`](https://github.com/async-patterns/async-patterns/blob/main/examples/tour/pool.rs) (`cargo run --example tour`): five queries sharing two lazily opened connections.

mod get;
mod pooled;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;

pub use get::{Get, GetTimeout};
pub use pooled::Pooled;

type Factory<T> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = T> + Send>> + Send + Sync>;

/// A pool of at most `max_size` reusable objects made by an async factory.
///
/// `Clone` is cheap and shares the pool. See the [module docs](self).
///
/// Runnable example: [`tour`](https://github.com/async-patterns/async-patterns/blob/main/examples/tour/pool.rs) (`cargo run --example tour`),
/// five queries sharing two connections.
pub struct Pool<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    factory: Factory<T>,
    /// One permit per object that may exist besides the idle ones.
    ///
    /// Invariant: `idle.len() + permits held by guards and pending gets <=
    /// max_size`, and an object is created only by a get that holds a permit
    /// and found `idle` empty. A guard pushes its object to `idle` *before*
    /// releasing its permit, so the waiter woken by that permit finds it.
    /// tokio's semaphore is FIFO and cancel safe, which gives the pool both.
    permits: Semaphore,
    /// Objects not checked out, most recently returned last (reused first,
    /// while warm).
    idle: Mutex<Vec<T>>,
    max_size: usize,
}

impl<T: Send + 'static> Pool<T> {
    /// A pool of at most `max_size` objects made by `factory`.
    ///
    /// Nothing is created up front: objects are made on demand by
    /// [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let created = Arc::new(AtomicUsize::new(0));
    /// let pool = Pool::new(4, {
    ///     let created = created.clone();
    ///     move || {
    ///         let id = created.fetch_add(1, Ordering::SeqCst);
    ///         async move { format!("connection #{id}") }
    ///     }
    /// });
    /// assert_eq!(*pool.get().await, "connection #0");
    /// assert_eq!(*pool.get().await, "connection #0"); // reused
    /// assert_eq!(created.load(Ordering::SeqCst), 1);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If `max_size` is 0 (every `get` would wait forever), or larger than
    /// [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new<F, Fut>(max_size: usize, factory: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        assert!(max_size > 0, "Pool::new: max_size must be at least 1");
        assert!(
            max_size <= Semaphore::MAX_PERMITS,
            "Pool::new: max_size must be at most {}",
            Semaphore::MAX_PERMITS
        );
        Self {
            shared: Arc::new(Shared {
                factory: Box::new(move || Box::pin(factory())),
                permits: Semaphore::new(max_size),
                idle: Mutex::new(Vec::new()),
                max_size,
            }),
        }
    }

    /// Checks an object out: an idle one, a new one if the pool is below
    /// `max_size`, or the next one returned (waiters are served in order).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(1, || async { 0u32 });
    /// let mut counter = pool.get().await;
    /// *counter += 1;
    /// drop(counter);
    /// assert_eq!(*pool.get().await, 1);
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while it waits gives up its place in
    /// line and takes nothing from the pool. Dropping it while the factory
    /// runs drops the half-made object's future (and so the object).
    ///
    /// What a stalled waiter gets: a future that is neither polled nor
    /// dropped when its turn comes is given its place in the pool all the
    /// same (one of `max_size`), and keeps it until it is polled or dropped;
    /// the waiters behind it are served from the rest, in order.
    pub fn get(&self) -> Get<'_, T> {
        Get::new(self)
    }

    /// Like [`get`](Self::get), giving up after `limit`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::new(1, || async { () });
    /// let held = pool.get().await;
    /// assert!(pool.get_timeout(Duration::from_millis(10)).await.is_err());
    /// drop(held);
    /// assert!(pool.get_timeout(Duration::from_millis(10)).await.is_ok());
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Elapsed`](crate::timeout::Elapsed) if no object could be had within
    /// `limit` (the limit includes the time the factory takes).
    ///
    /// # Cancel safety
    ///
    /// As [`get`](Self::get).
    pub fn get_timeout(&self, limit: Duration) -> GetTimeout<'_, T> {
        GetTimeout::new(self, limit)
    }

    /// An idle object, if one is free right now; never waits or creates.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(1, || async { 7 });
    /// assert!(pool.try_get().is_none()); // nothing created yet
    /// drop(pool.get().await);
    /// assert_eq!(pool.try_get().as_deref(), Some(&7));
    /// # }
    /// ```
    #[must_use]
    pub fn try_get(&self) -> Option<Pooled<T>> {
        let permit = self.shared.permits.try_acquire().ok()?;
        let object = self.shared.take_idle()?;
        permit.forget();
        Some(Pooled::new(self.shared.clone(), object))
    }
}

impl<T> Pool<T> {
    /// The most objects the pool holds at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// let pool = Pool::new(3, || async { Vec::<u8>::new() });
    /// assert_eq!(pool.max_size(), 3);
    /// ```
    #[must_use]
    pub fn max_size(&self) -> usize {
        self.shared.max_size
    }

    /// Objects waiting in the pool to be reused.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(2, || async { String::new() });
    /// assert_eq!(pool.idle(), 0); // nothing is made up front
    /// let (a, b) = (pool.get().await, pool.get().await);
    /// drop((a, b));
    /// assert_eq!(pool.idle(), 2);
    /// # }
    /// ```
    #[must_use]
    pub fn idle(&self) -> usize {
        self.shared.lock_idle().len()
    }

    /// Objects checked out (or being created) right now.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(3, || async { () });
    /// let held = pool.get().await;
    /// assert_eq!((pool.max_size(), pool.in_use(), pool.idle()), (3, 1, 0));
    /// drop(held);
    /// assert_eq!((pool.in_use(), pool.idle()), (0, 1));
    /// # }
    /// ```
    #[must_use]
    pub fn in_use(&self) -> usize {
        self.shared.max_size - self.shared.permits.available_permits()
    }
}

impl<T> Shared<T> {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        // No user code runs under this lock; poisoning cannot leave it torn.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_idle(&self) -> Option<T> {
        self.lock_idle().pop()
    }

    /// Puts an object back and frees its permit, in that order.
    fn put_back(&self, object: T) {
        self.lock_idle().push(object);
        self.permits.add_permits(1);
    }

    /// Frees the place of an object that left the pool for good.
    fn release_place(&self) {
        self.permits.add_permits(1);
    }
}

impl<T> Clone for Pool<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("max_size", &self.max_size())
            .field("in_use", &self.in_use())
            .field("idle", &self.idle())
            .finish_non_exhaustive()
    }
}
