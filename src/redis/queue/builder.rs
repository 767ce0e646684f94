//! [`QueueBuilder`]: the settings of a [`Queue`] handle, and `open`.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::Queue;
use super::background;
use super::calls::{Calls, Keys, create_group};
use super::shared::Shared;
use crate::redis::conn::{Conn, DEFAULT_TIMEOUT};
use crate::redis::{Call, Error};

/// Settings for [`Queue::builder`]; [`open`](Self::open) connects.
///
/// The settings belong to the handle, not to the queue in Redis: every
/// process that opens the same name should use the same `capacity`, `lease`
/// and `max_deliveries`.
///
/// # Default
///
/// Unbounded, a 30 s lease, 5 deliveries, and a 5 s timeout per call.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_patterns::redis::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
/// let queue: Queue<String> = Queue::builder("crawl")
///     .capacity(10_000)
///     .lease(Duration::from_secs(60))
///     .max_deliveries(3)
///     .open(&client)
///     .await
///     .unwrap();
/// # drop(queue);
/// # }
/// ```
pub struct QueueBuilder<T> {
    name: String,
    capacity: usize,
    lease: Duration,
    max_deliveries: u32,
    timeout: Duration,
    _item: PhantomData<fn(T) -> T>,
}

impl<T> QueueBuilder<T> {
    pub(super) fn new(name: String) -> Self {
        Self {
            name,
            capacity: 0,
            lease: Duration::from_secs(30),
            max_deliveries: 5,
            timeout: DEFAULT_TIMEOUT,
            _item: PhantomData,
        }
    }

    /// Bounds the queue: [`send`](Queue::send) waits while `n` items are
    /// queued and not yet delivered (leased items do not count).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u64>::builder("uploads").capacity(100).open(&client).await.unwrap();
    /// # drop(queue);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn capacity(mut self, n: usize) -> Self {
        assert!(n > 0, "a redis::Queue needs a capacity of at least 1");
        self.capacity = n;
        self
    }

    /// How long an item stays leased to a consumer that stops renewing it
    /// (a process that died) before it is delivered to another. A live
    /// [`Job`](super::Job) renews its lease every third of this.
    ///
    /// # Panics
    ///
    /// If `d` is under a millisecond.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u64>::builder("renders")
    ///     .lease(Duration::from_secs(5)) // a dead worker's job is back in 5 s
    ///     .open(&client)
    ///     .await
    ///     .unwrap();
    /// # drop(queue);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn lease(mut self, d: Duration) -> Self {
        assert!(
            d >= Duration::from_millis(1),
            "a redis::Queue lease must be at least 1 ms"
        );
        self.lease = d;
        self
    }

    /// How many deliveries an item gets before it moves to the dead letters
    /// (`<name>:dead`).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u64>::builder("payments").max_deliveries(1).open(&client).await.unwrap();
    /// # drop(queue);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn max_deliveries(mut self, n: u32) -> Self {
        assert!(n > 0, "a redis::Queue needs max_deliveries of at least 1");
        self.max_deliveries = n;
        self
    }

    /// The longest one call to Redis may take before it fails with
    /// [`Error::Timeout`] (waits for an item or for space are not calls:
    /// they are made of calls that each answer quickly).
    ///
    /// # Panics
    ///
    /// If `d` is zero.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<u64>::builder("fast").timeout(Duration::from_millis(500)).open(&client).await.unwrap();
    /// # drop(queue);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        assert!(!d.is_zero(), "a redis::Queue call timeout must not be zero");
        self.timeout = d;
        self
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> QueueBuilder<T> {
    /// Connects, creates the stream and its consumer group if they do not
    /// exist yet, and starts this handle's background task (lease renewal
    /// and background acknowledgements). Needs a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error`] if Redis cannot be reached in time or refuses.
    ///
    /// # Cancel safety
    ///
    /// Nothing is lost if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_patterns::redis::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = redis::Client::open("redis://127.0.0.1/").unwrap();
    /// let queue = Queue::<String>::builder("mail").open(&client).await.unwrap();
    /// queue.send("hello".to_string()).await.unwrap();
    /// # }
    /// ```
    pub fn open(self, client: &redis::Client) -> Call<'_, Result<Queue<T>, Error>> {
        Call::new(async move {
            let conn = Conn::open(client, self.timeout).await?;
            let keys = Keys::new(&self.name);
            create_group(&conn, &keys.stream).await?;
            let calls = Calls {
                conn,
                keys,
                consumer: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)),
                capacity: self.capacity,
                lease: self.lease,
                max_deliveries: self.max_deliveries,
                counters: Arc::default(),
            };
            let live = Arc::new(Mutex::new(HashSet::new()));
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(background::run(calls.clone(), live.clone(), rx));
            let shared = Shared::new(calls, client.clone(), tx, live);
            Ok(Queue::from_shared(Arc::new(shared)))
        })
    }
}

impl<T> fmt::Debug for QueueBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueBuilder")
            .field("name", &self.name)
            .field("capacity", &(self.capacity > 0).then_some(self.capacity))
            .field("lease", &self.lease)
            .field("max_deliveries", &self.max_deliveries)
            .field("timeout", &self.timeout)
            .finish()
    }
}
