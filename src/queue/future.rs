//! The futures returned by [`Sender`](super::Sender) and
//! [`Receiver`](super::Receiver).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use super::chan::{Chan, Delivery, EventKind, SendKind, Withdrawn};
use super::error::{RecvError, RecvTimeoutError, SendError, SendTimeoutError};
use super::job::Job;
use super::permit::Permit;
use crate::loom::Arc;
use crate::timeout::{Timeout, timeout};
use crate::timer::{CoopBudget, Timer};

/// A send or reserve registration in `send_waiters`, withdrawn on drop.
pub(crate) struct SendWaiter<'a, T> {
    chan: &'a Chan<T>,
    key: Option<usize>,
    kind: SendKind,
}

impl<T> Drop for SendWaiter<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            // A blocked item is taken back out of the list (it is never
            // queued later) and dropped here, outside the lock.
            drop(self.chan.cancel_send(k, self.kind));
        }
    }
}

/// A receive registration in `recv_waiters`, withdrawn on drop (passing a
/// wakeup it had been given to the next receiver).
pub(crate) struct RecvWaiter<'a, T> {
    chan: &'a Arc<Chan<T>>,
    key: Option<usize>,
}

impl<T> Drop for RecvWaiter<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.chan.cancel_recv(k);
        }
    }
}

/// A `closed()` or `join()` registration, withdrawn on drop.
pub(crate) struct EventWaiter<'a, T> {
    chan: &'a Chan<T>,
    key: Option<usize>,
    kind: EventKind,
}

impl<T> Drop for EventWaiter<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.chan.cancel_event(k, self.kind);
        }
    }
}

/// Collects exactly one received item.
pub(crate) struct One<T>(pub(crate) Option<T>);

impl<T> Extend<T> for One<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            debug_assert!(self.0.is_none());
            self.0 = Some(item);
        }
    }
}

pin_project! {
    /// Future of [`Sender::send`](super::Sender::send).
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it completes drops the item: it is never queued
    /// later. (If a slot freed for it while it waited, the item was moved
    /// into the queue then, and stays sent.) Use [`Sender::reserve`](super::Sender::reserve) or
    /// [`Sender::send_timeout`](super::Sender::send_timeout) to keep it.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct SendFuture<'a, T> {
        waiter: SendWaiter<'a, T>,
        item: Option<T>,
    }
}

impl<'a, T> SendFuture<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>, item: T) -> Self {
        Self {
            waiter: SendWaiter {
                chan,
                key: None,
                kind: SendKind::Item,
            },
            item: Some(item),
        }
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let w = this.waiter;
        assert!(
            w.key.is_some() || this.item.is_some(),
            "SendFuture polled after completion"
        );
        let item = this.item;
        match ready!(w.chan.poll_send(&mut w.key, item, SendKind::Item, cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(item) => Poll::Ready(Err(SendError(
                item.expect("a closed send waiter keeps its item"),
            ))),
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("waiting", &self.waiter.key.is_some())
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Future of [`Sender::send_timeout`](super::Sender::send_timeout).
    ///
    /// Not a [`Timeout`] around a [`SendFuture`] (as [`RecvTimeout`] is
    /// around [`Recv`]): on expiry the item must come back, and whether it
    /// was queued meanwhile is decided under the queue's lock, which dropping
    /// a `SendFuture` cannot report.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it completes drops the item (like
    /// [`SendFuture`]); awaiting it to the end always either queues the item
    /// or gives it back.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct SendTimeout<'a, T> {
        inner: SendFuture<'a, T>,
        deadline: Instant,
        // Armed on the first poll that has to wait.
        #[pin]
        timer: Timer,
    }
}

impl<'a, T> SendTimeout<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>, item: T, d: Duration) -> Self {
        Self {
            inner: SendFuture::new(chan, item),
            deadline: crate::timeout::saturating_instant(Instant::now(), d),
            timer: Timer::new(),
        }
    }
}

impl<T> Future for SendTimeout<'_, T> {
    type Output = Result<(), SendTimeoutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let budget = CoopBudget::before_inner();
        if let Poll::Ready(r) = Pin::new(&mut *this.inner).poll(cx) {
            return Poll::Ready(r.map_err(|e| SendTimeoutError::Closed(e.0)));
        }
        ready!(this.timer.poll_until(*this.deadline, budget, cx));
        let w = &mut this.inner.waiter;
        let Some(key) = w.key.take() else {
            // Pending before registering (the task's budget ran out).
            let item = this.inner.item.take().expect("an unsent item");
            return Poll::Ready(Err(SendTimeoutError::Timeout(item)));
        };
        // Decided under the lock: the item was either moved into the queue
        // already (success) or is still ours to give back.
        const KEPT: &str = "a waiting send keeps its item";
        Poll::Ready(match w.chan.cancel_send(key, SendKind::Item) {
            Withdrawn::Served => Ok(()),
            Withdrawn::Waiting(item) => Err(SendTimeoutError::Timeout(item.expect(KEPT))),
            Withdrawn::Closed(item) => Err(SendTimeoutError::Closed(item.expect(KEPT))),
        })
    }
}

impl<T> fmt::Debug for SendTimeout<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendTimeout")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Future of [`Sender::reserve`](super::Sender::reserve).
    ///
    /// # Cancel safety
    ///
    /// Dropping it loses nothing: no item is involved, and a slot that had
    /// already been granted to it goes to the next waiting sender.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Reserve<'a, T> {
        waiter: SendWaiter<'a, T>,
    }
}

impl<'a, T> Reserve<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>) -> Self {
        Self {
            waiter: SendWaiter {
                chan,
                key: None,
                kind: SendKind::Reserve,
            },
        }
    }
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let w = self.project().waiter;
        let mut none = None;
        match ready!(
            w.chan
                .poll_send(&mut w.key, &mut none, SendKind::Reserve, cx)
        ) {
            Ok(()) => Poll::Ready(Ok(Permit::new(w.chan))),
            Err(_) => Poll::Ready(Err(SendError(()))),
        }
    }
}

impl<T> fmt::Debug for Reserve<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reserve")
            .field("waiting", &self.waiter.key.is_some())
            .finish()
    }
}

pin_project! {
    /// Future of [`Receiver::recv`](super::Receiver::recv).
    ///
    /// # Cancel safety
    ///
    /// Dropping it loses no item: items are only taken in the poll that
    /// returns them, and a wakeup it had been given passes to the next
    /// waiting receiver.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Recv<'a, T> {
        waiter: RecvWaiter<'a, T>,
    }
}

impl<'a, T> Recv<'a, T> {
    pub(crate) fn new(chan: &'a Arc<Chan<T>>) -> Self {
        Self {
            waiter: RecvWaiter { chan, key: None },
        }
    }

    fn poll_item(&mut self, delivery: Delivery, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let w = &mut self.waiter;
        let mut one = One(None);
        ready!(w.chan.poll_recv_into(&mut w.key, &mut one, 1, delivery, cx));
        Poll::Ready(one.0)
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .poll_item(Delivery::Done, cx)
            .map(|o| o.ok_or(RecvError))
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv")
            .field("waiting", &self.waiter.key.is_some())
            .finish()
    }
}

pin_project! {
    /// Future of [`Receiver::recv_job`](super::Receiver::recv_job).
    ///
    /// # Cancel safety
    ///
    /// The same as [`Recv`]: dropping it loses no item and no wakeup.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct RecvJob<'a, T> {
        inner: Recv<'a, T>,
    }
}

impl<'a, T> RecvJob<'a, T> {
    pub(crate) fn new(chan: &'a Arc<Chan<T>>) -> Self {
        Self {
            inner: Recv::new(chan),
        }
    }
}

impl<T> Future for RecvJob<'_, T> {
    type Output = Result<Job<T>, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        let item = ready!(inner.poll_item(Delivery::Job, cx));
        let chan = inner.waiter.chan;
        Poll::Ready(item.map(|v| Job::new(v, Arc::clone(chan))).ok_or(RecvError))
    }
}

impl<T> fmt::Debug for RecvJob<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvJob")
            .field("waiting", &self.inner.waiter.key.is_some())
            .finish()
    }
}

pin_project! {
    /// Future of [`Receiver::recv_timeout`](super::Receiver::recv_timeout):
    /// a [`Recv`] under a [`Timeout`].
    ///
    /// # Cancel safety
    ///
    /// The same as [`Recv`]: dropping it loses no item and no wakeup. The
    /// poll that returns [`RecvTimeoutError::Timeout`] also leaves the line
    /// (passing on a wakeup it had been given), even if the future is kept.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct RecvTimeout<'a, T> {
        #[pin]
        inner: Timeout<Recv<'a, T>>,
    }
}

impl<'a, T> RecvTimeout<'a, T> {
    pub(crate) fn new(chan: &'a Arc<Chan<T>>, d: Duration) -> Self {
        Self {
            inner: timeout(d, Recv::new(chan)),
        }
    }
}

impl<T> Future for RecvTimeout<'_, T> {
    type Output = Result<T, RecvTimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The `Timeout` drops the `Recv` on expiry, withdrawing it.
        self.project().inner.poll(cx).map(|outcome| match outcome {
            Ok(Ok(item)) => Ok(item),
            Ok(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            Err(_elapsed) => Err(RecvTimeoutError::Timeout),
        })
    }
}

impl<T> fmt::Debug for RecvTimeout<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvTimeout")
            .field("expires_at", &self.inner.expires_at())
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Future of [`Receiver::recv_many`](super::Receiver::recv_many).
    ///
    /// # Cancel safety
    ///
    /// The same as [`Recv`]: items are moved into the buffer only in the
    /// poll that returns their count, so dropping it loses nothing.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct RecvMany<'a, 'b, T> {
        waiter: RecvWaiter<'a, T>,
        buf: &'b mut Vec<T>,
        limit: usize,
    }
}

impl<'a, 'b, T> RecvMany<'a, 'b, T> {
    pub(crate) fn new(chan: &'a Arc<Chan<T>>, buf: &'b mut Vec<T>, limit: usize) -> Self {
        Self {
            waiter: RecvWaiter { chan, key: None },
            buf,
            limit,
        }
    }
}

impl<T> Future for RecvMany<'_, '_, T> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.project();
        if *this.limit == 0 {
            return Poll::Ready(0);
        }
        let w = this.waiter;
        let (buf, limit) = (this.buf, *this.limit);
        let n = ready!(
            w.chan
                .poll_recv_into(&mut w.key, *buf, limit, Delivery::Done, cx)
        );
        Poll::Ready(n.unwrap_or(0))
    }
}

impl<T> fmt::Debug for RecvMany<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvMany")
            .field("waiting", &self.waiter.key.is_some())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Future of `closed()` on [`Sender`](super::Sender::closed) and
    /// [`Receiver`](super::Receiver::closed).
    ///
    /// # Cancel safety
    ///
    /// Dropping it loses nothing.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Closed<'a, T> {
        waiter: EventWaiter<'a, T>,
    }
}

pin_project! {
    /// Future of `join()` on [`Sender`](super::Sender::join) and
    /// [`Receiver`](super::Receiver::join).
    ///
    /// # Cancel safety
    ///
    /// Dropping it loses nothing.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Join<'a, T> {
        waiter: EventWaiter<'a, T>,
    }
}

impl<'a, T> Closed<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>) -> Self {
        Self {
            waiter: EventWaiter {
                chan,
                key: None,
                kind: EventKind::Closed,
            },
        }
    }
}

impl<'a, T> Join<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>) -> Self {
        Self {
            waiter: EventWaiter {
                chan,
                key: None,
                kind: EventKind::Join,
            },
        }
    }
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let w = self.project().waiter;
        w.chan.poll_event(&mut w.key, EventKind::Closed, cx)
    }
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let w = self.project().waiter;
        w.chan.poll_event(&mut w.key, EventKind::Join, cx)
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed")
            .field("waiting", &self.waiter.key.is_some())
            .finish()
    }
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.waiter.key.is_some())
            .finish()
    }
}
