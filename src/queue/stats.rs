//! [`QueueStats`]: what an operator looks at.

/// A snapshot of a queue's cumulative counters and current gauges, from
/// [`Sender::stats`](super::Sender::stats) or
/// [`Receiver::stats`](super::Receiver::stats).
///
/// The counters only grow (they wrap at `u64::MAX`), so two snapshots taken
/// `dt` apart subtract into rates: `(b.sent - a.sent) / dt` is the arrival
/// rate, `(b.done - a.done) / dt` the throughput, and a `len` that grows
/// while `received` stalls means the consumers fell behind. The gauges
/// (`len`, `unfinished`, the waiting counts) are values at the instant of the
/// snapshot. All fields are read in one critical section of the lock every
/// operation already takes; keeping them costs a plain add under that lock,
/// no atomic and no clock read.
///
/// How long items wait in the queue is not measured: that needs a clock read
/// per item on both sides. Time it in the item itself (send an
/// `(Instant, T)`) where it matters.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = async_patterns::queue::unbounded::<u32>();
/// let before = rx.stats();
/// for n in 0..10 {
///     tx.send(n).await.unwrap();
/// }
/// while rx.len() > 4 {
///     rx.recv().await.unwrap();
/// }
/// let after = rx.stats();
/// assert_eq!(after.sent - before.sent, 10);
/// assert_eq!(after.done - before.done, 6);
/// assert_eq!(after.len, 4);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct QueueStats {
    /// Items ever queued: by `send`, `try_send`, `send_blocking`, a
    /// `Permit`, and the timed variants that succeeded.
    pub sent: u64,
    /// Items ever taken out by receivers: `recv` and its variants,
    /// `recv_many`, `recv_job`, and the `Stream`. Items returned by
    /// `shutdown` are not counted.
    pub received: u64,
    /// Received items that are finished: every plain receive, and every
    /// [`Job`](super::Job) marked done or dropped. `received - done` is the
    /// number of jobs in progress.
    pub done: u64,
    /// Items queued now ([`len`](super::Receiver::len)).
    pub len: usize,
    /// Items queued or in progress as a `Job` now
    /// ([`unfinished`](super::Receiver::unfinished)); `join` waits for 0.
    pub unfinished: usize,
    /// The bound, `None` for an unbounded queue.
    pub capacity: Option<usize>,
    /// `send`s and `reserve`s blocked on a full queue now (the backpressure
    /// the producers feel).
    pub senders_waiting: usize,
    /// Receivers waiting on an empty queue now (idle consumers).
    pub receivers_waiting: usize,
}
