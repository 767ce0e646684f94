use std::time::Duration;

use super::Jitter;
use super::jitter::{nanos_to_duration, u128_to_duration};

/// The growth rule of a [`Backoff`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Constant,
    Exponential,
    Fibonacci,
    Decorrelated { cap: Duration },
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
/// wrap-around.
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
#[derive(Debug, Clone)]
pub struct Backoff {
    kind: Kind,
    initial: Duration,
    factor: f64,
    max_delay: Option<Duration>,
    jitter: Jitter,
    /// `None`: unlimited.
    max_retries: Option<usize>,
    seed: Option<u64>,
    /// Delays yielded so far.
    yielded: usize,
    /// Exponential: the next delay before the ceiling, in nanoseconds
    /// (saturating; `u128` holds every `Duration`).
    next_nanos: u128,
    /// Fibonacci: the next two delays. Decorrelated: `.0` is the previous
    /// delay.
    fib: (Duration, Duration),
    /// Created on first use, from `seed` or from fresh entropy.
    rng: Option<fastrand::Rng>,
}

impl Backoff {
    const fn new(kind: Kind, initial: Duration) -> Self {
        Self {
            kind,
            initial,
            factor: 2.0,
            max_delay: None,
            jitter: Jitter::None,
            max_retries: Some(3),
            seed: None,
            yielded: 0,
            next_nanos: initial.as_nanos(),
            fib: (initial, initial),
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
    pub const fn constant(delay: Duration) -> Self {
        Self::new(Kind::Constant, delay)
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
    pub const fn exponential(initial: Duration) -> Self {
        Self::new(Kind::Exponential, initial)
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
    pub const fn fibonacci(initial: Duration) -> Self {
        Self::new(Kind::Fibonacci, initial)
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
    pub const fn decorrelated(base: Duration, cap: Duration) -> Self {
        Self::new(Kind::Decorrelated { cap }, base)
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
    pub const fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = Some(max);
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
        self.max_retries = Some(n);
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
        self.max_retries = None;
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
    pub const fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    fn rng(&mut self) -> &mut fastrand::Rng {
        let seed = self.seed;
        self.rng.get_or_insert_with(|| match seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        })
    }

    /// The next delay before the ceiling and jitter.
    fn next_base(&mut self) -> Duration {
        match self.kind {
            Kind::Constant => self.initial,
            Kind::Exponential => {
                let delay = u128_to_duration(self.next_nanos);
                // Whole factors multiply exactly; others go through `f64`,
                // whose cast back saturates (and maps `inf * 0 = NaN` to 0).
                let next = if self.factor.fract() == 0.0 && self.factor <= 1e18 {
                    self.next_nanos.saturating_mul(self.factor as u128)
                } else {
                    (self.next_nanos as f64 * self.factor) as u128
                };
                self.next_nanos = next.min(Duration::MAX.as_nanos());
                delay
            }
            Kind::Fibonacci => {
                let (a, b) = self.fib;
                self.fib = (b, a.saturating_add(b));
                a
            }
            Kind::Decorrelated { cap } => {
                let low = self.initial.as_nanos() as f64;
                let high = self.fib.0.as_nanos() as f64 * 3.0;
                let unit = self.rng().f64();
                let delay = nanos_to_duration(low + (high - low) * unit).min(cap);
                self.fib.0 = delay;
                delay
            }
        }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.max_retries.is_some_and(|max| self.yielded >= max) {
            return None;
        }
        self.yielded += 1;
        let ceiling = self.max_delay.unwrap_or(Duration::MAX);
        let base = self.next_base().min(ceiling);
        let jitter = self.jitter;
        let delay = jitter.apply(base, || self.rng().f64());
        Some(delay.min(ceiling))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.max_retries {
            Some(max) => {
                let left = max.saturating_sub(self.yielded);
                (left, Some(left))
            }
            None => (usize::MAX, None),
        }
    }
}
