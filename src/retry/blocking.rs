use std::time::Duration;

/// Retries a plain (blocking) closure on error, sleeping the thread between
/// attempts as `schedule` says. Returns the first `Ok` or the last error.
///
/// For threads and `spawn_blocking`, never for async code (it blocks the
/// thread while it sleeps). A schedule of `n` delays allows `n + 1` calls.
///
/// # Errors
///
/// The last error of `op`, once the schedule is exhausted.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::retry::{Backoff, retry_blocking};
///
/// let mut calls = 0;
/// let result = retry_blocking(Backoff::constant(Duration::from_millis(1)), || {
///     calls += 1;
///     if calls < 3 { Err("busy") } else { Ok(calls) }
/// });
/// assert_eq!(result, Ok(3));
/// ```
pub fn retry_blocking<B, F, T, E>(schedule: B, mut op: F) -> Result<T, E>
where
    B: IntoIterator<Item = Duration>,
    F: FnMut() -> Result<T, E>,
{
    let mut schedule = schedule.into_iter();
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(error) => match schedule.next() {
                Some(delay) => std::thread::sleep(delay),
                None => return Err(error),
            },
        }
    }
}
