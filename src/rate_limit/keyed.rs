//! [`KeyedRateLimiter`]: one [`RateLimiter`] per key (client IP, API
//! token, route), with bounded memory.

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hash, RandomState};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::clock::Timebase;
use super::gcra::{Inner, decide_one};
use super::hashed::{Borrowed, Hashed, HashedMap, Probe};
use super::keyed_stats::{AcquireStats, KeyedCounters, ShardCounts};
use super::{AcquireOwned, LimiterClock, NotUntil, RateLimiter};
use crate::loom::Mutex;

/// Keys remembered unless `max_keys` says otherwise.
const DEFAULT_MAX_KEYS: usize = 100_000;
/// Shards (each its own lock) at most; fewer for small `max_keys`.
const MAX_SHARDS: usize = 16;
const _: () = assert!(MAX_SHARDS.is_power_of_two());
/// Keys per shard below which a limiter uses fewer shards.
const MIN_KEYS_PER_SHARD: usize = 256;
/// Entries a call that adds a key looks at (for two idle ones to forget).
const INSERT_SWEEP_LOOKS: usize = 4;
/// Entries a full shard looks at to choose which key to forget.
const EVICTION_SAMPLE: usize = 8;

/// A rate limit per key: each key gets its own GCRA with the same rate and
/// burst, and the same semantics as a [`RateLimiter`] (FIFO waiters per
/// key, cancel-safe [`acquire`](Self::acquire)). A check is one short
/// critical section on the key's shard (one of up to 16 locks), where the
/// key's state sits beside the key until an `acquire` needs a line of
/// waiters for it. Clones share every key's state.
///
/// Memory is bounded without any help from the caller:
///
/// - **Idle keys are forgotten.** A key whose state equals a fresh one (its
///   whole burst has refilled and nobody waits on it) carries no
///   information, so it is dropped. Every call looks at one remembered key
///   of its shard (round robin) and forgets it if it is idle; a call that
///   adds a key looks for two to forget, so idle keys go even while new
///   ones arrive. O(1) work per call, no background task, no sweep to run.
/// - **At most [`max_keys`](Self::max_keys) keys are remembered.** A new key
///   arriving while its shard is full makes room by forgetting the most
///   idle of a few sampled keys (the one that owes the least time, and has
///   no waiter if possible). A forgotten key starts again with a full
///   burst, so keep `max_keys` above the number of keys active at once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::rate_limit::KeyedRateLimiter;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // Each client: 2 requests per second, at most 2 back to back.
/// let limiter = KeyedRateLimiter::new(2, Duration::from_secs(1)).burst(2).max_keys(100);
/// assert!(limiter.try_acquire(&"alice").is_ok());
/// assert!(limiter.try_acquire(&"alice").is_ok());
/// assert!(limiter.try_acquire(&"alice").is_err());
/// assert!(limiter.try_acquire(&"bob").is_ok()); // bob has his own limit
/// assert_eq!(limiter.len(), 2);
///
/// // Once their bursts have refilled, alice's and bob's states equal fresh
/// // ones: the next call forgets them.
/// tokio::time::sleep(Duration::from_secs(1)).await;
/// limiter.try_acquire(&"carol").unwrap();
/// assert_eq!(limiter.len(), 1);
/// # }
/// ```
pub struct KeyedRateLimiter<K> {
    pub(super) shared: Arc<Shared<K>>,
}

#[derive(Debug, Clone)]
struct Config {
    permits: u32,
    per: Duration,
    burst: u32,
    max_keys: usize,
    clock: LimiterClock,
}

pub(super) struct Shared<K> {
    config: Config,
    /// The clock every key's limiter reads, with one time zero for all of
    /// them: a call reads it once, before it takes a shard's lock.
    timebase: Timebase,
    /// Every key's permit interval, in nanoseconds.
    interval: u64,
    /// `burst * interval` (see `gcra::Inner`).
    tolerance: u64,
    /// Hashes a key once per call: the high bits pick its shard, and the
    /// shard's map reuses the hash.
    hasher: RandomState,
    /// Caps sum to `config.max_keys`.
    pub(super) shards: Box<[Mutex<Shard<K>>]>,
    /// What `acquire` did (see `keyed_stats`).
    pub(super) counters: Arc<KeyedCounters>,
}

/// One lock's worth of keys.
///
/// Invariant: `index[entries[i].key] == i` for every `i`, and `index` has
/// no other keys; `entries.len() <= cap`.
pub(super) struct Shard<K> {
    index: HashedMap<K, usize>,
    entries: Vec<Entry<K>>,
    /// The entry the next sweep step looks at (taken modulo the length).
    cursor: usize,
    cap: usize,
    /// This shard's `try_acquire` outcomes, for `stats()`.
    pub(super) counts: ShardCounts,
}

/// One key's state. Invariant: while `limiter` is `None`, `tat` is the
/// key's GCRA state (read and written under the shard's lock, so a check
/// needs no atomic of its own and touches this entry only); while it is
/// `Some`, the limiter's state is the key's and `tat` is stale.
struct Entry<K> {
    key: K,
    /// `key`'s hash by the limiter's hasher.
    hash: u64,
    /// Theoretical arrival time (see `gcra::Inner`), on the shared time base.
    tat: u64,
    /// The key's full limiter (line of waiters, lock-free state), made by
    /// the first `acquire` on the key and folded back into `tat` by the
    /// first check that finds no acquire future left holding it.
    limiter: Option<RateLimiter>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedRateLimiter<K> {
    /// A limiter that grants every key `permits` permits per `per`, evenly
    /// spaced (burst 1), remembering at most 100,000 keys (see
    /// [`max_keys`](Self::max_keys)).
    ///
    /// # Panics
    ///
    /// If `permits` is 0 or `per` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let per_ip = KeyedRateLimiter::new(10, Duration::from_secs(1));
    /// assert!(per_ip.try_acquire(&[127, 0, 0, 1]).is_ok());
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(permits: u32, per: Duration) -> Self {
        assert!(
            permits > 0,
            "KeyedRateLimiter::new: permits must be at least 1"
        );
        assert!(
            !per.is_zero(),
            "KeyedRateLimiter::new: the period must not be zero"
        );
        Self::with(Config {
            permits,
            per,
            burst: 1,
            max_keys: DEFAULT_MAX_KEYS,
            clock: LimiterClock::Tokio,
        })
    }

    fn with(config: Config) -> Self {
        // A power of two, so that a key's shard is a mask of its hash, not
        // a division.
        let most = (config.max_keys / MIN_KEYS_PER_SHARD).clamp(1, MAX_SHARDS);
        let shards = if most.is_power_of_two() {
            most
        } else {
            most.next_power_of_two() / 2
        };
        let shards = (0..shards)
            .map(|i| {
                let cap = config.max_keys / shards + usize::from(i < config.max_keys % shards);
                Mutex::new(Shard {
                    index: HashedMap::default(),
                    entries: Vec::new(),
                    cursor: 0,
                    cap,
                    counts: ShardCounts::default(),
                })
            })
            .collect();
        let interval = Inner::interval_of(config.permits, config.per);
        let timebase = Timebase::new(config.clock.clone());
        Self {
            shared: Arc::new(Shared {
                counters: Arc::new(KeyedCounters::new(timebase.clone())),
                timebase,
                interval,
                tolerance: interval.saturating_mul(u64::from(config.burst)),
                config,
                hasher: RandomState::new(),
                shards,
            }),
        }
    }

    /// Lets up to `burst` permits per key through back to back; see
    /// [`RateLimiter::burst`].
    ///
    /// Call it while building the limiter: it returns a new limiter with
    /// no keys, which clones made before do not share.
    ///
    /// # Default
    ///
    /// 1: each key's permits are evenly spaced.
    ///
    /// # Panics
    ///
    /// If `burst` is 0, or if `burst` × the interval is longer than the
    /// limiter can count (about 584 years), as for [`RateLimiter::burst`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1)).burst(3);
    /// for _ in 0..3 {
    ///     limiter.try_acquire(&"key").unwrap();
    /// }
    /// assert!(limiter.try_acquire(&"key").is_err());
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn burst(self, burst: u32) -> Self {
        assert!(
            burst > 0,
            "KeyedRateLimiter::burst: the burst must be at least 1"
        );
        let interval = Inner::interval_of(self.shared.config.permits, self.shared.config.per);
        assert!(
            interval.checked_mul(u64::from(burst)).is_some(),
            "KeyedRateLimiter::burst: burst × interval ({burst} × {:?}) exceeds u64::MAX nanoseconds (about 584 years)",
            Duration::from_nanos(interval)
        );
        Self::with(Config {
            burst,
            ..self.shared.config.clone()
        })
    }

    /// Remembers at most `n` keys at once (see the [type docs](Self) for
    /// what is forgotten first).
    ///
    /// Call it while building the limiter: it returns a new limiter with
    /// no keys, which clones made before do not share.
    ///
    /// # Default
    ///
    /// 100,000 keys (a remembered key costs about 50 bytes plus two copies
    /// of the key; one that has been waited on, a few hundred more until
    /// its next check after the waiters are gone).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(1, Duration::from_secs(60)).max_keys(100);
    /// for client in 0..1_000 {
    ///     limiter.try_acquire(&client).unwrap();
    /// }
    /// assert!(limiter.len() <= 100);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn max_keys(self, n: usize) -> Self {
        assert!(n > 0, "KeyedRateLimiter::max_keys: n must be at least 1");
        Self::with(Config {
            max_keys: n,
            ..self.shared.config.clone()
        })
    }

    /// Reads `clock` instead of tokio's, for every key: see
    /// [`LimiterClock`] for the trade (with feature `fast-clock`,
    /// [`LimiterClock::fast`] makes a check cheaper but does not follow
    /// `tokio::time::pause`).
    ///
    /// Call it while building the limiter: it returns a new limiter with
    /// no keys, which clones made before do not share.
    ///
    /// # Default
    ///
    /// [`LimiterClock::Tokio`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::{KeyedRateLimiter, LimiterClock};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1)).clock(LimiterClock::Tokio);
    /// limiter.try_acquire(&"key").unwrap();
    /// assert!(limiter.try_acquire(&"key").is_err());
    /// tokio::time::sleep(Duration::from_secs(1)).await;
    /// limiter.try_acquire(&"key").unwrap();
    /// # }
    /// ```
    #[must_use]
    pub fn clock(self, clock: LimiterClock) -> Self {
        Self::with(Config {
            clock,
            ..self.shared.config.clone()
        })
    }

    /// Waits for one of `key`'s permits and takes it; see
    /// [`RateLimiter::acquire`]. Waiters on the same key are served first
    /// come, first served; keys do not wait for one another.
    ///
    /// The future owns what it needs (`'static`), so it can be spawned.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe. A dropped future takes no permit and gives its place in
    /// the key's queue up.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(2, Duration::from_secs(1));
    /// let start = Instant::now();
    /// limiter.acquire(&"alice").await;
    /// limiter.acquire(&"bob").await;
    /// assert_eq!(start.elapsed(), Duration::ZERO);
    /// limiter.acquire(&"alice").await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(500));
    /// # }
    /// ```
    pub fn acquire(&self, key: &K) -> KeyedAcquire {
        let now = self.shared.timebase.now();
        let (mut shard, key) = self.shard(key);
        let i = shard.get_or_insert(key, now);
        let limiter = shard.entries[i].limiter(&self.shared).clone();
        shard.sweep(now, 1, 1);
        drop(shard);
        KeyedAcquire {
            inner: limiter.acquire_owned(),
            stats: AcquireStats::new(Arc::clone(&self.shared.counters)),
        }
    }

    /// Takes one of `key`'s permits if one is available now, without
    /// waiting; see [`RateLimiter::try_acquire`] (it never overtakes a
    /// waiter queued on the same key).
    ///
    /// # Errors
    ///
    /// [`NotUntil`] when the key has no permit now; it says when it will.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(10, Duration::from_secs(1));
    /// limiter.try_acquire(&"10.0.0.7").unwrap();
    /// let err = limiter.try_acquire(&"10.0.0.7").unwrap_err();
    /// assert_eq!(err.wait(), Duration::from_millis(100));
    /// # }
    /// ```
    pub fn try_acquire(&self, key: &K) -> Result<(), NotUntil> {
        let now = self.shared.timebase.now();
        let (mut shard, key) = self.shard(key);
        let i = shard.get_or_insert(key, now);
        let result = shard.entries[i].try_take_one(&self.shared, now);
        match result {
            Ok(()) => shard.counts.granted += 1,
            Err(_) => shard.counts.refused += 1,
        }
        shard.sweep(now, 1, 1);
        drop(shard);
        result.map_err(|at| NotUntil::new(self.shared.timebase.tokio_origin(), at))
    }

    /// The number of keys remembered now (at most
    /// [`max_keys`](Self::max_keys)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    /// assert_eq!(limiter.len(), 0);
    /// limiter.try_acquire(&1).unwrap();
    /// limiter.try_acquire(&2).unwrap();
    /// assert_eq!(limiter.len(), 2);
    /// # }
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shared
            .shards
            .iter()
            .map(|shard| crate::loom::lock(shard).entries.len())
            .sum()
    }

    /// Whether no key is remembered.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::rate_limit::KeyedRateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(1, Duration::from_secs(1));
    /// assert!(limiter.is_empty());
    /// limiter.try_acquire(&"key").unwrap();
    /// assert!(!limiter.is_empty());
    /// # }
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `key`'s shard, locked, and `key` with its hash.
    fn shard<'k>(&self, key: &'k K) -> (crate::loom::MutexGuard<'_, Shard<K>>, Borrowed<'k, K>) {
        let shards = &self.shared.shards;
        let hash = self.shared.hasher.hash_one(key);
        // The high bits: the shard's map uses the low ones.
        let i = usize::try_from(hash >> 32).unwrap_or(0) & (shards.len() - 1);
        (crate::loom::lock(&shards[i]), Borrowed { hash, key })
    }
}

impl<K: Hash + Eq + Clone> Shard<K> {
    /// The position of `key`'s entry, created (after making room) if new.
    ///
    /// A call that creates an entry first sweeps for up to two idle entries
    /// (the newest entry, not idle, may be swapped under the cursor by a
    /// removal, so it looks a little further), so that forgetting outpaces
    /// the creation of keys.
    fn get_or_insert(&mut self, key: Borrowed<'_, K>, now: u64) -> usize {
        if let Some(&i) = self.index.get(&key as &dyn Probe<K>) {
            return i;
        }
        self.sweep(now, INSERT_SWEEP_LOOKS, 2);
        if self.entries.len() >= self.cap {
            self.evict_one(now);
        }
        let i = self.entries.len();
        // Time zero: the whole burst is available, as in a fresh limiter.
        self.entries.push(Entry {
            key: key.key.clone(),
            hash: key.hash,
            tat: 0,
            limiter: None,
        });
        self.index.insert(
            Hashed {
                hash: key.hash,
                key: key.key.clone(),
            },
            i,
        );
        i
    }

    /// Sweeps on from the cursor: forgets idle entries and steps over the
    /// others, until it has forgotten `removals` or looked at `looks`.
    fn sweep(&mut self, now: u64, looks: usize, removals: usize) {
        let mut removed = 0;
        for _ in 0..looks {
            if self.entries.is_empty() || removed == removals {
                return;
            }
            if self.cursor >= self.entries.len() {
                self.cursor = 0;
            }
            if self.entries[self.cursor].is_idle(now) {
                // The last entry moves under the cursor; the next look sees it.
                self.remove(self.cursor);
                removed += 1;
            } else {
                self.cursor += 1;
            }
        }
    }

    /// Forgets the most idle of a few entries from the cursor on.
    #[cold]
    fn evict_one(&mut self, now: u64) {
        let len = self.entries.len();
        if len == 0 {
            return;
        }
        let victim = (0..EVICTION_SAMPLE.min(len))
            .map(|k| (self.cursor + k) % len)
            .min_by_key(|&i| {
                let entry = &self.entries[i];
                (entry.is_held(), entry.debt(now))
            })
            .unwrap_or(0);
        self.remove(victim);
    }

    fn remove(&mut self, i: usize) {
        let entry = self.entries.swap_remove(i);
        self.index.remove(&entry.probe() as &dyn Probe<K>);
        if let Some(moved) = self.entries.get(i) {
            if let Some(slot) = self.index.get_mut(&moved.probe() as &dyn Probe<K>) {
                *slot = i;
            }
        }
    }
}

impl<K> Entry<K> {
    /// The key to look this entry up by.
    fn probe(&self) -> Borrowed<'_, K> {
        Borrowed {
            hash: self.hash,
            key: &self.key,
        }
    }

    /// Whether an acquire future (waiting or not yet polled) holds this
    /// key's limiter.
    fn is_held(&self) -> bool {
        self.limiter
            .as_ref()
            .is_some_and(|limiter| Arc::strong_count(&limiter.inner) > 1)
    }

    /// How far the key's state runs ahead of `now` (see `Inner::debt`).
    fn debt(&self, now: u64) -> u64 {
        match &self.limiter {
            None => self.tat.saturating_sub(now),
            Some(limiter) => limiter.inner.debt(now),
        }
    }

    /// The key's full limiter, made from `tat` if it has none.
    fn limiter(&mut self, shared: &Shared<K>) -> &RateLimiter {
        self.limiter.get_or_insert_with(|| {
            let inner = Inner::new(shared.interval, shared.timebase.clone());
            inner.set_tat(self.tat);
            RateLimiter {
                inner: Arc::new(inner),
            }
            .burst(shared.config.burst)
        })
    }

    /// `try_acquire` on this key at `now` (the shard locked): on `tat` if
    /// no acquire future holds the key's limiter (folding the limiter back
    /// into `tat` first), else on the limiter, behind its waiters. `Err`
    /// holds the earliest time a permit is due.
    #[inline]
    fn try_take_one(&mut self, shared: &Shared<K>, now: u64) -> Result<(), u64> {
        if let Some(limiter) = &self.limiter {
            let inner = &*limiter.inner;
            if Arc::strong_count(&limiter.inner) > 1 {
                return if inner.has_waiters() {
                    Err(inner.earliest_behind_queue(1, now))
                } else {
                    inner.try_take_one(now)
                };
            }
            // Nobody else holds it, so nobody waits on it: its state is
            // all there is, and the shard's lock keeps it still.
            self.tat = inner.tat();
            self.limiter = None;
        }
        self.tat = decide_one(self.tat, now, shared.interval, shared.tolerance)?;
        Ok(())
    }

    /// Whether forgetting this key changes nothing: nobody holds its
    /// limiter, and its whole burst is available, as in a fresh one.
    fn is_idle(&self, now: u64) -> bool {
        self.debt(now) == 0 && !self.is_held()
    }
}

impl<K> Clone for KeyedRateLimiter<K> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<K> fmt::Debug for KeyedRateLimiter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.shared.config;
        f.debug_struct("KeyedRateLimiter")
            .field("permits", &config.permits)
            .field("per", &config.per)
            .field("burst", &config.burst)
            .field("max_keys", &config.max_keys)
            .field("clock", &config.clock)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// The future of [`KeyedRateLimiter::acquire`]: waits for one of the
    /// key's permits. `'static` and `Send`.
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[derive(Debug)]
    pub struct KeyedAcquire {
        #[pin]
        inner: AcquireOwned,
        stats: AcquireStats,
    }
}

impl Future for KeyedAcquire {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.inner.poll(cx).is_pending() {
            this.stats.pending();
            return Poll::Pending;
        }
        this.stats.granted();
        Poll::Ready(())
    }
}
