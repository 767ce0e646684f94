//! The Redis side of one opened [`Queue`](super::Queue): its keys, its
//! Lua scripts, and the calls that run them.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use redis::{Script, Value};

use super::stats::{Count, Counters};
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

/// A leased entry: what it takes to end the lease either way.
#[derive(Debug, Clone)]
pub(super) struct Lease {
    pub(super) id: String,
    pub(super) payload: Vec<u8>,
    pub(super) deliveries: u32,
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
    /// This process's counts (see [`QueueStats`](super::QueueStats)).
    pub(super) counters: Arc<Counters>,
}

impl Calls {
    /// Runs `send.lua`: 1 added, 0 closed, -1 full.
    pub(super) async fn send_once(&self, payload: &[u8]) -> Result<i64, Error> {
        let added = self.regrouping(|| self.send_script(payload)).await;
        if let Ok(1) = added {
            self.counters.add(Count::Sent, 1);
        }
        added
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

    pub(super) async fn fetch(&self) -> Result<Fetched, Error> {
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
            self.counters.add(Count::Received, 1);
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
    pub(super) fn signal_space(&self) {
        let conn = self.conn.clone();
        let key = self.keys.space.clone();
        let cap = self.space_tokens();
        tokio::spawn(async move {
            // A lost wake-up costs a blocked sender at most `shared::MAX_BLOCK`.
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
            .await?;
        self.counters.add(Count::DeadLettered, 1);
        Ok(())
    }

    /// Acknowledges and deletes leased entries.
    pub(super) async fn ack(&self, ids: &[String]) -> Result<(), Error> {
        let mut invocation = ACK.key(&self.keys.stream);
        invocation.arg(GROUP);
        for id in ids {
            invocation.arg(id);
        }
        self.conn.script::<Value>(&invocation).await?;
        self.counters.add(Count::Done, ids.len() as u64);
        Ok(())
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
            .await?;
        self.counters.add(Count::Retried, 1);
        Ok(())
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
        self.conn.query::<Value>(&cmd).await?;
        self.counters.add(Count::DeadLettered, 1);
        Ok(())
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
    pub(super) async fn regrouping<R, F: Future<Output = Result<R, Error>>>(
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

pub(super) enum Fetched {
    Entry(Lease, Option<Vec<u8>>),
    Empty(Option<Duration>),
    Finished,
}

pub(super) fn is_nogroup(e: &Error) -> bool {
    matches!(e, Error::Redis(e) if e.code() == Some("NOGROUP") || e.to_string().contains("NOGROUP"))
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `XGROUP CREATE <stream> <group> 0 MKSTREAM`, accepting a group that
/// already exists. From id 0: entries added before the group existed (a
/// dead-letter stream opened as a queue) are delivered too.
pub(super) async fn create_group(conn: &Conn, stream: &str) -> Result<(), Error> {
    let cmd = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(GROUP)
        .arg(0)
        .arg("MKSTREAM")
        .to_owned();
    match conn.query::<redis::Value>(&cmd).await {
        Ok(_) => Ok(()),
        Err(Error::Redis(e)) if e.code() == Some("BUSYGROUP") => Ok(()),
        Err(e) => Err(e),
    }
}
