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
#[derive(Debug)]
pub struct Backoff {
    // Kept small (it is moved into every `Retry`): durations are stored as
    // saturating nanoseconds (see `to_nanos`).
    kind: Kind,
    /// `false`: `max_retries` is ignored and the schedule never ends.
    limited: bool,
    jitter: Jitter,
    initial: u64,
    /// Decorrelated: the cap of the AWS formula.
    cap: u64,
    factor: f64,
    /// Hard ceiling after jitter; `u64::MAX` when unset.
    max_delay: u64,
    max_retries: usize,
    /// Delays yielded so far.
    yielded: usize,
    /// Exponential: the next delay before the ceiling. Fibonacci: the next
    /// delay (`b` the one after). Decorrelated: the previous delay.
    a: u64,
    b: u64,
    /// The state of the random number generator: set by `seed`, else
    /// drawn from fresh entropy on first use (so clones of an unused,
    /// unseeded schedule jitter independently).
    rng: Option<u64>,
}

impl Clone for Backoff {
    // Every field is plain data: an inlinable copy (cloning a schedule is on
    // the happy path of `RetryPolicy::retry`).
    #[inline]
    fn clone(&self) -> Self {
        Self { ..*self }
    }
}

impl Backoff {
    fn new(kind: Kind, initial: Duration, cap: Duration) -> Self {
        let initial = to_nanos(initial);
        Self {
            kind,
            limited: true,
            jitter: Jitter::None,
            initial,
            cap: to_nanos(cap),
            factor: 2.0,
            max_delay: u64::MAX,
            max_retries: 3,
            yielded: 0,
            a: initial,
            b: initial,
            rng: None,
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
        Self::new(Kind::Constant, delay, Duration::MAX)
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
        Self::new(Kind::Exponential, initial, Duration::MAX)
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
        Self::new(Kind::Fibonacci, initial, Duration::MAX)
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
        Self::new(Kind::Decorrelated, base, cap)
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
        self.factor = factor;
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
        self.jitter = jitter;
        self
    }

    /// At most `n` retries, so at most **`n + 1` attempts** in total: the
    /// schedule yields `n` delays.
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
        self.limited = true;
        self.max_retries = n;
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
        self.limited = false;
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
        self.rng = Some(seed);
        self
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        let state = self
            .rng
            .get_or_insert_with(|| fastrand::Rng::new().get_seed());
        let mut rng = fastrand::Rng::with_seed(*state);
        let unit = rng.f64();
        *state = rng.get_seed();
        unit
    }

    /// The next delay before the ceiling and jitter, in nanoseconds.
    fn next_base(&mut self) -> u64 {
        match self.kind {
            Kind::Constant => self.initial,
            Kind::Exponential => {
                let delay = self.a;
                // Whole factors multiply exactly; others go through `f64`,
                // whose cast back saturates (and maps NaN to 0).
                self.a = if self.factor.fract() == 0.0 && self.factor < 1.8e19 {
                    delay.saturating_mul(self.factor as u64)
                } else {
                    (delay as f64 * self.factor) as u64
                };
                delay
            }
            Kind::Fibonacci => {
                let delay = self.a;
                (self.a, self.b) = (self.b, self.a.saturating_add(self.b));
                delay
            }
            Kind::Decorrelated => {
                let low = self.initial as f64;
                let high = self.a as f64 * 3.0;
                let unit = self.unit();
                let delay = ((low + (high - low) * unit) as u64).min(self.cap);
                self.a = delay;
                delay
            }
        }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.limited && self.yielded >= self.max_retries {
            return None;
        }
        self.yielded += 1;
        let base = from_nanos(self.next_base().min(self.max_delay));
        let jitter = self.jitter;
        let delay = jitter.apply(base, || self.unit());
        Some(delay.min(from_nanos(self.max_delay)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.limited {
            let left = self.max_retries.saturating_sub(self.yielded);
            (left, Some(left))
        } else {
            (usize::MAX, None)
        }
    }
}
