//! How the concurrency and retry layers use the inner service's readiness:
//! a request is only sent to a service that said it was ready, and a
//! readiness (which may reserve capacity, as `Buffer`'s does) is held only
//! by a request that can go.
#![cfg(feature = "tower")]

use std::future::{Pending, Ready, pending, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_patterns::retry::{Backoff, RetryPolicy};
use async_patterns::tower::{ConcurrencyLimitError, ConcurrencyLimitLayer, RetryLayer};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready};
use tower::{Layer, Service, ServiceExt};

/// Counts the readinesses its clones hold, as a `Buffer` would hold slots;
/// panics when called while not ready (tower's contract). Its calls fail
/// while `failures` lasts, and their responses wait forever when `hang`.
#[derive(Debug)]
struct Reserving {
    reserved: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
    failures: usize,
    hang: bool,
    holds: bool,
}

impl Reserving {
    fn new(failures: usize, hang: bool) -> Self {
        Self {
            reserved: Arc::default(),
            calls: Arc::default(),
            failures,
            hang,
            holds: false,
        }
    }

    fn reserved(&self) -> usize {
        self.reserved.load(Ordering::SeqCst)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Clone for Reserving {
    fn clone(&self) -> Self {
        Self {
            reserved: self.reserved.clone(),
            calls: self.calls.clone(),
            failures: self.failures,
            hang: self.hang,
            holds: false,
        }
    }
}

impl Drop for Reserving {
    fn drop(&mut self) {
        if self.holds {
            self.reserved.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Service<()> for Reserving {
    type Response = usize;
    type Error = &'static str;
    type Future = futures::future::Either<
        Ready<Result<usize, &'static str>>,
        Pending<Result<usize, &'static str>>,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if !self.holds {
            self.holds = true;
            self.reserved.fetch_add(1, Ordering::SeqCst);
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, (): ()) -> Self::Future {
        assert!(self.holds, "called without being ready");
        self.holds = false;
        self.reserved.fetch_sub(1, Ordering::SeqCst);
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.hang {
            futures::future::Either::Right(pending())
        } else if n < self.failures {
            futures::future::Either::Left(ready(Err("busy")))
        } else {
            futures::future::Either::Left(ready(Ok(n)))
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_without_a_permit_holds_no_readiness_of_the_inner_service() {
    let inner = Reserving::new(0, true);
    let layer = ConcurrencyLimitLayer::new(1);
    let mut svc = layer.layer(inner.clone());

    let first = svc.ready().await.unwrap().call(());
    assert_eq!((inner.calls(), inner.reserved()), (1, 0));

    // Ready (the inner service too), but no permit: the request waits, and
    // the readiness it would have used is given back.
    let mut second = spawn(svc.ready().await.unwrap().call(()));
    assert_pending!(second.poll());
    assert_eq!((inner.calls(), inner.reserved()), (1, 0));

    drop(first);
    assert!(second.is_woken());
    assert_pending!(second.poll()); // sent on a clone readied now
    assert_eq!((inner.calls(), inner.reserved()), (2, 0));
}

#[tokio::test(start_paused = true)]
async fn a_shed_request_holds_no_readiness_of_the_inner_service() {
    let inner = Reserving::new(0, true);
    let mut svc = ConcurrencyLimitLayer::new(1).shed().layer(inner.clone());
    let _first = svc.ready().await.unwrap().call(());
    let shed = svc.ready().await.unwrap().call(()).await;
    assert!(matches!(shed, Err(ConcurrencyLimitError::Overloaded)));
    assert_eq!((inner.calls(), inner.reserved()), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_clone_of_a_ready_service_is_readied_anew() {
    let inner = Reserving::new(0, false);
    let mut svc = ConcurrencyLimitLayer::new(4).layer(inner.clone());
    svc.ready().await.unwrap();
    assert_eq!(inner.reserved(), 1);
    // The clone's inner service is a fresh clone: it is asked again, not
    // called unready.
    let mut clone = svc.clone();
    assert_eq!(clone.ready().await.unwrap().call(()).await.unwrap(), 0);
    assert_eq!(svc.call(()).await.unwrap(), 1);
    assert_eq!(inner.reserved(), 0);
}

/// Fails in `poll_ready`.
#[derive(Debug, Clone)]
struct Broken;

impl Service<()> for Broken {
    type Response = ();
    type Error = &'static str;
    type Future = Ready<Result<(), &'static str>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Err("broken"))
    }

    fn call(&mut self, (): ()) -> Self::Future {
        unreachable!("never ready")
    }
}

#[tokio::test(start_paused = true)]
async fn an_inner_readiness_failure_is_the_concurrency_services_own() {
    for layer in [
        ConcurrencyLimitLayer::new(1),
        ConcurrencyLimitLayer::new(1).shed(),
    ] {
        let mut svc = layer.layer(Broken);
        let mut ready = spawn(svc.ready());
        assert!(matches!(
            assert_ready!(ready.poll()),
            Err(ConcurrencyLimitError::Inner("broken"))
        ));
        drop(ready);
        assert_eq!(layer.available(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn retries_go_to_clones_readied_anew() {
    let inner = Reserving::new(2, false);
    let layer = RetryLayer::new(RetryPolicy::new(Backoff::constant(Duration::from_millis(
        10,
    ))));
    let mut svc = layer.layer(inner.clone());
    assert_eq!(svc.ready().await.unwrap().call(()).await, Ok(2));
    assert_eq!((inner.calls(), inner.reserved()), (3, 0));
    // The retry service is ready when (and because) the inner one is.
    let mut broken = layer.layer(Broken);
    assert_eq!(broken.ready().await.err(), Some("broken"));
}
