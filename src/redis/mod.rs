//! Beyond one process: the work queue and the rate limiter on Redis, with
//! the in-process names and meanings (feature `redis`).
//!
//! When a second worker machine joins, or a crawler fleet must share one
//! politeness limit per site, [`Queue`] and [`RateLimiter`] move the
//! [`queue`](crate::queue) and [`rate_limit`](crate::rate_limit) patterns
//! onto a Redis server (6.2 or later, for `XAUTOCLAIM`; Valkey works too) that every process
//! opens by name.
//!
//! # What changes
//!
//! - **At-least-once delivery.** In one process an item is delivered
//!   exactly once. Across processes a worker can die mid-job, so a
//!   [`Job`] is a **lease**: while the `Job` lives, a background task
//!   renews it (however long the work takes); once it is done (or dropped)
//!   it is never delivered again; if its process dies, the item is
//!   delivered to another consumer after the `lease` expires. Work must
//!   therefore be idempotent, or check that it was not done already.
//! - **Dead letters.** An item delivered `max_deliveries` times without
//!   being done moves to the stream `<name>:dead` (openable as a
//!   `Queue<T>`), so [`join`](Queue::join) cannot hang on a poison item. An
//!   entry that does not decode as `T` goes there too, with the error; it
//!   never stops a worker.
//! - **JSON.** Items are `Serialize + DeserializeOwned`, stored as JSON
//!   in the field `v` of a stream entry (readable in `redis-cli`).
//! - **Fallible.** Every call can fail with a typed [`Error`] (every
//!   sending error gives the item back); calls time out, and the connection
//!   reconnects by itself. Nothing panics or hangs because Redis went away.
//! - **Async only**, and the handle's methods need a tokio runtime.
//!
//! # In-process queue vs `redis::Queue`
//!
//! | | [`queue`](crate::queue) | [`redis::Queue`](Queue) |
//! |---|---|---|
//! | reach | one process | every process that opens the name |
//! | items | any `T` | `T: Serialize + DeserializeOwned`, as JSON |
//! | handles | `Sender` / `Receiver` pair | one `Queue` handle (clone it) |
//! | `send`, `try_send` | yes | yes (fallible: `SendError::Backend(item, err)`) |
//! | `recv` | delivered exactly once | done on delivery (acknowledged at once) |
//! | `recv_job` → `Job` | done on `done()` / drop | a lease: renewed while alive, done on `done().await` / drop, redelivered after `lease` if the process dies |
//! | a panicking worker | its job is done | its job is put back at once |
//! | delivery | exactly once | at least once |
//! | retries | (none) | [`Job::retry_in`], [`Job::deliveries`] |
//! | poison items | (none) | dead letters after `max_deliveries` |
//! | `close`, `shutdown`, `join` | yes | yes, across processes (`join` polls with backoff) |
//! | `len`, `unfinished` | sync | async, counted in Redis |
//! | blocking (`send_blocking`) and `Stream` | yes | no |
//!
//! # How it works
//!
//! A queue is a Redis stream `<name>` read through one consumer group; each
//! opened handle is a consumer. `send` is a Lua script (closed flag and
//! capacity checked atomically with the `XADD`); receivers read new entries
//! with `XREADGROUP ... BLOCK` on connections of their own, and take over
//! expired leases with `XAUTOCLAIM`; a lease is renewed by `XCLAIM ...
//! JUSTID` (which does not count a delivery); `done` is `XACK` + `XDEL`, so
//! the stream holds exactly the unfinished items. Retries wait in a sorted
//! set `<name>:delayed`. A sender blocked by a full queue waits on a list
//! (`BLPOP <name>:space`) that receivers push to. Redis Cluster is not
//! supported (the scripts touch several keys).
//!
//! The rate limiter is a GCRA, one Lua script per decision, on the
//! server's clock: see [`RateLimiter`].
//!
//! # Examples
//!
//! Examples on this page need a running server, so they are not run by
//! `cargo test --doc`; the same code runs in the crate's integration tests
//! (`tests/redis_queue.rs`, `tests/redis_rate_limit.rs`), which start their
//! own `redis-server`.
//!
//! ```no_run
//! use std::time::Duration;
//! use async_patterns::redis::{Queue, RateLimiter};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Fetch {
//!     url: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = redis::Client::open("redis://127.0.0.1/")?;
//! let queue = Queue::<Fetch>::builder("crawl").lease(Duration::from_secs(30)).open(&client).await?;
//! let polite = RateLimiter::open(&client, "rate:example.com", 5, Duration::from_secs(1)).await?;
//!
//! queue.send(Fetch { url: "https://example.com/".into() }).await?;
//! let job = queue.recv_job().await?;
//! polite.acquire().await?;
//! println!("fetching {}", job.url);
//! job.done().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Runnable example
//!
//! [`distributed`](https://github.com/async-patterns/async-patterns/tree/main/examples/distributed)
//! (`cargo run --features redis --example distributed`): worker processes,
//! one killed mid-job, a shared rate limit, dead letters and `join`.

mod conn;
mod error;
mod future;
mod queue;
mod rate_limit;

pub use error::{AcquireError, Error, RecvError, SendError, TryAcquireError, TrySendError};
pub use future::Call;
pub use queue::{Job, Queue, QueueBuilder, QueueStats};
pub use rate_limit::RateLimiter;
