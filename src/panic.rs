//! A caught panic, as kept by [`TaskError`](crate::executor::TaskError) and
//! [`ActorError`](crate::actor::ActorError).

use std::any::Any;
use std::sync::Mutex;

use crate::loom::lock_std;

/// A caught panic: its payload, until someone takes it, and the payload as
/// text when it was a `&str` or a `String` (what `panic!("...")` produces).
///
/// The payload sits behind a lock, taken only by [`take`](Self::take), so a
/// `Panic` is `Send + Sync` and can be shared behind an `Arc`.
pub(crate) struct Panic {
    message: Option<Box<str>>,
    payload: Mutex<Option<Box<dyn Any + Send>>>,
}

impl Panic {
    pub(crate) fn new(payload: Box<dyn Any + Send>) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| Box::from(*s))
            .or_else(|| {
                payload
                    .downcast_ref::<String>()
                    .map(|s| Box::from(s.as_str()))
            });
        Panic {
            message,
            payload: Mutex::new(Some(payload)),
        }
    }

    /// The panic message, when the payload was a `&str` or a `String`.
    pub(crate) fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Takes the payload; `None` once it has been taken.
    pub(crate) fn take(&self) -> Option<Box<dyn Any + Send>> {
        lock_std(&self.payload).take()
    }
}
