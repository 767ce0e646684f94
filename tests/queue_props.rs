//! Property and stress tests of `async_patterns::queue`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_patterns::queue::{self, TryRecvError, TrySendError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    TrySend(u16),
    TryRecv,
    RecvJob,
    FinishJob,
    Close,
    Shutdown,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u16>().prop_map(Op::TrySend),
        3 => Just(Op::TryRecv),
        2 => Just(Op::RecvJob),
        2 => Just(Op::FinishJob),
        1 => Just(Op::Close),
        1 => Just(Op::Shutdown),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random sequences of operations keep `len`, order, `unfinished`,
    /// `is_full` and `is_closed` equal to a `VecDeque` model.
    #[test]
    fn matches_a_vecdeque_model(cap in prop::option::of(1usize..6), ops in prop::collection::vec(op(), 0..80)) {
        let (tx, rx) = match cap {
            Some(c) => queue::bounded(c),
            None => queue::unbounded(),
        };
        let mut model: VecDeque<u16> = VecDeque::new();
        let mut closed = false;
        let mut jobs = Vec::new();
        for op in ops {
            match op {
                Op::TrySend(v) => {
                    let r = tx.try_send(v);
                    if closed {
                        prop_assert_eq!(r, Err(TrySendError::Closed(v)));
                    } else if cap.is_some_and(|c| model.len() >= c) {
                        prop_assert_eq!(r, Err(TrySendError::Full(v)));
                    } else {
                        prop_assert_eq!(r, Ok(()));
                        model.push_back(v);
                    }
                }
                Op::TryRecv => {
                    let want = match model.pop_front() {
                        Some(v) => Ok(v),
                        None if closed => Err(TryRecvError::Closed),
                        None => Err(TryRecvError::Empty),
                    };
                    prop_assert_eq!(rx.try_recv(), want);
                }
                Op::RecvJob => {
                    if let Some(v) = model.pop_front() {
                        let job = futures::executor::block_on(rx.recv_job()).unwrap();
                        prop_assert_eq!(*job, v);
                        jobs.push(job);
                    }
                }
                Op::FinishJob => {
                    jobs.pop();
                }
                Op::Close => {
                    prop_assert_eq!(rx.close(), !closed);
                    closed = true;
                }
                Op::Shutdown => {
                    let got = tx.shutdown();
                    prop_assert_eq!(got, model.drain(..).collect::<Vec<_>>());
                    closed = true;
                }
            }
            prop_assert_eq!(rx.len(), model.len());
            prop_assert_eq!(tx.is_empty(), model.is_empty());
            prop_assert_eq!(tx.unfinished(), model.len() + jobs.len());
            prop_assert_eq!(rx.is_closed(), closed);
            prop_assert_eq!(tx.is_full(), cap.is_some_and(|c| model.len() >= c));
        }
        let rest: Vec<u16> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        prop_assert_eq!(rest, model.into_iter().collect::<Vec<_>>());
    }
}

/// 4 producers and 4 consumers; consumers race every `recv` against a short
/// timer in `select!`, so pending (and already woken) receive futures are
/// dropped all the time. Every message must arrive exactly once.
async fn stress(messages: usize, capacity: Option<usize>) {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    let (tx, rx) = match capacity {
        Some(c) => queue::bounded(c),
        None => queue::unbounded(),
    };
    let seen: Arc<Vec<AtomicUsize>> =
        Arc::new((0..messages).map(|_| AtomicUsize::new(0)).collect());
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            for i in (p..messages).step_by(PRODUCERS) {
                tx.send(i).await.unwrap();
            }
        }));
    }
    drop(tx);
    let rng = Arc::new(Mutex::new(fastrand::Rng::with_seed(7)));
    for _ in 0..CONSUMERS {
        let rx = rx.clone();
        let seen = Arc::clone(&seen);
        let dropped = Arc::clone(&dropped);
        let rng = Arc::clone(&rng);
        tasks.push(tokio::spawn(async move {
            let mut buf = Vec::new();
            loop {
                let (micros, kind) = {
                    let mut rng = rng.lock().unwrap();
                    (rng.u64(0..50), rng.u8(0..3))
                };
                let sleep = tokio::time::sleep(Duration::from_micros(micros));
                let got = match kind {
                    0 => tokio::select! {
                        r = rx.recv() => Some(r.ok().into_iter().collect::<Vec<_>>()),
                        () = sleep => None,
                    },
                    1 => tokio::select! {
                        r = rx.recv_job() => Some(r.ok().map(|j| j.into_inner()).into_iter().collect()),
                        () = sleep => None,
                    },
                    _ => tokio::select! {
                        n = rx.recv_many(&mut buf, 3) => Some(buf.drain(..n).collect()),
                        () = sleep => None,
                    },
                };
                match got {
                    None => {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(items) if items.is_empty() => break,
                    Some(items) => {
                        for i in items {
                            seen[i].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }
    drop(rx);
    for t in tasks {
        t.await.unwrap();
    }
    let bad: Vec<_> = seen
        .iter()
        .enumerate()
        .filter(|(_, n)| n.load(Ordering::Relaxed) != 1)
        .map(|(i, n)| (i, n.load(Ordering::Relaxed)))
        .take(10)
        .collect();
    assert!(
        bad.is_empty(),
        "messages not delivered exactly once: {bad:?}"
    );
    if capacity.is_some() {
        // Consumers outrun bounded producers, so receives do time out.
        assert!(
            dropped.load(Ordering::Relaxed) > 0,
            "no recv future was ever dropped"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stress_4x4_bounded_exactly_once() {
    stress(100_000, Some(16)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stress_4x4_bounded_1_exactly_once() {
    stress(20_000, Some(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stress_4x4_unbounded_exactly_once() {
    stress(100_000, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "soak test: 10^7 messages, run with --ignored"]
async fn stress_4x4_soak() {
    stress(10_000_000, Some(64)).await;
}
