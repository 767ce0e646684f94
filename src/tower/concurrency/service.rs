use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use super::{ConcurrencyLimitError, Mode, ResponseFuture};

/// The service of a [`ConcurrencyLimitLayer`](super::ConcurrencyLimitLayer).
///
/// It never waits in `poll_ready`: it reports ready at once, having asked
/// the inner service (without waiting) whether it is ready too. A request
/// that finds a permit free and the inner service ready is sent to it from
/// `call`; any other waits in its response future, first in the permits'
/// FIFO queue (a dropped request gives its place up), then for the
/// readiness of a clone of the inner service (hence `S: Clone`), so that
/// the inner service is only reserved by a request that holds a permit.
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
pub struct ConcurrencyLimit<S> {
    inner: S,
    // Whether `inner` said it was ready since its last call: it then holds
    // whatever its readiness reserves, until `call` uses it or drops it.
    inner_ready: bool,
    permits: Arc<Semaphore>,
    mode: Mode,
}

impl<S: Clone> Clone for ConcurrencyLimit<S> {
    /// A clone of the inner service is a fresh one, not (yet) ready.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            inner_ready: false,
            permits: Arc::clone(&self.permits),
            mode: self.mode,
        }
    }
}

impl<S> ConcurrencyLimit<S> {
    pub(super) fn new(inner: S, permits: Arc<Semaphore>, mode: Mode) -> Self {
        Self {
            inner,
            inner_ready: false,
            permits,
            mode,
        }
    }

    /// Asks the inner service, without waiting, whether it is ready, and
    /// remembers the answer for `call`. Only its failure is an error.
    pub(crate) fn poll_inner<Req>(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>>
    where
        S: Service<Req> + Clone,
    {
        if !self.inner_ready {
            match self.inner.poll_ready(cx) {
                Poll::Ready(Ok(())) => self.inner_ready = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // Whatever the pending readiness holds (a place in a
                // queue) is given back with this clone; `call` sends the
                // request on a fresh one.
                Poll::Pending => self.inner = self.inner.clone(),
            }
        }
        Poll::Ready(Ok(()))
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

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_inner(cx).map_err(ConcurrencyLimitError::Inner)
    }

    #[inline]
    fn call(&mut self, req: Req) -> Self::Future {
        let inner_ready = std::mem::replace(&mut self.inner_ready, false);
        // Never overtakes a queued waiter: tokio's semaphore hands released
        // permits to its waiters first, so none is free while one waits.
        match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) if inner_ready => ResponseFuture::called(permit, self.inner.call(req)),
            permit => self.call_later(permit.ok(), inner_ready, req),
        }
    }
}

impl<S> ConcurrencyLimit<S> {
    /// The requests that cannot be sent from `call`: no permit free, or
    /// the inner service not ready (kept out of line so that `call`'s
    /// common path stays small enough to inline).
    #[cold]
    #[inline(never)]
    fn call_later<Req>(
        &mut self,
        permit: Option<OwnedSemaphorePermit>,
        inner_ready: bool,
        req: Req,
    ) -> ResponseFuture<S, Req>
    where
        S: Service<Req> + Clone,
    {
        match (permit, self.mode) {
            (Some(permit), mode) => ResponseFuture::calling(permit, self.inner.clone(), req, mode),
            (None, mode) => {
                if inner_ready {
                    // Not to be reserved by a request that cannot go.
                    self.inner = self.inner.clone();
                }
                match mode {
                    Mode::Wait => {
                        ResponseFuture::waiting(Arc::clone(&self.permits), self.inner.clone(), req)
                    }
                    Mode::Shed => ResponseFuture::overloaded(),
                }
            }
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
