//! The in-place engine shared by [`Gather`](super::Gather) and
//! [`TryGather`](super::TryGather).
//!
//! At most `limit` futures sit in a [`FuturesUnordered`], each tagged with its
//! input position. `FuturesUnordered` gives every future its own waker, so a
//! wake-up polls only the future that was woken (no scan over all of them),
//! and it returns `Pending` after one pass over its ready queue, so a future
//! that wakes itself cannot starve the others or the caller's task. Each
//! completion frees a slot that the next input future fills in the same
//! poll, so the work per future is constant and 10^5 futures cost O(n).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FuturesUnordered, StreamExt};
use pin_project_lite::pin_project;

pin_project! {
    /// A future tagged with its position in the input.
    pub(crate) struct Indexed<F> {
        #[pin]
        fut: F,
        index: usize,
    }
}

impl<F: Future> Future for Indexed<F> {
    type Output = (usize, F::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let index = *this.index;
        this.fut.poll(cx).map(|out| (index, out))
    }
}

/// Pulls input futures lazily and keeps at most `limit` of them in flight.
pub(crate) struct Core<I, F> {
    /// The remaining input; `None` once it returned `None` (it is never
    /// called again after that, so it need not be fused).
    iter: Option<I>,
    /// The futures in flight; `in_flight.len() <= limit` at all times.
    in_flight: FuturesUnordered<Indexed<F>>,
    limit: usize,
    /// How many futures were taken from `iter` so far (the next index).
    started: usize,
}

impl<I, F> Core<I, F>
where
    I: Iterator,
    I::Item: IntoFuture<IntoFuture = F>,
    F: Future,
{
    #[track_caller]
    pub(crate) fn new(limit: usize, iter: I, what: &str) -> Self {
        assert!(
            limit > 0,
            "{what}: the concurrency limit must be at least 1 (a limit of 0 could never make progress)"
        );
        Core {
            iter: Some(iter),
            in_flight: FuturesUnordered::new(),
            limit,
            started: 0,
        }
    }

    /// A lower bound on the number of input futures, to size the results.
    pub(crate) fn size_hint(&self) -> usize {
        self.iter.as_ref().map_or(0, |it| it.size_hint().0)
    }

    /// Tops the in-flight set up to `limit`; returns how many slots of the
    /// result vector the caller must add (one per newly started future).
    fn fill(&mut self) -> usize {
        let before = self.started;
        while self.in_flight.len() < self.limit {
            let Some(iter) = self.iter.as_mut() else {
                break;
            };
            match iter.next() {
                Some(fut) => {
                    self.in_flight.push(Indexed {
                        fut: fut.into_future(),
                        index: self.started,
                    });
                    self.started += 1;
                }
                None => self.iter = None,
            }
        }
        self.started - before
    }

    /// Polls for the next finished future: `Ready(Some((index, output)))`,
    /// or `Ready(None)` once the input is exhausted and nothing is in flight.
    /// `grow` is called with the number of futures newly started.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        mut grow: impl FnMut(usize),
    ) -> Poll<Option<(usize, F::Output)>> {
        let added = self.fill();
        if added > 0 {
            grow(added);
        }
        self.in_flight.poll_next_unpin(cx)
    }

    /// Drops every future in flight and the rest of the input.
    pub(crate) fn cancel(&mut self) {
        self.iter = None;
        self.in_flight.clear();
    }
}

impl<I, F> fmt::Debug for Core<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("limit", &self.limit)
            .field("in_flight", &self.in_flight.len())
            .field("started", &self.started)
            .field("input_exhausted", &self.iter.is_none())
            .finish()
    }
}
