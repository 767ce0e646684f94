//! The methods both handles have, written once.

/// Expands to the methods shared by `Sender` and `Receiver` (both hold
/// `chan: Arc<Chan<T>>`).
macro_rules! shared_methods {
    () => {
        /// Closes the queue gracefully. Returns `true` if this call closed
        /// it, `false` if it was already closed.
        ///
        /// New sends fail and give their item back, blocked senders wake with
        /// their item back, receivers drain what is queued and then get
        /// [`RecvError`](crate::queue::RecvError). Either side may close.
        ///
        /// # Examples
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let (tx, rx) = async_patterns::queue::bounded(4);
        /// tx.send(1).await.unwrap();
        /// assert!(rx.close());
        /// assert!(!tx.close());
        /// assert!(tx.send(2).await.is_err());
        /// assert_eq!(rx.recv().await, Ok(1));
        /// assert!(rx.recv().await.is_err());
        /// # }
        /// ```
        pub fn close(&self) -> bool {
            self.chan.close()
        }

        /// True once the queue is closed (items may still be queued).
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = async_patterns::queue::unbounded::<u8>();
        /// assert!(!rx.is_closed());
        /// drop(tx);
        /// assert!(rx.is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.chan.lock().closed
        }

        /// Waits until the queue is closed (by `close()`, `shutdown()` or
        /// the last sender or receiver dropping).
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: dropping the future loses nothing.
        ///
        /// # Examples
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let (tx, rx) = async_patterns::queue::unbounded::<u8>();
        /// tokio::spawn(async move { drop(rx) });
        /// tx.closed().await;
        /// assert!(tx.send(1).await.is_err());
        /// # }
        /// ```
        pub fn closed(&self) -> crate::queue::Closed<'_, T> {
            crate::queue::Closed::new(&self.chan)
        }

        /// Closes the queue at once and returns every queued item, oldest
        /// first. Nothing is dropped: the caller gets what was queued, and
        /// blocked senders get their own items back in their errors. Every
        /// waiter wakes. The returned items are discounted from
        /// [`unfinished()`](Self::unfinished), so [`join()`](Self::join)
        /// resolves once the jobs already handed out are done.
        ///
        /// # Examples
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let (tx, rx) = async_patterns::queue::unbounded();
        /// for i in 0..3 {
        ///     tx.send(i).await.unwrap();
        /// }
        /// assert_eq!(rx.shutdown(), vec![0, 1, 2]);
        /// assert_eq!(tx.unfinished(), 0);
        /// assert!(rx.recv().await.is_err());
        /// # }
        /// ```
        pub fn shutdown(&self) -> Vec<T> {
            self.chan.shutdown()
        }

        /// Waits until every accepted item is finished (asyncio's
        /// `Queue.join()`): received with `recv`/`try_recv`/`recv_many`/the
        /// stream, or received with `recv_job` and its [`Job`](crate::queue::Job)
        /// dropped, or taken back by `shutdown()`. Resolves at once when
        /// nothing is unfinished, for example on a fresh queue.
        ///
        /// Items left queued after the last receiver dropped stay unfinished
        /// until someone calls [`shutdown()`](Self::shutdown).
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: dropping the future loses nothing.
        ///
        /// # Examples
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let (tx, rx) = async_patterns::queue::unbounded();
        /// for i in 0..3 {
        ///     tx.send(i).await.unwrap();
        /// }
        /// tokio::spawn(async move {
        ///     while let Ok(job) = rx.recv_job().await {
        ///         let _ = *job * 2; // work; finished when `job` drops
        ///     }
        /// });
        /// tx.join().await;
        /// assert_eq!(tx.unfinished(), 0);
        /// # }
        /// ```
        pub fn join(&self) -> crate::queue::Join<'_, T> {
            crate::queue::Join::new(&self.chan)
        }

        /// Number of accepted items not finished yet: queued items plus live
        /// [`Job`](crate::queue::Job)s.
        ///
        /// # Examples
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let (tx, rx) = async_patterns::queue::unbounded();
        /// tx.send(1).await.unwrap();
        /// tx.send(2).await.unwrap();
        /// let job = rx.recv_job().await.unwrap();
        /// assert_eq!((rx.len(), rx.unfinished()), (1, 2));
        /// drop(job);
        /// assert_eq!(rx.unfinished(), 1);
        /// # }
        /// ```
        pub fn unfinished(&self) -> usize {
            self.chan.unfinished()
        }

        /// Number of queued items.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = async_patterns::queue::unbounded();
        /// tx.try_send(1).unwrap();
        /// assert_eq!((tx.len(), rx.len()), (1, 1));
        /// ```
        pub fn len(&self) -> usize {
            self.chan.lock().queue.len()
        }

        /// True if no item is queued.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = async_patterns::queue::unbounded::<u8>();
        /// assert!(rx.is_empty() && tx.is_empty());
        /// ```
        pub fn is_empty(&self) -> bool {
            self.chan.lock().queue.is_empty()
        }

        /// True if a `try_send` now would fail with `Full`: queued items
        /// plus slots held by unsent [`Permit`](crate::queue::Permit)s reach
        /// the capacity. Always false for an unbounded queue.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = async_patterns::queue::bounded(1);
        /// assert!(!rx.is_full());
        /// tx.try_send(1).unwrap();
        /// assert!(rx.is_full() && tx.is_full());
        /// ```
        pub fn is_full(&self) -> bool {
            self.chan.lock().is_full()
        }

        /// The capacity, `None` for an unbounded queue.
        ///
        /// # Examples
        ///
        /// ```
        /// assert_eq!(async_patterns::queue::bounded::<u8>(8).0.capacity(), Some(8));
        /// assert_eq!(async_patterns::queue::unbounded::<u8>().1.capacity(), None);
        /// ```
        pub fn capacity(&self) -> Option<usize> {
            self.chan.capacity()
        }

        /// Number of live [`Sender`](crate::queue::Sender) handles.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = async_patterns::queue::unbounded::<u8>();
        /// let tx2 = tx.clone();
        /// assert_eq!(rx.sender_count(), 2);
        /// drop((tx, tx2));
        /// assert_eq!(rx.sender_count(), 0);
        /// ```
        pub fn sender_count(&self) -> usize {
            self.chan.lock().senders
        }

        /// Number of live [`Receiver`](crate::queue::Receiver) handles
        /// ([`Job`](crate::queue::Job)s do not count).
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = async_patterns::queue::unbounded::<u8>();
        /// let _rx2 = rx.clone();
        /// assert_eq!(tx.receiver_count(), 2);
        /// ```
        pub fn receiver_count(&self) -> usize {
            self.chan.lock().receivers
        }

        /// A snapshot of the queue's counters and gauges, taken in one
        /// critical section (so its fields agree with each other); see
        /// [`QueueStats`](crate::queue::QueueStats). Costs one lock, like
        /// [`len`](Self::len).
        ///
        /// # Examples
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let (tx, rx) = async_patterns::queue::bounded::<u32>(8);
        /// for n in 0..3 {
        ///     tx.send(n).await.unwrap();
        /// }
        /// let job = rx.recv_job().await.unwrap();
        /// let stats = rx.stats();
        /// assert_eq!((stats.sent, stats.received, stats.done), (3, 1, 0));
        /// assert_eq!((stats.len, stats.unfinished), (2, 3));
        /// job.done();
        /// assert_eq!(tx.stats().done, 1);
        /// # }
        /// ```
        pub fn stats(&self) -> crate::queue::QueueStats {
            self.chan.stats()
        }
    };
}

pub(crate) use shared_methods;
