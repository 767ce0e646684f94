use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::Semaphore;
use tower_service::Service;

use super::{ConcurrencyLimitError, Mode, ResponseFuture};

/// The service of a [`ConcurrencyLimitLayer`](super::ConcurrencyLimitLayer).
///
/// It reports ready at once; the wait for a permit (and for the inner
/// service's readiness) is in the response future, so that requests wait
/// in one FIFO queue and a dropped one gives its place up. Each request is
/// served by a clone of the inner service, hence `S: Clone`.
///
/// # Examples
///
/// ```
/// use std::convert::Infallible;
/// use async_patterns::tower::ConcurrencyLimitLayer;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let svc = ConcurrencyLimitLayer::new(1).layer(service_fn(|x: u8| async move { Ok::<_, Infallible>(x) }));
/// let (a, b) = tokio::join!(svc.clone().oneshot(1), svc.oneshot(2));
/// assert_eq!((a.unwrap(), b.unwrap()), (1, 2));
/// # }
/// ```
#[derive(Clone)]
pub struct ConcurrencyLimit<S> {
    inner: S,
    permits: Arc<Semaphore>,
    mode: Mode,
}

impl<S> ConcurrencyLimit<S> {
    pub(super) fn new(inner: S, permits: Arc<Semaphore>, mode: Mode) -> Self {
        Self {
            inner,
            permits,
            mode,
        }
    }

    /// The inner service.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::tower::ConcurrencyLimitLayer;
    /// use tower::Layer;
    ///
    /// let svc = ConcurrencyLimitLayer::new(1).layer("inner");
    /// assert_eq!(*svc.get_ref(), "inner");
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, Req> Service<Req> for ConcurrencyLimit<S>
where
    S: Service<Req> + Clone,
{
    type Response = S::Response;
    type Error = ConcurrencyLimitError<S::Error>;
    type Future = ResponseFuture<S, Req>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // Never overtakes a queued waiter: tokio's semaphore hands released
        // permits to its waiters first, so none is free while one waits.
        match (Arc::clone(&self.permits).try_acquire_owned(), self.mode) {
            (Ok(permit), mode) => ResponseFuture::calling(permit, self.inner.clone(), req, mode),
            (Err(_), Mode::Wait) => {
                ResponseFuture::waiting(Arc::clone(&self.permits), self.inner.clone(), req)
            }
            (Err(_), Mode::Shed) => ResponseFuture::overloaded(),
        }
    }
}

impl<S> fmt::Debug for ConcurrencyLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimit")
            .field("available", &self.permits.available_permits())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}
