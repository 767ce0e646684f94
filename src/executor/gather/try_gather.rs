//! [`try_gather`]: like [`gather`](super::gather), stopping at the first error.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::engine::{Core, store};

/// Runs `futures` that return `Result` with at most `limit` in flight, and
/// resolves to all their `Ok` values in input order, or to the first `Err`.
///
/// This is `asyncio.gather` with a `Semaphore(limit)` where the first
/// exception wins. As soon as a future returns `Err`, every future still in
/// flight is dropped (cancelled) before `try_gather` returns, and no further
/// future is taken from the input. "First" means first to finish, not first
/// in input order. Like [`gather`](super::gather), everything runs in place
/// on the awaiting task: no spawning, no `'static` bound, no parallelism,
/// and each output spends one unit of tokio's cooperative budget.
///
/// To keep every outcome instead (`return_exceptions=True`), use
/// [`gather`](super::gather) on the same `Result` futures.
///
/// # Panics
///
/// Panics if `limit` is 0. A panicking future propagates its panic to the
/// caller.
///
/// # Examples
///
/// ```
/// use async_patterns::executor::try_gather;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ok = try_gather(3, (1..=5).map(|n| async move { Ok::<_, String>(n * 10) })).await;
/// assert_eq!(ok, Ok(vec![10, 20, 30, 40, 50]));
///
/// let err = try_gather(3, (1..=5).map(|n| async move {
///     if n == 2 { Err(format!("job {n} failed")) } else { Ok(n) }
/// }))
/// .await;
/// assert_eq!(err, Err("job 2 failed".to_string()));
/// # }
/// ```
#[track_caller]
pub fn try_gather<I, T, E>(
    limit: usize,
    futures: I,
) -> TryGather<I::IntoIter, <I::Item as IntoFuture>::IntoFuture, T, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let core = Core::new(limit, futures.into_iter(), "try_gather");
    let results = Vec::with_capacity(core.size_hint());
    TryGather {
        core,
        error: None,
        results,
        done: false,
    }
}

pin_project! {
    /// Future returned by [`try_gather`]: resolves to every `Ok` value in
    /// input order, or to the first error.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops every future still in flight, the input iterator
    /// with the futures not started yet, and the values collected so far.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct TryGather<I, F, T, E> {
        core: Core<I, F>,
        // The first error, between the poll that saw it and the return.
        error: Option<E>,
        // `results[i]` is `Some` once input future `i` returned `Ok`.
        results: Vec<Option<T>>,
        done: bool,
    }
}

impl<I, F, T, E> Future for TryGather<I, F, T, E>
where
    I: Iterator,
    I::Item: IntoFuture<IntoFuture = F>,
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(!*this.done, "`TryGather` polled after completion");
        let results = this.results;
        let error = this.error;
        ready!(this.core.poll_drive(cx, |index, out| match out {
            Ok(value) => {
                store(results, index, value);
                true
            }
            Err(e) => {
                *error = Some(e);
                false
            }
        },));
        *this.done = true;
        if let Some(e) = error.take() {
            this.core.cancel();
            *results = Vec::new();
            return Poll::Ready(Err(e));
        }
        let all = std::mem::take(results);
        Poll::Ready(Ok(all.into_iter().flatten().collect()))
    }
}

impl<I, F, T, E> fmt::Debug for TryGather<I, F, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGather")
            .field("core", &self.core)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
