//! The state shared by the clones of a [`Queue`](super::Queue) and its
//! [`Job`](super::Job)s: receiving (one look at a time, on connections
//! for blocking commands) and handing ended leases to the background task.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Client, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::calls::{Calls, Fetched, GROUP, Lease, create_group, is_nogroup, millis};
use super::stats::Count;
use crate::redis::Error;
use crate::redis::conn;

/// The longest a blocking command waits before the receiver looks again
/// (for expired leases, due retries and a close).
const MAX_BLOCK: Duration = Duration::from_millis(500);

/// What the background task does for a `Job` that ended without `.await`.
#[derive(Debug)]
pub(super) enum Release {
    /// Acknowledge it (dropped normally).
    Finish(String),
    /// Put it back at once (dropped during a panic).
    Retry(Lease),
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
        self.counters.add(Count::Received, 1);
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

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.calls.fmt(f)
    }
}
