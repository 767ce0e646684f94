//! Behaviour of the generators and the stream combinators. Everything timed
//! runs on tokio's paused clock.
use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_patterns::event::Event;
use async_patterns::prelude::*;
use async_patterns::stream::{generate, try_generate};
use futures::channel::mpsc;
use futures::stream::{self, FusedStream};
use futures::{Stream, StreamExt};
use tokio::time::{Instant, advance, sleep};
use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

const MS: Duration = Duration::from_millis(1);

/// Drains `s`, pairing each item with when it came (on the paused clock,
/// counted from the call).
async fn timed<S: Stream>(s: S) -> Vec<(S::Item, Duration)> {
    let start = Instant::now();
    let mut s = pin!(s);
    let mut times = Vec::new();
    while let Some(item) = s.next().await {
        times.push((item, start.elapsed()));
    }
    times
}

// ---------------------------------------------------------------- generate

#[test]
fn generate_is_lazy() {
    let started = Arc::new(AtomicBool::new(false));
    let flag = started.clone();
    let mut s = task::spawn(generate(move |mut y| async move {
        flag.store(true, Ordering::SeqCst);
        y.send(1).await;
    }));
    assert!(!started.load(Ordering::SeqCst));
    assert_ready_eq!(s.poll_next(), Some(1));
    assert!(started.load(Ordering::SeqCst));
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
    assert_ready_eq!(s.poll_next(), None);
}

#[test]
fn generate_applies_back_pressure() {
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = progress.clone();
    let mut s = task::spawn(generate(move |mut y| async move {
        for i in 0..3 {
            seen.store(i, Ordering::SeqCst);
            y.send(i).await;
        }
        seen.store(99, Ordering::SeqCst);
    }));
    assert_ready_eq!(s.poll_next(), Some(0));
    // The producer is parked at its first `send` until asked again.
    assert_eq!(progress.load(Ordering::SeqCst), 0);
    assert_ready_eq!(s.poll_next(), Some(1));
    assert_eq!(progress.load(Ordering::SeqCst), 1);
    assert_ready_eq!(s.poll_next(), Some(2));
    assert_eq!(progress.load(Ordering::SeqCst), 2);
    assert_ready_eq!(s.poll_next(), None);
    assert_eq!(progress.load(Ordering::SeqCst), 99);
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn dropping_the_generator_drops_the_producer() {
    let cleaned = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(cleaned.clone());
    let mut s = task::spawn(generate(move |mut y| async move {
        let _guard = guard;
        for i in 0.. {
            y.send(i).await;
        }
    }));
    assert_ready_eq!(s.poll_next(), Some(0));
    assert!(!cleaned.load(Ordering::SeqCst));
    drop(s);
    assert!(cleaned.load(Ordering::SeqCst));
}

#[test]
fn generate_runs_without_tokio() {
    let out: Vec<u32> = futures::executor::block_on(
        generate(|mut y| async move {
            for i in 0..5 {
                y.send(i).await;
                futures::future::ready(()).await;
            }
        })
        .collect(),
    );
    assert_eq!(out, [0, 1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn generate_waits_on_other_futures_between_items() {
    let s = generate(|mut y| async move {
        for i in 0..3u64 {
            sleep(Duration::from_secs(i)).await;
            y.send(i).await;
        }
    });
    let start = Instant::now();
    let out: Vec<_> = s.collect().await;
    assert_eq!(out, [0, 1, 2]);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_is_send_and_spawnable() {
    let s = generate(|mut y| async move {
        for i in 0..100u32 {
            y.send(i).await;
            tokio::task::yield_now().await;
        }
    });
    let sum = tokio::spawn(s.fold(0, |a, b| async move { a + b }))
        .await
        .unwrap();
    assert_eq!(sum, 4950);
}

#[test]
fn nested_generators_keep_their_own_items() {
    let outer = generate(|mut outer| async move {
        let inner = generate(|mut inner| async move {
            for i in 0..3u32 {
                inner.send(i).await;
            }
        });
        let mut inner = pin!(inner);
        while let Some(i) = inner.next().await {
            outer.send(i * 10).await;
            // The outer Yielder also works while the inner one is polled.
        }
        let inner2 = generate(|mut inner| async move {
            outer.send(100).await;
            inner.send(7u32).await;
        });
        let got: Vec<u32> = inner2.collect().await;
        assert_eq!(got, [7]);
    });
    let out: Vec<u32> = futures::executor::block_on(outer.collect());
    assert_eq!(out, [0, 10, 20, 100]);
}

#[test]
fn a_send_dropped_after_its_first_poll_still_delivers_in_order() {
    let s = generate(|mut y| async move {
        {
            let mut first = y.send(1);
            // Poll once (hands the item over), then drop it.
            let _ = futures::poll!(&mut first);
        }
        y.send(2).await;
    });
    let out: Vec<u32> = futures::executor::block_on(s.collect());
    assert_eq!(out, [1, 2]);
}

#[tokio::test]
async fn a_send_inside_a_combinator_that_polls_only_woken_futures_resumes() {
    // `FuturesUnordered` (like `gather` or `buffer_unordered`) polls a
    // future again only once it was woken: the hand-over must wake it when
    // the consumer asks for the next item, or the generator hangs.
    let s = generate(|mut y| async move {
        let mut set = futures::stream::FuturesUnordered::new();
        set.push(async move {
            for i in 0..3u32 {
                y.send(i).await;
            }
        });
        while set.next().await.is_some() {}
    });
    let out: Vec<u32> = tokio::time::timeout(Duration::from_secs(5), s.collect())
        .await
        .expect("the generator hung after its first item");
    assert_eq!(out, [0, 1, 2]);

    let s = try_generate(|mut y| async move {
        async_patterns::executor::gather(
            1,
            [async {
                y.send(1u32).await;
                y.send(2).await;
            }],
        )
        .await;
        Ok::<_, ()>(())
    });
    let out: Vec<Result<u32, ()>> = tokio::time::timeout(Duration::from_secs(5), s.collect())
        .await
        .expect("the generator hung after its first item");
    assert_eq!(out, [Ok(1), Ok(2)]);
}

#[test]
fn every_polled_send_is_delivered_even_if_dropped() {
    // Cancel safety of `send`: once polled, its item is delivered even if
    // the future is dropped, also when an earlier item of the same producer
    // poll is still waiting (a `select!` loop whose send branch keeps
    // losing).
    let s = generate(|mut y| async move {
        for i in 1..=3u32 {
            let mut send = y.send(i);
            let _ = futures::poll!(&mut send);
        }
        y.send(4).await;
    });
    let out: Vec<u32> = futures::executor::block_on(s.collect());
    assert_eq!(out, [1, 2, 3, 4]);

    let s = try_generate(|mut y| async move {
        for i in 1..=2u32 {
            let mut send = y.send(i);
            let _ = futures::poll!(&mut send);
        }
        Err("boom")
    });
    let out: Vec<Result<u32, &str>> = futures::executor::block_on(s.collect());
    assert_eq!(out, [Ok(1), Ok(2), Err("boom")]);
}

#[test]
#[should_panic(expected = "polled outside its generator")]
fn a_yielder_used_outside_its_generator_panics() {
    let mut smuggled = None;
    let slot = &mut smuggled;
    let s = generate(|y| {
        *slot = Some(y);
        async {}
    });
    let _: Vec<u8> = futures::executor::block_on(s.collect());
    let mut y = smuggled.unwrap();
    futures::executor::block_on(y.send(1));
}

#[test]
fn try_generate_yields_the_error_last() {
    let s = try_generate(|mut y| async move {
        y.send(1).await;
        y.send(2).await;
        Err("boom")?;
        y.send(3).await;
        Ok(())
    });
    let mut s = task::spawn(s);
    assert_ready_eq!(s.poll_next(), Some(Ok(1)));
    assert_ready_eq!(s.poll_next(), Some(Ok(2)));
    assert_ready_eq!(s.poll_next(), Some(Err("boom")));
    assert!(s.enter(|_, s| s.is_terminated()));
    assert_ready_eq!(s.poll_next(), None);
}

#[test]
fn try_generate_ok_ends_without_error() {
    let s = try_generate(|mut y| async move {
        y.send(1u8).await;
        Ok::<_, ()>(())
    });
    let out: Vec<_> = futures::executor::block_on(s.collect());
    assert_eq!(out, [Ok(1)]);
}

#[test]
fn generators_with_non_send_parts_still_work_locally() {
    let counter = Rc::new(Cell::new(0));
    let c = counter.clone();
    let s = generate(move |mut y| async move {
        for i in 0..3 {
            c.set(c.get() + 1);
            y.send(i).await;
        }
    });
    let out: Vec<i32> = futures::executor::block_on(s.collect());
    assert_eq!(out, [0, 1, 2]);
    assert_eq!(counter.get(), 3);
}

// ----------------------------------------------------------- chunks_timeout

#[tokio::test(start_paused = true)]
async fn chunks_flush_by_size() {
    let out: Vec<Vec<u32>> = stream::iter(0..7)
        .chunks_timeout(3, Duration::from_secs(1))
        .collect()
        .await;
    assert_eq!(out, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
}

#[tokio::test(start_paused = true)]
async fn chunks_flush_by_time_from_the_first_item() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = task::spawn(rx.chunks_timeout(10, 100 * MS));
    assert_pending!(s.poll_next());
    // Nothing buffered: time passing produces no empty batch.
    advance(500 * MS).await;
    assert_pending!(s.poll_next());

    tx.unbounded_send(1).unwrap();
    assert!(s.is_woken());
    assert_pending!(s.poll_next());
    advance(60 * MS).await;
    tx.unbounded_send(2).unwrap();
    assert_pending!(s.poll_next());
    advance(39 * MS).await;
    assert_pending!(s.poll_next());
    advance(MS).await;
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), Some(vec![1, 2]));

    // The next batch has its own clock.
    advance(MS).await;
    tx.unbounded_send(3).unwrap();
    assert_pending!(s.poll_next());
    advance(99 * MS).await;
    assert_pending!(s.poll_next());
    advance(MS).await;
    assert_ready_eq!(s.poll_next(), Some(vec![3]));
    drop(tx);
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
}

#[tokio::test(start_paused = true)]
async fn chunks_flush_the_partial_batch_at_end_of_input() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = task::spawn(rx.chunks_timeout(10, Duration::from_secs(60)));
    tx.unbounded_send(1).unwrap();
    tx.unbounded_send(2).unwrap();
    assert_pending!(s.poll_next());
    drop(tx);
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), Some(vec![1, 2]));
    assert_ready_eq!(s.poll_next(), None);
}

#[tokio::test(start_paused = true)]
async fn chunks_of_an_empty_input_are_none() {
    let out: Vec<Vec<u8>> = stream::empty().chunks_timeout(4, MS).collect().await;
    assert!(out.is_empty());
}

#[test]
#[should_panic(expected = "chunks_timeout: `max` must be at least 1")]
fn chunks_of_zero_panic() {
    let _ = stream::iter([1]).chunks_timeout(0, MS);
}

#[test]
fn chunks_size_hint() {
    let s = stream::iter(0..10).chunks_timeout(3, MS);
    assert_eq!(s.size_hint(), (4, Some(10)));
}

#[tokio::test(start_paused = true)]
async fn chunks_never_empty_and_keep_every_item() {
    // Items at irregular times; batches cover the input exactly, in order.
    let s = generate(|mut y| async move {
        for i in 0..200u64 {
            sleep(Duration::from_millis(i * 7 % 23)).await;
            y.send(i).await;
        }
    });
    let batches: Vec<Vec<u64>> = s.chunks_timeout(5, 20 * MS).collect().await;
    assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= 5));
    assert!(batches.iter().any(|b| b.len() < 5));
    let flat: Vec<u64> = batches.into_iter().flatten().collect();
    assert_eq!(flat, (0..200).collect::<Vec<_>>());
}

// ------------------------------------------------------------------ throttle

#[tokio::test(start_paused = true)]
async fn throttle_spaces_items() {
    assert_eq!(
        timed(stream::iter(0..4).throttle(100 * MS)).await,
        [
            (0, Duration::ZERO),
            (1, 100 * MS),
            (2, 200 * MS),
            (3, 300 * MS)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn throttle_passes_slow_items_without_delay() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = task::spawn(rx.throttle(100 * MS));
    tx.unbounded_send(1).unwrap();
    assert_ready_eq!(s.poll_next(), Some(1));
    advance(250 * MS).await;
    tx.unbounded_send(2).unwrap();
    assert_ready_eq!(s.poll_next(), Some(2));
    tx.unbounded_send(3).unwrap();
    assert_pending!(s.poll_next());
    advance(100 * MS).await;
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), Some(3));
    drop(tx);
    assert_pending!(s.poll_next());
    advance(100 * MS).await;
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
}

// ------------------------------------------------------------------ debounce

#[tokio::test(start_paused = true)]
async fn debounce_emits_the_last_item_of_a_burst() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = task::spawn(rx.debounce(100 * MS));
    for i in 0..3 {
        tx.unbounded_send(i).unwrap();
        assert_pending!(s.poll_next());
        advance(50 * MS).await;
    }
    // 50 ms after the last item: still quiet period.
    assert_pending!(s.poll_next());
    advance(49 * MS).await;
    assert_pending!(s.poll_next());
    advance(MS).await;
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), Some(2));

    // A lone item after a quiet gap goes out after its own quiet period.
    tx.unbounded_send(10).unwrap();
    assert_pending!(s.poll_next());
    advance(100 * MS).await;
    assert_ready_eq!(s.poll_next(), Some(10));
    assert_pending!(s.poll_next());
}

#[tokio::test(start_paused = true)]
async fn debounce_flushes_the_held_item_at_end_of_input() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = task::spawn(rx.debounce(Duration::from_secs(10)));
    tx.unbounded_send(1).unwrap();
    tx.unbounded_send(2).unwrap();
    assert_pending!(s.poll_next());
    drop(tx);
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), Some(2));
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
}

#[tokio::test(start_paused = true)]
async fn debounce_yields_on_a_busy_input() {
    // An endless ready input: the adapter must return to the executor.
    let mut s = task::spawn(stream::iter(0..).debounce(MS));
    assert_pending!(s.poll_next());
    assert!(s.is_woken());
}

// ------------------------------------------------------------- timeout_each

#[tokio::test(start_paused = true)]
async fn timeout_each_reports_and_goes_on() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = task::spawn(rx.timeout_each(100 * MS));
    assert_pending!(s.poll_next());
    advance(99 * MS).await;
    assert_pending!(s.poll_next());
    advance(MS).await;
    assert!(s.is_woken());
    let err = assert_ready!(s.poll_next()).unwrap().unwrap_err();
    assert_eq!(err.limit(), 100 * MS);
    // A fresh limit for the same wait.
    assert_pending!(s.poll_next());
    advance(100 * MS).await;
    assert!(assert_ready!(s.poll_next()).unwrap().is_err());
    assert_pending!(s.poll_next());
    advance(30 * MS).await;
    tx.unbounded_send(7).unwrap();
    assert_ready_eq!(s.poll_next(), Some(Ok(7)));
    // The clock restarts for the next item.
    assert_pending!(s.poll_next());
    advance(99 * MS).await;
    tx.unbounded_send(8).unwrap();
    assert_ready_eq!(s.poll_next(), Some(Ok(8)));
    drop(tx);
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
}

/// As documented (issue 18, E3): the clock for an item runs from the first
/// poll that asks for it until an item or error goes out, also while the
/// consumer is elsewhere (a `next()` that lost a `select!`); the time spent
/// on an item before asking for the next does not count.
#[tokio::test(start_paused = true)]
async fn timeout_each_counts_time_away_after_asking() {
    let (tx, rx) = mpsc::unbounded();
    let mut s = pin!(rx.timeout_each(100 * MS));
    tokio::select! {
        _ = s.next() => unreachable!("nothing was sent"),
        () = sleep(10 * MS) => {}
    }
    // A second elsewhere: the limit passed meanwhile.
    sleep(1000 * MS).await;
    assert!(s.next().await.unwrap().is_err());
    // An item ready by the time the consumer returns still wins.
    tokio::select! {
        _ = s.next() => unreachable!("nothing was sent"),
        () = sleep(10 * MS) => {}
    }
    sleep(1000 * MS).await;
    tx.unbounded_send(1).unwrap();
    assert_eq!(s.next().await, Some(Ok(1)));
    // Time spent on an item before asking for the next does not count.
    sleep(1000 * MS).await;
    let start = Instant::now();
    tx.unbounded_send(2).unwrap();
    assert_eq!(s.next().await, Some(Ok(2)));
    assert!(s.next().await.unwrap().is_err());
    assert_eq!(start.elapsed(), 100 * MS);
}

/// An input that spends the task's whole cooperative budget on every poll
/// and stays pending (after one item, if `first` is set).
fn budget_eater(first: Option<u32>) -> impl Stream<Item = u32> + Unpin {
    let mut first = first;
    stream::poll_fn(move |cx| {
        if let Some(item) = first.take() {
            return std::task::Poll::Ready(Some(item));
        }
        while let std::task::Poll::Ready(progress) = tokio::task::coop::poll_proceed(cx) {
            progress.made_progress();
        }
        std::task::Poll::Pending
    })
}

/// Polls `s` once, in a poll of its own (a fresh budget).
async fn poll_once<S: Stream + Unpin>(s: &mut S) -> std::task::Poll<Option<S::Item>> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(s.poll_next_unpin(cx))).await
}

/// Regression (issue 12, one timer policy): the stream adapters polled
/// their timer under the budget even when their input had just spent it,
/// so an input that is always busy kept an expired timer from firing.
#[tokio::test(start_paused = true)]
async fn timers_fire_when_the_input_spends_the_budget() {
    let mut each = pin!(budget_eater(None).timeout_each(10 * MS));
    assert!(poll_once(&mut each).await.is_pending());
    advance(10 * MS).await;
    assert!(matches!(
        poll_once(&mut each).await,
        std::task::Poll::Ready(Some(Err(_)))
    ));

    let mut chunks = pin!(budget_eater(Some(1)).chunks_timeout(5, 10 * MS));
    assert!(poll_once(&mut chunks).await.is_pending());
    advance(10 * MS).await;
    assert_eq!(
        poll_once(&mut chunks).await,
        std::task::Poll::Ready(Some(vec![1]))
    );

    let mut quiet = pin!(budget_eater(Some(2)).debounce(10 * MS));
    assert!(poll_once(&mut quiet).await.is_pending());
    advance(10 * MS).await;
    assert_eq!(poll_once(&mut quiet).await, std::task::Poll::Ready(Some(2)));
}

// ----------------------------------------------------------- take_until_set

#[tokio::test]
async fn take_until_set_stops_a_pending_stream() {
    let stop = Arc::new(Event::new());
    let mut s = task::spawn(stream::pending::<u8>().take_until_set(stop.clone()));
    assert_pending!(s.poll_next());
    stop.set();
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
}

#[tokio::test]
async fn take_until_set_sees_a_set_then_clear() {
    let stop = Arc::new(Event::new());
    let mut s = task::spawn(stream::iter(0..).take_until_set(stop.clone()));
    assert_ready_eq!(s.poll_next(), Some(0));
    stop.set();
    stop.clear();
    assert_ready_eq!(s.poll_next(), None);
}

#[tokio::test]
async fn take_until_set_on_a_set_event_is_empty() {
    let stop = Arc::new(Event::new());
    stop.set();
    let out: Vec<u8> = stream::iter([1, 2]).take_until_set(stop).collect().await;
    assert!(out.is_empty());
}

#[tokio::test]
async fn take_until_set_ends_with_its_input() {
    let stop = Arc::new(Event::new());
    let out: Vec<u8> = stream::iter([1, 2]).take_until_set(stop).collect().await;
    assert_eq!(out, [1, 2]);
}

// ----------------------------------------------------------- map_concurrent

/// Regression (issue 18): after a future panicked and the consumer caught
/// the panic, polling on never yielded again (no wakeup). The stream now
/// ends instead.
#[tokio::test(start_paused = true)]
async fn map_concurrent_ends_after_a_caught_panic() {
    use futures::FutureExt;
    use std::panic::AssertUnwindSafe;

    for unordered in [false, true] {
        let f = |n: u32| async move {
            sleep(MS * n).await;
            assert!(n != 2, "item {n} failed");
            n
        };
        let mut s: std::pin::Pin<Box<dyn Stream<Item = u32>>> = if unordered {
            Box::pin(stream::iter([1, 2, 3, 4]).map_concurrent_unordered(2, f))
        } else {
            Box::pin(stream::iter([1, 2, 3, 4]).map_concurrent(2, f))
        };
        assert_eq!(s.next().await, Some(1));
        let caught = AssertUnwindSafe(s.next()).catch_unwind().await;
        assert!(caught.is_err());
        let after = tokio::time::timeout(Duration::from_secs(60), s.next()).await;
        assert_eq!(after, Ok(None), "unordered: {unordered}");
    }
}

/// Counts futures running at once and the highest count seen.
#[derive(Clone, Default)]
struct HighWater {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl HighWater {
    async fn run(&self, ms: u64) -> u64 {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        sleep(Duration::from_millis(ms)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        ms
    }
}

#[tokio::test(start_paused = true)]
async fn map_concurrent_keeps_order_and_limit() {
    let hw = HighWater::default();
    let h = hw.clone();
    let delays = [50u64, 10, 40, 20, 30, 5, 45, 15];
    let start = Instant::now();
    let out: Vec<u64> = stream::iter(delays)
        .map_concurrent(3, move |ms| {
            let h = h.clone();
            async move { h.run(ms).await }
        })
        .collect()
        .await;
    assert_eq!(out, delays);
    assert_eq!(hw.max.load(Ordering::SeqCst), 3);
    // A finished future keeps its slot until its turn to leave, so the
    // batches go: 50, 10, 40 at 0 ms; 20, 30, 5 when the 50 leaves (50 ms);
    // 45 and 15 when the 20 and the 30 leave (70 and 80 ms): the last
    // output at 115 ms, far less than one by one (215 ms).
    assert_eq!(start.elapsed(), 115 * MS);
}

#[tokio::test(start_paused = true)]
async fn map_concurrent_unordered_yields_in_completion_order() {
    let hw = HighWater::default();
    let h = hw.clone();
    let out: Vec<u64> = stream::iter([40u64, 10, 30, 20])
        .map_concurrent_unordered(2, move |ms| {
            let h = h.clone();
            async move { h.run(ms).await }
        })
        .collect()
        .await;
    // 40 and 10 start; 10 ends at 10 ms, 30 starts (ends at 40), 40 ends at
    // 40 ms too... ties resolve either way, so check the limit and the set.
    assert_eq!(hw.max.load(Ordering::SeqCst), 2);
    assert_eq!(out[0], 10);
    let mut sorted = out.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [10, 20, 30, 40]);
}

#[tokio::test(start_paused = true)]
async fn map_concurrent_takes_at_most_limit_items_from_the_input() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let p = pulled.clone();
    let input = stream::iter(0..10).inspect(move |_| {
        p.fetch_add(1, Ordering::SeqCst);
    });
    let mut s = task::spawn(input.map_concurrent(4, |i| async move {
        sleep(Duration::from_secs(1)).await;
        i
    }));
    assert_pending!(s.poll_next());
    assert_eq!(pulled.load(Ordering::SeqCst), 4);
    assert_eq!(s.size_hint(), (10, Some(10)));
}

#[test]
#[should_panic(expected = "map_concurrent: `limit` must be at least 1")]
fn map_concurrent_zero_panics() {
    let _ = stream::iter([1]).map_concurrent(0, futures::future::ready);
}

#[test]
#[should_panic(expected = "map_concurrent_unordered: `limit` must be at least 1")]
fn map_concurrent_unordered_zero_panics() {
    let _ = stream::iter([1]).map_concurrent_unordered(0, futures::future::ready);
}

#[test]
fn map_concurrent_runs_without_tokio() {
    let out: Vec<u32> = futures::executor::block_on(
        stream::iter(0..20u32)
            .map_concurrent(5, |i| async move { i * 2 })
            .collect(),
    );
    assert_eq!(out, (0..20).map(|i| i * 2).collect::<Vec<_>>());
}

fn _streams_are_streams<S: Stream>(_: S) {}

// ------------------------------------------------------------- rate_limited

#[tokio::test(start_paused = true)]
async fn rate_limited_paces_items() {
    use async_patterns::rate_limit::RateLimiter;

    assert_eq!(
        timed(stream::iter(0..4).rate_limited(RateLimiter::per_second(10))).await,
        [
            (0, Duration::ZERO),
            (1, 100 * MS),
            (2, 200 * MS),
            (3, 300 * MS)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limited_streams_share_one_limit() {
    use async_patterns::rate_limit::RateLimiter;

    let limiter = RateLimiter::per_second(10);
    let a = stream::iter(0..3).rate_limited(limiter.clone());
    let b = stream::iter(10..13).rate_limited(limiter);
    let start = Instant::now();
    let out: Vec<u32> = stream::select(a, b).collect().await;
    assert_eq!(out.len(), 6);
    // Six permits at 10 per second: the last one 500 ms in.
    assert_eq!(start.elapsed(), 500 * MS);
}

#[tokio::test(start_paused = true)]
async fn rate_limited_end_of_input_costs_no_permit() {
    use async_patterns::rate_limit::RateLimiter;

    let limiter = RateLimiter::per_second(1);
    let (tx, rx) = mpsc::unbounded::<u8>();
    let mut s = task::spawn(rx.rate_limited(limiter.clone()));
    assert_pending!(s.poll_next());
    drop(tx);
    assert_ready_eq!(s.poll_next(), None);
    assert!(s.enter(|_, s| s.is_terminated()));
    assert!(limiter.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn rate_limited_holds_one_item_while_waiting() {
    use async_patterns::rate_limit::RateLimiter;

    let limiter = RateLimiter::per_second(1);
    limiter.try_acquire().unwrap();
    let mut s = task::spawn(stream::iter([1, 2, 3]).rate_limited(limiter));
    assert_pending!(s.poll_next());
    assert_eq!(s.size_hint(), (3, Some(3)));
    advance(Duration::from_secs(1)).await;
    assert!(s.is_woken());
    assert_ready_eq!(s.poll_next(), Some(1));
}

// ---------------------------------------------------------------- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn paused_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Batches cover the input exactly and in order, are never empty,
        /// never exceed `max`, and none waits longer than `period` after its
        /// first item arrived.
        #[test]
        fn chunks_timeout_batches(
            gaps in proptest::collection::vec(0u64..30, 0..60),
            max in 1usize..8,
            period in 1u64..40,
        ) {
            let rt = paused_runtime();
            let n = gaps.len();
            let (batches, arrivals) = rt.block_on(async move {
                let start = Instant::now();
                let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
                let log = arrivals.clone();
                let input = generate(move |mut y| async move {
                    for (i, gap) in gaps.into_iter().enumerate() {
                        sleep(Duration::from_millis(gap)).await;
                        log.lock().unwrap().push(start.elapsed());
                        y.send(i).await;
                    }
                });
                let batches: Vec<(Vec<usize>, Duration)> = input
                    .chunks_timeout(max, Duration::from_millis(period))
                    .map(|batch| (batch, start.elapsed()))
                    .collect()
                    .await;
                let arrivals = arrivals.lock().unwrap().clone();
                (batches, arrivals)
            });
            let mut next = 0;
            for (batch, emitted) in &batches {
                prop_assert!(!batch.is_empty());
                prop_assert!(batch.len() <= max);
                prop_assert!(*emitted - arrivals[batch[0]] <= Duration::from_millis(period));
                for &i in batch {
                    prop_assert_eq!(i, next);
                    next += 1;
                }
            }
            prop_assert_eq!(next, n);
        }

        /// Outputs keep the input order, and no more than `limit` futures
        /// ever run at once.
        #[test]
        fn map_concurrent_order_and_limit(
            delays in proptest::collection::vec(0u64..50, 0..40),
            limit in 1usize..6,
            ordered in any::<bool>(),
        ) {
            let rt = paused_runtime();
            let hw = HighWater::default();
            let h = hw.clone();
            let input = delays.clone();
            let out: Vec<u64> = rt.block_on(async move {
                let f = move |ms| {
                    let h = h.clone();
                    async move { h.run(ms).await }
                };
                let s = stream::iter(input);
                if ordered {
                    s.map_concurrent(limit, f).collect().await
                } else {
                    s.map_concurrent_unordered(limit, f).collect().await
                }
            });
            prop_assert!(hw.max.load(Ordering::SeqCst) <= limit);
            if ordered {
                prop_assert_eq!(out, delays);
            } else {
                let (mut a, mut b) = (out, delays);
                a.sort_unstable();
                b.sort_unstable();
                prop_assert_eq!(a, b);
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn throttle_of_zero_passes_everything_at_once() {
    let start = Instant::now();
    let out: Vec<u32> = stream::iter(0..5).throttle(Duration::ZERO).collect().await;
    assert_eq!(out, [0, 1, 2, 3, 4]);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn next_on_chunks_timeout_is_cancel_safe_in_select() {
    let (tx, rx) = mpsc::unbounded();
    let mut batches = pin!(rx.chunks_timeout(3, 100 * MS));
    tx.unbounded_send(1).unwrap();
    tx.unbounded_send(2).unwrap();
    // A `next()` that loses a race keeps the partial batch in the stream.
    tokio::select! {
        _ = batches.next() => panic!("no batch is due yet"),
        _ = sleep(10 * MS) => {}
    }
    tx.unbounded_send(3).unwrap();
    assert_eq!(batches.next().await, Some(vec![1, 2, 3]));
}

#[tokio::test(start_paused = true)]
async fn throttle_by_an_unrepresentable_period_holds_the_second_item_forever() {
    let mut items = task::spawn(stream::iter(0..3).throttle(Duration::MAX));
    assert_ready_eq!(items.poll_next(), Some(0));
    assert_pending!(items.poll_next());
    advance(Duration::from_secs(86_400 * 365)).await;
    assert_pending!(items.poll_next());
}

#[tokio::test(start_paused = true)]
async fn other_timed_combinators_treat_an_unrepresentable_period_as_never() {
    let year = Duration::from_secs(86_400 * 365);
    let (tx, rx) = mpsc::unbounded();
    let mut chunks = task::spawn(rx.chunks_timeout(10, Duration::MAX));
    tx.unbounded_send(1).unwrap();
    assert_pending!(chunks.poll_next());
    advance(year).await;
    assert_pending!(chunks.poll_next());

    let (tx, rx) = mpsc::unbounded();
    let mut debounced = task::spawn(rx.debounce(Duration::MAX));
    tx.unbounded_send(1).unwrap();
    assert_pending!(debounced.poll_next());
    advance(year).await;
    assert_pending!(debounced.poll_next());
    drop(tx);
    assert_ready_eq!(debounced.poll_next(), Some(1));
}
