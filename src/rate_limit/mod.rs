//! A fair, shared rate limiter: `aiolimiter.AsyncLimiter`, done as a
//! cloneable handle with exact pacing.
//!
//! [`RateLimiter::new(n, per)`](RateLimiter::new) lets `n` permits through
//! per `per` on average, and at most [`burst`](RateLimiter::burst) of them
//! back to back (the default burst of 1 paces evenly: one permit every
//! `per / n`). Clones share one limit, so hand a clone to every task that
//! talks to the same server.
//!
//! | aiolimiter | async-patterns |
//! |---|---|
//! | `limiter = AsyncLimiter(10, 1)` | `let limiter = RateLimiter::per_second(10).burst(10);` |
//! | `async with limiter:` | `limiter.acquire().await;` |
//! | `await limiter.acquire(5)` | `limiter.acquire_n(5).await?` |
//! | `limiter.has_capacity()` | `limiter.try_acquire().is_ok()` (and it takes the permit) |
//! | (none) | `limiter.pause_for(retry_after)` after an HTTP 429 |
//!
//! Not provided, use instead: a limit on requests *in flight* rather than
//! per second → [`executor::gather`](crate::executor::gather) or a
//! `tokio::sync::Semaphore`; one limit per host → one `RateLimiter` per key
//! in a map you own.
//!
//! Differences that matter in production:
//!
//! - **Fair.** Waiters are served strictly first come, first served; a
//!   caller that asks for many permits is not starved by callers that ask
//!   for one, and [`try_acquire`](RateLimiter::try_acquire) never overtakes
//!   a queued waiter.
//! - **No thundering herd.** Only the timer of the waiter at the front of
//!   the queue fires; when it gets its permit it wakes exactly the next
//!   one. The waiters behind it hold backup timers that fire only if the
//!   line stalls.
//! - **No stalled line.** A waiter whose task stops polling it (a lost
//!   `select!` branch, a future parked in a struct) is served in its turn
//!   all the same, and the line moves on: see
//!   [`acquire`](RateLimiter::acquire).
//! - **Exact.** The limiter is a GCRA (generic cell rate algorithm, the
//!   "virtual scheduling" form of a token bucket) on a single atomic, so the
//!   achieved rate matches the configured one and the uncontended
//!   [`try_acquire`](RateLimiter::try_acquire) is a lock-free
//!   compare-and-swap. Racing callers never share a permit (loom-checked);
//!   each is judged by the time it read the clock, so one that read it just
//!   before another's take may be refused a few nanoseconds early: the
//!   error is always on the side of the limit, and the permit stays there.
//! - **Errors instead of hangs.** Asking for more permits at once than the
//!   burst can ever allow is an [`InsufficientCapacity`] error.
//! - **Cancel safe.** A dropped waiter gives its place in the queue up and
//!   takes nothing from the rate.
//! - It runs on tokio's clock ([`tokio::time::Instant`]) by default, so
//!   tests on a paused clock are exact and instant. Reading that clock is
//!   most of what a check costs; with feature `fast-clock`,
//!   [`.clock(LimiterClock::fast())`](RateLimiter::clock) reads the CPU's
//!   counter instead (governor's clock), for hot paths whose tests do not
//!   pause time (see [`LimiterClock`]).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::rate_limit::RateLimiter;
//! use tokio::time::Instant;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let limiter = RateLimiter::per_second(5);
//! let start = Instant::now();
//! for _ in 0..10 {
//!     limiter.acquire().await;
//! }
//! // The first permit is free, then one every 200 ms.
//! assert_eq!(start.elapsed(), Duration::from_millis(1800));
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `rate_limit` (`cargo run --example rate_limit`): 20 requests at 5 per second;
//! - `crawler` (`cargo run --example crawler`): one limiter shared by every task, paused on a 429;
//! - `tour` (`cargo run --example tour`): the same against an in-memory site.

mod clock;
mod error;
mod future;
mod gcra;
mod hashed;
mod keyed;
mod keyed_stats;
mod line;
mod stats;
mod tally;
mod within;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use clock::LimiterClock;
pub use error::{InsufficientCapacity, NotUntil};
pub use future::{Acquire, AcquireN, AcquireOwned};
pub use keyed::{KeyedAcquire, KeyedRateLimiter};
#[cfg(feature = "redis")]
pub(crate) use stats::Counters;
pub use stats::LimiterStats;
pub use within::AcquireWithin;

use self::clock::Timebase;
use self::gcra::Inner;

/// A rate limiter shared by all its clones.
///
/// See the [module docs](self) for the algorithm and the guarantees.
///
/// Runnable example: `rate_limit` (`cargo run --example rate_limit`),
/// 20 requests at 5 per second.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::rate_limit::RateLimiter;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // 100 requests per minute, at most 10 back to back.
/// let limiter = RateLimiter::new(100, Duration::from_secs(60)).burst(10);
/// let mut tasks = Vec::new();
/// for i in 0..20 {
///     let limiter = limiter.clone();
///     tasks.push(tokio::spawn(async move {
///         limiter.acquire().await;
///         i
///     }));
/// }
/// for task in tasks {
///     task.await.unwrap();
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

impl RateLimiter {
    /// A limiter that grants `permits` permits per `per`, evenly spaced
    /// (burst 1; see [`burst`](Self::burst)).
    ///
    /// The permit interval `per / permits` is kept in whole nanoseconds, so
    /// rates above 10⁹ per second are rounded down to that.
    ///
    /// tokio's timers tick in whole milliseconds. A queued waiter that its
    /// timer wakes late is credited with that lateness (at most one
    /// millisecond), so the rate holds for intervals that are not whole
    /// milliseconds, and rates above 1,000 per second are reached by queued
    /// waiters in per-millisecond batches. A single caller acquiring in a
    /// loop is slowed by the tick at such rates unless the burst allows more.
    ///
    /// # Panics
    ///
    /// If `permits` is 0 or `per` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::new(3, Duration::from_secs(1));
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_err());
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(permits: u32, per: Duration) -> Self {
        assert!(permits > 0, "RateLimiter::new: permits must be at least 1");
        assert!(
            !per.is_zero(),
            "RateLimiter::new: the period must not be zero"
        );
        Self {
            inner: Arc::new(Inner::new(
                Inner::interval_of(permits, per),
                Timebase::new(LimiterClock::Tokio),
            )),
        }
    }

    /// A limiter that grants `permits` permits per second, evenly spaced.
    ///
    /// # Panics
    ///
    /// If `permits` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::per_second(20);
    /// assert_eq!(limiter.interval(), Duration::from_millis(50));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn per_second(permits: u32) -> Self {
        assert!(
            permits > 0,
            "RateLimiter::per_second: permits must be at least 1"
        );
        Self::new(permits, Duration::from_secs(1))
    }

    /// Lets up to `burst` permits through back to back after a quiet
    /// period, without changing the average rate.
    ///
    /// This changes the limit shared by every clone; call it while building
    /// the limiter.
    ///
    /// # Default
    ///
    /// 1: permits are evenly spaced, one every `per / permits`. A new
    /// limiter starts with its whole burst available.
    ///
    /// # Panics
    ///
    /// If `burst` is 0, or if `burst` × [`interval`](Self::interval) is
    /// longer than the limiter can count (`u64::MAX` nanoseconds, about 584
    /// years; `RateLimiter::new(1, 1 day).burst(1_000_000)`, say): such a
    /// limiter could not grant its whole burst.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::per_second(10).burst(3);
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_err());
    /// ```
    #[track_caller]
    #[must_use]
    pub fn burst(self, burst: u32) -> Self {
        assert!(
            burst > 0,
            "RateLimiter::burst: the burst must be at least 1"
        );
        assert!(
            self.inner.set_burst(burst),
            "RateLimiter::burst: burst × interval ({burst} × {:?}) exceeds u64::MAX nanoseconds (about 584 years)",
            self.interval()
        );
        self
    }

    /// Reads `clock` instead of tokio's: see [`LimiterClock`] for the trade
    /// (with feature `fast-clock`, [`LimiterClock::fast`] halves the cost
    /// of a check but does not follow `tokio::time::pause`).
    ///
    /// Call it while building the limiter: it returns a fresh limiter (whole
    /// burst available, counters at zero) with the same rate and burst,
    /// which clones made before do not share.
    ///
    /// # Default
    ///
    /// [`LimiterClock::Tokio`].
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::{LimiterClock, RateLimiter};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // The default clock: a paused tokio clock drives the limiter.
    /// let limiter = RateLimiter::per_second(10).burst(2).clock(LimiterClock::Tokio);
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_err());
    /// tokio::time::sleep(limiter.interval()).await;
    /// assert!(limiter.try_acquire().is_ok());
    /// # }
    /// ```
    #[must_use]
    pub fn clock(self, clock: LimiterClock) -> Self {
        let old = &*self.inner;
        let inner = Inner::new(old.interval_nanos(), Timebase::new(clock));
        let fits = inner.set_burst(old.burst());
        debug_assert!(fits, "the burst fitted with the same interval");
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Waits for one permit and takes it.
    ///
    /// Waiters are served in the order they first polled this future.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe. If the future is dropped before it completes, no permit
    /// is taken and its place in the queue is given up: the waiter behind it
    /// moves up, and the capacity it was waiting for goes to others.
    ///
    /// What a stalled waiter gets: a future that is neither polled nor
    /// dropped when its turn comes (its task is busy elsewhere) does not
    /// hold up the line. About a millisecond after its turn, the next waiter
    /// that polls (woken by its backup timer), or a
    /// [`try_acquire`](Self::try_acquire), serves it: its permit is taken
    /// for it then, and waits for it. Its next poll completes at once;
    /// dropped instead, the permit is spent. Waiters that keep polling are
    /// served in their order either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(2);
    /// let start = Instant::now();
    /// limiter.acquire().await;
    /// limiter.acquire().await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(500));
    /// # }
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire::new(self)
    }

    /// Waits for one permit and takes it, unless the permit cannot come
    /// before the ambient [`Deadline`](crate::timeout::Deadline) (the one
    /// [`Deadline::scope`](crate::timeout::Deadline::scope) sets): then it
    /// fails at once instead of sleeping into the deadline.
    ///
    /// The limiter knows when its next permit is due, counting the waiters
    /// already queued, so a caller whose budget ends before that learns it
    /// on the first poll and can shed the request, try elsewhere, or answer
    /// "busy". A wait that looked feasible is still cut off at the deadline
    /// (a [`pause_for`](Self::pause_for) may push the permit back). Outside
    /// any scope this is [`acquire`](Self::acquire) that never fails.
    ///
    /// # Errors
    ///
    /// [`Elapsed`](crate::timeout::Elapsed) (with the budget that was left as
    /// its limit) if the earliest permit is due after the ambient deadline,
    /// or the deadline passes while waiting. No permit is taken then.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire): dropped or failed, it
    /// takes no permit and gives its place in the queue up.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use async_patterns::timeout::Deadline;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(1);
    /// let start = Instant::now();
    /// let budget = Deadline::after(Duration::from_millis(500));
    /// let outcome = budget
    ///     .scope(async {
    ///         limiter.acquire_within().await.unwrap(); // the first one is free
    ///         limiter.acquire_within().await // due in 1 s: past the budget
    ///     })
    ///     .await
    ///     .unwrap();
    /// assert!(outcome.is_err());
    /// assert_eq!(start.elapsed(), Duration::ZERO); // it did not sleep
    /// # }
    /// ```
    pub fn acquire_within(&self) -> AcquireWithin<'_> {
        AcquireWithin::new(self)
    }

    /// Like [`acquire`](Self::acquire), for a future that owns a clone of
    /// the limiter (`'static`, to spawn it or store it in a stream).
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire): nothing is taken and the queue
    /// place is given up; a stalled waiter is served in its turn.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10);
    /// tokio::spawn(limiter.clone().acquire_owned()).await.unwrap();
    /// # }
    /// ```
    pub fn acquire_owned(self) -> AcquireOwned {
        AcquireOwned::new(self)
    }

    /// Waits until `n` permits are available at once and takes them all.
    ///
    /// `n == 0` succeeds at once. A request for `n` permits waits its turn
    /// in the same FIFO queue as everyone else; callers behind it wait too,
    /// so a large request is never starved by small ones.
    ///
    /// # Errors
    ///
    /// [`InsufficientCapacity`] at once if `n` is larger than the burst (it
    /// could never be granted).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future takes no permits and gives its queue
    /// place up. A stalled one is served in its turn, like
    /// [`acquire`](Self::acquire): its `n` permits are taken
    /// for it and wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10).burst(5);
    /// let start = Instant::now();
    /// limiter.acquire_n(5).await.unwrap();
    /// limiter.acquire_n(5).await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_millis(500));
    /// assert!(limiter.acquire_n(6).await.is_err());
    /// # }
    /// ```
    pub fn acquire_n(&self, n: u32) -> AcquireN<'_> {
        AcquireN::new(self, n)
    }

    /// Takes one permit if one is available now, without waiting.
    ///
    /// Lock-free. It never overtakes a queued waiter: while anyone is
    /// waiting in [`acquire`](Self::acquire), it fails. (With waiters
    /// queued it takes the queue's lock, to serve a stalled one whose turn
    /// is overdue first.)
    ///
    /// # Errors
    ///
    /// [`NotUntil`] when no permit is available; it tells when one will be
    /// at the earliest (behind the queued waiters).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(10);
    /// assert!(limiter.try_acquire().is_ok());
    /// let err = limiter.try_acquire().unwrap_err();
    /// assert_eq!(err.wait(), Duration::from_millis(100));
    /// tokio::time::sleep(err.wait()).await;
    /// assert!(limiter.try_acquire().is_ok());
    /// # }
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<(), NotUntil> {
        let taken = self.take_now();
        if taken.is_err() {
            self.inner.count_refused();
        }
        taken
    }

    /// `try_acquire` without counting a refusal (its callers decide whether
    /// one is).
    #[inline(always)]
    pub(crate) fn take_now(&self) -> Result<(), NotUntil> {
        let inner = &*self.inner;
        // One clock read per call; `NotUntil` turns its nanoseconds into an
        // `Instant` only if asked.
        let now = inner.now();
        let taken = if inner.has_waiters() {
            inner.try_take_behind_line(now)
        } else {
            inner.try_take_one(now)
        };
        let Err(earliest) = taken else {
            inner.count_granted(1);
            return Ok(());
        };
        Err(NotUntil::new(inner.origin(), earliest))
    }

    /// A snapshot of the limiter's counters and gauges, shared by every
    /// clone; see [`LimiterStats`].
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::per_second(100).burst(2);
    /// let clone = limiter.clone();
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(clone.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_err());
    /// let stats = clone.stats();
    /// assert_eq!((stats.granted, stats.refused, stats.waiting), (2, 1, 0));
    /// ```
    #[must_use]
    pub fn stats(&self) -> LimiterStats {
        let waiting = crate::loom::lock(&self.inner.line).in_use();
        self.inner.counters.snapshot(self.inner.tallies(), waiting)
    }

    /// Holds every permit back for `d` from now, for all clones: what to do
    /// with a server's `Retry-After` after an HTTP 429.
    ///
    /// Afterwards permits flow again at the steady rate (one at the end of
    /// the pause, then one per interval); the burst refills as usual during
    /// quiet time. A shorter pause than one already in force changes
    /// nothing. Queued waiters keep their order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::per_second(100);
    /// let start = Instant::now();
    /// limiter.pause_for(Duration::from_secs(2));
    /// limiter.acquire().await;
    /// assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// # }
    /// ```
    pub fn pause_for(&self, d: Duration) {
        self.inner.pause_for(d);
    }

    /// The steady-state time between two permits (`per / permits`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::new(3, Duration::from_secs(6));
    /// assert_eq!(limiter.interval(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.inner.interval()
    }

    /// The most permits that can be taken back to back.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::RateLimiter;
    ///
    /// assert_eq!(RateLimiter::per_second(10).max_burst(), 1);
    /// assert_eq!(RateLimiter::per_second(10).burst(4).max_burst(), 4);
    /// ```
    #[must_use]
    pub fn max_burst(&self) -> u32 {
        self.inner.burst()
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("interval", &self.inner.interval())
            .field("burst", &self.inner.burst())
            .finish_non_exhaustive()
    }
}
