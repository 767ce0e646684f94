use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::stats::Counters;
use super::{Pool, Pooled};
use crate::timeout::{Elapsed, Timeout, timeout};

type BoxedGet<'a, T> = Pin<Box<dyn Future<Output = Pooled<T>> + Send + 'a>>;

/// Future returned by [`Pool::get`]; resolves to a [`Pooled`] guard.
///
/// It waits for a place in line (FIFO), then reuses an idle object or runs
/// the factory. One allocation per call holds that state machine.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Get<'a, T> {
    inner: BoxedGet<'a, T>,
}

impl<'a, T: Send + 'static> Get<'a, T> {
    pub(super) fn new(pool: &'a Pool<T>) -> Self {
        let shared = &pool.shared;
        Self {
            inner: Box::pin(traced(async move {
                let _in_progress = shared.counters.start_get();
                let Ok(permit) = shared.permits.acquire().await else {
                    panic!("Pool::get: the pool is closed");
                };
                // Cancelled in `checkout`: `permit` drops and frees the place.
                let (object, created) = shared.checkout().await;
                permit.forget();
                Counters::bump(&shared.counters.checkouts);
                Pooled::new(shared.clone(), object, created)
            })),
        }
    }
}

/// With the `tracing` feature, a get runs in a `pool.get` span and ends
/// with an event that records how long it took.
#[cfg(feature = "tracing")]
fn traced<F: Future>(get: F) -> impl Future<Output = F::Output> {
    use tracing::Instrument;
    let span = tracing::debug_span!(target: "async_patterns::pool", "pool.get");
    async move {
        let started = tokio::time::Instant::now();
        let out = get.await;
        tracing::debug!(target: "async_patterns::pool", wait = ?started.elapsed(), "checked out");
        out
    }
    .instrument(span)
}

#[cfg(not(feature = "tracing"))]
fn traced<F>(get: F) -> F {
    get
}

impl<T> Future for Get<'_, T> {
    type Output = Pooled<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Pooled<T>> {
        self.inner.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").finish_non_exhaustive()
    }
}

pin_project! {
    /// Future returned by [`Pool::get_timeout`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct GetTimeout<'a, T> {
        #[pin]
        inner: Timeout<Get<'a, T>>,
        pool: &'a Pool<T>,
    }
}

impl<'a, T: Send + 'static> GetTimeout<'a, T> {
    pub(super) fn new(pool: &'a Pool<T>, limit: Duration) -> Self {
        Self {
            inner: timeout(limit, pool.get()),
            pool,
        }
    }
}

impl<T> Future for GetTimeout<'_, T> {
    type Output = Result<Pooled<T>, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = this.inner.poll(cx);
        if let Poll::Ready(Err(_)) = &polled {
            Counters::bump(&this.pool.shared.counters.timed_out);
        }
        polled
    }
}

impl<T> fmt::Debug for GetTimeout<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetTimeout")
            .field("expires_at", &self.inner.expires_at())
            .finish_non_exhaustive()
    }
}
