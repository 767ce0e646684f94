//! `async_patterns::actor` against the hand-written tokio actor (an mpsc
//! mailbox, a task looping over `recv`, a oneshot per request), on the same
//! workload, in the same group: once on a current-thread runtime (`actor_*`),
//! once on a two-worker multi-thread runtime (`actor_*_mt`), where the
//! sender and the actor can run in parallel.
//!
//! ```text
//! cargo bench -p async-patterns-benches --bench actor -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use async_patterns::actor::{self, Actor, Context, Reply};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

const MAILBOX: usize = 64;
const SENDS: u64 = 10_000;
const ASKS: u64 = 1_000;

enum Msg {
    Add(u64),
    Get(Reply<u64>),
}

struct Counter(u64);

impl Actor for Counter {
    type Message = Msg;

    async fn handle(&mut self, msg: Msg, _ctx: &mut Context<Self>) {
        match msg {
            Msg::Add(n) => self.0 += n,
            Msg::Get(reply) => reply.send(self.0),
        }
    }
}

/// The usual tokio pattern, written by hand.
enum RawMsg {
    Add(u64),
    Get(oneshot::Sender<u64>),
}

#[derive(Clone)]
struct RawCounter {
    tx: mpsc::Sender<RawMsg>,
}

impl RawCounter {
    fn spawn() -> Self {
        let (tx, mut rx) = mpsc::channel(MAILBOX);
        tokio::spawn(async move {
            let mut count = 0_u64;
            while let Some(msg) = rx.recv().await {
                match msg {
                    RawMsg::Add(n) => count += n,
                    RawMsg::Get(reply) => {
                        let _ = reply.send(count);
                    }
                }
            }
        });
        Self { tx }
    }

    async fn send(&self, msg: RawMsg) {
        self.tx.send(msg).await.unwrap();
    }

    async fn get(&self) -> u64 {
        let (tx, rx) = oneshot::channel();
        self.send(RawMsg::Get(tx)).await;
        rx.await.unwrap()
    }
}

fn runtime(multi_thread: bool) -> Runtime {
    if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }
}

fn group_name(name: &str, multi_thread: bool) -> String {
    if multi_thread {
        format!("{name}_mt")
    } else {
        name.to_string()
    }
}

/// `SENDS` messages, then one request so that all of them have been handled.
fn send_throughput(c: &mut Criterion, multi_thread: bool) {
    let rt = runtime(multi_thread);
    let mut group = c.benchmark_group(group_name("actor_send", multi_thread));
    group.throughput(Throughput::Elements(SENDS));

    let addr = rt.block_on(async { actor::spawn(Counter(0)) });
    group.bench_function(BenchmarkId::new("async_patterns", SENDS), |b| {
        b.to_async(&rt).iter(|| async {
            for _ in 0..SENDS {
                addr.send(Msg::Add(1)).await.unwrap();
            }
            black_box(addr.ask(Msg::Get).await.unwrap())
        });
    });

    let raw = rt.block_on(async { RawCounter::spawn() });
    group.bench_function(BenchmarkId::new("tokio_mpsc_oneshot", SENDS), |b| {
        b.to_async(&rt).iter(|| async {
            for _ in 0..SENDS {
                raw.send(RawMsg::Add(1)).await;
            }
            black_box(raw.get().await)
        });
    });
    group.finish();
}

/// `ASKS` requests one after the other: each waits for its answer.
fn ask_round_trip(c: &mut Criterion, multi_thread: bool) {
    let rt = runtime(multi_thread);
    let mut group = c.benchmark_group(group_name("actor_ask", multi_thread));
    group.throughput(Throughput::Elements(ASKS));

    let addr = rt.block_on(async { actor::spawn(Counter(0)) });
    group.bench_function(BenchmarkId::new("async_patterns", ASKS), |b| {
        b.to_async(&rt).iter(|| async {
            for _ in 0..ASKS {
                black_box(addr.ask(Msg::Get).await.unwrap());
            }
        });
    });

    let raw = rt.block_on(async { RawCounter::spawn() });
    group.bench_function(BenchmarkId::new("tokio_mpsc_oneshot", ASKS), |b| {
        b.to_async(&rt).iter(|| async {
            for _ in 0..ASKS {
                black_box(raw.get().await);
            }
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    for multi_thread in [false, true] {
        send_throughput(c, multi_thread);
        ask_round_trip(c, multi_thread);
    }
}

criterion_group!(actor_benches, benches);
criterion_main!(actor_benches);
