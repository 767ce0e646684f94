use std::time::Duration;

/// How a [`Backoff`](super::Backoff) randomizes each delay, so that many
/// clients that failed together do not retry together.
///
/// Jitter is applied to the schedule's delay *after* it is capped by
/// [`max_delay`](super::Backoff::max_delay), and the result is capped again:
/// `max_delay` is a hard ceiling.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, Jitter};
///
/// let delays: Vec<Duration> = Backoff::constant(Duration::from_secs(1))
///     .jitter(Jitter::Equal)
///     .seed(7)
///     .collect();
/// assert_eq!(delays.len(), 3);
/// for d in delays {
///     assert!(d >= Duration::from_millis(500) && d <= Duration::from_secs(1));
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Jitter {
    /// The delay as scheduled (the default).
    #[default]
    None,
    /// Uniform in `[0, delay]` ("full jitter"): the best spread, and the
    /// lowest total load on the server.
    Full,
    /// Uniform in `[delay / 2, delay]` ("equal jitter"): never much shorter
    /// than scheduled.
    Equal,
    /// Uniform in `[delay * (1 - r), delay * (1 + r)]` for `r` in `[0, 1]`
    /// (tenacity's `wait_random` around the schedule; `Ratio(0.1)` is
    /// ±10 %).
    Ratio(f64),
}

impl Jitter {
    /// Checks the configuration; used by `Backoff::jitter`.
    #[track_caller]
    pub(crate) fn validate(self) {
        if let Jitter::Ratio(r) = self {
            assert!(
                (0.0..=1.0).contains(&r),
                "Jitter::Ratio: the ratio must be within [0, 1], got {r}"
            );
        }
    }

    /// Applies the jitter to `delay`, with `unit` uniform in `[0, 1)`.
    pub(crate) fn apply(self, delay: Duration, unit: impl FnOnce() -> f64) -> Duration {
        let nanos = delay.as_nanos() as f64;
        let jittered = match self {
            Jitter::None => return delay,
            Jitter::Full => nanos * unit(),
            Jitter::Equal => nanos / 2.0 + nanos / 2.0 * unit(),
            Jitter::Ratio(r) => nanos * (1.0 - r + 2.0 * r * unit()),
        };
        nanos_to_duration(jittered)
    }
}

/// Converts nanoseconds to a `Duration`, never panicking: NaN and negative
/// values become zero, values too large become `Duration::MAX`.
pub(crate) fn nanos_to_duration(nanos: f64) -> Duration {
    // Float-to-int `as` saturates, and maps NaN to 0.
    u128_to_duration(nanos as u128)
}

/// Converts nanoseconds to a `Duration`, saturating at `Duration::MAX`.
pub(crate) fn u128_to_duration(nanos: u128) -> Duration {
    let secs = nanos / 1_000_000_000;
    match u64::try_from(secs) {
        Ok(secs) => Duration::new(secs, (nanos % 1_000_000_000) as u32),
        Err(_) => Duration::MAX,
    }
}
