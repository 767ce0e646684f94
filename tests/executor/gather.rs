use std::cell::Cell;
use std::future::{Future, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_patterns::executor::{gather, try_gather};
use proptest::prelude::*;
use tokio::sync::oneshot;
use tokio::time::sleep;
use tokio_test::task;
use tokio_test::{assert_pending, assert_ready};

use crate::{DropCount, Gauge, counter, get, paused_runtime, yield_once};

#[tokio::test(start_paused = true)]
async fn results_come_in_input_order() {
    // The later futures finish first.
    let out = gather(
        3,
        (0..10_u64).map(|i| async move {
            sleep(Duration::from_millis(100 - i * 10)).await;
            i
        }),
    )
    .await;
    assert_eq!(out, (0..10).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn limit_is_never_exceeded_and_is_reached() {
    let gauge = Gauge::default();
    let out = gather(
        4,
        (0..50_u64).map(|i| {
            let gauge = gauge.clone();
            async move {
                let _in = gauge.enter();
                sleep(Duration::from_millis(1 + i % 7)).await;
                i
            }
        }),
    )
    .await;
    assert_eq!(out.len(), 50);
    assert_eq!(gauge.max(), 4);
    assert_eq!(gauge.total(), 50);
}

#[tokio::test]
async fn borrowed_non_send_futures_work() {
    let words = [String::from("a"), String::from("bb")];
    let seen = Rc::new(Cell::new(0));
    let lengths = gather(
        1,
        words.iter().map(|w| {
            let seen = Rc::clone(&seen);
            async move {
                seen.set(seen.get() + 1);
                w.len()
            }
        }),
    )
    .await;
    assert_eq!(lengths, [1, 2]);
    assert_eq!(seen.get(), 2);
}

#[test]
#[should_panic(expected = "gather: the concurrency limit must be at least 1")]
fn gather_limit_zero_panics() {
    drop(gather(0, [ready(1)]));
}

#[test]
#[should_panic(expected = "try_gather: the concurrency limit must be at least 1")]
fn try_gather_limit_zero_panics() {
    drop(try_gather(0, [ready(Ok::<_, ()>(1))]));
}

#[test]
fn empty_input_is_ready_on_first_poll() {
    let mut g = task::spawn(gather(8, Vec::<std::future::Ready<u8>>::new()));
    assert_eq!(assert_ready!(g.poll()), Vec::<u8>::new());
    let mut t = task::spawn(try_gather(
        8,
        Vec::<std::future::Ready<Result<u8, ()>>>::new(),
    ));
    assert_eq!(assert_ready!(t.poll()), Ok(vec![]));
}

#[tokio::test]
async fn hundred_thousand_futures_are_polled_a_constant_number_of_times() {
    const N: usize = 100_000;
    let polls = AtomicUsize::new(0);
    let out = gather(
        64,
        (0..N).map(|_| {
            let polls = &polls;
            let mut fut = yield_once();
            std::future::poll_fn(move |cx| {
                polls.fetch_add(1, Ordering::Relaxed);
                Pin::new(&mut fut).poll(cx)
            })
        }),
    )
    .await;
    assert_eq!(out.len(), N);
    // Each future needs exactly two polls; a scan over all in-flight futures
    // per wake-up (or quadratic re-polling) would show up here.
    assert_eq!(polls.load(Ordering::Relaxed), 2 * N);
}

#[tokio::test]
async fn input_is_pulled_lazily() {
    let pulled = counter();
    let (tx, rx) = oneshot::channel::<()>();
    let mut rx = Some(rx);
    let futures = (0..10).map(|i| {
        pulled.fetch_add(1, Ordering::SeqCst);
        let rx = if i == 0 { rx.take() } else { None };
        async move {
            if let Some(rx) = rx {
                let _ = rx.await;
            } else {
                std::future::pending::<()>().await;
            }
            i
        }
    });
    let mut g = task::spawn(gather(3, futures));
    assert_pending!(g.poll());
    assert_eq!(get(&pulled), 3);
    tx.send(()).unwrap();
    assert!(g.is_woken());
    assert_pending!(g.poll());
    // Future 0 finished, so exactly one more was started.
    assert_eq!(get(&pulled), 4);
}

#[tokio::test]
async fn a_slow_future_does_not_stall_the_others() {
    let finished = counter();
    let (tx, rx) = oneshot::channel::<()>();
    let mut rx = Some(rx);
    let futures = (0..20).map(|i| {
        let finished = finished.clone();
        let rx = if i == 0 { rx.take() } else { None };
        async move {
            if let Some(rx) = rx {
                let _ = rx.await;
            } else {
                yield_once().await;
            }
            finished.fetch_add(1, Ordering::SeqCst);
            i
        }
    });
    let mut g = task::spawn(gather(2, futures));
    for _ in 0..50 {
        if g.poll().is_ready() {
            panic!("finished while future 0 still waits");
        }
    }
    assert_eq!(get(&finished), 19);
    tx.send(()).unwrap();
    assert!(g.is_woken());
    assert_eq!(assert_ready!(g.poll()), (0..20).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn dropping_gather_cancels_the_futures_in_flight() {
    let dropped = counter();
    let started = counter();
    let g = gather(
        3,
        (0..10).map(|_| {
            let guard = DropCount(dropped.clone());
            let started = started.clone();
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                let _guard = guard;
                sleep(Duration::from_secs(10)).await;
            }
        }),
    );
    let r = tokio::time::timeout(Duration::from_secs(1), g).await;
    assert!(r.is_err());
    assert_eq!(get(&started), 3);
    // The three in flight were dropped; the other seven were never created.
    assert_eq!(get(&dropped), 3);
}

#[tokio::test]
#[should_panic(expected = "boom in 3")]
async fn a_panicking_future_panics_the_caller() {
    let _ = gather(
        2,
        (0..5).map(|i| async move {
            assert!(i != 3, "boom in {i}");
            i
        }),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn try_gather_ok_keeps_input_order() {
    let out = try_gather(
        2,
        (0..6_u64).map(|i| async move {
            sleep(Duration::from_millis(60 - i * 10)).await;
            Ok::<_, String>(i)
        }),
    )
    .await;
    assert_eq!(out, Ok((0..6).collect()));
}

#[tokio::test(start_paused = true)]
async fn try_gather_first_error_wins_and_cancels_the_rest() {
    let dropped = counter();
    let started = counter();
    let out = try_gather(
        3,
        (0..10_u64).map(|i| {
            let guard = DropCount(dropped.clone());
            let started = started.clone();
            async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::SeqCst);
                match i {
                    1 => {
                        sleep(Duration::from_millis(5)).await;
                        Err(format!("err {i}"))
                    }
                    2 => {
                        sleep(Duration::from_millis(20)).await;
                        Err(format!("err {i}"))
                    }
                    _ => {
                        sleep(Duration::from_secs(60)).await;
                        Ok(i)
                    }
                }
            }
        }),
    )
    .await;
    assert_eq!(out, Err("err 1".to_string()));
    // Futures 0, 1, 2 started; 1 finished with the error and 0 and 2 were
    // dropped before try_gather returned; none after them was started.
    assert_eq!(get(&started), 3);
    assert_eq!(get(&dropped), 3);
}

#[tokio::test]
async fn gather_of_results_keeps_every_outcome() {
    // asyncio's `return_exceptions=True`.
    let out = gather(
        2,
        (0..4).map(|i| async move { if i % 2 == 0 { Ok(i) } else { Err(i) } }),
    )
    .await;
    assert_eq!(out, [Ok(0), Err(1), Ok(2), Err(3)]);
}

#[test]
fn gather_works_without_tokio() {
    let out = futures::executor::block_on(gather(2, (0..5).map(|i| async move { i * i })));
    assert_eq!(out, [0, 1, 4, 9, 16]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn order_and_limit_hold_for_any_timing(
        delays in proptest::collection::vec(1_u64..20, 0..40),
        limit in 1_usize..8,
    ) {
        let rt = paused_runtime();
        let gauge = Gauge::default();
        let out = rt.block_on(gather(limit, delays.iter().enumerate().map(|(i, &d)| {
            let gauge = gauge.clone();
            async move {
                let _in = gauge.enter();
                sleep(Duration::from_millis(d)).await;
                i
            }
        })));
        prop_assert_eq!(out, (0..delays.len()).collect::<Vec<_>>());
        prop_assert!(gauge.max() <= limit);
        prop_assert_eq!(gauge.max(), limit.min(delays.len()));
        prop_assert_eq!(gauge.now(), 0);
    }
}

/// Returns `Pending` and wakes itself at once until `flag` is set.
struct SpinUntil(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Future for SpinUntil {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[tokio::test]
async fn self_waking_futures_let_the_runtime_run() {
    // The flag is set by another task: gather must hand the thread back to
    // the runtime now and then even though its futures are always woken.
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let setter = flag.clone();
    tokio::spawn(async move { setter.store(true, Ordering::SeqCst) });
    let out = gather(
        4,
        (0..8).map(|i| {
            let flag = flag.clone();
            async move {
                SpinUntil(flag).await;
                i
            }
        }),
    )
    .await;
    assert_eq!(out, (0..8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wakeups_from_other_threads_are_not_lost() {
    for _ in 0..20 {
        let receivers: Vec<_> = (0..200_u32)
            .map(|i| {
                let (tx, rx) = oneshot::channel();
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    let _ = tx.send(i);
                });
                rx
            })
            .collect();
        let out = gather(16, receivers).await;
        let out: Vec<u32> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(out, (0..200).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn stale_wakers_of_finished_futures_are_harmless() {
    // Each future keeps its waker and wakes it after finishing, so slots are
    // woken while a later future occupies them.
    let wakers = std::sync::Arc::new(std::sync::Mutex::new(Vec::<std::task::Waker>::new()));
    let polls = AtomicUsize::new(0);
    let polls = &polls;
    let out = gather(
        2,
        (0..50).map(|i| {
            let wakers = wakers.clone();
            async move {
                std::future::poll_fn(|cx| {
                    polls.fetch_add(1, Ordering::SeqCst);
                    wakers.lock().unwrap().push(cx.waker().clone());
                    for w in wakers.lock().unwrap().drain(..).collect::<Vec<_>>() {
                        w.wake();
                    }
                    Poll::Ready(())
                })
                .await;
                yield_once().await;
                i
            }
        }),
    )
    .await;
    assert_eq!(out, (0..50).collect::<Vec<_>>());
    // Spurious polls stay bounded (a few per future).
    assert!(polls.load(Ordering::SeqCst) <= 50 * 3);
}

#[tokio::test]
async fn an_endless_input_is_not_presized() {
    // Reading pages until the first error: the input's size hint says
    // "endless" (`usize::MAX`), which must not be reserved up front.
    let pages = try_gather(
        3,
        (0u64..).map(|page| async move { if page < 10 { Ok(page) } else { Err(page) } }),
    )
    .await;
    assert!(matches!(pages, Err(page) if page >= 10));

    // A huge but finite range, stopped early by a failure: memory follows
    // what ran, not the size hint.
    let first = try_gather(
        2,
        (0u64..1 << 40).map(|i| async move { if i < 3 { Ok([0u8; 64]) } else { Err(i) } }),
    )
    .await;
    assert!(first.is_err());
}

/// Regression (issue 18): futures that finish at once never made `gather`
/// or `try_gather` yield, so a sibling task on the same thread waited for
/// the whole input. Each output now spends tokio's cooperative budget.
#[tokio::test(flavor = "current_thread")]
async fn ready_futures_let_a_sibling_task_run() {
    let seen = while_a_sibling_runs(|ran| async move {
        gather(4, (0..10_000).map(|_| ready(ran.load(Ordering::SeqCst)))).await
    })
    .await;
    assert!(seen.contains(&true), "the sibling never ran during gather");

    let seen = while_a_sibling_runs(|ran| async move {
        let all = (0..10_000).map(|_| ready(Ok::<_, ()>(ran.load(Ordering::SeqCst))));
        try_gather(4, all).await.unwrap()
    })
    .await;
    assert!(
        seen.contains(&true),
        "the sibling never ran during try_gather"
    );
}

/// Spawns a sibling task that sets a flag, then runs `body` (which reads
/// it) on the current task.
async fn while_a_sibling_runs<Fut: Future<Output = Vec<bool>>>(
    body: impl FnOnce(std::sync::Arc<std::sync::atomic::AtomicBool>) -> Fut,
) -> Vec<bool> {
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sibling = tokio::spawn({
        let ran = ran.clone();
        async move { ran.store(true, Ordering::SeqCst) }
    });
    let seen = body(ran).await;
    sibling.await.unwrap();
    seen
}

/// Futures woken in one batch: when the budget runs out halfway through
/// the batch, the rest are polled later, none lost.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_batch_cut_by_the_budget_loses_no_wakeup() {
    // `futures` channels: unlike tokio's, their receivers spend no budget
    // of their own, so the budget runs out in the engine, mid-batch.
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..1_000)
        .map(|_| futures::channel::oneshot::channel::<u32>())
        .unzip();
    let all = tokio::spawn(async move {
        gather(
            1_000,
            receivers
                .into_iter()
                .map(|rx| async move { rx.await.unwrap() }),
        )
        .await
    });
    tokio::task::yield_now().await;
    for (i, tx) in senders.into_iter().enumerate() {
        tx.send(i as u32).unwrap();
    }
    // Paused clock: a lost wakeup fails at once instead of hanging.
    let all = tokio::time::timeout(Duration::from_secs(60), all).await;
    assert_eq!(all.unwrap().unwrap(), (0..1_000).collect::<Vec<_>>());
}
