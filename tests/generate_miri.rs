//! The generator's hand-off paths, sized to run under Miri
//! (`cargo +nightly miri test --test generate_miri`, in `.ci/run`).
//!
//! Items hand over through a raw pointer to the stream's slot
//! (`src/stream/generate/slot.rs`). These tests walk every way that pointer
//! could be misused, after async-stream's soundness history (async-stream#106
//! and #107, fixed in its PR #109): a `Yielder` of an outer generator used
//! inside a nested one, one that escaped its generator (after it ended,
//! between its polls, into an unrelated generator, onto another thread), a
//! `send` dropped after handing its item over, items that borrow, items with
//! destructors (Miri reports leaks and double drops), a generator moved
//! between polls and a producer that panics. No tokio: its timers and I/O do
//! not run under Miri, `futures::executor::block_on` does.
use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use async_patterns::stream::{Yielder, generate, try_generate};
use futures::executor::block_on;
use futures::stream::FusedStream;
use futures::{Stream, StreamExt};

/// Items per run: enough to cycle through the slot many times, few enough
/// for Miri to finish in seconds.
const N: usize = if cfg!(miri) { 40 } else { 2_000 };

/// Polls `s` once with a waker that does nothing.
fn poll_once<S: Stream + Unpin>(s: &mut S) -> Poll<Option<S::Item>> {
    s.poll_next_unpin(&mut Context::from_waker(Waker::noop()))
}

/// An item that counts its drops, to catch a lost or doubly dropped item.
#[derive(Debug)]
struct Counted {
    value: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn items_with_destructors_go_through_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = drops.clone();
    let s = generate(move |mut y| async move {
        for value in 0..N {
            y.send(Counted {
                value,
                drops: counter.clone(),
            })
            .await;
        }
    });
    let got: Vec<usize> = block_on(s.map(|item| item.value).collect());
    assert_eq!(got, (0..N).collect::<Vec<_>>());
    assert_eq!(drops.load(Ordering::SeqCst), N);
}

#[test]
fn dropping_the_stream_drops_the_items_left_in_its_slot() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = drops.clone();
    let mut s = Box::pin(generate(move |mut y| async move {
        // Four items handed over in one poll: three `send`s dropped after
        // their first poll, then one awaited.
        for value in 0..3 {
            let item = Counted {
                value,
                drops: counter.clone(),
            };
            let _ = futures::poll!(y.send(item));
        }
        y.send(Counted {
            value: 3,
            drops: counter.clone(),
        })
        .await;
        std::future::pending::<()>().await;
    }));
    let first = poll_once(&mut s);
    assert!(matches!(first, Poll::Ready(Some(Counted { value: 0, .. }))));
    drop(first);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // Items 1 (in the slot's first place), 2 and 3 (queued behind it) are
    // dropped with the stream.
    drop(s);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn dropped_sends_deliver_in_order() {
    let s = generate(|mut y| async move {
        for round in 0..N / 4 {
            for i in 0..3 {
                let _ = futures::poll!(y.send(format!("{round}.{i}")));
            }
            y.send(format!("{round}.3")).await;
        }
    });
    let got: Vec<String> = block_on(s.collect());
    let want: Vec<String> = (0..N / 4)
        .flat_map(|round| (0..4).map(move |i| format!("{round}.{i}")))
        .collect();
    assert_eq!(got, want);

    let s = try_generate(|mut y| async move {
        let _ = futures::poll!(y.send(String::from("a")));
        let _ = futures::poll!(y.send(String::from("b")));
        Err(String::from("boom"))
    });
    let got: Vec<Result<String, String>> = block_on(s.collect());
    assert_eq!(got, [Ok("a".into()), Ok("b".into()), Err("boom".into())]);
}

#[test]
fn items_may_borrow() {
    let text = String::from("the quick brown fox");
    let mut counts = vec![0usize; 4];
    {
        let (text, counts) = (text.as_str(), &mut counts);
        let words = generate(|mut y| async move {
            for word in text.split(' ') {
                y.send(word).await;
            }
        });
        let slots = generate(|mut y| async move {
            for count in counts {
                y.send(count).await;
            }
        });
        let mut zipped = pin!(words.zip(slots));
        block_on(async {
            while let Some((word, count)) = zipped.next().await {
                *count = word.len();
            }
        });
    }
    assert_eq!(counts, [3, 5, 5, 3]);
}

#[test]
fn an_outer_yielder_inside_a_nested_generator_reaches_its_own_stream() {
    // async-stream#106: an outer `yield` run inside an inner stream wrote an
    // outer item into the inner stream's slot, of another type.
    let outer = generate(|mut outer| async move {
        for round in 0..N / 8 {
            let outer = &mut outer;
            let inner = generate(|mut inner| async move {
                outer.send(Box::new(round as u64)).await;
                inner.send(format!("inner {round}")).await;
                outer.send(Box::new(1000 + round as u64)).await;
            });
            let got: Vec<String> = inner.collect().await;
            assert_eq!(got, [format!("inner {round}")]);
        }
    });
    let got: Vec<u64> = block_on(outer.map(|b| *b).collect());
    let want: Vec<u64> = (0..N as u64 / 8).flat_map(|r| [r, 1000 + r]).collect();
    assert_eq!(got, want);
}

/// Runs `f`, expecting the misuse panic.
fn assert_misuse_panics(f: impl FnOnce()) {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the misuse did not panic");
    let msg = err
        .downcast_ref::<&str>()
        .copied()
        .or(err.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert!(msg.contains("polled outside its generator"), "{msg}");
}

/// A generator whose producer hands its `Yielder` out and never sends.
fn smuggler<T>(out: &RefCell<Option<Yielder<T>>>) -> impl Stream<Item = T> + Unpin + '_ {
    Box::pin(generate(move |y| {
        *out.borrow_mut() = Some(y);
        std::future::pending()
    }))
}

#[test]
fn a_yielder_that_escaped_panics_instead_of_writing() {
    // After its generator ended.
    let kept = RefCell::new(None);
    drop(smuggler::<Box<u8>>(&kept));
    let mut y = kept.take().unwrap();
    assert_misuse_panics(|| block_on(y.send(Box::new(1))));

    // Between two polls of its live generator.
    let kept = RefCell::new(None);
    let mut s = smuggler::<Box<u8>>(&kept);
    assert!(poll_once(&mut s).is_pending());
    let mut y = kept.take().unwrap();
    assert_misuse_panics(|| block_on(y.send(Box::new(2))));
    assert!(poll_once(&mut s).is_pending());

    // Inside an unrelated generator of the same item type, which is being
    // polled while the Yielder's own is not.
    let mut other = Box::pin(generate(|mut own| async move {
        own.send(Box::new(3u8)).await;
        y.send(Box::new(4)).await;
    }));
    assert!(matches!(poll_once(&mut other), Poll::Ready(Some(b)) if *b == 3));
    assert_misuse_panics(|| drop(poll_once(&mut other)));
    drop(other);
    assert!(poll_once(&mut s).is_pending());
}

#[test]
fn a_yielder_sent_to_another_thread_panics_there() {
    let s = generate(|mut y: Yielder<Box<u32>>| async move {
        y.send(Box::new(1)).await;
        // While this generator is being polled on the test thread, its
        // Yielder is used from a second thread.
        let joined =
            std::thread::scope(|scope| scope.spawn(|| block_on(y.send(Box::new(99)))).join());
        assert!(joined.is_err());
        y.send(Box::new(2)).await;
    });
    let got: Vec<u32> = block_on(s.map(|b| *b).collect());
    assert_eq!(got, [1, 2]);
}

#[test]
fn a_generator_moved_between_polls_still_receives() {
    let mut s = generate(|mut y| -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            for i in 0..N {
                y.send(vec![i; 3]).await;
            }
        })
    });
    let mut moved = Vec::new();
    for i in 0..N {
        assert!(matches!(poll_once(&mut s), Poll::Ready(Some(v)) if v == [i; 3]));
        // Move the stream (and the slot inline in it) to a new place.
        moved.push(s);
        s = moved.pop().unwrap();
    }
    assert!(matches!(poll_once(&mut s), Poll::Ready(None)));
}

#[test]
fn a_producer_panic_leaves_no_stale_slot_behind() {
    let kept = Rc::new(RefCell::new(None));
    let smuggle = kept.clone();
    let mut s = Box::pin(generate(move |mut y| async move {
        y.send(String::from("before")).await;
        *smuggle.borrow_mut() = Some(y);
        panic!("producer failed");
    }));
    assert!(matches!(poll_once(&mut s), Poll::Ready(Some(item)) if item == "before"));
    assert!(catch_unwind(AssertUnwindSafe(|| poll_once(&mut s))).is_err());
    let mut y = kept.borrow_mut().take().unwrap();
    assert_misuse_panics(|| block_on(y.send(String::from("late"))));
    drop(s);
    // The thread's generator state is clean: a new generator works.
    let got: Vec<String> = block_on(
        generate(|mut y| async move {
            y.send(String::from("after")).await;
        })
        .collect(),
    );
    assert_eq!(got, ["after"]);
}

#[test]
fn a_send_inside_a_combinator_is_woken_to_resume() {
    let s = generate(|mut y| async move {
        let mut set = futures::stream::FuturesUnordered::new();
        set.push(async move {
            for i in 0..N {
                y.send(Box::new(i)).await;
            }
        });
        while set.next().await.is_some() {}
    });
    let got: Vec<usize> = block_on(s.map(|b| *b).collect());
    assert_eq!(got, (0..N).collect::<Vec<_>>());
}

#[test]
fn a_producer_that_panicked_is_not_polled_again() {
    // What was handed over before the panic goes out, then the stream ends
    // (it used to poll the panicked producer again, which panics anew).
    let mut s = Box::pin(generate(|mut y| async move {
        let _ = futures::poll!(y.send(String::from("a")));
        panic!("producer failed");
    }));
    assert!(catch_unwind(AssertUnwindSafe(|| poll_once(&mut s))).is_err());
    assert!(!s.is_terminated());
    assert!(matches!(poll_once(&mut s), Poll::Ready(Some(a)) if a == "a"));
    assert!(s.is_terminated());
    assert!(matches!(poll_once(&mut s), Poll::Ready(None)));

    let mut s = Box::pin(try_generate(|mut y| async move {
        let _ = futures::poll!(y.send(String::from("a")));
        panic!("producer failed");
        #[allow(unreachable_code)]
        Err::<(), String>(String::from("never"))
    }));
    assert!(catch_unwind(AssertUnwindSafe(|| poll_once(&mut s))).is_err());
    assert!(matches!(poll_once(&mut s), Poll::Ready(Some(Ok(a))) if a == "a"));
    assert!(matches!(poll_once(&mut s), Poll::Ready(None)));
    assert!(s.is_terminated());
}

#[test]
fn try_generate_hands_out_queued_items_then_its_error_then_ends() {
    let mut s = Box::pin(try_generate(|mut y| async move {
        let _ = futures::poll!(y.send(1));
        let _ = futures::poll!(y.send(2));
        y.send(3).await;
        Err("boom")
    }));
    let mut got = Vec::new();
    while let Poll::Ready(Some(item)) = poll_once(&mut s) {
        got.push(item);
    }
    assert_eq!(got, [Ok(1), Ok(2), Ok(3), Err("boom")]);
    assert!(s.is_terminated());
    assert!(matches!(poll_once(&mut s), Poll::Ready(None)));
}
