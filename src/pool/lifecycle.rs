//! What happens to an object between the factory and its drop: the hooks and
//! limits a [`Builder`] sets, checked when an object comes back and before
//! it is handed out, and closing and draining the pool.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use super::{Pool, Pooled, Shared};

type Recycle<T> = Box<dyn Fn(&mut T) -> bool + Send + Sync>;
type Validate<T> = Box<dyn Fn(T) -> Pin<Box<dyn Future<Output = Option<T>> + Send>> + Send + Sync>;

/// The hooks and limits of a pool; all optional.
pub(super) struct Lifecycle<T> {
    recycle: Option<Recycle<T>>,
    validate: Option<Validate<T>>,
    max_lifetime: Option<Duration>,
    idle_timeout: Option<Duration>,
}

impl<T> Default for Lifecycle<T> {
    fn default() -> Self {
        Self {
            recycle: None,
            validate: None,
            max_lifetime: None,
            idle_timeout: None,
        }
    }
}

/// An object waiting in the pool.
pub(super) struct Idle<T> {
    object: T,
    created: Instant,
    since: Instant,
}

impl<T> Lifecycle<T> {
    fn too_old(&self, created: Instant, now: Instant) -> bool {
        self.max_lifetime
            .is_some_and(|limit| now.saturating_duration_since(created) >= limit)
    }

    fn expired(&self, idle: &Idle<T>, now: Instant) -> bool {
        self.too_old(idle.created, now)
            || self
                .idle_timeout
                .is_some_and(|limit| now.saturating_duration_since(idle.since) >= limit)
    }

    fn has_limits(&self) -> bool {
        self.max_lifetime.is_some() || self.idle_timeout.is_some()
    }
}

/// Frees one place in the pool when dropped, also during a panic in a hook.
struct ReleaseOnDrop<'a, T>(&'a Shared<T>);

impl<T> Drop for ReleaseOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.release_place();
    }
}

impl<T> Shared<T> {
    /// Moves the expired idle objects out, to be dropped after the lock.
    fn split_expired(&self, idle: &mut Vec<Idle<T>>, now: Instant) -> Vec<Idle<T>> {
        if !self.lifecycle.has_limits() {
            return Vec::new();
        }
        let (dead, live) = mem::take(idle)
            .into_iter()
            .partition(|entry| self.lifecycle.expired(entry, now));
        *idle = live;
        dead
    }

    /// The most recently returned idle object that has not expired, with its
    /// creation time; drops the expired ones (outside the lock).
    pub(super) fn take_idle(&self) -> Option<(T, Instant)> {
        let now = Instant::now();
        let (found, dead) = {
            let mut idle = self.lock_idle();
            let dead = self.split_expired(&mut idle, now);
            (idle.pop(), dead)
        };
        drop(dead);
        found.map(|entry| (entry.object, entry.created))
    }

    /// Runs the recycle hook and the lifetime check on a returned object,
    /// keeps it if both pass, and frees its place in that order (so a waiter
    /// woken by the place finds the object). A panicking hook still frees
    /// the place; the object is dropped.
    pub(super) fn put_back(&self, mut object: T, created: Instant) {
        let _release = ReleaseOnDrop(self);
        let now = Instant::now();
        let keep = !self.lifecycle.too_old(created, now)
            && self
                .lifecycle
                .recycle
                .as_ref()
                .is_none_or(|f| f(&mut object));
        let (kept, rejected) = if keep {
            (Some(object), None)
        } else {
            (None, Some(object))
        };
        let dead = {
            let mut idle = self.lock_idle();
            if let Some(object) = kept {
                idle.push(Idle {
                    object,
                    created,
                    since: now,
                });
            }
            self.split_expired(&mut idle, now)
        };
        drop((rejected, dead));
    }

    /// Frees the place of an object that left the pool, and tells a
    /// [`Drain`] waiting for it. Only a closed pool notifies: the
    /// semaphore's `CLOSED` bit and its permit count share one atomic, so a
    /// release that follows `close` sees it, and one that precedes it is
    /// counted by the drain's check.
    pub(super) fn release_place(&self) {
        self.permits.add_permits(1);
        if self.permits.is_closed() {
            self.returned.notify_waiters();
        }
    }

    /// Checks an object out, for a caller that holds a place: the newest
    /// idle one that has not expired and that `validate` accepts, or a new
    /// one from the factory.
    pub(super) async fn checkout(&self) -> (T, Instant) {
        while let Some((object, created)) = self.take_idle() {
            let Some(validate) = &self.lifecycle.validate else {
                return (object, created);
            };
            if let Some(object) = validate(object).await {
                return (object, created);
            }
        }
        let object = (self.factory)().await;
        super::stats::Counters::bump(&self.counters.created);
        (object, Instant::now())
    }

    fn in_use(&self) -> usize {
        self.max_size - self.permits.available_permits()
    }

    fn take_all_idle(&self) -> Vec<T> {
        let idle = mem::take(&mut *self.lock_idle());
        idle.into_iter().map(|entry| entry.object).collect()
    }
}

/// Builds a [`Pool`] with hooks and limits; from [`Pool::builder`].
///
/// # Default
///
/// No hooks, no limits: objects live until they are detached or the pool is
/// dropped, as with [`Pool::new`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<T> {
    pub(super) max_size: usize,
    pub(super) factory: super::Factory<T>,
    pub(super) lifecycle: Lifecycle<T>,
}

impl<T: Send + 'static> Builder<T> {
    /// Runs `recycle` on every object that comes back (when its [`Pooled`]
    /// guard drops): reset its state, and return `false` to drop it instead
    /// (a connection left in a failed transaction, a buffer grown too big).
    ///
    /// It runs synchronously inside the guard's drop, on whichever thread
    /// drops it: keep it short and non-blocking. For async checks use
    /// [`validate`](Self::validate). If it panics, the object is dropped and
    /// its place freed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::builder(2, || async { Vec::<u8>::with_capacity(64) })
    ///     .recycle(|buffer| {
    ///         buffer.clear();
    ///         buffer.capacity() <= 1024 // drop buffers that grew too big
    ///     })
    ///     .build();
    /// pool.get().await.extend_from_slice(b"hello");
    /// assert!(pool.get().await.is_empty()); // cleared on return
    /// pool.get().await.resize(4096, 0);
    /// assert_eq!(pool.idle(), 0); // too big: dropped on return
    /// # }
    /// ```
    pub fn recycle<F>(mut self, recycle: F) -> Self
    where
        F: Fn(&mut T) -> bool + Send + Sync + 'static,
    {
        self.lifecycle.recycle = Some(Box::new(recycle));
        self
    }

    /// Runs `validate` on an idle object before [`get`](Pool::get) hands it
    /// out (a ping): it gives the object back to hand it out, or `None` to
    /// drop it, and the `get` tries the next idle object or the factory.
    /// Not run on objects the factory just made, nor by
    /// [`try_get`](Pool::try_get), which never waits.
    ///
    /// A `get` dropped while `validate` runs drops the object being checked.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// struct Conn {
    ///     open: bool,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::builder(1, || async { Conn { open: true } })
    ///     .validate(|conn: Conn| async move { conn.open.then_some(conn) })
    ///     .build();
    /// pool.get().await.open = false; // the server hung up
    /// assert!(pool.get().await.open); // the broken one was replaced
    /// # }
    /// ```
    pub fn validate<F, Fut>(mut self, validate: F) -> Self
    where
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<T>> + Send + 'static,
    {
        self.lifecycle.validate = Some(Box::new(move |object| Box::pin(validate(object))));
        self
    }

    /// Drops objects older than `limit` (since the factory made them): when
    /// they come back, and instead of handing them out. One in use is never
    /// taken away from its user.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::builder(1, || async { tokio::time::Instant::now() })
    ///     .max_lifetime(Duration::from_secs(60))
    ///     .build();
    /// let first = *pool.get().await;
    /// tokio::time::sleep(Duration::from_secs(61)).await;
    /// assert_ne!(*pool.get().await, first); // a fresh one
    /// # }
    /// ```
    pub fn max_lifetime(mut self, limit: Duration) -> Self {
        self.lifecycle.max_lifetime = Some(limit);
        self
    }

    /// Drops objects that sat idle for `limit`. Checked whenever the pool is
    /// used ([`get`](Pool::get), [`try_get`](Pool::try_get), a return) and
    /// by [`evict_expired`](Pool::evict_expired), which a quiet service can
    /// call from a timer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::builder(4, || async { () })
    ///     .idle_timeout(Duration::from_secs(30))
    ///     .build();
    /// drop(pool.get().await);
    /// tokio::time::sleep(Duration::from_secs(30)).await;
    /// assert_eq!(pool.evict_expired(), 1);
    /// assert_eq!(pool.idle(), 0);
    /// # }
    /// ```
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.lifecycle.idle_timeout = Some(limit);
        self
    }

    /// The pool.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// let pool = Pool::builder(3, || async { 0u8 }).build();
    /// assert_eq!(pool.max_size(), 3);
    /// ```
    #[must_use]
    pub fn build(self) -> Pool<T> {
        Pool::from_builder(self)
    }
}

impl<T> fmt::Debug for Builder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_size", &self.max_size)
            .field("recycle", &self.lifecycle.recycle.is_some())
            .field("validate", &self.lifecycle.validate.is_some())
            .field("max_lifetime", &self.lifecycle.max_lifetime)
            .field("idle_timeout", &self.lifecycle.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl<T: Send> Pool<T> {
    /// Closes the pool and returns its idle objects, for an async cleanup
    /// (`conn.close().await`) that no `Drop` can run.
    ///
    /// From now on [`get`](Self::get) panics (also one waiting in line),
    /// [`try_get`](Self::try_get) returns `None`, and objects still checked
    /// out stay idle when they come back, for [`drain`](Self::drain) or a
    /// later `close` to collect. Closing twice is harmless.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(2, || async { String::from("conn") });
    /// drop(pool.get().await);
    /// let idle = pool.close();
    /// assert_eq!(idle, ["conn"]);
    /// assert!(pool.is_closed() && pool.try_get().is_none());
    /// # }
    /// ```
    pub fn close(&self) -> Vec<T> {
        self.shared.permits.close();
        self.shared.take_all_idle()
    }

    /// Whether [`close`](Self::close) or [`drain`](Self::drain) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// let pool = Pool::new(1, || async { () });
    /// assert!(!pool.is_closed());
    /// let _ = pool.close();
    /// assert!(pool.is_closed());
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.permits.is_closed()
    }

    /// Closes the pool, waits until every checked-out object is back (or
    /// detached), and returns all of them: the graceful shutdown, before an
    /// async cleanup of each.
    ///
    /// Objects a `get` is still creating or validating count as checked out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::new(2, || async { String::from("conn") });
    /// let busy = pool.get().await;
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     drop(busy); // the last query finishes
    /// });
    /// for conn in pool.drain().await {
    ///     assert_eq!(conn, "conn"); // e.g. `conn.close().await?`
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the pool stays closed, and the objects stay in it for a
    /// later `drain` or [`close`](Self::close).
    pub fn drain(&self) -> Drain<'_, T> {
        let shared = &*self.shared;
        shared.permits.close();
        Drain {
            inner: Box::pin(async move {
                loop {
                    let mut returned = pin!(shared.returned.notified());
                    returned.as_mut().enable();
                    if shared.in_use() == 0 {
                        return shared.take_all_idle();
                    }
                    returned.await;
                }
            }),
        }
    }

    /// Drops the idle objects past their [`idle_timeout`](Builder::idle_timeout)
    /// or [`max_lifetime`](Builder::max_lifetime) now, and says how many.
    /// The pool also does it whenever it is used; this is for a pool that
    /// may sit unused (call it from a timer).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = Pool::builder(2, || async { () })
    ///     .max_lifetime(Duration::from_secs(60))
    ///     .build();
    /// drop(pool.get().await);
    /// assert_eq!(pool.evict_expired(), 0);
    /// tokio::time::sleep(Duration::from_secs(60)).await;
    /// assert_eq!(pool.evict_expired(), 1);
    /// # }
    /// ```
    pub fn evict_expired(&self) -> usize {
        let dead = {
            let mut idle = self.shared.lock_idle();
            self.shared.split_expired(&mut idle, Instant::now())
        };
        dead.len()
    }
}

/// Future returned by [`Pool::drain`]; resolves to every object of the
/// pool once none is checked out.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Drain<'a, T> {
    inner: Pin<Box<dyn Future<Output = Vec<T>> + Send + 'a>>,
}

impl<T> Future for Drain<'_, T> {
    type Output = Vec<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        self.inner.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain").finish_non_exhaustive()
    }
}

impl<T> Pooled<T> {
    /// Drops the object instead of returning it (it is broken: a closed
    /// connection) and frees its place; the next [`get`](Pool::get) may
    /// create a replacement.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::pool::Pool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = Pool::new(1, || async { String::from("conn") });
    /// let conn = pool.get().await;
    /// conn.evict();
    /// assert_eq!((pool.in_use(), pool.idle()), (0, 0));
    /// # }
    /// ```
    pub fn evict(self) {
        drop(self.detach());
    }
}
