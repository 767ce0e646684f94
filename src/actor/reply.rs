//! [`Reply`]: the answer slot of a request made with [`Addr::ask`](super::Addr::ask).

use std::fmt;

use tokio::sync::oneshot;

/// The answer slot of a request made with [`Addr::ask`](super::Addr::ask).
///
/// `ask` builds one, puts it into the message, and waits for the actor to
/// [`send`](Self::send) the answer through it. If the actor drops it instead
/// (on purpose, by mistake, or because the actor panicked or stopped with the
/// request still queued) the `ask` fails with
/// [`AskError::NoReply`](super::AskError::NoReply); it never hangs.
pub struct Reply<R> {
    tx: oneshot::Sender<R>,
}

impl<R> Reply<R> {
    pub(super) fn new(tx: oneshot::Sender<R>) -> Self {
        Self { tx }
    }

    /// Sends the answer to the waiting [`ask`](super::Addr::ask).
    ///
    /// If the asker has given up (its `ask` future was dropped), the value
    /// is dropped: there is nobody left to give it to.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context, Reply};
    ///
    /// struct Echo;
    ///
    /// impl Actor for Echo {
    ///     type Message = (String, Reply<String>);
    ///
    ///     async fn handle(&mut self, (text, reply): Self::Message, _ctx: &mut Context<Self>) {
    ///         reply.send(text.to_uppercase());
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let echo = actor::spawn(Echo);
    /// let loud = echo.ask(|reply| ("hello".to_string(), reply)).await;
    /// assert_eq!(loud.unwrap(), "HELLO");
    /// # }
    /// ```
    pub fn send(self, value: R) {
        // An `Err` means the asker is gone; dropping the value is all we can do.
        let _ = self.tx.send(value);
    }

    /// Whether the asker has given up, so that an answer would be thrown
    /// away. Lets a handler skip expensive work nobody waits for.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context, Reply};
    ///
    /// struct Report;
    ///
    /// impl Actor for Report {
    ///     type Message = Reply<u64>;
    ///
    ///     async fn handle(&mut self, reply: Reply<u64>, _ctx: &mut Context<Self>) {
    ///         if reply.is_closed() {
    ///             return; // the asker gave up: skip the work
    ///         }
    ///         reply.send((1..=20).product());
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let report = actor::spawn(Report);
    /// assert_eq!(report.ask(|reply| reply).await, Ok(2_432_902_008_176_640_000));
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("closed", &self.is_closed())
            .finish()
    }
}
