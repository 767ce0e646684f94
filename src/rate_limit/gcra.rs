//! The shared state: a GCRA clock on one atomic, plus the line of waiting
//! acquirers (served in [`line`](super::line)).

use std::time::Duration;

use tokio::time::Instant;

use super::clock::Timebase;
use super::line::Line;
use super::stats::Counters;
use super::tally::Tally;
use crate::loom::{AtomicU32, AtomicU64, Mutex, Ordering};

/// The state every clone of a [`RateLimiter`](super::RateLimiter) shares.
///
/// Times are nanoseconds since the zero of `timebase` (the tokio clock by
/// default, so a paused test clock drives the limiter too).
#[derive(Debug)]
pub(crate) struct Inner {
    /// Theoretical arrival time (GCRA): the instant at which the limiter
    /// would be fully "caught up" if no more permits were taken. A take of
    /// `n` permits at time `t` succeeds iff
    /// `max(tat, t) + n * interval <= t + tolerance`, and moves `tat` there.
    /// Only ever changed by compare-and-swap or `fetch_max`, so concurrent
    /// takers can never both spend the same capacity.
    tat: AtomicU64,
    /// Nanoseconds between two permits at the steady rate (at least 1).
    interval: u64,
    /// `burst * interval`: how far ahead of real time `tat` may run.
    tolerance: AtomicU64,
    /// The burst (most permits available at once), kept for errors and Debug.
    burst: AtomicU32,
    /// The clock, and time zero of `tat`.
    timebase: Timebase,
    /// Sum of the permits asked for by waiters still waiting in `line`.
    /// Non-zero iff one is (every waiter asks for at least one), so the
    /// lock-free fast paths read it to avoid overtaking queued waiters.
    /// Only changed while `line` is locked.
    pub(super) queued: AtomicU64,
    /// Waiters in arrival order, served in that order by whoever polls
    /// first (see [`line`](super::line)).
    pub(super) line: Mutex<Line>,
    /// Counters for `stats()` of waits.
    pub(crate) counters: Counters,
    /// Grants and refusals for `stats()`, counted per thread.
    tally: Tally,
}

impl Inner {
    /// The permit interval of `permits` per `per`, in whole nanoseconds
    /// (at least 1).
    pub(crate) fn interval_of(permits: u32, per: Duration) -> u64 {
        let interval = (per.as_nanos() / u128::from(permits)).clamp(1, u128::from(u64::MAX));
        u64::try_from(interval).unwrap_or(u64::MAX)
    }

    /// A fresh limiter (burst 1, whole burst available) granting one permit
    /// per `interval` nanoseconds on `timebase`.
    pub(crate) fn new(interval: u64, timebase: Timebase) -> Self {
        Self {
            tat: AtomicU64::new(0),
            interval,
            tolerance: AtomicU64::new(interval),
            burst: AtomicU32::new(1),
            timebase,
            queued: AtomicU64::new(0),
            line: Mutex::new(Line::new()),
            counters: Counters::default(),
            tally: Tally::default(),
        }
    }

    /// Sets the burst; false (and nothing changed) if `burst * interval`
    /// does not fit the `u64` nanoseconds that `tat` counts in.
    #[must_use]
    pub(crate) fn set_burst(&self, burst: u32) -> bool {
        let Some(tolerance) = self.interval.checked_mul(u64::from(burst)) else {
            return false;
        };
        self.burst.store(burst, Ordering::Relaxed);
        self.tolerance.store(tolerance, Ordering::Release);
        true
    }

    pub(crate) fn burst(&self) -> u32 {
        self.burst.load(Ordering::Relaxed)
    }

    pub(crate) fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval)
    }

    /// The interval in nanoseconds.
    pub(crate) fn interval_nanos(&self) -> u64 {
        self.interval
    }

    /// How much of a queued waiter's lateness is credited to it (see
    /// [`try_take_as_of`](Self::try_take_as_of)): one tick of tokio's timer.
    /// Bounded, so that waiters whose task was not polled for a long time do
    /// not come back with a burst for all of it.
    pub(crate) const LATENESS_CREDIT: u64 = 1_000_000;

    /// Now, in nanoseconds since time zero (see [`Timebase::now`]).
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        self.timebase.now()
    }

    /// Time zero as a tokio instant, for errors.
    #[inline]
    pub(crate) fn origin(&self) -> Instant {
        self.timebase.tokio_origin()
    }

    /// The tokio instant for a timer due at time `nanos`.
    pub(crate) fn instant(&self, nanos: u64) -> Instant {
        self.timebase.timer_deadline(nanos)
    }

    /// Whether waiters are queued (the fast paths must not overtake them).
    #[inline]
    pub(crate) fn has_waiters(&self) -> bool {
        self.queued.load(Ordering::Acquire) != 0
    }

    /// Takes `permits` at time `now` if the rate allows, lock-free.
    ///
    /// On failure returns the earliest time (nanos since origin) at which the
    /// take would succeed if nobody else took permits meanwhile.
    #[inline]
    pub(crate) fn try_take(&self, permits: u32, now: u64) -> Result<(), u64> {
        self.try_take_as_of(permits, now, now)
    }

    /// [`try_take`](Self::try_take) of one permit: one load and (on
    /// success) one compare-and-swap around [`decide_one`].
    #[inline]
    pub(crate) fn try_take_one(&self, now: u64) -> Result<(), u64> {
        let tolerance = self.tolerance.load(Ordering::Acquire);
        let mut tat = self.tat.load(Ordering::Acquire);
        loop {
            let next = decide_one(tat, now, self.interval, tolerance)?;
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(()),
                Err(actual) => tat = actual,
            }
        }
    }

    /// Like [`try_take`](Self::try_take), for a request that has been
    /// waiting since `arrival` (`<= now`): GCRA shaping, where a queued
    /// request counts from when it could have been served, not from when
    /// its task got around to it. Without this, the lateness of every timer
    /// wakeup (tokio's timers tick in whole milliseconds) would be lost and
    /// an interval of 3.3 ms would behave as 4 ms. The check itself is still
    /// against `now`: the most this lets through at once beyond the burst is
    /// `(now - arrival) / interval`, which the caller bounds to one tick.
    #[inline]
    pub(crate) fn try_take_as_of(&self, permits: u32, arrival: u64, now: u64) -> Result<(), u64> {
        let cost = u128::from(self.interval) * u128::from(permits);
        let tolerance = self.tolerance.load(Ordering::Acquire);
        let mut tat = self.tat.load(Ordering::Acquire);
        loop {
            let next = decide(tat, arrival, now, cost, tolerance)?;
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(()),
                Err(actual) => tat = actual,
            }
        }
    }

    /// When a request for `permits` made now, behind every queued waiter,
    /// could be granted at the earliest.
    #[cold]
    pub(crate) fn earliest_behind_queue(&self, permits: u32, now: u64) -> u64 {
        let queued = self.queued.load(Ordering::Acquire);
        let cost = self
            .interval
            .saturating_mul(queued.saturating_add(u64::from(permits)));
        let tolerance = self.tolerance.load(Ordering::Acquire);
        let tat = self.tat.load(Ordering::Acquire);
        tat.max(now)
            .saturating_add(cost)
            .saturating_sub(tolerance)
            .max(now)
    }

    /// Holds every permit back until `d` from now.
    pub(crate) fn pause_for(&self, d: Duration) {
        let now = self.now();
        let d = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let tolerance = self.tolerance.load(Ordering::Acquire);
        // The next single permit is granted at `tat + interval - tolerance`;
        // make that `now + d` (or keep a later `tat`).
        let tat = now
            .saturating_add(d)
            .saturating_add(tolerance)
            .saturating_sub(self.interval);
        self.tat.fetch_max(tat, Ordering::AcqRel);
    }
}

/// The GCRA decision: a take costing `cost` (permits × interval) of a
/// request waiting since `arrival` (`<= now`) succeeds at `now` iff
/// `max(tat, arrival) + cost <= now + tolerance`; then `Ok` holds the new
/// `tat`, else `Err` the earliest time the take would succeed.
///
/// In `u128`, so that a huge interval (a period of centuries) cannot
/// saturate the new `tat` down to the limit and let every take through.
#[inline]
pub(crate) fn decide(
    tat: u64,
    arrival: u64,
    now: u64,
    cost: u128,
    tolerance: u64,
) -> Result<u64, u64> {
    let next = u128::from(tat.max(arrival)) + cost;
    let tolerance = u128::from(tolerance);
    if next > u128::from(now) + tolerance {
        return Err(u64::try_from(next - tolerance).unwrap_or(u64::MAX));
    }
    // `next <= now + tolerance`, so this clamp only bites beyond 584 years,
    // and then by less than `now`.
    Ok(u64::try_from(next).unwrap_or(u64::MAX))
}

/// [`decide`] for one permit at `now`, in `u64` arithmetic.
///
/// Exact without `u128`: `tat.max(now) + interval` is computed with
/// `checked_add` (an overflow, 584 years from the origin, falls back to
/// [`decide`]), and `now + tolerance` saturates, which only errs towards a
/// limit beyond every representable `next`, where the exact limit also lies.
#[inline]
pub(crate) fn decide_one(tat: u64, now: u64, interval: u64, tolerance: u64) -> Result<u64, u64> {
    let Some(next) = tat.max(now).checked_add(interval) else {
        return decide(tat, now, now, u128::from(interval), tolerance);
    };
    if next > now.saturating_add(tolerance) {
        // `next > now + tolerance >= tolerance`: no underflow.
        return Err(next - tolerance);
    }
    Ok(next)
}

/// Counting for `stats()`.
impl Inner {
    /// Counts `permits` granted (after the compare-and-swap that took them).
    #[inline]
    pub(crate) fn count_granted(&self, permits: u32) {
        self.tally.granted(u64::from(permits));
    }

    /// Counts one refused request.
    #[inline]
    pub(crate) fn count_refused(&self) {
        self.tally.refused();
    }

    /// `(granted, refused)` so far.
    pub(crate) fn tallies(&self) -> (u64, u64) {
        self.tally.sum()
    }
}

/// What the keyed limiter (`keyed.rs`) needs from one key's state.
impl Inner {
    /// How far `tat` runs ahead of `now`: 0 iff the whole burst is
    /// available, as in a fresh limiter.
    #[inline]
    pub(crate) fn debt(&self, now: u64) -> u64 {
        self.tat.load(Ordering::Acquire).saturating_sub(now)
    }

    /// The GCRA state (see `tat`).
    pub(crate) fn tat(&self) -> u64 {
        self.tat.load(Ordering::Acquire)
    }

    /// Sets the GCRA state of a limiter nobody else uses yet.
    pub(crate) fn set_tat(&self, tat: u64) {
        self.tat.store(tat, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inner(interval: u64, tolerance: u64, tat: u64) -> Inner {
        let inner = Inner::new(1, Timebase::new(super::super::LimiterClock::Tokio));
        Inner {
            interval,
            tolerance: AtomicU64::new(tolerance),
            tat: AtomicU64::new(tat),
            ..inner
        }
    }

    proptest! {
        // The `u64` fast path decides (and moves `tat`) exactly as the
        // general `u128` path does, including at the edges of `u64`.
        #[test]
        fn try_take_one_matches_try_take(
            interval in prop_oneof![1..1_000_000u64, Just(u64::MAX), (u64::MAX - 1000)..u64::MAX],
            burst in prop_oneof![1..1_000u64, Just(u64::MAX)],
            tat in prop_oneof![any::<u64>(), 0..10_000_000u64, Just(u64::MAX)],
            now in prop_oneof![any::<u64>(), 0..10_000_000u64, Just(u64::MAX)],
        ) {
            let tolerance = interval.saturating_mul(burst);
            let a = inner(interval, tolerance, tat);
            let b = inner(interval, tolerance, tat);
            prop_assert_eq!(a.try_take_one(now), b.try_take(1, now));
            prop_assert_eq!(a.tat.load(Ordering::Relaxed), b.tat.load(Ordering::Relaxed));
        }
    }
}
