//! One Redis connection for the commands of a handle, with a timeout on
//! every call, and the small readers of raw replies.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Cmd, FromRedisValue, ScriptInvocation, Value};

use super::Error;

/// The default bound on one call to Redis.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A multiplexed connection that reconnects by itself (redis-rs
/// `ConnectionManager`); every call is bounded by `timeout`.
///
/// Never used for a blocking command: one would hold up every other call
/// multiplexed on it. Those go through [`blocking`].
#[derive(Clone)]
pub(crate) struct Conn {
    manager: ConnectionManager,
    timeout: Duration,
}

impl Conn {
    pub(crate) async fn open(client: &Client, timeout: Duration) -> Result<Self, Error> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2);
        let manager = bounded(timeout, async {
            ConnectionManager::new_with_config(client.clone(), config)
                .await
                .map_err(Error::from)
        })
        .await?;
        Ok(Self { manager, timeout })
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs a Lua script (EVALSHA, loading it after a server restart).
    pub(crate) async fn script<R: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<R, Error> {
        let mut manager = self.manager.clone();
        bounded(self.timeout, async move {
            invocation
                .invoke_async(&mut manager)
                .await
                .map_err(Error::from)
        })
        .await
    }

    pub(crate) async fn query<R: FromRedisValue>(&self, cmd: &Cmd) -> Result<R, Error> {
        let mut manager = self.manager.clone();
        bounded(self.timeout, async move {
            cmd.query_async(&mut manager).await.map_err(Error::from)
        })
        .await
    }
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A connection of its own for one blocking command (`XREADGROUP BLOCK`,
/// `BLPOP`) that may wait up to `wait`.
pub(crate) async fn blocking(
    client: &Client,
    timeout: Duration,
    wait: Duration,
) -> Result<MultiplexedConnection, Error> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(wait + timeout));
    bounded(timeout, async {
        client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(Error::from)
    })
    .await
}

/// `fut`, failing with [`Error::Timeout`] after `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or(Err(Error::Timeout(limit)))
}

/// The elements of an array reply.
pub(crate) fn array(value: Value) -> Result<Vec<Value>, Error> {
    match value {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        other => Err(unexpected("an array", &other)),
    }
}

/// A bulk string's bytes; `None` for nil (a Lua `false`).
pub(crate) fn bytes(value: Value) -> Result<Option<Vec<u8>>, Error> {
    match value {
        Value::BulkString(b) => Ok(Some(b)),
        Value::SimpleString(s) => Ok(Some(s.into_bytes())),
        Value::Nil => Ok(None),
        other => Err(unexpected("a string", &other)),
    }
}

/// A string reply (ids and status words are ASCII).
pub(crate) fn string(value: Value) -> Result<String, Error> {
    match bytes(value)? {
        Some(b) => String::from_utf8(b).map_err(|e| Error::Reply(e.to_string())),
        None => Err(Error::Reply("nil where a string was expected".into())),
    }
}

/// An integer reply (Redis sometimes sends numbers as strings).
pub(crate) fn int(value: Value) -> Result<i64, Error> {
    match value {
        Value::Int(n) => Ok(n),
        Value::BulkString(ref b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected("an integer", &value)),
        other => Err(unexpected("an integer", &other)),
    }
}

fn unexpected(what: &str, value: &Value) -> Error {
    Error::Reply(format!("expected {what}, got {value:?}"))
}
