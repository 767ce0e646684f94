//! [`Permit`]: a queue slot reserved ahead of the item.

use std::fmt;

use super::chan::Chan;

/// A free slot held by [`Sender::reserve`](super::Sender::reserve): [`send`](Permit::send) queues an
/// item in it without waiting and without failing. Dropping an unused permit
/// gives the slot to the next waiting sender.
///
/// If the queue is closed while the permit is held, `send` still queues the
/// item, and receivers wait for it: the queue only counts as closed and
/// drained (receivers get `RecvError`) once every outstanding permit has been
/// used or dropped. Do not hold a permit forever across `close()`.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::bounded(1);
/// let permit = tx.reserve().await.unwrap();
/// drop(permit); // the slot is free again
/// tx.try_send(5).unwrap();
/// assert_eq!(rx.recv().await, Ok(5));
/// # }
/// ```
#[must_use = "a Permit holds a slot; send an item with it or drop it"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
    sent: bool,
}

impl<'a, T> Permit<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>) -> Self {
        Self { chan, sent: false }
    }

    /// Queues `item` in the reserved slot.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = async_patterns::queue::bounded(4);
    /// tx.reserve().await.unwrap().send("hello");
    /// assert_eq!(rx.recv().await, Ok("hello"));
    /// # }
    /// ```
    pub fn send(mut self, item: T) {
        self.sent = true;
        self.chan.send_reserved(item);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if !self.sent {
            self.chan.release_reserved();
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}
