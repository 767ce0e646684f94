//! [`Call`]: the named future of every Redis-backed operation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of a call to Redis, returned by the async methods of
/// [`Queue`](super::Queue), [`Job`](super::Job) and
/// [`RateLimiter`](super::RateLimiter).
///
/// Each is one or a few network round trips, so the future is boxed: one
/// allocation per call is noise next to the round trip, and it keeps the
/// types nameable (store it in a struct, return it from a trait). What
/// dropping it loses is documented under `# Cancel safety` on each method.
///
/// # Examples
///
/// ```no_run
/// use async_patterns::redis::{Call, Queue, SendError};
///
/// fn enqueue(queue: &Queue<u64>, n: u64) -> Call<'_, Result<(), SendError<u64>>> {
///     queue.send(n)
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// # let queue = Queue::builder("numbers").open(&client).await.unwrap();
/// enqueue(&queue, 7).await.unwrap();
/// # }
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Call<'a, T> {
    fut: Pin<Box<dyn Future<Output = T> + Send + 'a>>,
}

impl<'a, T> Call<'a, T> {
    pub(crate) fn new(fut: impl Future<Output = T> + Send + 'a) -> Self {
        Self { fut: Box::pin(fut) }
    }
}

impl<T> Future for Call<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.fut.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call").finish_non_exhaustive()
    }
}
