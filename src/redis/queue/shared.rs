//! The state shared by the clones of a [`Queue`](super::Queue) and its
//! [`Job`](super::Job)s, and the Redis calls they make.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Client, Script, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::builder::create_group;
use crate::redis::Error;
use crate::redis::conn::{self, Conn};

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(super) static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::new(concat!(
                include_str!("scripts/prelude.lua"),
                include_str!(concat!("scripts/", $file))
            ))
        });
    };
}

script!(SEND, "send.lua");
script!(FETCH, "fetch.lua");
script!(RETRY, "retry.lua");
script!(DEAD, "dead.lua");
script!(ACK, "ack.lua");
script!(RENEW, "renew.lua");
script!(CLOSE, "close.lua");
script!(SHUTDOWN, "shutdown.lua");
script!(COUNTS, "counts.lua");
script!(FORGET, "forget.lua");
script!(SPACE, "space.lua");

/// The consumer group every handle reads through.
pub(super) const GROUP: &str = "async-patterns";

/// The longest a blocking command waits before the receiver looks again
/// (for expired leases, due retries and a close).
const MAX_BLOCK: Duration = Duration::from_millis(500);

/// Ids per script call (Lua's `unpack` has a stack limit near 8000).
pub(super) const BATCH: usize = 1000;

/// At most this many wake-ups wait in the space list.
const MAX_SPACE_TOKENS: usize = 64;

/// The Redis keys of one queue.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    /// The stream: every unfinished entry (queued or leased).
    pub(super) stream: String,
    /// Retries waiting for their time: a sorted set scored by due time (ms).
    pub(super) delayed: String,
    /// A hash: `closed`, and the `XAUTOCLAIM` cursor.
    pub(super) meta: String,
    /// The dead-letter stream, itself openable as a queue.
    pub(super) dead: String,
    /// Wake-ups for senders blocked by a full queue.
    pub(super) space: String,
}

impl Keys {
    pub(super) fn new(name: &str) -> Self {
        Self {
            stream: name.to_owned(),
            delayed: format!("{name}:delayed"),
            meta: format!("{name}:meta"),
            dead: format!("{name}:dead"),
            space: format!("{name}:space"),
        }
    }
}

/// What the background task does for a `Job` that ended without `.await`.
#[derive(Debug)]
pub(super) enum Release {
    /// Acknowledge it (dropped normally).
    Finish(String),
    /// Put it back at once (dropped during a panic).
    Retry(Lease),
}

/// A leased entry: what it takes to end the lease either way.
#[derive(Debug, Clone)]
pub(super) struct Lease {
    pub(super) id: String,
    pub(super) payload: Vec<u8>,
    pub(super) deliveries: u32,
}

/// One look at the queue ([`Shared::next`]) that cannot strand an entry:
/// dropped while a command is in flight, it lets the command finish in a
/// task and puts an entry it took back at once.
pub(super) struct Look {
    fut: Option<LookFuture>,
    shared: Arc<Shared>,
}

type LookFuture = Pin<Box<dyn Future<Output = Result<Next, Error>> + Send>>;

impl Look {
    pub(super) fn new(shared: &Arc<Shared>) -> Self {
        let owned = shared.clone();
        Self {
            fut: Some(Box::pin(async move { owned.next().await })),
            shared: shared.clone(),
        }
    }
}

impl Future for Look {
    type Output = Result<Next, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self
            .fut
            .as_mut()
            .expect("a Look is not polled after it completed");
        let out = ready!(fut.as_mut().poll(cx));
        self.fut = None;
        Poll::Ready(out)
    }
}

impl Drop for Look {
    fn drop(&mut self) {
        let (Some(fut), Ok(rt)) = (self.fut.take(), tokio::runtime::Handle::try_current()) else {
            // Done, or no runtime left: an entry taken expires with its lease.
            return;
        };
        let shared = self.shared.clone();
        rt.spawn(async move {
            if let Ok(Next::Entry(lease, _)) = fut.await {
                let _ = shared.background.send(Release::Retry(lease));
            }
        });
    }
}

/// The outcome of one look at the queue.
pub(super) enum Next {
    /// An entry, now leased by this consumer (its payload not yet decoded).
    Entry(Lease, Option<Vec<u8>>),
    /// Nothing yet: look again.
    Nothing,
    /// Closed, and nothing queued, delayed or leased anywhere.
    Finished,
}

/// The Redis calls of one opened queue; cloned into the background task.
#[derive(Clone)]
pub(super) struct Calls {
    pub(super) conn: Conn,
    pub(super) keys: Keys,
    /// This handle's consumer name in the group, unique per `open`.
    pub(super) consumer: String,
    /// 0: unbounded.
    pub(super) capacity: usize,
    pub(super) lease: Duration,
    pub(super) max_deliveries: u32,
}

pub(super) struct Shared {
    calls: Calls,
    client: Client,
    /// The ids whose leases this handle holds: the background task renews
    /// them until they are acknowledged or put back.
    pub(super) live: Arc<Mutex<HashSet<String>>>,
    /// To the background task; it ends once every handle and job is gone.
    pub(super) background: mpsc::UnboundedSender<Release>,
    /// Idle connections for blocking commands (one command at a time each).
    idle: Mutex<Vec<MultiplexedConnection>>,
    /// When the non-blocking half of a receive (`fetch.lua`) last ran and
    /// when, as it said, the next delayed retry is due. Receivers run it at
    /// most once per poll interval per process.
    last_fetch: Mutex<Option<(Instant, Option<Instant>)>>,
}

impl std::ops::Deref for Shared {
    type Target = Calls;

    fn deref(&self) -> &Calls {
        &self.calls
    }
}

impl Shared {
    pub(super) fn new(
        calls: Calls,
        client: Client,
        background: mpsc::UnboundedSender<Release>,
        live: Arc<Mutex<HashSet<String>>>,
    ) -> Self {
        Self {
            calls,
            client,
            live,
            background,
            idle: Mutex::new(Vec::new()),
            last_fetch: Mutex::new(None),
        }
    }

    /// How often a waiting receiver looks for expired leases, due retries
    /// and a close.
    pub(super) fn poll_interval(&self) -> Duration {
        (self.lease / 4).clamp(Duration::from_millis(10), MAX_BLOCK)
    }

    /// Waits until a receiver takes an item or the queue closes (or
    /// [`MAX_BLOCK`] passes): the wait of a sender blocked by a full queue.
    pub(super) async fn wait_for_space(&self) -> Result<(), Error> {
        let mut c = self.take_blocking().await?;
        let cmd = redis::cmd("BLPOP")
            .arg(&self.keys.space)
            .arg(MAX_BLOCK.as_secs_f64())
            .to_owned();
        let limit = MAX_BLOCK + self.conn.timeout();
        let reply: Result<Value, Error> = conn::bounded(limit, async {
            cmd.query_async(&mut c).await.map_err(Error::from)
        })
        .await;
        if reply.is_ok() {
            self.give_back(c);
        }
        reply.map(drop)
    }

    /// One look at the queue for this consumer: due retries, expired
    /// leases, then a blocking read of new entries for up to the poll
    /// interval.
    pub(super) async fn next(&self) -> Result<Next, Error> {
        let now = Instant::now();
        let last = *self.last_fetch.lock().unwrap();
        let fetch_due = match last {
            None => true,
            Some((at, due)) => {
                now >= at + self.poll_interval() || due.is_some_and(|due| now >= due)
            }
        };
        let mut next_due = last.and_then(|(_, due)| due);
        if fetch_due {
            match self.regrouping(|| self.fetch()).await? {
                Fetched::Entry(lease, payload) => return Ok(Next::Entry(lease, payload)),
                Fetched::Finished => return Ok(Next::Finished),
                Fetched::Empty(due) => {
                    next_due = due.map(|d| Instant::now() + d);
                    *self.last_fetch.lock().unwrap() = Some((Instant::now(), next_due));
                }
            }
        }
        let mut wait = self.poll_interval();
        if let Some(due) = next_due {
            wait = wait.min(due.saturating_duration_since(Instant::now()));
        }
        if wait < Duration::from_millis(1) {
            return Ok(Next::Nothing);
        }
        match self.read_new(wait).await {
            Err(e) if is_nogroup(&e) => {
                create_group(&self.conn, &self.keys.stream).await?;
                Ok(Next::Nothing)
            }
            other => other,
        }
    }

    /// `XREADGROUP ... BLOCK wait ... >` on a connection of its own.
    async fn read_new(&self, wait: Duration) -> Result<Next, Error> {
        let mut c = self.take_blocking().await?;
        let cmd = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(millis(wait).max(1))
            .arg("STREAMS")
            .arg(&self.keys.stream)
            .arg(">")
            .to_owned();
        let limit = wait + self.conn.timeout();
        let reply: Value = conn::bounded(limit, async {
            cmd.query_async(&mut c).await.map_err(Error::from)
        })
        .await?;
        self.give_back(c);
        // [[stream, [[id, [field, value, ...]]]]] or nil
        let Some(stream) = conn::array(reply)?.into_iter().next() else {
            return Ok(Next::Nothing);
        };
        let Some(entry) = conn::array(stream)?.into_iter().nth(1) else {
            return Ok(Next::Nothing);
        };
        let Some(entry) = conn::array(entry)?.into_iter().next() else {
            return Ok(Next::Nothing);
        };
        let mut entry = conn::array(entry)?.into_iter();
        let id = conn::string(entry.next().unwrap_or(Value::Nil))?;
        let fields = conn::array(entry.next().unwrap_or(Value::Nil))?;
        let (mut payload, mut previous) = (None, 0u32);
        let mut fields = fields.into_iter();
        while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
            match conn::bytes(k)?.as_deref() {
                Some(b"v") => payload = conn::bytes(v)?,
                Some(b"n") => {
                    previous = conn::int(v)
                        .ok()
                        .and_then(|n| n.try_into().ok())
                        .unwrap_or(0)
                }
                _ => {}
            }
        }
        if self.capacity > 0 {
            self.signal_space();
        }
        let lease = Lease {
            id,
            payload: payload.clone().unwrap_or_default(),
            deliveries: previous.saturating_add(1),
        };
        Ok(Next::Entry(lease, payload))
    }

    async fn take_blocking(&self) -> Result<MultiplexedConnection, Error> {
        if let Some(c) = self.idle.lock().unwrap().pop() {
            return Ok(c);
        }
        conn::blocking(&self.client, self.conn.timeout(), MAX_BLOCK).await
    }

    /// Only connections whose last command completed come back: one that
    /// failed or was dropped mid-command may still have a reply in flight.
    fn give_back(&self, c: MultiplexedConnection) {
        let mut idle = self.idle.lock().unwrap();
        if idle.len() < 64 {
            idle.push(c);
        }
    }
}

impl Calls {
    /// Runs `send.lua`: 1 added, 0 closed, -1 full.
    pub(super) async fn send_once(&self, payload: &[u8]) -> Result<i64, Error> {
        self.regrouping(|| self.send_script(payload)).await
    }

    async fn send_script(&self, payload: &[u8]) -> Result<i64, Error> {
        self.conn
            .script(
                SEND.key(&self.keys.stream)
                    .key(&self.keys.meta)
                    .arg(GROUP)
                    .arg(self.capacity)
                    .arg(payload),
            )
            .await
    }

    fn space_tokens(&self) -> usize {
        self.capacity.min(MAX_SPACE_TOKENS)
    }

    async fn fetch(&self) -> Result<Fetched, Error> {
        let reply: Value = self
            .conn
            .script(
                FETCH
                    .key(&self.keys.stream)
                    .key(&self.keys.delayed)
                    .key(&self.keys.meta)
                    .key(&self.keys.dead)
                    .arg(GROUP)
                    .arg(&self.consumer)
                    .arg(millis(self.lease))
                    .arg(self.max_deliveries),
            )
            .await?;
        let mut items = conn::array(reply)?.into_iter();
        let mut next = || {
            items
                .next()
                .ok_or_else(|| Error::Reply("short reply from fetch.lua".into()))
        };
        if conn::string(next()?)? == "entry" {
            let id = conn::string(next()?)?;
            let payload = conn::bytes(next()?)?;
            let previous = conn::int(next()?)?;
            let count = conn::int(next()?)?;
            let deliveries = u32::try_from(previous + count).unwrap_or(u32::MAX);
            let lease = Lease {
                id,
                payload: payload.clone().unwrap_or_default(),
                deliveries,
            };
            return Ok(Fetched::Entry(lease, payload));
        }
        let due = conn::int(next()?)?;
        if conn::int(next()?)? == 1 {
            return Ok(Fetched::Finished);
        }
        let due = u64::try_from(due).ok().map(Duration::from_millis);
        Ok(Fetched::Empty(due))
    }

    /// Wakes one sender blocked by the full queue: a receiver took an item.
    fn signal_space(&self) {
        let conn = self.conn.clone();
        let key = self.keys.space.clone();
        let cap = self.space_tokens();
        tokio::spawn(async move {
            // A lost wake-up costs a blocked sender at most `MAX_BLOCK`.
            let _ = conn.script::<Value>(SPACE.key(key).arg(cap)).await;
        });
    }

    /// Moves a leased entry to the dead letters with `error`.
    pub(super) async fn dead_letter(&self, lease: &Lease, error: &str) -> Result<(), Error> {
        self.conn
            .script::<Value>(
                DEAD.key(&self.keys.stream)
                    .key(&self.keys.dead)
                    .arg(GROUP)
                    .arg(&lease.id)
                    .arg(&lease.payload)
                    .arg(error)
                    .arg(lease.deliveries),
            )
            .await
            .map(drop)
    }

    /// Acknowledges and deletes leased entries.
    pub(super) async fn ack(&self, ids: &[String]) -> Result<(), Error> {
        let mut invocation = ACK.key(&self.keys.stream);
        invocation.arg(GROUP);
        for id in ids {
            invocation.arg(id);
        }
        self.conn.script::<Value>(&invocation).await.map(drop)
    }

    /// Ends a lease by putting the item back after `delay` (or into the
    /// dead letters once it has had `max_deliveries`).
    pub(super) async fn retry(&self, lease: &Lease, delay: Duration) -> Result<(), Error> {
        self.conn
            .script::<Value>(
                RETRY
                    .key(&self.keys.stream)
                    .key(&self.keys.delayed)
                    .key(&self.keys.dead)
                    .arg(GROUP)
                    .arg(&lease.id)
                    .arg(millis(delay))
                    .arg(lease.deliveries)
                    .arg(self.max_deliveries)
                    .arg(&lease.payload),
            )
            .await
            .map(drop)
    }

    pub(super) async fn close(&self) -> Result<bool, Error> {
        let closed: i64 = self
            .conn
            .script(
                CLOSE
                    .key(&self.keys.meta)
                    .key(&self.keys.space)
                    .arg(self.space_tokens()),
            )
            .await?;
        Ok(closed == 1)
    }

    /// Closes and takes every undelivered entry out: `(id, payload)`.
    pub(super) async fn shutdown(&self) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
        let reply: Value = self
            .conn
            .script(
                SHUTDOWN
                    .key(&self.keys.stream)
                    .key(&self.keys.delayed)
                    .key(&self.keys.meta)
                    .key(&self.keys.space)
                    .arg(GROUP)
                    .arg(&self.consumer)
                    .arg(self.space_tokens()),
            )
            .await?;
        let mut out = Vec::new();
        let mut items = conn::array(reply)?.into_iter();
        while let (Some(id), Some(payload)) = (items.next(), items.next()) {
            out.push((conn::string(id)?, conn::bytes(payload)?));
        }
        Ok(out)
    }

    /// Writes an entry that is no longer in the queue to the dead letters.
    pub(super) async fn bury(&self, id: &str, payload: &[u8], error: &str) -> Result<(), Error> {
        let cmd = redis::cmd("XADD")
            .arg(&self.keys.dead)
            .arg("*")
            .arg("v")
            .arg(payload)
            .arg("error")
            .arg(error)
            .arg("deliveries")
            .arg(0)
            .arg("source")
            .arg(id)
            .to_owned();
        self.conn.query::<Value>(&cmd).await.map(drop)
    }

    /// (entries in the stream, leased, delayed).
    /// Acknowledges what it can of `ids` (in batches), removing each
    /// acknowledged id from `live`; the rest stay in `ids`.
    pub(super) async fn ack_all(&self, ids: &mut Vec<String>, live: &Mutex<HashSet<String>>) {
        while !ids.is_empty() {
            let n = ids.len().min(BATCH);
            if self.ack(&ids[..n]).await.is_err() {
                return;
            }
            let mut live = live.lock().unwrap();
            for id in ids.drain(..n) {
                live.remove(&id);
            }
        }
    }

    /// Renews the leases of `ids`; returns the ones this consumer lost.
    pub(super) async fn renew(&self, ids: &[String]) -> Result<Vec<String>, Error> {
        let mut invocation = RENEW.key(&self.keys.stream);
        invocation.arg(GROUP).arg(&self.consumer);
        for id in ids {
            invocation.arg(id);
        }
        self.conn.script(&invocation).await
    }

    /// Removes this consumer from the group if it holds no lease.
    pub(super) async fn forget(&self) -> Result<(), Error> {
        self.conn
            .script::<Value>(FORGET.key(&self.keys.stream).arg(GROUP).arg(&self.consumer))
            .await
            .map(drop)
    }

    pub(super) async fn counts(&self) -> Result<(usize, usize, usize), Error> {
        self.regrouping(|| self.counts_script()).await
    }

    /// Runs `call`; if the consumer group is gone (a server that lost its
    /// data, or a `DEL` of the stream), creates it again and runs `call`
    /// once more.
    async fn regrouping<R, F: Future<Output = Result<R, Error>>>(
        &self,
        call: impl Fn() -> F,
    ) -> Result<R, Error> {
        match call().await {
            Err(e) if is_nogroup(&e) => {
                create_group(&self.conn, &self.keys.stream).await?;
                call().await
            }
            other => other,
        }
    }

    async fn counts_script(&self) -> Result<(usize, usize, usize), Error> {
        self.conn
            .script(
                COUNTS
                    .key(&self.keys.stream)
                    .key(&self.keys.delayed)
                    .arg(GROUP),
            )
            .await
    }
}

impl fmt::Debug for Calls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("name", &self.keys.stream)
            .field("consumer", &self.consumer)
            .field("capacity", &self.capacity)
            .field("lease", &self.lease)
            .field("max_deliveries", &self.max_deliveries)
            .finish_non_exhaustive()
    }
}

enum Fetched {
    Entry(Lease, Option<Vec<u8>>),
    Empty(Option<Duration>),
    Finished,
}

fn is_nogroup(e: &Error) -> bool {
    matches!(e, Error::Redis(e) if e.code() == Some("NOGROUP") || e.to_string().contains("NOGROUP"))
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.calls.fmt(f)
    }
}
