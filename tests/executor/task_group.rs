use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::executor::{GroupError, GroupHandle, SpawnError, TaskGroup};
use tokio::sync::{Notify, oneshot};
use tokio::time::sleep;
use tokio_test::task;
use tokio_test::{assert_pending, assert_ready};

use crate::{DropCount, Gauge, counter, get, paused_runtime};

fn ok_values<T>(results: Vec<Result<T, async_patterns::executor::TaskError>>) -> Vec<T> {
    results
        .into_iter()
        .map(|r| r.expect("task failed"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn join_next_returns_every_result_in_completion_order() {
    let mut group = TaskGroup::new(10);
    for i in 0..5_u64 {
        group.spawn(async move {
            sleep(Duration::from_millis(50 - i * 10)).await;
            i
        });
    }
    assert_eq!(group.len(), 5);
    let mut order = Vec::new();
    while let Some(r) = group.join_next().await {
        order.push(r.unwrap());
    }
    assert_eq!(order, [4, 3, 2, 1, 0]);
    assert!(group.is_empty());
    assert!(group.join_next().await.is_none());
}

#[tokio::test]
async fn an_empty_group_joins_to_none_at_once() {
    // JoinSet: `join_next` on an empty set is ready with `None`.
    let mut group = TaskGroup::<()>::new(1);
    let mut j = task::spawn(group.join_next());
    assert!(assert_ready!(j.poll()).is_none());
    drop(j);
    assert!(group.join_all().await.is_empty());
}

#[test]
#[should_panic(expected = "TaskGroup::new: the limit must be at least 1")]
fn limit_zero_panics() {
    let _ = TaskGroup::<()>::new(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limit_is_never_exceeded_on_a_multi_thread_runtime() {
    let gauge = Gauge::default();
    let mut group = TaskGroup::new(3);
    for i in 0..200_u32 {
        let gauge = gauge.clone();
        group.spawn(async move {
            let _in = gauge.enter();
            for _ in 0..(i % 4) {
                tokio::task::yield_now().await;
            }
            i
        });
        assert!(group.running() <= 3);
    }
    let out = group.join_all().await;
    assert_eq!(out.len(), 200);
    assert!(gauge.max() <= 3, "max {}", gauge.max());
    assert_eq!(gauge.total(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spawn_blocking_counts_against_the_same_limit() {
    let gauge = Gauge::default();
    let mut group = TaskGroup::new(2);
    for i in 0..24_u32 {
        let gauge = gauge.clone();
        if i % 2 == 0 {
            group.spawn_blocking(move || {
                let _in = gauge.enter();
                std::thread::sleep(Duration::from_millis(1));
                i
            });
        } else {
            group.spawn(async move {
                let _in = gauge.enter();
                sleep(Duration::from_millis(1)).await;
                i
            });
        }
    }
    assert_eq!(group.running(), 2);
    assert_eq!(group.waiting(), 22);
    let mut out = ok_values(group.join_all().await);
    out.sort_unstable();
    assert_eq!(out, (0..24).collect::<Vec<_>>());
    assert_eq!(gauge.max(), 2);
}

#[tokio::test(start_paused = true)]
async fn counts_track_running_waiting_and_joinable() {
    let mut group = TaskGroup::new(2);
    for i in 0..5_u64 {
        group.spawn(async move {
            sleep(Duration::from_millis(10)).await;
            i
        });
    }
    assert_eq!((group.running(), group.waiting(), group.len()), (2, 3, 5));
    sleep(Duration::from_millis(15)).await;
    // Two finished, their runners picked up two more.
    assert_eq!((group.running(), group.waiting(), group.len()), (2, 1, 5));
    group.join_next().await.unwrap().unwrap();
    assert_eq!(group.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn waiting_work_starts_without_anyone_joining() {
    // A child submitted through the handle while every slot is taken starts
    // when its parent finishes, though nobody polls `join_next`.
    let ran = Arc::new(AtomicBool::new(false));
    let mut group = TaskGroup::new(1);
    let handle = group.handle();
    let flag = ran.clone();
    group.spawn(async move {
        handle
            .spawn(async move {
                flag.store(true, Ordering::SeqCst);
            })
            .unwrap();
        sleep(Duration::from_millis(5)).await;
    });
    assert!(!ran.load(Ordering::SeqCst));
    sleep(Duration::from_millis(10)).await;
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(group.len(), 2);
}

fn crawl(handle: GroupHandle<u32>, depth: u32, gauge: Gauge) {
    let child = handle.clone();
    handle
        .spawn(async move {
            let _in = gauge.enter();
            sleep(Duration::from_millis(1)).await;
            if depth < 6 {
                crawl(child.clone(), depth + 1, gauge.clone());
                crawl(child, depth + 1, gauge.clone());
            }
            depth
        })
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn children_spawn_children_within_the_limit() {
    let gauge = Gauge::default();
    let group = TaskGroup::new(3);
    crawl(group.handle(), 0, gauge.clone());
    let out = ok_values(group.join_all().await);
    assert_eq!(out.len(), (1 << 7) - 1);
    assert_eq!(gauge.max(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_children_spawn_async_children() {
    let group = TaskGroup::new(2);
    let handle = group.handle();
    for i in 0..10_u32 {
        let handle = handle.clone();
        handle
            .clone()
            .spawn_blocking(move || {
                handle.spawn(async move { i + 100 }).unwrap();
                i
            })
            .unwrap();
    }
    let mut out = ok_values(group.join_all().await);
    out.sort_unstable();
    let expected: Vec<u32> = (0..10).chain(100..110).collect();
    assert_eq!(out, expected);
}

#[tokio::test]
async fn a_panic_is_captured_with_its_payload() {
    let mut group = TaskGroup::new(2);
    group.spawn(async { panic!("task exploded") });
    group.spawn(async { 7 });
    let mut ok = Vec::new();
    let mut panics = Vec::new();
    while let Some(r) = group.join_next().await {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => {
                assert!(e.is_panic());
                assert!(!e.is_cancelled());
                assert_eq!(e.to_string(), "task panicked: task exploded");
                let payload = e.into_panic();
                panics.push(*payload.downcast::<&str>().unwrap());
            }
        }
    }
    assert_eq!(ok, [7]);
    assert_eq!(panics, ["task exploded"]);
}

#[tokio::test]
async fn a_panic_in_blocking_work_is_captured() {
    let mut group = TaskGroup::<u8>::new(1);
    group.spawn_blocking(|| panic!("{}", String::from("owned message")));
    let err = group.join_next().await.unwrap().unwrap_err();
    assert_eq!(err.panic_message(), Some("owned message"));
    let err = err.try_into_panic().unwrap();
    assert!(err.downcast_ref::<String>().is_some());
}

#[tokio::test(start_paused = true)]
async fn try_join_all_fails_fast_and_cancels_siblings() {
    // asyncio: "children are cancelled when one of them fails".
    let dropped = counter();
    let started = counter();
    let mut group = TaskGroup::new(3);
    let handle = group.handle();
    for i in 0..10_u64 {
        let guard = DropCount(dropped.clone());
        let started = started.clone();
        group.spawn(async move {
            let _guard = guard;
            started.fetch_add(1, Ordering::SeqCst);
            if i == 1 {
                sleep(Duration::from_millis(5)).await;
                return Err(format!("task {i} failed"));
            }
            sleep(Duration::from_secs(3600)).await;
            Ok(i)
        });
    }
    let err = group.try_join_all().await.unwrap_err();
    assert_eq!(err.to_string(), "task 1 failed");
    assert!(matches!(&err, GroupError::Failed(e) if e == "task 1 failed"));
    // Every future was dropped by the time `try_join_all` returned: the
    // running ones were aborted and the waiting ones never started (the
    // failing task aborted them as it finished).
    assert_eq!(get(&started), 3);
    assert_eq!(get(&dropped), 10);
    // And the group refuses new work through its handles.
    let late = DropCount(dropped.clone());
    let rejected = handle.spawn(async move {
        let _late = late;
        Ok(0)
    });
    assert!(matches!(rejected, Err(SpawnError { .. })));
    assert_eq!(get(&dropped), 11);
}

#[tokio::test(start_paused = true)]
async fn try_join_all_reports_a_panic_as_task_error() {
    let mut group = TaskGroup::new(2);
    group.spawn(async {
        sleep(Duration::from_millis(1)).await;
        panic!("no")
    });
    group.spawn(async {
        sleep(Duration::from_secs(10)).await;
        Ok::<u8, String>(1)
    });
    let err = group.try_join_all().await.unwrap_err();
    assert!(err.is_panic());
    assert!(err.into_task_error().unwrap().is_panic());
}

#[tokio::test(start_paused = true)]
async fn try_join_all_collects_every_value_on_success() {
    let mut group = TaskGroup::new(2);
    for i in 0..6_u64 {
        group.spawn(async move {
            sleep(Duration::from_millis(10 - i)).await;
            Ok::<_, String>(i)
        });
    }
    let mut out = group.try_join_all().await.unwrap();
    out.sort_unstable();
    assert_eq!(out, [0, 1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_task_spawning_after_the_failure_is_rejected() {
    // A task that keeps running past the failure (blocking work cannot be
    // aborted) and then submits more work gets `SpawnError`. Real clock:
    // a running blocking task stops tokio's paused clock from advancing.
    let mut group = TaskGroup::new(2);
    let handle = group.handle();
    let (tx, rx) = oneshot::channel();
    let gate = Arc::new(Notify::new());
    let go = gate.clone();
    let inner = handle.clone();
    let (started_tx, started_rx) = oneshot::channel();
    group.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        futures::executor::block_on(go.notified());
        let _ = tx.send(inner.spawn(async { Ok(()) }));
        Ok(())
    });
    let join = tokio::spawn(group.try_join_all());
    // Once it runs, the blocking closure cannot be aborted any more.
    started_rx.await.unwrap();
    handle.spawn(async { Err("fail") }).unwrap();
    // The failing task closes the group itself, without waiting for the
    // joiner.
    while !handle.is_closed() {
        tokio::task::yield_now().await;
    }
    gate.notify_one();
    assert!(matches!(rx.await.unwrap(), Err(SpawnError { .. })));
    assert!(matches!(
        join.await.unwrap(),
        Err(GroupError::Failed("fail"))
    ));
}

#[tokio::test(start_paused = true)]
async fn abort_all_cancels_running_and_waiting_tasks() {
    let dropped = counter();
    let mut group = TaskGroup::new(2);
    for _ in 0..5 {
        let guard = DropCount(dropped.clone());
        group.spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(10)).await;
        });
    }
    group.abort_all();
    // The three waiting futures are dropped at once.
    assert_eq!(get(&dropped), 3);
    let results = group.join_all().await;
    assert_eq!(results.len(), 5);
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap_err().is_cancelled())
    );
    assert_eq!(get(&dropped), 5);
}

#[tokio::test(start_paused = true)]
async fn the_group_is_usable_after_abort_all() {
    let mut group = TaskGroup::new(1);
    group.spawn(std::future::pending::<u8>());
    group.spawn(std::future::pending::<u8>());
    group.abort_all();
    group.spawn(async { 3 });
    let mut cancelled = 0;
    let mut values = Vec::new();
    while let Some(r) = group.join_next().await {
        match r {
            Ok(v) => values.push(v),
            Err(e) => {
                assert!(e.is_cancelled() && !e.is_panic());
                cancelled += 1;
            }
        }
    }
    assert_eq!((cancelled, values), (2, vec![3]));
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_waits_and_closes_the_handles() {
    let dropped = counter();
    let mut group = TaskGroup::new(2);
    let handle = group.handle();
    for _ in 0..4 {
        let guard = DropCount(dropped.clone());
        group.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
    group.shutdown().await;
    assert_eq!(get(&dropped), 4);
    assert_eq!((group.len(), group.running()), (0, 0));
    assert!(group.is_closed() && handle.is_closed());
    assert!(handle.spawn(async {}).is_err());
    // The owner may reuse the group, which reopens it.
    group.spawn(async {});
    assert!(!handle.is_closed());
    handle.spawn(async {}).unwrap();
    assert_eq!(group.join_all().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_running_blocking_work() {
    let finished = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Notify::new());
    let mut group = TaskGroup::new(2);
    let (flag, start) = (finished.clone(), started.clone());
    group.spawn_blocking(move || {
        start.notify_one();
        std::thread::sleep(Duration::from_millis(30));
        flag.store(true, Ordering::SeqCst);
    });
    started.notified().await;
    group.shutdown().await;
    assert!(finished.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_group_stops_its_tasks() {
    let dropped = counter();
    let progress = counter();
    let mut group = TaskGroup::new(2);
    let handle = group.handle();
    for _ in 0..6 {
        let guard = DropCount(dropped.clone());
        let progress = progress.clone();
        group.spawn(async move {
            let _guard = guard;
            loop {
                sleep(Duration::from_millis(1)).await;
                progress.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    sleep(Duration::from_millis(5)).await;
    drop(group);
    // The waiting four are dropped at once, the running two when the
    // runtime next runs them.
    assert!(get(&dropped) >= 4);
    tokio::task::yield_now().await;
    assert_eq!(get(&dropped), 6);
    let before = get(&progress);
    sleep(Duration::from_millis(10)).await;
    assert_eq!(get(&progress), before, "tasks still ran after the drop");
    assert!(matches!(handle.spawn(async {}), Err(SpawnError { .. })));
}

#[tokio::test(start_paused = true)]
async fn cancelling_the_awaiting_caller_cancels_the_children() {
    // asyncio: cancelling the parent task cancels the group's children.
    let dropped = counter();
    let mut group = TaskGroup::new(3);
    for _ in 0..5 {
        let guard = DropCount(dropped.clone());
        group.spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(60)).await;
            Ok::<(), ()>(())
        });
    }
    let parent = tokio::spawn(group.try_join_all());
    sleep(Duration::from_millis(1)).await;
    parent.abort();
    assert!(parent.await.unwrap_err().is_cancelled());
    tokio::task::yield_now().await;
    assert_eq!(get(&dropped), 5);
}

#[tokio::test]
async fn join_next_is_cancel_safe_and_woken() {
    let mut group = TaskGroup::new(1);
    let (tx, rx) = oneshot::channel::<u8>();
    group.spawn(async move { rx.await.unwrap() });
    {
        let mut j = task::spawn(group.join_next());
        assert_pending!(j.poll());
        tx.send(9).unwrap();
        // The task runs on the runtime; wait until the group has its result.
        while !j.is_woken() {
            tokio::task::yield_now().await;
        }
        // Dropped without being polled again: nothing is lost.
    }
    assert_eq!(group.len(), 1);
    assert_eq!(group.join_next().await.unwrap().unwrap(), 9);
}

#[test]
fn tasks_dropped_by_runtime_shutdown_report_cancelled() {
    // JoinSet's `runtime_gone`.
    let mut group = TaskGroup::new(2);
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            group.spawn(std::future::pending::<()>());
            group.spawn(std::future::pending::<()>());
            group.spawn(std::future::pending::<()>());
        });
    }
    let results = futures::executor::block_on(async {
        let mut out = Vec::new();
        while let Some(r) = group.join_next().await {
            out.push(r);
        }
        out
    });
    // The two running tasks were dropped with the runtime; the waiting one
    // could not be started on it and stays until the group goes.
    assert!(results.len() >= 2);
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap_err().is_cancelled())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_result_is_lost_when_aborting_under_load() {
    for round in 0..20_usize {
        let mut group = TaskGroup::new(4);
        let handle = group.handle();
        let n = 200;
        for i in 0..n {
            let handle = handle.clone();
            group.spawn(async move {
                tokio::task::yield_now().await;
                if i % 7 == 0 {
                    let _ = handle.spawn(async {});
                }
            });
        }
        for _ in 0..round {
            tokio::task::yield_now().await;
        }
        group.abort_all();
        let results = group.join_all().await;
        // Every task submitted (including children accepted meanwhile) is
        // accounted for exactly once.
        assert!(results.len() >= n);
        assert!(results.len() <= n + n / 7 + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_from_several_submitters() {
    let group = TaskGroup::new(8);
    let total = Arc::new(AtomicUsize::new(0));
    let mut submitters = Vec::new();
    for s in 0..4 {
        let handle = group.handle();
        let total = total.clone();
        submitters.push(tokio::spawn(async move {
            for i in 0..2_500 {
                let total = total.clone();
                handle
                    .spawn(async move {
                        total.fetch_add(1, Ordering::Relaxed);
                        s * 10_000 + i
                    })
                    .unwrap();
            }
        }));
    }
    for s in submitters {
        s.await.unwrap();
    }
    let out = group.join_all().await;
    assert_eq!(out.len(), 10_000);
    assert_eq!(total.load(Ordering::Relaxed), 10_000);
}

#[test]
fn a_group_outliving_its_runtime_spawns_on_the_current_one() {
    let mut group = TaskGroup::new(1);
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async { group.spawn(std::future::pending::<u8>()) });
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let results = rt.block_on(async {
        group.spawn(async { 5 });
        let mut out = Vec::new();
        while let Some(r) = group.join_next().await {
            out.push(r.ok());
        }
        out
    });
    assert_eq!(results, [None, Some(5)]);
}

#[tokio::test]
async fn a_rejected_future_is_dropped_not_leaked() {
    let dropped = counter();
    let mut group = TaskGroup::<()>::new(1);
    let handle = group.handle();
    group.shutdown().await;
    let guard = DropCount(dropped.clone());
    let rejected = handle.spawn(async move {
        let _guard = guard;
    });
    assert!(matches!(rejected, Err(SpawnError { .. })));
    assert_eq!(get(&dropped), 1);
    let guard = DropCount(dropped.clone());
    drop(group);
    assert!(
        handle
            .spawn_blocking(move || {
                let _guard = guard;
            })
            .is_err()
    );
    assert_eq!(get(&dropped), 2);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn every_task_is_joined_once_and_the_limit_holds(
            delays in proptest::collection::vec(0_u64..15, 0..40),
            children in proptest::collection::vec(0_usize..3, 40),
            limit in 1_usize..6,
        ) {
            let rt = paused_runtime();
            let gauge = Gauge::default();
            let mut group = TaskGroup::new(limit);
            let handle = group.handle();
            let mut expected = delays.len();
            for (i, &d) in delays.iter().enumerate() {
                let (gauge, handle, kids) = (gauge.clone(), handle.clone(), children[i]);
                expected += kids;
                rt.block_on(async {
                    group.spawn(async move {
                        let _in = gauge.enter();
                        sleep(Duration::from_millis(d)).await;
                        for k in 0..kids {
                            let gauge = gauge.clone();
                            handle.spawn(async move {
                                let _in = gauge.enter();
                                sleep(Duration::from_millis(k as u64)).await;
                            }).unwrap();
                        }
                    });
                });
                prop_assert!(group.running() <= limit);
            }
            let results = rt.block_on(group.join_all());
            prop_assert_eq!(results.len(), expected);
            prop_assert!(results.iter().all(Result::is_ok));
            prop_assert!(gauge.max() <= limit);
            prop_assert_eq!(gauge.now(), 0);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn joining_many_ready_results_yields_to_other_tasks() {
    // JoinSet's `join_set_coop`: the join loop must not starve the thread.
    const TASKS: usize = 1_000;
    let mut group = TaskGroup::new(8);
    for _ in 0..TASKS {
        group.spawn(async {});
    }
    sleep(Duration::from_millis(1)).await;
    assert_eq!(group.running(), 0);
    let other_ran = Arc::new(AtomicBool::new(false));
    let flag = other_ran.clone();
    tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
    let mut joined = 0;
    let mut seen_before_end = false;
    while group.join_next().await.is_some() {
        joined += 1;
        if joined < TASKS && other_ran.load(Ordering::SeqCst) {
            seen_before_end = true;
        }
    }
    assert_eq!(joined, TASKS);
    assert!(seen_before_end, "join_next never yielded to the runtime");
}

#[tokio::test]
async fn a_spawn_after_join_all_finished_is_rejected_not_lost() {
    // Once `join_all` / `try_join_all` has seen the group empty, a result
    // submitted through a handle could never be joined: the handle must be
    // refused at that moment, not accepted and then silently aborted when
    // the finished future is dropped.
    let mut group = TaskGroup::<u8>::new(2);
    let handle = group.handle();
    group.spawn(async { 1 });
    let mut join = task::spawn(group.join_all());
    let results = loop {
        if let std::task::Poll::Ready(results) = join.poll() {
            break results;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(ok_values(results), [1]);
    assert!(handle.is_closed());
    assert!(matches!(handle.spawn(async { 2 }), Err(SpawnError { .. })));
    drop(join);

    let group = TaskGroup::<Result<u8, ()>>::new(2);
    let handle = group.handle();
    let mut join = task::spawn(group.try_join_all());
    assert!(assert_ready!(join.poll()).unwrap().is_empty());
    assert!(matches!(
        handle.spawn(async { Ok(2) }),
        Err(SpawnError { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handle_spawns_racing_the_end_of_join_all_are_joined_or_refused() {
    for _ in 0..200 {
        let mut group = TaskGroup::<u32>::new(2);
        let handle = group.handle();
        group.spawn(async { 0 });
        let submitter = std::thread::spawn(move || {
            let mut accepted = 0;
            while handle.spawn(async { 1 }).is_ok() {
                accepted += 1;
                std::thread::yield_now();
            }
            accepted
        });
        let results = group.join_all().await;
        let accepted = submitter.join().unwrap();
        assert_eq!(
            results.len(),
            accepted + 1,
            "an accepted task was not joined"
        );
        assert!(results.iter().all(Result::is_ok));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_limit_holds_across_abort_all_and_handle_spawns() {
    let gauge = Gauge::default();
    let mut group = TaskGroup::new(3);
    let handle = group.handle();
    let mut submitted = 0;
    for round in 0..20_u32 {
        for i in 0..30_u32 {
            let gauge = gauge.clone();
            let handle = handle.clone();
            group.spawn(async move {
                let _in = gauge.enter();
                if i % 5 == 0 {
                    let gauge = gauge.clone();
                    // A child, refused only once the group is closed.
                    let _ = handle.spawn(async move {
                        let _in = gauge.enter();
                        tokio::task::yield_now().await;
                        0
                    });
                }
                for _ in 0..(i % 4) {
                    tokio::task::yield_now().await;
                }
                i
            });
            submitted += 1;
            assert!(group.running() <= 3);
        }
        if round % 2 == 0 {
            tokio::task::yield_now().await;
            group.abort_all();
        }
        assert!(group.running() <= 3);
    }
    let out = group.join_all().await;
    assert!(out.len() >= submitted);
    assert!(gauge.max() <= 3, "max {}", gauge.max());
}

/// As `abort_all` documents: a blocking closure already running keeps its
/// own result; one still waiting for a slot is joined as cancelled.
#[tokio::test]
async fn abort_all_lets_a_running_blocking_closure_keep_its_result() {
    let mut group = TaskGroup::new(1);
    let (started_tx, started_rx) = oneshot::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    group.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        7u8
    });
    group.spawn_blocking(|| 8u8); // waits for the slot
    started_rx.await.unwrap();
    group.abort_all();
    go_tx.send(()).unwrap();
    let results = group.join_all().await;
    assert_eq!(results.len(), 2);
    assert!(results.iter().any(|r| matches!(r, Ok(7))));
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().is_err_and(|e| e.is_cancelled()))
    );
}
