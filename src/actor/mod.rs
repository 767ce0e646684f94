//! Small typed actors: one task owns some state and handles messages from a
//! mailbox, one at a time (asyncio: an `asyncio.Queue` plus a task per actor).
//!
//! An actor is a value implementing [`Actor`]: its [`Message`](Actor::Message)
//! type, an `async fn handle`, and optional `started` / `stopped` hooks.
//! [`spawn`] runs it on its own tokio task and returns an [`Addr`], a
//! cloneable handle to [`send`](Addr::send) messages,
//! [`ask`](Addr::ask) for answers, [`stop`](Addr::stop) it and
//! [`join`](Addr::join) it. Because only the actor's task touches its state,
//! the state needs no lock.
//!
//! | asyncio | `async_patterns::actor` |
//! |---|---|
//! | `inbox = asyncio.Queue(64)` + `asyncio.create_task(self.run())` | [`spawn(actor)`](spawn) |
//! | `await inbox.put(msg)` | [`addr.send(msg).await`](Addr::send) |
//! | `inbox.put_nowait(msg)` | [`addr.try_send(msg)`](Addr::try_send) |
//! | put `(msg, fut)` with a `loop.create_future()`, then `await fut` | [`addr.ask(Msg::Get).await`](Addr::ask) |
//! | a sentinel `None` message, then `await task` | [`addr.stop()`](Addr::stop), [`addr.join().await`](Addr::join) |
//!
//! Not provided, use instead: a registry by name → a `HashMap` of `Addr`s
//! you own (an enum of `Addr`s for actors of different types); restart on
//! failure → a loop that spawns again when [`join`](Addr::join) returns an
//! error.
//!
//! # Lifecycle
//!
//! 1. [`Actor::started`] runs first, before any message.
//! 2. Each message is handled by [`Actor::handle`], one at a time, to the
//!    end, in mailbox order. Messages sent by one task are handled in the
//!    order they were sent.
//! 3. The actor stops when its mailbox is closed and drained: by
//!    [`Addr::stop`], by [`Context::stop`], or when the last [`Addr`] is
//!    dropped. Closing is graceful: new sends fail and give their message
//!    back, but every message already in the mailbox is still handled.
//! 4. [`Actor::stopped`] runs, the actor is dropped, and [`Addr::join`]
//!    resolves to `Ok(())`.
//!
//! # Panics
//!
//! A panic in a hook or in `handle` does not take the program down and is
//! never lost: the actor task catches it, closes the mailbox and drops the
//! messages still in it (their [`Reply`]s drop too, so waiting asks fail
//! with [`AskError::NoReply`]), skips `stopped` (the state may be broken
//! halfway through a message), drops the actor, and [`Addr::join`] returns
//! an [`ActorError`] carrying the panic payload. From then on every send
//! fails and gives its message back; every ask fails with
//! [`AskError::Closed`]. There is no restart: spawn a new actor for that.
//!
//! # Back-pressure and deadlocks
//!
//! The mailbox is this crate's bounded [`queue`](mod@crate::queue) (capacity 64
//! with [`spawn`], your choice with [`spawn_with_mailbox`]): when it is full,
//! [`send`](Addr::send) and [`ask`](Addr::ask) wait. So a cycle of actors
//! that `ask` (or `send` to) each other from inside `handle` can deadlock:
//! A waits for B's answer while B waits for room in A's full mailbox, or
//! for A's answer. Keep requests flowing one way, reply with messages, use
//! [`try_send`](Addr::try_send), or move the waiting `ask` into a spawned
//! task.
//!
//! # Native `async fn` in traits
//!
//! [`Actor`] uses native `async fn` in traits (Rust 1.75+), not the
//! `async-trait` crate: implementations write plain `async fn handle`, and
//! no future is boxed. The trait is therefore not object safe; it does not
//! need to be, because every [`Addr<A>`] knows its actor type `A`.
//!
//! # Examples
//!
//! A counter that a logger actor reports to:
//!
//! ```
//! use async_patterns::actor::{self, Actor, Addr, Context, Reply};
//!
//! struct Logger {
//!     lines: Vec<String>,
//! }
//!
//! enum LogMsg {
//!     Line(String),
//!     Lines(Reply<Vec<String>>),
//! }
//!
//! impl Actor for Logger {
//!     type Message = LogMsg;
//!
//!     async fn handle(&mut self, msg: LogMsg, _ctx: &mut Context<Self>) {
//!         match msg {
//!             LogMsg::Line(line) => self.lines.push(line),
//!             LogMsg::Lines(reply) => reply.send(self.lines.clone()),
//!         }
//!     }
//! }
//!
//! struct Counter {
//!     count: u64,
//!     log: Addr<Logger>,
//! }
//!
//! enum CountMsg {
//!     Incr,
//!     Get(Reply<u64>),
//! }
//!
//! impl Actor for Counter {
//!     type Message = CountMsg;
//!
//!     async fn handle(&mut self, msg: CountMsg, _ctx: &mut Context<Self>) {
//!         match msg {
//!             CountMsg::Incr => {
//!                 self.count += 1;
//!                 let _ = self.log.send(LogMsg::Line(format!("count = {}", self.count))).await;
//!             }
//!             CountMsg::Get(reply) => reply.send(self.count),
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let logger = actor::spawn(Logger { lines: Vec::new() });
//! let counter = actor::spawn(Counter { count: 0, log: logger.clone() });
//!
//! counter.send(CountMsg::Incr).await.unwrap();
//! counter.send(CountMsg::Incr).await.unwrap();
//! assert_eq!(counter.ask(CountMsg::Get).await, Ok(2));
//!
//! counter.stop();
//! counter.join().await.unwrap();
//! assert_eq!(
//!     logger.ask(LogMsg::Lines).await.unwrap(),
//!     ["count = 1", "count = 2"],
//! );
//! # }
//! ```
//!
//! # Runnable examples
//!
//! - `actors` (`cargo run --example actors`): counter and logger actors with ask/reply and a graceful stop;
//! - `tour` (`cargo run --example tour`): a bank account actor shared by ten tasks.

mod addr;
mod context;
mod error;
mod reply;
mod run;
mod stats;
mod trace;

use crate::queue;

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::oneshot;

pub use self::addr::{Addr, Ask, Join};
pub use self::context::Context;
pub use self::error::{ActorError, AskError};
pub use self::reply::Reply;
pub use self::stats::ActorStats;
pub use crate::queue::{SendError, TrySendError};

/// The mailbox capacity of [`spawn`].
pub const DEFAULT_MAILBOX: usize = 64;

/// A typed actor: state that a task of its own owns, changed only by the
/// messages it handles.
///
/// Write the methods as `async fn`; the returned futures must be `Send`
/// (they run on a spawned tokio task), which they are when the actor and
/// what they hold across `.await` are.
///
/// # Cancel safety
///
/// The hooks need not be cancel safe: the actor's task runs each of their
/// futures to completion. Neither [`Addr::stop`], [`Context::stop`],
/// dropping the last [`Addr`], nor dropping an [`Ask`] interrupts one. The
/// one exception is the tokio runtime shutting down, which drops the task
/// with whatever hook is in flight; [`Addr::join`] then reports an
/// [`ActorError`] for which [`is_cancelled`](ActorError::is_cancelled) is
/// `true`.
///
/// # Examples
///
/// ```
/// use async_patterns::actor::{self, Actor, Context, Reply};
///
/// struct Greeter {
///     greeted: usize,
/// }
///
/// impl Actor for Greeter {
///     type Message = (String, Reply<String>);
///
///     async fn started(&mut self, _ctx: &mut Context<Self>) {
///         println!("greeter up");
///     }
///
///     async fn handle(&mut self, (name, reply): Self::Message, _ctx: &mut Context<Self>) {
///         self.greeted += 1;
///         reply.send(format!("hello, {name} (#{})", self.greeted));
///     }
///
///     async fn stopped(&mut self) {
///         println!("greeted {} people", self.greeted);
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let greeter = actor::spawn(Greeter { greeted: 0 });
/// let hi = greeter.ask(|reply| ("Ada".to_string(), reply)).await.unwrap();
/// assert_eq!(hi, "hello, Ada (#1)");
/// greeter.stop();
/// greeter.join().await.unwrap();
/// # }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// The messages this actor handles; usually an enum, with a
    /// [`Reply<R>`] field in the variants that expect an answer.
    type Message: Send + 'static;

    /// Handles one message. The next message is taken only when this future
    /// completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context, Reply};
    ///
    /// /// Sums numbers; stops itself at the first zero.
    /// struct Summer(u64);
    ///
    /// enum Msg {
    ///     Add(u64),
    ///     Total(Reply<u64>),
    /// }
    ///
    /// impl Actor for Summer {
    ///     type Message = Msg;
    ///
    ///     async fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
    ///         match msg {
    ///             Msg::Add(0) => ctx.stop(),
    ///             Msg::Add(n) => self.0 += n,
    ///             Msg::Total(reply) => reply.send(self.0),
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let summer = actor::spawn(Summer(0));
    /// for n in [3, 4] {
    ///     summer.send(Msg::Add(n)).await.unwrap();
    /// }
    /// assert_eq!(summer.ask(Msg::Total).await, Ok(7));
    /// summer.send(Msg::Add(0)).await.unwrap();
    /// summer.join().await.unwrap();
    /// # }
    /// ```
    fn handle(
        &mut self,
        msg: Self::Message,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send;

    /// Runs once, before the first message is handled. Does nothing by
    /// default.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_patterns::actor::{self, Actor, Context, Reply};
    ///
    /// /// Loads its state before the first message.
    /// struct Cache(Vec<&'static str>);
    ///
    /// impl Actor for Cache {
    ///     type Message = Reply<usize>;
    ///
    ///     async fn started(&mut self, _ctx: &mut Context<Self>) {
    ///         tokio::time::sleep(Duration::from_millis(10)).await; // "read from disk"
    ///         self.0 = vec!["a", "b", "c"];
    ///     }
    ///
    ///     async fn handle(&mut self, reply: Reply<usize>, _ctx: &mut Context<Self>) {
    ///         reply.send(self.0.len());
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cache = actor::spawn(Cache(Vec::new()));
    /// assert_eq!(cache.ask(|reply| reply).await, Ok(3)); // queued until started ran
    /// # }
    /// ```
    fn started(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs once, after the mailbox has been closed and drained, before the
    /// actor is dropped. Not run after a panic. Does nothing by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// /// Buffers lines and flushes them when it stops.
    /// struct Buffered {
    ///     lines: Vec<String>,
    ///     out: Arc<Mutex<Vec<String>>>,
    /// }
    ///
    /// impl Actor for Buffered {
    ///     type Message = String;
    ///
    ///     async fn handle(&mut self, line: String, _ctx: &mut Context<Self>) {
    ///         self.lines.push(line);
    ///     }
    ///
    ///     async fn stopped(&mut self) {
    ///         self.out.lock().unwrap().append(&mut self.lines);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let out = Arc::new(Mutex::new(Vec::new()));
    /// let log = actor::spawn(Buffered { lines: Vec::new(), out: out.clone() });
    /// log.send("one".to_string()).await.unwrap();
    /// log.send("two".to_string()).await.unwrap();
    /// log.stop(); // graceful: both lines are handled, then `stopped` runs
    /// log.join().await.unwrap();
    /// assert_eq!(*out.lock().unwrap(), ["one", "two"]);
    /// # }
    /// ```
    fn stopped(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Spawns `actor` on the current tokio runtime with a mailbox of
/// [`DEFAULT_MAILBOX`] (64) messages, and returns its address.
///
/// Runnable example: `actors` (`cargo run --example actors`),
/// counter and logger actors with ask/reply and a graceful stop.
///
/// # Panics
///
/// Panics when called outside a tokio runtime.
///
/// # Examples
///
/// ```
/// use async_patterns::actor::{self, Actor, Context};
///
/// struct Sink;
///
/// impl Actor for Sink {
///     type Message = u8;
///
///     async fn handle(&mut self, _byte: u8, _ctx: &mut Context<Self>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sink = actor::spawn(Sink);
/// sink.send(7).await.unwrap();
/// # }
/// ```
#[track_caller]
pub fn spawn<A: Actor>(actor: A) -> Addr<A> {
    spawn_with_mailbox(actor, DEFAULT_MAILBOX)
}

/// Spawns `actor` on the current tokio runtime with a mailbox of `capacity`
/// messages, and returns its address.
///
/// # Panics
///
/// Panics when `capacity` is 0, and when called outside a tokio runtime.
///
/// # Examples
///
/// ```
/// use async_patterns::actor::{self, Actor, Context};
///
/// struct Sink;
///
/// impl Actor for Sink {
///     type Message = u8;
///
///     async fn handle(&mut self, _byte: u8, _ctx: &mut Context<Self>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // A mailbox of one: every `send` waits until the previous message was taken.
/// let sink = actor::spawn_with_mailbox(Sink, 1);
/// sink.send(7).await.unwrap();
/// # }
/// ```
#[track_caller]
pub fn spawn_with_mailbox<A: Actor>(actor: A, capacity: usize) -> Addr<A> {
    assert!(capacity > 0, "actor mailbox capacity must be at least 1");
    let (tx, rx) = queue::bounded(capacity);
    let (done_tx, done_rx) = oneshot::channel();
    let done = done_rx.shared();
    let inner = Arc::new(addr::Inner::new(tx.clone(), done.clone()));
    let ctx = Context::new(tx, Arc::downgrade(&inner), done);
    tokio::spawn(run::run(actor, ctx, run::Mailbox::new(rx), done_tx));
    Addr::from_inner(inner)
}
