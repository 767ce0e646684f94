//! The client-side counters of a Redis [`RateLimiter`](super::RateLimiter),
//! reported as the in-process limiter's [`LimiterStats`].

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use crate::rate_limit::{Counters, LimiterStats};

/// What this process's acquisitions did, shared by a limiter's clones.
#[derive(Debug, Default)]
pub(super) struct Stats {
    counters: Counters,
    granted: AtomicU64,
    refused: AtomicU64,
    /// Acquisitions in progress (waiting for this process's turn, for the
    /// server's answer, or sleeping until their permit is due).
    waiting: AtomicUsize,
}

impl Stats {
    /// `n` permits granted; `waited` if the acquisition had to queue.
    pub(super) fn granted(&self, n: u32, waited: Option<Duration>) {
        if let Some(waited) = waited {
            let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
            self.counters.granted_after(n, nanos);
        }
        self.granted.fetch_add(u64::from(n), Relaxed);
    }

    pub(super) fn refused(&self) {
        self.refused.fetch_add(1, Relaxed);
    }

    /// Counts an acquisition as waiting until the guard drops.
    pub(super) fn waiting(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Relaxed);
        Waiting(&self.waiting)
    }

    pub(super) fn snapshot(&self) -> LimiterStats {
        self.counters.snapshot(
            (self.granted.load(Relaxed), self.refused.load(Relaxed)),
            self.waiting.load(Relaxed),
        )
    }
}

/// One acquisition in progress; dropped when it ends, however it ends.
pub(super) struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}
