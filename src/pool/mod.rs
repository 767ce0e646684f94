//! An async resource pool: connections, clients, buffers, anything costly
//! to create and cheap to reuse. The Python seed is an async context manager
//! (`async with pool.acquire() as conn:`).
//!
//! | Python (asyncpg, aiohttp) / deadpool, bb8 | async-patterns |
//! |---|---|
//! | `pool = Pool(create=make_conn, max_size=10)` | [`Pool::new`]`(10, make_conn)` |
//! | `async with pool.acquire() as conn:` | `let conn = pool.`[`get`](Pool::get)`().await;` (returned on drop) |
//! | `await asyncio.wait_for(pool.acquire(), 1)` | [`pool.get_timeout(d).await`](Pool::get_timeout) |
//! | "keep this one, don't return it" | [`Pooled::detach`] |
//! | "this one is broken, throw it away" | [`Pooled::evict`] |
//! | reset on release (asyncpg `reset`), bb8 `has_broken` | [`Builder::recycle`] (sync, when a guard drops) |
//! | ping before use (asyncpg `setup`, bb8 `test_on_check_out`, deadpool `recycle`) | [`Builder::validate`] (async, before an idle object is handed out) |
//! | `max_inactive_connection_lifetime`, bb8 `idle_timeout`, `max_lifetime` | [`Builder::idle_timeout`], [`Builder::max_lifetime`], [`Pool::evict_expired`] |
//! | `pool.terminate()` / `await pool.close()` | [`Pool::close`] (returns the idle objects) / [`Pool::drain`]`().await` (also waits for the checked-out ones) |
//!
//! Not provided: wait statistics and a background reaper task (call
//! [`evict_expired`](Pool::evict_expired) from a timer), a minimum of warm
//! objects (call [`get`](Pool::get) `n` times at start-up and drop the
//! guards), per-key pools (one `Pool` per key in a map).
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
//! # Lifecycle
//!
//! A [`Builder`] ([`Pool::builder`]) adds hooks and limits. An object that
//! comes back first goes through [`recycle`](Builder::recycle) and the
//! [`max_lifetime`](Builder::max_lifetime) check, and is dropped if either
//! says so; an idle object about to be handed out is checked against
//! `max_lifetime` and [`idle_timeout`](Builder::idle_timeout) and then
//! [`validate`](Builder::validate)d, and a `get` that drops one moves on to
//! the next idle object or the factory. Dropping an object always frees its
//! place, so the pool never shrinks for good.
//!
//! Rust has no async `Drop`, so a pool cannot `await conn.close()` for you.
//! Shut down explicitly: [`close`](Pool::close) returns the idle objects,
//! [`drain`](Pool::drain) also waits for the checked-out ones, and you run
//! the async cleanup on each.
//!
//! # The `async with` shape: a scope function
//!
//! For one resource with an async cleanup (`async with connect(dsn) as db:`),
//! write a function that takes the body as an async closure and runs the
//! cleanup after it. The cleanup runs when the body finishes or fails; if the
//! whole future is dropped (cancelled) only `Drop` runs, so keep what must
//! happen in `Drop` and what is polite (a goodbye message) in the cleanup.
//!
//! ```
//! struct Db {
//!     queries: u32,
//! }
//!
//! impl Db {
//!     async fn connect(_dsn: &str) -> Db {
//!         Db { queries: 0 }
//!     }
//!     async fn close(self) -> u32 {
//!         self.queries // e.g. send a goodbye and wait for the server
//!     }
//! }
//!
//! async fn with_connection<R>(dsn: &str, body: impl AsyncFnOnce(&mut Db) -> R) -> (R, u32) {
//!     let mut db = Db::connect(dsn).await;
//!     let out = body(&mut db).await; // `__aenter__` .. `__aexit__`
//!     (out, db.close().await)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (rows, closed_after) = with_connection("postgres://", async |db| {
//!     db.queries += 1;
//!     vec!["row"]
//! })
//! .await;
//! assert_eq!((rows, closed_after), (vec!["row"], 1));
//! # }
//! ```
//!
//! With a pool, the same function gets a guard instead
//! (`let mut db = pool.get().await; body(&mut db).await`) and the object
//! goes back when the guard drops, cancelled or not.
//!
//! # Runnable examples
//!
//! The `tour` (`cargo run --example tour`, section 13): five queries sharing
//! two lazily opened connections, a broken one evicted by `validate`, and a
//! graceful `drain` that closes each connection.

mod future;
mod lifecycle;
mod pooled;
mod stats;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::loom::lock_std;

pub use future::{Get, GetTimeout};
pub use lifecycle::{Builder, Drain};
pub use pooled::Pooled;
pub use stats::PoolStats;

use self::stats::Counters;

use lifecycle::{Idle, Lifecycle};

type Factory<T> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = T> + Send>> + Send + Sync>;

/// A pool of at most `max_size` reusable objects made by an async factory.
///
/// `Clone` is cheap and shares the pool. See the [module docs](self), and
/// its [lifecycle](self#lifecycle) section for hooks, limits and shutdown.
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
    /// while warm). An idle object holds no permit.
    idle: Mutex<Vec<Idle<T>>>,
    max_size: usize,
    lifecycle: Lifecycle<T>,
    /// Woken when a place is freed in a closed pool (for `drain`).
    returned: Notify,
    /// Counters for `stats()`.
    counters: Counters,
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
        Self::builder(max_size, factory).build()
    }

    /// A [`Builder`] for a pool of at most `max_size` objects made by
    /// `factory`, to add hooks and limits: [`recycle`](Builder::recycle)
    /// when an object comes back, [`validate`](Builder::validate) before one
    /// is handed out, [`max_lifetime`](Builder::max_lifetime),
    /// [`idle_timeout`](Builder::idle_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::builder(8, || async { String::new() })
    ///     .recycle(|s| {
    ///         s.clear();
    ///         true
    ///     })
    ///     .max_lifetime(Duration::from_secs(30 * 60))
    ///     .idle_timeout(Duration::from_secs(5 * 60))
    ///     .build();
    /// pool.get().await.push_str("scratch");
    /// assert_eq!(*pool.get().await, "");
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    #[track_caller]
    pub fn builder<F, Fut>(max_size: usize, factory: F) -> Builder<T>
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
        Builder {
            max_size,
            factory: Box::new(move || Box::pin(factory())),
            lifecycle: Lifecycle::default(),
        }
    }

    fn from_builder(builder: Builder<T>) -> Self {
        Self {
            shared: Arc::new(Shared {
                factory: builder.factory,
                permits: Semaphore::new(builder.max_size),
                idle: Mutex::new(Vec::new()),
                max_size: builder.max_size,
                lifecycle: builder.lifecycle,
                returned: Notify::new(),
                counters: Counters::default(),
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
    /// # Panics
    ///
    /// If the pool is [closed](Self::close) before or while the future waits
    /// for its turn (`get` keeps its infallible signature; a closed pool is
    /// the end of the program's use of it, so check
    /// [`is_closed`](Self::is_closed) or use [`try_get`](Self::try_get) where
    /// a late caller is expected).
    ///
    /// A panic in the factory (or in the future it returned) comes out of
    /// the `get` that ran it. The place that object was to fill is freed as
    /// the panic unwinds, so the pool does not shrink: the next `get` runs
    /// the factory again.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while it waits gives up its place in
    /// line and takes nothing from the pool. Dropping it while the factory
    /// runs drops the half-made object's future (and so the object); while
    /// [`validate`](Builder::validate) runs, the object being checked.
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
    /// `limit` (the limit includes the time the factory takes). The poll
    /// that returns the error also gives up the place in line (or drops
    /// the object being made), even if the future is kept afterwards.
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get): on a closed pool, and for a panicking factory.
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
        let (object, created) = self.shared.take_idle()?;
        permit.forget();
        Counters::bump(&self.shared.counters.checkouts);
        Some(Pooled::new(self.shared.clone(), object, created))
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

    /// A snapshot of the pool's counters and gauges, shared by every clone;
    /// see [`PoolStats`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::new(1, || async { 0_u8 });
    /// let held = pool.get().await;
    /// assert!(pool.get_timeout(Duration::from_millis(10)).await.is_err());
    /// let stats = pool.stats();
    /// assert_eq!((stats.checkouts, stats.timed_out, stats.in_use), (1, 1, 1));
    /// # drop(held);
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        self.shared
            .counters
            .snapshot(self.max_size(), self.in_use(), self.idle())
    }
}

impl<T> Shared<T> {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle<T>>> {
        // No user code runs under this lock (objects are dropped after it).
        lock_std(&self.idle)
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
