//! The endpoint code of the queue benches in long runs
//! (`queue_tasks.rs`, criterion; `queue_rounds.rs`, interleaved rounds):
//! every endpoint a spawned task, [`MESSAGES`] `usize`s per run split evenly
//! over the producers and the consumers, for our queue and each peer.

use std::hint::black_box;

use async_patterns::queue;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

pub const MESSAGES: usize = 1 << 19;

pub fn runtime(multi: bool) -> Runtime {
    let mut builder = if multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.build().expect("runtime")
}

/// The messages the `i`th of `n` endpoints handles.
fn part(i: usize, n: usize) -> usize {
    MESSAGES / n + usize::from(i < MESSAGES % n)
}

/// Awaits the endpoint tasks; returns how many messages the consumers got.
async fn received(tasks: Vec<JoinHandle<usize>>) -> usize {
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("endpoint task");
    }
    total
}

/// `async fn $name(producers, consumers, cap) -> usize`: spawns the
/// producers, each sending its part, and the consumers, each receiving until
/// the channel closes, for the sender and receivers `$make(cap, consumers)`.
macro_rules! cell {
    ($name:ident, $make:expr, |$tx:ident, $i:ident| $send:expr, |$rx:ident| $recv:expr) => {
        pub async fn $name(producers: usize, consumers: usize, cap: Option<usize>) -> usize {
            let (tx, receivers) = $make(cap, consumers);
            let mut tasks = Vec::with_capacity(producers + consumers);
            for p in 0..producers {
                let $tx = tx.clone();
                tasks.push(tokio::spawn(async move {
                    for $i in 0..part(p, producers) {
                        $send;
                    }
                    0
                }));
            }
            drop(tx);
            for rx in receivers {
                tasks.push(tokio::spawn(async move {
                    #[allow(unused_mut)] // only tokio's receiver needs `mut`
                    let mut $rx = rx;
                    let mut n = 0;
                    while let Some(v) = $recv {
                        black_box(v);
                        n += 1;
                    }
                    n
                }));
            }
            received(tasks).await
        }
    };
}

/// `consumers` handles on an MPMC channel's receiving side.
fn clones<T: Clone, R: Clone>((tx, rx): (T, R), consumers: usize) -> (T, Vec<R>) {
    (tx, vec![rx; consumers])
}

cell!(
    ours,
    |cap: Option<usize>, n| clones(cap.map_or_else(queue::unbounded, queue::bounded), n),
    |tx, i| tx.send(i).await.expect("open"),
    |rx| rx.recv().await.ok()
);
cell!(
    async_channel,
    |cap: Option<usize>, n| clones(
        cap.map_or_else(async_channel::unbounded, async_channel::bounded),
        n
    ),
    |tx, i| tx.send(i).await.expect("open"),
    |rx| rx.recv().await.ok()
);
cell!(
    flume,
    |cap: Option<usize>, n| clones(cap.map_or_else(flume::unbounded, flume::bounded), n),
    |tx, i| tx.send_async(i).await.expect("open"),
    |rx| rx.recv_async().await.ok()
);
cell!(
    kanal,
    |cap: Option<usize>, n| clones(
        cap.map_or_else(kanal::unbounded_async, kanal::bounded_async),
        n
    ),
    |tx, i| tx.send(i).await.expect("open"),
    |rx| rx.recv().await.ok()
);

/// tokio's bounded and unbounded `mpsc` behind one sender type.
enum MpscTx {
    Bounded(tokio::sync::mpsc::Sender<usize>),
    Unbounded(tokio::sync::mpsc::UnboundedSender<usize>),
}

impl Clone for MpscTx {
    fn clone(&self) -> Self {
        match self {
            MpscTx::Bounded(tx) => MpscTx::Bounded(tx.clone()),
            MpscTx::Unbounded(tx) => MpscTx::Unbounded(tx.clone()),
        }
    }
}

impl MpscTx {
    async fn send(&self, i: usize) {
        match self {
            MpscTx::Bounded(tx) => tx.send(i).await.expect("open"),
            MpscTx::Unbounded(tx) => tx.send(i).expect("open"),
        }
    }
}

enum MpscRx {
    Bounded(tokio::sync::mpsc::Receiver<usize>),
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<usize>),
}

impl MpscRx {
    async fn recv(&mut self) -> Option<usize> {
        match self {
            MpscRx::Bounded(rx) => rx.recv().await,
            MpscRx::Unbounded(rx) => rx.recv().await,
        }
    }
}

/// tokio's `mpsc` has a single consumer.
fn mpsc(cap: Option<usize>, consumers: usize) -> (MpscTx, Vec<MpscRx>) {
    assert_eq!(consumers, 1, "tokio mpsc has one consumer");
    match cap {
        Some(c) => {
            let (tx, rx) = tokio::sync::mpsc::channel(c);
            (MpscTx::Bounded(tx), vec![MpscRx::Bounded(rx)])
        }
        None => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (MpscTx::Unbounded(tx), vec![MpscRx::Unbounded(rx)])
        }
    }
}

cell!(tokio_mpsc, mpsc, |tx, i| tx.send(i).await, |rx| rx
    .recv()
    .await);

/// The peers of a cell, ours first: `(name, whether it has several
/// consumers)`. tokio's `mpsc` has one consumer; kanal is not cancel safe
/// and is there for reference.
pub const PEERS: [(&str, Consumers); 5] = [
    ("async-patterns", Consumers::Many),
    ("tokio-mpsc", Consumers::One),
    ("async-channel", Consumers::Many),
    ("flume", Consumers::Many),
    ("kanal", Consumers::Many),
];

/// How many consumers a peer supports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Consumers {
    One,
    Many,
}

/// The grid: runtime (multi-thread?), producers, consumers, capacity.
pub fn grid() -> Vec<(bool, usize, usize, Option<usize>)> {
    let mut cells = Vec::new();
    for multi in [false, true] {
        for (producers, consumers) in [(1, 1), (4, 1), (4, 4)] {
            for cap in [Some(1), Some(128), None] {
                cells.push((multi, producers, consumers, cap));
            }
        }
    }
    cells
}

/// A cell's name, as the criterion groups are named: `ct/4p1c/b128`.
pub fn cell_name(multi: bool, producers: usize, consumers: usize, cap: Option<usize>) -> String {
    let rt = if multi { "mt2" } else { "ct" };
    let cap = cap.map_or_else(|| "unb".to_string(), |c| format!("b{c}"));
    format!("{rt}/{producers}p{consumers}c/{cap}")
}

/// Runs one cell of peer `name` once; returns the messages received.
pub async fn run(name: &str, producers: usize, consumers: usize, cap: Option<usize>) -> usize {
    match name {
        "async-patterns" => ours(producers, consumers, cap).await,
        "tokio-mpsc" => tokio_mpsc(producers, consumers, cap).await,
        "async-channel" => async_channel(producers, consumers, cap).await,
        "flume" => flume(producers, consumers, cap).await,
        "kanal" => kanal(producers, consumers, cap).await,
        _ => unreachable!("unknown peer {name}"),
    }
}
