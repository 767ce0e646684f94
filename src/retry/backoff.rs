use std::fmt;
use std::time::Duration;

use super::Jitter;

/// The growth rule of a [`Backoff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Constant,
    Exponential,
    Fibonacci,
    Decorrelated,
}

/// The variant of a [`Jitter`], without its ratio (kept next to `Kind` so
/// that the two tags share one word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JitterKind {
    None,
    Full,
    Equal,
    Ratio,
}

/// A `Duration` as saturating nanoseconds: `u64::MAX` stands for
/// `Duration::MAX` (and for anything beyond 584 years).
fn to_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn from_nanos(n: u64) -> Duration {
    if n == u64::MAX {
        Duration::MAX
    } else {
        Duration::from_nanos(n)
    }
}

/// A backoff schedule: the delays to wait between attempts, as an
/// [`Iterator<Item = Duration>`](Iterator).
///
/// Build one with [`constant`](Self::constant),
/// [`exponential`](Self::exponential), [`fibonacci`](Self::fibonacci) or
/// [`decorrelated`](Self::decorrelated), then chain
/// [`factor`](Self::factor), [`max_delay`](Self::max_delay),
/// [`jitter`](Self::jitter), [`max_retries`](Self::max_retries) /
/// [`unlimited`](Self::unlimited) and [`seed`](Self::seed). Each item is the
/// delay before one retry, so the schedule yields one item fewer than there
/// are attempts.
///
/// All arithmetic saturates: a huge initial delay or factor gives
/// [`Duration::MAX`] (or the `max_delay` ceiling), never a panic or a
/// wrap-around. (Delays are computed in whole nanoseconds; anything from
/// 584 years up counts as `Duration::MAX`.)
///
/// # Default
///
/// [`max_retries(3)`](Self::max_retries): three retries, **four attempts**
/// in total. No jitter, no ceiling; exponential backoff multiplies by 2.
///
/// Cloning a schedule that has not been iterated yet gives an independent
/// copy; an unseeded clone draws its own random jitter.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::Backoff;
///
/// let secs = Duration::from_secs;
/// let delays: Vec<Duration> = Backoff::exponential(secs(1)).max_retries(5).collect();
/// assert_eq!(delays, [secs(1), secs(2), secs(4), secs(8), secs(16)]);
///
/// let capped: Vec<Duration> = Backoff::exponential(secs(1))
///     .factor(3.0)
///     .max_delay(secs(10))
///     .collect();
/// assert_eq!(capped, [secs(1), secs(3), secs(9)]);
/// ```
pub struct Backoff {
    // Kept at 64 bytes (it is copied into every `Retry`, and a size that is
    // a multiple of 16 copies in whole vector moves): durations are stored
    // as saturating nanoseconds (see `to_nanos`), the two enum tags share a
    // word, the per-kind state shares `param`, and "unlimited" and
    // "unseeded" are sentinel values.
    kind: Kind,
    jitter: JitterKind,
    /// `Jitter::Ratio`'s ratio (validated), else unused.
    ratio: f64,
    /// Exponential: the factor, as `f64::to_bits`. Fibonacci: the delay
    /// after the next one. Decorrelated: the cap of the AWS formula.
    param: u64,
    /// Constant: the delay. Decorrelated: the base.
    initial: u64,
    /// Hard ceiling after jitter; `u64::MAX` when unset.
    max_delay: u64,
    /// Delays left to yield; `usize::MAX` means no limit.
    remaining: usize,
    /// Exponential and Fibonacci: the next delay before the ceiling.
    /// Decorrelated: the previous delay.
    a: u64,
    /// The state of the random number generator: set by `seed`, else (0)
    /// drawn from fresh entropy on first use (so clones of an unused,
    /// unseeded schedule jitter independently). Never 0 once set.
    rng: u64,
}

/// Stands in for a seed or generator state of 0, which marks "unseeded".
const ZERO_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

impl Clone for Backoff {
    // Every field is plain data: an inlinable copy (cloning a schedule is on
    // the happy path of `RetryPolicy::retry`).
    #[inline]
    fn clone(&self) -> Self {
        Self { ..*self }
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Backoff");
        d.field("kind", &self.kind)
            .field("initial", &from_nanos(self.initial));
        match self.kind {
            Kind::Exponential => d.field("factor", &f64::from_bits(self.param)),
            Kind::Decorrelated => d.field("cap", &from_nanos(self.param)),
            Kind::Constant | Kind::Fibonacci => &mut d,
        };
        if self.max_delay != u64::MAX {
            d.field("max_delay", &from_nanos(self.max_delay));
        }
        d.field("jitter", &self.jitter_value());
        if self.remaining != usize::MAX {
            d.field("retries_left", &self.remaining);
        }
        d.finish_non_exhaustive()
    }
}

impl Backoff {
    fn new(kind: Kind, initial: Duration, param: u64) -> Self {
        let initial = to_nanos(initial);
        Self {
            kind,
            jitter: JitterKind::None,
            ratio: 0.0,
            param,
            initial,
            max_delay: u64::MAX,
            remaining: 3,
            a: initial,
            rng: 0,
        }
    }

    fn jitter_value(&self) -> Jitter {
        match self.jitter {
            JitterKind::None => Jitter::None,
            JitterKind::Full => Jitter::Full,
            JitterKind::Equal => Jitter::Equal,
            JitterKind::Ratio => Jitter::Ratio(self.ratio),
        }
    }

    /// The same delay every time (tenacity's `wait_fixed`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// let ms = Duration::from_millis;
    /// let delays: Vec<Duration> = Backoff::constant(ms(100)).collect();
    /// assert_eq!(delays, [ms(100), ms(100), ms(100)]);
    /// ```
    #[must_use]
    pub fn constant(delay: Duration) -> Self {
        Self::new(Kind::Constant, delay, 0)
    }

    /// `initial`, then each delay [`factor`](Self::factor) times the one
    /// before (tenacity's `wait_exponential`).
    ///
    /// # Default
    ///
    /// The factor is 2.0: `initial`, 2×, 4×, 8×, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// let ms = Duration::from_millis;
    /// let delays: Vec<Duration> = Backoff::exponential(ms(100)).collect();
    /// assert_eq!(delays, [ms(100), ms(200), ms(400)]);
    /// ```
    #[must_use]
    pub fn exponential(initial: Duration) -> Self {
        Self::new(Kind::Exponential, initial, 2.0f64.to_bits())
    }

    /// Fibonacci growth: `initial` × 1, 1, 2, 3, 5, 8, ... (slower than
    /// doubling).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// let secs = Duration::from_secs;
    /// let delays: Vec<Duration> = Backoff::fibonacci(secs(1)).max_retries(6).collect();
    /// assert_eq!(delays, [secs(1), secs(1), secs(2), secs(3), secs(5), secs(8)]);
    /// ```
    #[must_use]
    pub fn fibonacci(initial: Duration) -> Self {
        Self::new(Kind::Fibonacci, initial, to_nanos(initial))
    }

    /// AWS's "decorrelated jitter": each delay is uniform in
    /// `[base, 3 × previous]`, capped at `cap`
    /// (`min(cap, random(base, prev * 3))`, starting from `prev = base`).
    ///
    /// The randomness is built in; [`jitter`](Self::jitter) is still
    /// applied on top if set, and [`max_delay`](Self::max_delay) still caps.
    /// A `cap` below `base` makes every delay `cap`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// let ms = Duration::from_millis;
    /// for delay in Backoff::decorrelated(ms(100), ms(2_000)).max_retries(10) {
    ///     assert!(delay >= ms(100) && delay <= ms(2_000));
    /// }
    /// ```
    #[must_use]
    pub fn decorrelated(base: Duration, cap: Duration) -> Self {
        Self::new(Kind::Decorrelated, base, to_nanos(cap))
    }

    /// The growth factor of [`exponential`](Self::exponential) backoff
    /// (ignored by the other kinds). Any finite or infinite value `>= 0`
    /// is accepted; the delays saturate.
    ///
    /// # Default
    ///
    /// 2.0
    ///
    /// # Panics
    ///
    /// If `factor` is negative or NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// let ms = Duration::from_millis;
    /// let delays: Vec<Duration> = Backoff::exponential(ms(100)).factor(1.5).collect();
    /// assert_eq!(delays, [ms(100), ms(150), ms(225)]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(
            factor >= 0.0,
            "Backoff::factor: the factor must be >= 0 (and not NaN), got {factor}"
        );
        if self.kind == Kind::Exponential {
            self.param = factor.to_bits();
        }
        self
    }

    /// A hard ceiling on every delay, applied after jitter.
    ///
    /// # Default
    ///
    /// No ceiling (but delays never exceed [`Duration::MAX`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Jitter};
    ///
    /// let secs = Duration::from_secs;
    /// for delay in Backoff::exponential(secs(1)).jitter(Jitter::Ratio(0.5)).max_delay(secs(3)).unlimited().take(20) {
    ///     assert!(delay <= secs(3));
    /// }
    /// ```
    #[must_use]
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = to_nanos(max);
        self
    }

    /// Randomizes every delay; see [`Jitter`].
    ///
    /// # Default
    ///
    /// [`Jitter::None`].
    ///
    /// # Panics
    ///
    /// If `jitter` is [`Jitter::Ratio`] with a ratio outside `[0, 1]` or
    /// NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Jitter};
    ///
    /// let secs = Duration::from_secs;
    /// for delay in Backoff::exponential(secs(1)).jitter(Jitter::Full) {
    ///     assert!(delay <= secs(4));
    /// }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        jitter.validate();
        (self.jitter, self.ratio) = match jitter {
            Jitter::None => (JitterKind::None, 0.0),
            Jitter::Full => (JitterKind::Full, 0.0),
            Jitter::Equal => (JitterKind::Equal, 0.0),
            Jitter::Ratio(r) => (JitterKind::Ratio, r),
        };
        self
    }

    /// At most `n` retries, so at most **`n + 1` attempts** in total: the
    /// schedule yields `n` delays. (`usize::MAX` is the same as
    /// [`unlimited`](Self::unlimited).)
    ///
    /// # Default
    ///
    /// 3 (four attempts).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// assert_eq!(Backoff::constant(Duration::from_secs(1)).max_retries(5).count(), 5);
    /// assert_eq!(Backoff::constant(Duration::from_secs(1)).max_retries(0).count(), 0);
    /// ```
    #[must_use]
    pub const fn max_retries(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }

    /// No limit on the number of retries: the schedule never ends. Bound
    /// the retry loop another way ([`Retry::max_elapsed`](super::Retry::max_elapsed),
    /// a [`Deadline`](crate::timeout::Deadline), or [`Iterator::take`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::Backoff;
    ///
    /// assert_eq!(Backoff::constant(Duration::from_secs(1)).unlimited().take(100).count(), 100);
    /// ```
    #[must_use]
    pub const fn unlimited(mut self) -> Self {
        self.remaining = usize::MAX;
        self
    }

    /// Seeds the random number generator, for reproducible jitter (tests,
    /// simulations).
    ///
    /// # Default
    ///
    /// Unseeded: each schedule (and each clone) draws fresh entropy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{Backoff, Jitter};
    ///
    /// let schedule = Backoff::exponential(Duration::from_secs(1)).jitter(Jitter::Full).seed(42);
    /// let a: Vec<Duration> = schedule.clone().collect();
    /// let b: Vec<Duration> = schedule.collect();
    /// assert_eq!(a, b);
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = if seed == 0 { ZERO_SEED } else { seed };
        self
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        if self.rng == 0 {
            self.rng = fastrand::Rng::new().get_seed();
        }
        let mut rng = fastrand::Rng::with_seed(self.rng);
        let unit = rng.f64();
        self.rng = match rng.get_seed() {
            0 => ZERO_SEED,
            state => state,
        };
        unit
    }

    /// The next delay before the ceiling and jitter, in nanoseconds.
    fn next_base(&mut self) -> u64 {
        match self.kind {
            Kind::Constant => self.initial,
            Kind::Exponential => {
                let factor = f64::from_bits(self.param);
                let delay = self.a;
                // Whole factors multiply exactly; others go through `f64`,
                // whose cast back saturates (and maps NaN to 0).
                self.a = if factor.fract() == 0.0 && factor < 1.8e19 {
                    delay.saturating_mul(factor as u64)
                } else {
                    (delay as f64 * factor) as u64
                };
                delay
            }
            Kind::Fibonacci => {
                let delay = self.a;
                (self.a, self.param) = (self.param, delay.saturating_add(self.param));
                delay
            }
            Kind::Decorrelated => {
                let cap = self.param;
                let low = self.initial as f64;
                let high = self.a as f64 * 3.0;
                let unit = self.unit();
                let delay = ((low + (high - low) * unit) as u64).min(cap);
                self.a = delay;
                delay
            }
        }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    #[inline]
    fn next(&mut self) -> Option<Duration> {
        match self.remaining {
            0 => return None,
            usize::MAX => {}
            _ => self.remaining -= 1,
        }
        let base = from_nanos(self.next_base().min(self.max_delay));
        let delay = self.jitter_value().apply(base, || self.unit());
        Some(delay.min(from_nanos(self.max_delay)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.remaining {
            usize::MAX => (usize::MAX, None),
            left => (left, Some(left)),
        }
    }
}
