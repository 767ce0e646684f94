//! [`Context`]: what a running actor knows about itself.

use std::fmt;
use std::sync::{Arc, Weak};

use super::addr::{Done, Inner};
use super::queue::Sender;
use super::{Actor, Addr};

/// What a running actor knows about itself, passed to
/// [`Actor::started`] and [`Actor::handle`].
pub struct Context<A: Actor> {
    /// A mailbox sender of the actor's own. It does not keep the actor alive:
    /// the mailbox is closed when the last [`Addr`] (the last `Inner`) is
    /// dropped, whatever senders remain.
    tx: Sender<A::Message>,
    /// The `Inner` shared by the actor's addresses. Weak, so that the actor
    /// does not keep itself alive.
    addr: Weak<Inner<A>>,
    /// The actor's outcome, for addresses made after the last `Addr` died.
    done: Done,
}

impl<A: Actor> Context<A> {
    pub(super) fn new(tx: Sender<A::Message>, addr: Weak<Inner<A>>, done: Done) -> Self {
        Self { tx, addr, done }
    }

    /// An address of this actor, to send to others or to spawned tasks (so
    /// that they can reply with a message, for example).
    ///
    /// The actor stops once every [`Addr`] is dropped; an `Addr` the actor
    /// keeps in its own state therefore keeps it running until
    /// [`stop`](Self::stop) is called. Once all addresses have been dropped
    /// the mailbox is closed, and an address made here after that only
    /// reports the closed mailbox.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context, Reply};
    ///
    /// enum Msg {
    ///     Start,
    ///     Tick,
    ///     Ticks(Reply<u32>),
    /// }
    ///
    /// struct Clock(u32);
    ///
    /// impl Actor for Clock {
    ///     type Message = Msg;
    ///
    ///     async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
    ///         match msg {
    ///             Msg::Start => {
    ///                 let me = ctx.addr();
    ///                 tokio::spawn(async move {
    ///                     for _ in 0..3 {
    ///                         let _ = me.send(Msg::Tick).await;
    ///                     }
    ///                 });
    ///             }
    ///             Msg::Tick => self.0 += 1,
    ///             Msg::Ticks(reply) => reply.send(self.0),
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = actor::spawn(Clock(0));
    /// clock.send(Msg::Start).await.unwrap();
    /// tokio::task::yield_now().await;
    /// assert_eq!(clock.ask(Msg::Ticks).await, Ok(3));
    /// # }
    /// ```
    pub fn addr(&self) -> Addr<A> {
        match self.addr.upgrade() {
            Some(inner) => Addr::from_inner(inner),
            None => Addr::from_inner(Arc::new(Inner::new(self.tx.clone(), self.done.clone()))),
        }
    }

    /// Stops the actor gracefully, like [`Addr::stop`]: the mailbox is
    /// closed, so new sends fail and give their message back, the messages
    /// already in it are still handled, then [`Actor::stopped`] runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Countdown(u32);
    ///
    /// impl Actor for Countdown {
    ///     type Message = ();
    ///
    ///     async fn handle(&mut self, (): (), ctx: &mut Context<Self>) {
    ///         self.0 -= 1;
    ///         if self.0 == 0 {
    ///             ctx.stop();
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let countdown = actor::spawn(Countdown(2));
    /// countdown.send(()).await.unwrap();
    /// countdown.send(()).await.unwrap();
    /// countdown.join().await.unwrap();
    /// assert!(countdown.send(()).await.is_err());
    /// # }
    /// ```
    pub fn stop(&mut self) {
        self.tx.close();
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("actor", &std::any::type_name::<A>())
            .finish_non_exhaustive()
    }
}
