//! Integration tests for `async_patterns::executor`.

mod gather;
mod task_group;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tracks how many instrumented futures are alive at once, and the most ever.
#[derive(Clone, Default)]
pub(crate) struct Gauge {
    inner: Arc<GaugeInner>,
}

#[derive(Default)]
struct GaugeInner {
    now: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
}

/// Held while an instrumented future runs.
pub(crate) struct Entered {
    inner: Arc<GaugeInner>,
}

impl Gauge {
    pub(crate) fn enter(&self) -> Entered {
        let now = self.inner.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.max.fetch_max(now, Ordering::SeqCst);
        self.inner.total.fetch_add(1, Ordering::SeqCst);
        Entered {
            inner: Arc::clone(&self.inner),
        }
    }

    pub(crate) fn max(&self) -> usize {
        self.inner.max.load(Ordering::SeqCst)
    }

    pub(crate) fn now(&self) -> usize {
        self.inner.now.load(Ordering::SeqCst)
    }

    pub(crate) fn total(&self) -> usize {
        self.inner.total.load(Ordering::SeqCst)
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.inner.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts drops: each future owns one, so a test sees it was cancelled.
pub(crate) struct DropCount(pub(crate) Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A current-thread runtime on tokio's paused clock, for proptest bodies
/// (which cannot be `#[tokio::test]`s).
pub(crate) fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

pub(crate) fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

pub(crate) fn get(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}

/// Returns `Pending` once, waking itself at once (unlike
/// `tokio::task::yield_now`, which defers the wake-up to the runtime).
pub(crate) fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

pub(crate) struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}
