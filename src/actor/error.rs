//! The errors of [`Addr::ask`](super::Addr::ask) and [`Addr::join`](super::Addr::join).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use thiserror::Error;

use crate::panic::Panic;

/// Why [`Addr::ask`](super::Addr::ask) got no answer.
///
/// The message that `ask` built is never handed back: it holds the
/// [`Reply`](super::Reply), which is useless without the `ask` future, so it
/// is dropped.
///
/// # Examples
///
/// ```
/// use async_patterns::actor::{self, Actor, AskError, Context, Reply};
///
/// struct Mute;
///
/// impl Actor for Mute {
///     type Message = Reply<u32>;
///
///     // Drops every reply unanswered.
///     async fn handle(&mut self, _reply: Reply<u32>, _ctx: &mut Context<Self>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mute = actor::spawn(Mute);
/// assert_eq!(mute.ask(|reply| reply).await, Err(AskError::NoReply));
/// mute.stop();
/// assert_eq!(mute.ask(|reply| reply).await, Err(AskError::Closed));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum AskError {
    /// The mailbox was closed before the request got in: the actor has
    /// stopped, is stopping, or panicked. The actor never saw the request.
    #[error("the actor's mailbox is closed; the request was not delivered")]
    Closed,
    /// The request was accepted, but its [`Reply`](super::Reply) was dropped
    /// without an answer: the handler dropped it, or the actor panicked (or
    /// its task was cancelled) before it got to the request.
    #[error("the actor dropped the reply without answering")]
    NoReply,
}

/// Where in an actor's life a panic happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Started,
    Handle,
    Stopped,
    Drop,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Started => "started",
            Stage::Handle => "handle",
            Stage::Stopped => "stopped",
            Stage::Drop => "drop",
        }
    }
}

/// How an actor ended badly, as reported by [`Addr::join`](super::Addr::join).
///
/// Either a hook of the actor panicked (the panic is caught, never lost, and
/// its payload kept here), or the actor's task was cancelled before it
/// finished, which happens when its tokio runtime shuts down.
///
/// `ActorError` is `Clone` because every [`Addr`](super::Addr) clone can
/// `join` the same actor; the clones share one panic payload, which
/// [`try_into_panic`](Self::try_into_panic) hands to the first caller that
/// asks for it.
#[derive(Clone)]
pub struct ActorError {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Panicked {
        stage: Stage,
        /// Shared by the clones; its payload goes to the first taker.
        panic: Arc<Panic>,
    },
    Cancelled,
}

impl ActorError {
    pub(super) fn panicked(stage: Stage, payload: Box<dyn Any + Send>) -> Self {
        Self {
            repr: Repr::Panicked {
                stage,
                panic: Arc::new(Panic::new(payload)),
            },
        }
    }

    pub(super) fn cancelled() -> Self {
        Self {
            repr: Repr::Cancelled,
        }
    }

    /// Whether the actor panicked (in `started`, `handle`, `stopped`, or
    /// while being dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Fragile;
    ///
    /// impl Actor for Fragile {
    ///     type Message = ();
    ///
    ///     async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) {
    ///         panic!("boom");
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let addr = actor::spawn(Fragile);
    /// addr.send(()).await.unwrap();
    /// let err = addr.join().await.unwrap_err();
    /// assert!(err.is_panic());
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked { .. })
    }

    /// Whether the actor's task was cancelled before it finished (its
    /// runtime shut down).
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
    ///     async fn handle(&mut self, _msg: (), _ctx: &mut Context<Self>) {}
    /// }
    ///
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let addr = runtime.block_on(async { actor::spawn(Idle) });
    /// drop(runtime); // cancels its tasks, the actor's among them
    /// let err = futures::executor::block_on(addr.join()).unwrap_err();
    /// assert!(err.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The panic message, when the actor panicked with a string message (as
    /// `panic!("...")` does).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Fragile;
    ///
    /// impl Actor for Fragile {
    ///     type Message = u32;
    ///
    ///     async fn handle(&mut self, n: u32, _ctx: &mut Context<Self>) {
    ///         assert!(n < 10, "{n} is too big");
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let addr = actor::spawn(Fragile);
    /// addr.send(99).await.unwrap();
    /// let err = addr.join().await.unwrap_err();
    /// assert!(err.is_panic());
    /// assert_eq!(err.panic_message(), Some("99 is too big"));
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panicked { panic, .. } => panic.message(),
            Repr::Cancelled => None,
        }
    }

    /// Takes the panic payload, for example to resume the panic with
    /// [`std::panic::resume_unwind`].
    ///
    /// # Errors
    ///
    /// Gives `self` back when the actor did not panic, or when another clone
    /// of this error (from another `join`) has already taken the payload.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_patterns::actor::{self, Actor, Context};
    ///
    /// struct Picky;
    ///
    /// impl Actor for Picky {
    ///     type Message = u8;
    ///
    ///     async fn handle(&mut self, n: u8, _ctx: &mut Context<Self>) {
    ///         std::panic::panic_any(n);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let addr = actor::spawn(Picky);
    /// addr.send(7).await.unwrap();
    /// let err = addr.join().await.unwrap_err();
    /// let again = err.clone();
    /// let payload = err.try_into_panic().unwrap();
    /// assert_eq!(payload.downcast_ref::<u8>(), Some(&7));
    /// // The payload is handed out once.
    /// assert!(again.try_into_panic().is_err());
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send>, ActorError> {
        let taken = match &self.repr {
            Repr::Panicked { panic, .. } => panic.take(),
            Repr::Cancelled => None,
        };
        taken.ok_or(self)
    }
}

impl fmt::Debug for ActorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked { stage, panic } => f
                .debug_struct("Panicked")
                .field("stage", &stage.name())
                .field("message", &panic.message())
                .finish_non_exhaustive(),
            Repr::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl fmt::Display for ActorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked { stage, panic } => match panic.message() {
                Some(message) => write!(f, "actor panicked in `{}`: {message}", stage.name()),
                None => write!(f, "actor panicked in `{}`", stage.name()),
            },
            Repr::Cancelled => f.write_str("actor task was cancelled before it finished"),
        }
    }
}

impl std::error::Error for ActorError {}
