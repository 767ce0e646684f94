//! [`LimiterClock`]: which clock a limiter reads, and the time base
//! ([`Timebase`]) that turns its readings into the nanoseconds the GCRA
//! counts in and back into tokio instants for timers and errors.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

/// The clock a [`RateLimiter`](super::RateLimiter) or
/// [`KeyedRateLimiter`](super::KeyedRateLimiter) reads on every decision,
/// chosen with their `clock` method.
///
/// Reading the clock is most of what a [`try_acquire`](super::RateLimiter::try_acquire)
/// costs, so the choice is a trade:
///
/// | clock | follows `tokio::time::pause` | a check costs |
/// |---|---|---|
/// | [`Tokio`](Self::Tokio) (default) | yes: paused tests are exact and instant | a `clock_gettime` (tens of ns) |
/// | `Fast` (feature `fast-clock`) | no: it reads the CPU's counter | a counter read (about half) |
///
/// Use `Fast` for a limiter on a hot path (a check per request in a busy
/// server), where the clock read dominates; keep `Tokio` wherever tests
/// drive the limiter on a paused clock. Waiters sleep on tokio timers with
/// either clock.
///
/// # Examples
///
/// ```
/// use async_patterns::rate_limit::{LimiterClock, RateLimiter};
///
/// let limiter = RateLimiter::per_second(10).clock(LimiterClock::Tokio);
/// assert!(limiter.try_acquire().is_ok());
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum LimiterClock {
    /// [`tokio::time::Instant`]: a paused test clock drives the limiter, so
    /// tests that use `start_paused` or `tokio::time::advance` are exact.
    #[default]
    Tokio,
    /// A [`quanta::Clock`]: the CPU's time-stamp counter where it is stable
    /// (scaled to nanoseconds), the OS monotonic clock elsewhere. About twice
    /// as fast to read as the tokio clock, and the clock governor uses.
    ///
    /// It does not follow `tokio::time::pause`: on a paused runtime, time
    /// stands still for tokio's timers but not for the limiter. A waiter
    /// still sleeps on a tokio timer, for the time the fast clock says is
    /// left; woken before the fast clock agrees (the two clocks can drift
    /// apart by a few parts per million), it checks again and sleeps for the
    /// rest, so it is never granted early. A [`NotUntil`](super::NotUntil)
    /// turns the fast clock's time into a tokio instant through a pair of
    /// readings taken together when the limiter was built, so after hours
    /// its [`earliest`](super::NotUntil::earliest) may be off by that drift.
    ///
    /// [`LimiterClock::fast`] builds one; `quanta::Clock::mock()` gives a
    /// clock that tests move by hand.
    #[cfg(feature = "fast-clock")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fast-clock")))]
    Fast(quanta::Clock),
}

impl LimiterClock {
    /// [`Fast`](Self::Fast) on a new [`quanta::Clock`] (whose first use in
    /// a process calibrates the counter against the OS clock, for a few
    /// milliseconds).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::rate_limit::{LimiterClock, RateLimiter};
    ///
    /// let limiter = RateLimiter::per_second(10).clock(LimiterClock::fast());
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_err());
    /// ```
    #[cfg(feature = "fast-clock")]
    #[cfg_attr(docsrs, doc(cfg(feature = "fast-clock")))]
    #[must_use]
    pub fn fast() -> Self {
        Self::Fast(quanta::Clock::new())
    }
}

impl fmt::Debug for LimiterClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tokio => f.write_str("Tokio"),
            #[cfg(feature = "fast-clock")]
            Self::Fast(_) => f.write_str("Fast"),
        }
    }
}

/// A clock with its time zero: every time the GCRA handles is nanoseconds
/// since that zero. Clones share the zero, so the per-key limiters of a
/// [`KeyedRateLimiter`](super::KeyedRateLimiter) compare times from one
/// reading.
#[derive(Clone)]
pub(crate) enum Timebase {
    Tokio {
        origin: Instant,
    },
    #[cfg(feature = "fast-clock")]
    Fast {
        clock: quanta::Clock,
        /// `clock.raw()` at time zero.
        origin: u64,
        /// The tokio instant read together with `origin`.
        tokio_origin: Instant,
    },
}

impl Timebase {
    /// A time base whose zero is now.
    pub(crate) fn new(clock: LimiterClock) -> Self {
        match clock {
            LimiterClock::Tokio => Self::Tokio {
                origin: Instant::now(),
            },
            #[cfg(feature = "fast-clock")]
            LimiterClock::Fast(clock) => Self::Fast {
                origin: clock.raw(),
                tokio_origin: Instant::now(),
                clock,
            },
        }
    }

    /// Now, in nanoseconds since the zero: one clock read (the dominant
    /// cost of every check), then `u64` arithmetic only.
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        match self {
            Self::Tokio { origin } => nanos(Instant::now().saturating_duration_since(*origin)),
            // Raw counter ticks, scaled once: `delta_as_nanos` is 0 for a
            // reading before `origin` (counters of two cores a few ticks
            // apart), as a saturating subtraction would be.
            #[cfg(feature = "fast-clock")]
            Self::Fast { clock, origin, .. } => clock.delta_as_nanos(*origin, clock.raw()),
        }
    }

    /// The tokio instant of time zero, for errors that report
    /// `origin + nanos` (exact for `Tokio`, within the drift for `Fast`).
    #[inline]
    pub(crate) fn tokio_origin(&self) -> Instant {
        match self {
            Self::Tokio { origin } => *origin,
            #[cfg(feature = "fast-clock")]
            Self::Fast { tokio_origin, .. } => *tokio_origin,
        }
    }

    /// The tokio instant to sleep until for time `nanos`: exact for
    /// `Tokio`; for `Fast`, now plus what the fast clock says is left, so
    /// that drift between the clocks makes a timer fire early or late by
    /// that drift at most, never spin on an instant already past.
    pub(crate) fn timer_deadline(&self, nanos: u64) -> Instant {
        match self {
            Self::Tokio { origin } => {
                crate::timeout::saturating_instant(*origin, Duration::from_nanos(nanos))
            }
            #[cfg(feature = "fast-clock")]
            Self::Fast { .. } => {
                let left = nanos.saturating_sub(self.now());
                crate::timeout::saturating_instant(Instant::now(), Duration::from_nanos(left))
            }
        }
    }
}

/// `d` in whole nanoseconds, saturating at `u64::MAX` (584 years).
#[inline]
fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

impl fmt::Debug for Timebase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tokio { .. } => f.write_str("Tokio"),
            #[cfg(feature = "fast-clock")]
            Self::Fast { .. } => f.write_str("Fast"),
        }
    }
}
