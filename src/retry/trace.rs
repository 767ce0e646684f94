//! The `tracing` events of a retry (feature `tracing`).
//!
//! `E` has no `Display` bound (a retry accepts any error type), so the
//! events name the error's type; a `notify` hook that records
//! `error = %event.error()` adds the message where `E: Display`.

use std::time::Duration;

/// An attempt failed and another follows after `delay`.
pub(super) fn attempt_failed<E>(attempt: usize, delay: Duration) {
    tracing::warn!(
        target: "async_patterns::retry",
        attempt,
        ?delay,
        error_type = std::any::type_name::<E>(),
        "attempt failed; retrying"
    );
}

/// The retry ends with the error of its last attempt: `retryable` is false
/// when `when` refused the error, true when the schedule or the time budget
/// ran out.
pub(super) fn gave_up<E>(attempts: usize, retryable: bool) {
    let reason = if retryable {
        "retries exhausted"
    } else {
        "error not retryable"
    };
    tracing::warn!(
        target: "async_patterns::retry",
        attempts,
        reason,
        error_type = std::any::type_name::<E>(),
        "giving up"
    );
}
