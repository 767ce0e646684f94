//! [`Addr`]: the handle that talks to a running actor, and its [`Join`] future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, ready};

use futures::future::{FusedFuture, FutureExt, Shared};
use pin_project_lite::pin_project;
use tokio::sync::oneshot;

use super::queue::{SendFuture, Sender, TrySendError};
use super::trace::AskTrace;
use super::{Actor, ActorError, AskError, Reply};

/// The actor's outcome, published once by its task and shared by every
/// `join`. The task sends after the actor value has been dropped; a task that
/// never gets that far (its runtime shut down) drops the sender instead.
pub(super) type Done = Shared<oneshot::Receiver<Result<(), ActorError>>>;

/// State shared by all clones of one [`Addr`].
pub(super) struct Inner<A: Actor> {
    /// The mailbox. Closed by `stop`, `Context::stop`, the actor task when
    /// the actor panics, and by `Drop` below when the last `Addr` goes away.
    tx: Sender<A::Message>,
    /// The actor's outcome.
    done: Done,
}

impl<A: Actor> Inner<A> {
    pub(super) fn new(tx: Sender<A::Message>, done: Done) -> Self {
        Self { tx, done }
    }
}

impl<A: Actor> Drop for Inner<A> {
    fn drop(&mut self) {
        // The actor's `Context` holds a sender too, so the queue's own
        // "last sender dropped" rule would never fire: close explicitly.
        self.tx.close();
    }
}

/// The address of a running actor: the only way to talk to it.
///
/// `Addr` is cheap to clone; every clone reaches the same mailbox. Messages
/// sent from one task are handled in the order they were sent.
///
/// When the last `Addr` is dropped the mailbox is closed, and the actor
/// stops gracefully once it has handled what is left in it. (Addresses held
/// by the actor itself, or by tasks it spawned, count: see
/// [`Context::addr`](super::Context::addr).)
pub struct Addr<A: Actor> {
    inner: Arc<Inner<A>>,
}

impl<A: Actor> Addr<A> {
    pub(super) fn from_inner(inner: Arc<Inner<A>>) -> Self {
        Self { inner }
    }

    /// Sends a message, waiting for room in the mailbox if it is full
    /// (back-pressure).
    ///
    /// Resolves once the message is in the mailbox, not once it has been
    /// handled; use [`ask`](Self::ask) to wait for an answer. The future is
    /// the mailbox queue's own [`SendFuture`]. Senders blocked on a full
    /// mailbox get in first come, first served.
    ///
    /// # Errors
    ///
    /// Gives the message back in a [`SendError`](super::SendError) when the
    /// mailbox is closed: the actor was stopped, panicked, or all other
    /// addresses were dropped.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped while it waits for room,
    /// the message is dropped with it and never delivered. A message is never
    /// delivered after its `send` future was dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Printer;
    ///
    /// impl Actor for Printer {
    ///     type Message = String;
    ///
    ///     async fn handle(&mut self, line: String, _ctx: &mut Context<Self>) {
    ///         println!("{line}");
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let printer = actor::spawn(Printer);
    /// printer.send("hello".to_string()).await.unwrap();
    /// printer.stop();
    /// let err = printer.send("too late".to_string()).await.unwrap_err();
    /// assert_eq!(err.into_inner(), "too late");
    /// # }
    /// ```
    pub fn send(&self, msg: A::Message) -> SendFuture<'_, A::Message> {
        self.inner.tx.send(msg)
    }

    /// Puts a message into the mailbox if there is room right now.
    ///
    /// # Errors
    ///
    /// Gives the message back: [`TrySendError::Full`] when the mailbox is
    /// full, [`TrySendError::Closed`] when it is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context, TrySendError};
    ///
    /// struct Slow;
    ///
    /// impl Actor for Slow {
    ///     type Message = u32;
    ///
    ///     async fn handle(&mut self, _n: u32, _ctx: &mut Context<Self>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let slow = actor::spawn_with_mailbox(Slow, 1);
    /// slow.try_send(1).unwrap();
    /// // The actor has not run yet (single-threaded runtime): the mailbox is full.
    /// assert!(matches!(slow.try_send(2), Err(TrySendError::Full(2))));
    /// # }
    /// ```
    pub fn try_send(&self, msg: A::Message) -> Result<(), TrySendError<A::Message>> {
        self.inner.tx.try_send(msg)
    }

    /// Sends a request and waits for the answer.
    ///
    /// `make` receives the [`Reply`] slot and builds the message that carries
    /// it (at once, when `ask` is called); the actor answers with
    /// [`Reply::send`]. Passing an enum variant
    /// (`addr.ask(Msg::Get)`) works when the variant holds only the reply.
    ///
    /// Beware of cycles: an actor that `ask`s another actor from inside
    /// `handle` stops reading its own mailbox until the answer comes. If the
    /// other actor (directly or through others) `ask`s or `send`s back to
    /// the first one, and that mailbox is full, both wait for each other
    /// forever. Break such cycles with `try_send`, with a spawned task that
    /// does the `ask`, or by replying through a message instead of an `ask`.
    ///
    /// # Errors
    ///
    /// [`AskError::Closed`] when the mailbox is closed (the request is
    /// dropped undelivered); [`AskError::NoReply`] when the actor dropped the
    /// reply without answering, panicked, or stopped before handling the
    /// request. An `ask` never hangs because the actor is gone.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe. Dropped while waiting for room in the mailbox, the
    /// request is dropped undelivered. Dropped after that, the actor still
    /// handles the request, and its answer is thrown away
    /// ([`Reply::is_closed`] tells the handler).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, AskError, Context, Reply};
    ///
    /// enum Msg {
    ///     Add(u64),
    ///     Get(Reply<u64>),
    /// }
    ///
    /// struct Counter(u64);
    ///
    /// impl Actor for Counter {
    ///     type Message = Msg;
    ///
    ///     async fn handle(&mut self, msg: Msg, _ctx: &mut Context<Self>) {
    ///         match msg {
    ///             Msg::Add(n) => self.0 += n,
    ///             Msg::Get(reply) => reply.send(self.0),
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let counter = actor::spawn(Counter(0));
    /// counter.send(Msg::Add(2)).await.unwrap();
    /// assert_eq!(counter.ask(Msg::Get).await, Ok(2));
    ///
    /// counter.stop();
    /// assert_eq!(counter.ask(Msg::Get).await, Err(AskError::Closed));
    /// # }
    /// ```
    pub fn ask<R>(&self, make: impl FnOnce(Reply<R>) -> A::Message) -> Ask<'_, A, R> {
        // `make` runs now; the request goes out when the future is polled.
        let (tx, rx) = oneshot::channel();
        let msg = make(Reply::new(tx));
        Ask {
            send: Some(self.inner.tx.send(msg)),
            rx,
            trace: AskTrace::new(std::any::type_name::<A>()),
        }
    }

    /// Stops the actor gracefully: the mailbox is closed, so new sends fail
    /// and give their message back, while the messages already in it are
    /// still handled; then [`Actor::stopped`] runs and the actor is dropped.
    ///
    /// Returns at once; [`join`](Self::join) waits for the end. Calling it
    /// again, or on a stopped actor, does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Sum(u64);
    ///
    /// impl Actor for Sum {
    ///     type Message = u64;
    ///
    ///     async fn handle(&mut self, n: u64, _ctx: &mut Context<Self>) {
    ///         self.0 += n;
    ///     }
    ///
    ///     async fn stopped(&mut self) {
    ///         println!("sum: {}", self.0);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sum = actor::spawn(Sum(0));
    /// for n in 1..=3 {
    ///     sum.send(n).await.unwrap();
    /// }
    /// sum.stop(); // the three queued numbers are still added
    /// sum.join().await.unwrap(); // prints "sum: 6"
    /// # }
    /// ```
    pub fn stop(&self) {
        self.inner.tx.close();
    }

    /// Whether the mailbox is closed: the actor is stopping or has ended,
    /// and every send fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Idle;
    ///
    /// impl Actor for Idle {
    ///     type Message = ();
    ///
    ///     async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let idle = actor::spawn(Idle);
    /// assert!(!idle.is_closed());
    /// idle.stop();
    /// assert!(idle.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.tx.is_closed()
    }

    /// A snapshot of the actor's mailbox counters and gauges; see
    /// [`ActorStats`](super::ActorStats).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Sink;
    ///
    /// impl Actor for Sink {
    ///     type Message = ();
    ///
    ///     async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sink = actor::spawn(Sink);
    /// sink.send(()).await.unwrap();
    /// sink.stop();
    /// sink.join().await.unwrap();
    /// let stats = sink.stats();
    /// assert_eq!((stats.sent, stats.received, stats.mailbox_len), (1, 1, 0));
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> super::ActorStats {
        super::ActorStats::from_mailbox(self.inner.tx.stats())
    }

    /// Waits for the actor to end, and says how it ended.
    ///
    /// Resolves once the actor task has finished: after `stopped` has run
    /// and the actor value has been dropped. Any number of addresses may
    /// `join` the same actor, before or after it ended; they all get the
    /// same outcome. `join` does not stop the actor: call
    /// [`stop`](Self::stop) (or drop the other addresses) first.
    ///
    /// # Errors
    ///
    /// An [`ActorError`] when the actor panicked (in any hook, or when it was
    /// dropped), with the panic payload; or when its task was cancelled
    /// because the runtime shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing, and `join` can be
    /// called again.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Noop;
    ///
    /// impl Actor for Noop {
    ///     type Message = ();
    ///
    ///     async fn handle(&mut self, (): (), _ctx: &mut Context<Self>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let a = actor::spawn(Noop);
    /// let b = a.clone();
    /// a.stop();
    /// let (ra, rb) = tokio::join!(a.join(), b.join());
    /// assert!(ra.is_ok() && rb.is_ok());
    /// # }
    /// ```
    pub fn join(&self) -> Join {
        Join {
            done: self.inner.done.clone(),
        }
    }
}

impl<A: Actor> Clone for Addr<A> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A: Actor> fmt::Debug for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Addr")
            .field("actor", &std::any::type_name::<A>())
            .field("closed", &self.is_closed())
            .finish()
    }
}

pin_project! {
    /// Future returned by [`Addr::ask`]: resolves to the answer.
    ///
    /// # Cancel safety
    ///
    /// Dropped while waiting for room in the mailbox, the request is dropped
    /// undelivered. Dropped after that, the actor still handles it and the
    /// answer is thrown away.
    ///
    /// With the `tracing` feature, the ask runs in an `actor.ask` span (a
    /// child of the span current at `ask`, with the actor's type name),
    /// which ends with an `answered` or `not answered` event whose `wait`
    /// field is the time from `ask` to the outcome.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Ask<'a, A: Actor, R> {
        // `Some` until the request is in the mailbox.
        #[pin]
        send: Option<SendFuture<'a, A::Message>>,
        rx: oneshot::Receiver<R>,
        trace: AskTrace,
    }
}

impl<A: Actor, R> Future for Ask<'_, A, R> {
    type Output = Result<R, AskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _entered = this.trace.enter();
        let outcome = match this.send.as_mut().as_pin_mut().map(|send| send.poll(cx)) {
            Some(Poll::Pending) => return Poll::Pending,
            // The undelivered request (and its `Reply`) is dropped here.
            Some(Poll::Ready(Err(_))) => Err(AskError::Closed),
            Some(Poll::Ready(Ok(()))) | None => {
                this.send.set(None);
                ready!(this.rx.poll_unpin(cx)).map_err(|_| AskError::NoReply)
            }
        };
        this.trace.finish(&outcome);
        Poll::Ready(outcome)
    }
}

impl<A: Actor, R> fmt::Debug for Ask<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ask")
            .field("delivered", &self.send.is_none())
            .finish_non_exhaustive()
    }
}

/// Future returned by [`Addr::join`]: resolves to how the actor ended.
///
/// It does not borrow the `Addr` and does not keep the actor alive, so it
/// can be moved into another task.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Join {
    done: Done,
}

impl Future for Join {
    type Output = Result<(), ActorError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // The sender is dropped unsent only when the actor task was dropped
        // before it finished.
        self.done
            .poll_unpin(cx)
            .map(|outcome| outcome.unwrap_or_else(|_| Err(ActorError::cancelled())))
    }
}

impl FusedFuture for Join {
    fn is_terminated(&self) -> bool {
        self.done.is_terminated()
    }
}

impl fmt::Debug for Join {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("finished", &self.done.peek().is_some())
            .finish()
    }
}
