//! [`RateLimiter`]: one rate shared by every process that opens the same
//! key; GCRA in one Lua script per decision, on the Redis server's clock.

use std::fmt;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::Script;
use tokio::time::Instant;

use self::stats::Stats;
use super::conn::{Conn, DEFAULT_TIMEOUT};
use super::{AcquireError, Call, Error, TryAcquireError};
use crate::rate_limit::{InsufficientCapacity, LimiterStats, NotUntil};

mod stats;

static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gcra.lua")));

/// A rate limit kept in Redis under one key; every handle on that key, in
/// any process, shares it. Clones share one connection and one local queue
/// of waiters.
///
/// What changes from the in-process
/// [`rate_limit::RateLimiter`](crate::rate_limit::RateLimiter):
///
/// - **Exact across machines.** Every decision runs in Redis, timed by the
///   server's `TIME`, so processes whose clocks disagree still share one
///   exact rate.
/// - **FIFO within a process, approximate across processes.** Waiters of
///   one process queue locally, first come first served, and only the one
///   at the front talks to Redis (one round trip per permit, no thundering
///   herd). Between processes, whoever reaches Redis first is served first.
/// - **A wait is a reservation.** The waiter at the front reserves its
///   permits in Redis, then sleeps until they are due; if it is dropped
///   while sleeping, the reserved permits are not given back (the error is
///   on the side of the limit).
/// - **Fallible.** Every call can fail with [`Error`] when Redis is away.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_patterns::redis::RateLimiter;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// // At most 10 requests per second to example.com, from the whole fleet.
/// let limiter = RateLimiter::open(&client, "rate:example.com", 10, Duration::from_secs(1))
///     .await
///     .unwrap();
/// for _ in 0..3 {
///     limiter.acquire().await.unwrap();
///     // fetch a page
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    shared: Arc<Shared>,
    burst: u32,
}

struct Shared {
    conn: Conn,
    key: String,
    /// Microseconds per permit (at least 1).
    interval: u64,
    /// The local queue of waiters: a fair (FIFO) lock held by the waiter
    /// that talks to Redis, for as long as it waits.
    head: tokio::sync::Mutex<()>,
    /// This process's counts (see [`RateLimiter::stats`]).
    stats: Stats,
}

/// What one run of `gcra.lua` does.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Take,
    Reserve,
    Peek,
    Pause,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Take => "take",
            Self::Reserve => "reserve",
            Self::Peek => "peek",
            Self::Pause => "pause",
        }
    }
}

impl RateLimiter {
    /// Opens the limit stored under `key`: `permits` permits per `per`,
    /// evenly spaced (burst 1; see [`burst`](Self::burst)). Every process
    /// must open a key with the same rate and burst.
    ///
    /// The permit interval `per / permits` is kept in whole microseconds.
    ///
    /// # Panics
    ///
    /// If `permits` is 0 or `per` is zero.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis cannot be reached in time.
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:api", 100, Duration::from_secs(60))
    ///     .await
    ///     .unwrap();
    /// # drop(limiter);
    /// # }
    /// ```
    #[track_caller]
    pub fn open(
        client: &redis::Client,
        key: impl Into<String>,
        permits: u32,
        per: Duration,
    ) -> Call<'_, Result<Self, Error>> {
        assert!(
            permits > 0,
            "a RateLimiter needs at least 1 permit per period"
        );
        assert!(!per.is_zero(), "a RateLimiter needs a non-zero period");
        let interval = u64::try_from(per.as_micros() / u128::from(permits))
            .unwrap_or(u64::MAX)
            .max(1);
        let key = key.into();
        Call::new(async move {
            let conn = Conn::open(client, DEFAULT_TIMEOUT).await?;
            Ok(Self {
                shared: Arc::new(Shared {
                    conn,
                    key,
                    interval,
                    head: tokio::sync::Mutex::new(()),
                    stats: Stats::default(),
                }),
                burst: 1,
            })
        })
    }

    /// Lets up to `burst` permits through back to back after a quiet spell
    /// (the average rate is unchanged).
    ///
    /// # Default
    ///
    /// 1: permits are evenly spaced.
    ///
    /// # Panics
    ///
    /// If `burst` is 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:search", 10, Duration::from_secs(1))
    ///     .await
    ///     .unwrap()
    ///     .burst(5);
    /// limiter.acquire_n(5).await.unwrap();
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn burst(mut self, burst: u32) -> Self {
        assert!(burst > 0, "a RateLimiter needs a burst of at least 1");
        self.burst = burst;
        self
    }

    /// Waits for one permit.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed; no permit was taken.
    ///
    /// # Cancel safety
    ///
    /// A waiter dropped while queued in this process gives its place up and
    /// takes nothing. One dropped after it reserved its permit in Redis
    /// (while sleeping until it is due) loses that permit.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:mail", 2, Duration::from_secs(1))
    ///     .await
    ///     .unwrap();
    /// limiter.acquire().await.unwrap();
    /// limiter.acquire().await.unwrap(); // about 500 ms later
    /// # }
    /// ```
    pub fn acquire(&self) -> Call<'_, Result<(), Error>> {
        Call::new(async move {
            match self.acquire_inner(1).await {
                Ok(()) => Ok(()),
                Err(AcquireError::Backend(e)) => Err(e),
                Err(AcquireError::InsufficientCapacity(_)) => {
                    unreachable!("one permit always fits a burst of at least 1")
                }
            }
        })
    }

    /// Waits for `n` permits at once.
    ///
    /// # Errors
    ///
    /// [`AcquireError::InsufficientCapacity`] if `n` exceeds the burst (it
    /// could never be granted); [`AcquireError::Backend`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:bytes", 1000, Duration::from_secs(1))
    ///     .await
    ///     .unwrap()
    ///     .burst(100);
    /// limiter.acquire_n(100).await.unwrap();
    /// assert!(limiter.acquire_n(101).await.is_err());
    /// # }
    /// ```
    pub fn acquire_n(&self, n: u32) -> Call<'_, Result<(), AcquireError>> {
        Call::new(self.acquire_inner(n))
    }

    async fn acquire_inner(&self, n: u32) -> Result<(), AcquireError> {
        if n > self.burst {
            self.shared.stats.refused();
            return Err(InsufficientCapacity::new(n, self.burst).into());
        }
        if n == 0 {
            return Ok(());
        }
        let started = Instant::now();
        let waiting = self.shared.stats.waiting();
        // `try_lock` fails while a waiter of ours is queued: FIFO holds.
        let (_head, queued) = match self.shared.head.try_lock() {
            Ok(head) => (head, false),
            Err(_) => (self.shared.head.lock().await, true),
        };
        let wait = self
            .decide(n, Mode::Reserve)
            .await
            .map_err(AcquireError::Backend)?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        drop(waiting);
        let waited = (queued || !wait.is_zero()).then(|| started.elapsed());
        self.shared.stats.granted(n, waited);
        Ok(())
    }

    /// Takes a permit if one is free now, without waiting. It never
    /// overtakes a waiter of this process.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NotUntil`] says how long until a permit is free
    /// (if nobody takes it first); [`TryAcquireError::Backend`] if Redis
    /// failed.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, a permit may or may not have been taken.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::{RateLimiter, TryAcquireError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:probe", 1, Duration::from_secs(1))
    ///     .await
    ///     .unwrap();
    /// limiter.try_acquire().await.unwrap();
    /// if let Err(TryAcquireError::NotUntil(n)) = limiter.try_acquire().await {
    ///     println!("come back in {:?}", n.wait());
    /// }
    /// # }
    /// ```
    pub fn try_acquire(&self) -> Call<'_, Result<(), TryAcquireError>> {
        Call::new(async move {
            let (mode, _head) = match self.shared.head.try_lock() {
                Ok(head) => (Mode::Take, Some(head)),
                // Someone of ours is waiting: do not overtake, just say when.
                Err(_) => (Mode::Peek, None),
            };
            let wait = self
                .decide(1, mode)
                .await
                .map_err(TryAcquireError::Backend)?;
            if matches!(mode, Mode::Take) && wait.is_zero() {
                self.shared.stats.granted(1, None);
                return Ok(());
            }
            self.shared.stats.refused();
            let wait = wait.max(Duration::from_micros(self.shared.interval));
            let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
            Err(NotUntil::new(Instant::now(), nanos).into())
        })
    }

    /// Holds every handle on this key back, in every process, for `d` from
    /// now (an HTTP 429's `Retry-After`). Permits already reserved by a
    /// sleeping waiter are not taken back.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis failed.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped, the pause may or may not be in place.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:api", 10, Duration::from_secs(1))
    ///     .await
    ///     .unwrap();
    /// // The server answered 429 with `Retry-After: 30`:
    /// limiter.pause_for(Duration::from_secs(30)).await.unwrap();
    /// # }
    /// ```
    pub fn pause_for(&self, d: Duration) -> Call<'_, Result<(), Error>> {
        Call::new(async move {
            let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2);
            self.script(micros, Mode::Pause).await.map(drop)
        })
    }

    /// What this limiter and its clones did, in this process, as the
    /// in-process limiter's [`LimiterStats`]: permits granted, requests
    /// refused (`try_acquire` errors, `acquire_n` beyond the burst), and
    /// the acquisitions that had to wait (for a waiter of this process
    /// ahead of them, or for the server's answer to come due) with their
    /// total and longest wait from the call to the grant. `waiting` counts
    /// the acquisitions in progress.
    ///
    /// These are client-side counters: other processes on the same key
    /// keep their own (add them up in your metrics system), and each
    /// [`open`](Self::open) starts at zero. Reading them costs no call to
    /// Redis.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let limiter = RateLimiter::open(&client, "rate:observed", 1, Duration::from_secs(1))
    ///     .await
    ///     .unwrap();
    /// limiter.acquire().await.unwrap();
    /// assert!(limiter.try_acquire().await.is_err());
    /// let stats = limiter.stats();
    /// assert_eq!((stats.granted, stats.refused), (1, 1));
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> LimiterStats {
        self.shared.stats.snapshot()
    }

    /// Runs the script for `n` permits; returns the wait it reports.
    async fn decide(&self, n: u32, mode: Mode) -> Result<Duration, Error> {
        self.script(u64::from(n), mode)
            .await
            .map(|us| Duration::from_micros(u64::try_from(us).unwrap_or(0)))
    }

    async fn script(&self, n: u64, mode: Mode) -> Result<i64, Error> {
        self.shared
            .conn
            .script(
                GCRA.key(&self.shared.key)
                    .arg(self.shared.interval)
                    .arg(self.burst)
                    .arg(n)
                    .arg(mode.as_str()),
            )
            .await
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("key", &self.shared.key)
            .field("interval", &Duration::from_micros(self.shared.interval))
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}
