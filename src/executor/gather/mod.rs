//! [`gather`]: run futures in place with bounded concurrency.

mod engine;
mod try_gather;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

pub use self::try_gather::{TryGather, try_gather};

use self::engine::{Core, store};

/// Runs `futures` with at most `limit` of them in flight and resolves to all
/// their outputs, **in input order**.
///
/// This is `asyncio.gather(*coros)` with the usual `Semaphore(limit)` built
/// in. The futures are polled in place by the task that awaits the returned
/// [`Gather`]: nothing is spawned, so they may borrow local data (no
/// `'static` or `Send` needed), but they also share that one task and never
/// run in parallel on several threads. For parallelism (or CPU-bound work)
/// use a [`TaskGroup`](super::TaskGroup).
///
/// The input is consumed lazily: the next future is taken from the iterator
/// only when a slot frees, so a long (even endless-looking) iterator costs
/// memory for `limit` futures plus the outputs collected so far. Slow futures
/// never hold back the others: whenever one finishes, the next one starts.
/// An empty input resolves on the first poll with an empty `Vec`.
///
/// For no limit (plain `asyncio.gather(*coros)`), pass `usize::MAX`: every
/// future starts at once, and memory follows the number of futures, not the
/// limit (slots are allocated as futures start).
/// For a few futures of *different* types, use `futures::join!` or
/// `futures::try_join!`: `gather` needs one future type (box them,
/// or wrap them in an enum, to mix).
///
/// Each output spends one unit of tokio's cooperative budget (as the
/// crate's queue and [`TaskGroup`](super::TaskGroup) do): a long run of
/// futures that finish at once still lets the runtime's other tasks run
/// every so often.
///
/// Runnable example: `bounded_fetch` (`cargo run --example bounded_fetch`),
/// ten downloads, three at a time.
///
/// # Panics
///
/// Panics if `limit` is 0. If one of the futures panics, the panic
/// propagates to the caller (like awaiting it directly), and the others are
/// dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_patterns::executor::gather;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let names = vec!["a", "bb", "ccc", "dddd"];
/// // Borrowed futures: each one reads from `names`.
/// let lengths = gather(2, names.iter().map(|name| async move {
///     tokio::time::sleep(Duration::from_millis(5 - name.len() as u64)).await;
///     name.len()
/// }))
/// .await;
/// assert_eq!(lengths, [1, 2, 3, 4]); // input order, whatever finished first
///
/// // No limit; and two futures of different types with `futures::join!`.
/// let all = gather(usize::MAX, (0..1_000).map(|i| async move { i * 2 })).await;
/// assert_eq!(all.len(), 1_000);
/// let (n, s) = futures::join!(async { 1 }, async { "one" });
/// assert_eq!((n, s), (1, "one"));
/// # }
/// ```
#[track_caller]
pub fn gather<I>(
    limit: usize,
    futures: I,
) -> Gather<I::IntoIter, <I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let core = Core::new(limit, futures.into_iter(), "gather");
    let results = Vec::with_capacity(core.size_hint());
    Gather {
        core,
        results,
        done: false,
    }
}

pin_project! {
    /// Future returned by [`gather`]: resolves to every output, in input
    /// order.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops every future still in flight, the input iterator
    /// with the futures not started yet, and the outputs collected so far.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Gather<I, F>
    where
        F: Future,
    {
        core: Core<I, F>,
        // `results[i]` is `Some` once input future `i` finished.
        results: Vec<Option<F::Output>>,
        done: bool,
    }
}

impl<I, F> Future for Gather<I, F>
where
    I: Iterator,
    I::Item: IntoFuture<IntoFuture = F>,
    F: Future,
{
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(!*this.done, "`Gather` polled after completion");
        let results = this.results;
        ready!(this.core.poll_drive(cx, |index, out| {
            store(results, index, out);
            true
        },));
        *this.done = true;
        let all = std::mem::take(results);
        Poll::Ready(all.into_iter().flatten().collect())
    }
}

impl<I, F: Future> fmt::Debug for Gather<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("core", &self.core)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
