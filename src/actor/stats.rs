//! [`ActorStats`]: what an operator looks at.

use crate::queue::QueueStats;

/// A snapshot of an actor's mailbox, from [`Addr::stats`](super::Addr::stats).
///
/// The counters only grow, so two snapshots taken `dt` apart subtract into
/// rates: `(b.received - a.received) / dt` is the rate the actor works at,
/// and a `mailbox_len` near `mailbox_capacity` with `senders_waiting` above
/// zero means the actor is the bottleneck and its callers feel
/// backpressure. Read from the mailbox queue's own counters (see
/// [`QueueStats`]), in one critical section.
///
/// # Examples
///
/// ```
/// use async_patterns::actor::{self, Actor, Context};
///
/// struct Counter(u64);
///
/// impl Actor for Counter {
///     type Message = u64;
///
///     async fn handle(&mut self, n: u64, _ctx: &mut Context<Self>) {
///         self.0 += n;
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let counter = actor::spawn_with_mailbox(Counter(0), 8);
/// for n in 0..5 {
///     counter.send(n).await.unwrap();
/// }
/// let stats = counter.stats();
/// assert_eq!(stats.sent, 5);
/// assert_eq!(stats.received + stats.mailbox_len as u64, 5);
/// assert_eq!(stats.mailbox_capacity, 8);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ActorStats {
    /// Messages ever accepted into the mailbox (`send`, `try_send`, `ask`).
    pub sent: u64,
    /// Messages ever taken from the mailbox by the actor: handled, or being
    /// handled now (at most one).
    pub received: u64,
    /// Messages queued in the mailbox now.
    pub mailbox_len: usize,
    /// The mailbox's capacity.
    pub mailbox_capacity: usize,
    /// Senders blocked on a full mailbox now.
    pub senders_waiting: usize,
}

impl ActorStats {
    pub(super) fn from_mailbox(q: QueueStats) -> Self {
        Self {
            sent: q.sent,
            received: q.received,
            mailbox_len: q.len,
            mailbox_capacity: q.capacity.unwrap_or(usize::MAX),
            senders_waiting: q.senders_waiting,
        }
    }
}
