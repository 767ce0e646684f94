//! The hooks of a [`Retry`](super::Retry) and the [`RetryEvent`] its
//! `notify` hook sees. A hook is a closure the caller gave, or a
//! zero-sized default that does nothing. The defaults are types of their
//! own (not `Option<fn>`), so that a [`Retry`](super::Retry) without hooks
//! carries no hook state at all.

use std::fmt;
use std::time::Duration;

/// The `when` hook of a [`Retry`](super::Retry) that has none: every error
/// is retried.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryAll;

/// The `notify` hook of a [`Retry`](super::Retry) that has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotify;

/// The `retry_after` hook of a [`Retry`](super::Retry) that has none: the
/// schedule alone decides the delays.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRetryAfter;

mod sealed {
    pub trait When<E> {}
    pub trait Notify<E> {}
    pub trait RetryAfter<E> {}
}

/// A [`when`](super::Retry::when) hook: any `FnMut(&E) -> bool`, or
/// [`RetryAll`]. Sealed; it only appears in the bounds of `Retry`'s
/// `Future` impl.
pub trait When<E>: sealed::When<E> {
    /// Whether to retry after `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use async_patterns::retry::{RetryAll, When};
    ///
    /// let mut transient = |e: &Error| e.kind() == ErrorKind::TimedOut;
    /// assert!(transient.retry(&Error::from(ErrorKind::TimedOut)));
    /// assert!(!transient.retry(&Error::from(ErrorKind::NotFound)));
    /// assert!(When::<Error>::retry(&mut RetryAll, &Error::from(ErrorKind::NotFound)));
    /// ```
    fn retry(&mut self, error: &E) -> bool;
    /// `false` for [`RetryAll`].
    #[doc(hidden)]
    const IS_SET: bool = true;
}

/// A [`notify`](super::Retry::notify) hook: any
/// `FnMut(&RetryEvent<'_, E>)`, or [`NoNotify`]. Sealed.
pub trait Notify<E>: sealed::Notify<E> {
    /// Called before sleeping for a retry.
    ///
    /// # Examples
    ///
    /// A closure given to [`Retry::notify`](super::Retry::notify) is
    /// called through this method once per retry:
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let mut retries = Vec::new();
    /// let result: Result<u32, &str> = retry(Backoff::constant(Duration::from_millis(5)), || {
    ///     calls += 1;
    ///     let n = calls;
    ///     async move { if n < 3 { Err("busy") } else { Ok(n) } }
    /// })
    /// .notify(|event| retries.push(event.attempt()))
    /// .await;
    /// assert_eq!(result, Ok(3));
    /// assert_eq!(retries, [1, 2]);
    /// # }
    /// ```
    fn notify(&mut self, event: &RetryEvent<'_, E>);
    /// `false` for [`NoNotify`].
    #[doc(hidden)]
    const IS_SET: bool = true;
}

/// A [`retry_after`](super::Retry::retry_after) hook: any
/// `FnMut(&E) -> Option<Duration>`, or [`NoRetryAfter`]. Sealed.
pub trait RetryAfter<E>: sealed::RetryAfter<E> {
    /// The server's hint for `error`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{NoRetryAfter, RetryAfter};
    ///
    /// struct Throttled { retry_after_secs: u64 }
    /// let mut hint = |e: &Throttled| Some(Duration::from_secs(e.retry_after_secs));
    /// let busy = Throttled { retry_after_secs: 2 };
    /// assert_eq!(hint.hint(&busy), Some(Duration::from_secs(2)));
    /// assert_eq!(RetryAfter::<Throttled>::hint(&mut NoRetryAfter, &busy), None);
    /// ```
    fn hint(&mut self, error: &E) -> Option<Duration>;
    /// `false` for [`NoRetryAfter`].
    #[doc(hidden)]
    const IS_SET: bool = true;
}

impl<E, W: FnMut(&E) -> bool> sealed::When<E> for W {}
impl<E> sealed::When<E> for RetryAll {}
impl<E, W: FnMut(&E) -> bool> When<E> for W {
    #[inline]
    fn retry(&mut self, error: &E) -> bool {
        self(error)
    }
}
impl<E> When<E> for RetryAll {
    #[inline]
    fn retry(&mut self, _: &E) -> bool {
        true
    }
    const IS_SET: bool = false;
}

impl<E, N: FnMut(&RetryEvent<'_, E>)> sealed::Notify<E> for N {}
impl<E> sealed::Notify<E> for NoNotify {}
impl<E, N: FnMut(&RetryEvent<'_, E>)> Notify<E> for N {
    #[inline]
    fn notify(&mut self, event: &RetryEvent<'_, E>) {
        self(event);
    }
}
impl<E> Notify<E> for NoNotify {
    #[inline]
    fn notify(&mut self, _: &RetryEvent<'_, E>) {}
    const IS_SET: bool = false;
}

impl<E, A: FnMut(&E) -> Option<Duration>> sealed::RetryAfter<E> for A {}
impl<E> sealed::RetryAfter<E> for NoRetryAfter {}
impl<E, A: FnMut(&E) -> Option<Duration>> RetryAfter<E> for A {
    #[inline]
    fn hint(&mut self, error: &E) -> Option<Duration> {
        self(error)
    }
}
impl<E> RetryAfter<E> for NoRetryAfter {
    #[inline]
    fn hint(&mut self, _: &E) -> Option<Duration> {
        None
    }
    const IS_SET: bool = false;
}

/// What a [`notify`](super::Retry::notify) hook sees after a failed attempt
/// that will be retried (tenacity's `before_sleep` / `RetryCallState`).
///
/// The hook is not called after the final failure: that error is what the
/// [`Retry`](super::Retry) future returns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut seen = Vec::new();
/// let result: Result<(), &str> = retry(Backoff::constant(Duration::from_secs(1)).max_retries(2), || async {
///     Err("down")
/// })
/// .notify(|event| seen.push((event.attempt(), *event.error(), event.delay(), event.elapsed())))
/// .await;
/// assert_eq!(result, Err("down"));
/// let secs = Duration::from_secs;
/// assert_eq!(seen, [(1, "down", secs(1), secs(0)), (2, "down", secs(1), secs(1))]);
/// # }
/// ```
pub struct RetryEvent<'a, E> {
    pub(crate) attempt: usize,
    pub(crate) error: &'a E,
    pub(crate) delay: Duration,
    pub(crate) elapsed: Duration,
}

impl<'a, E> RetryEvent<'a, E> {
    /// The 1-based number of the attempt that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(event.attempt()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, [1, 2]);
    /// # }
    /// ```
    #[must_use]
    pub const fn attempt(&self) -> usize {
        self.attempt
    }

    /// The error that attempt failed with.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(*event.error()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, ["busy", "busy"]);
    /// # }
    /// ```
    #[must_use]
    pub const fn error(&self) -> &'a E {
        self.error
    }

    /// How long the retry loop sleeps before the next attempt.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(event.delay()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, [Duration::from_millis(10); 2]);
    /// # }
    /// ```
    #[must_use]
    pub const fn delay(&self) -> Duration {
        self.delay
    }

    /// Time since the first attempt started, attempts and sleeps included.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::retry::{retry, Backoff};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut seen = Vec::new();
    /// let outcome = retry(Backoff::constant(Duration::from_millis(10)).max_retries(2), || async {
    ///     Err::<(), _>("busy")
    /// })
    /// .notify(|event| seen.push(event.elapsed()))
    /// .await;
    /// assert_eq!(outcome, Err("busy"));
    /// assert_eq!(seen, [Duration::ZERO, Duration::from_millis(10)]);
    /// # }
    /// ```
    #[must_use]
    pub const fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

impl<E> fmt::Debug for RetryEvent<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryEvent")
            .field("attempt", &self.attempt)
            .field("delay", &self.delay)
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}
