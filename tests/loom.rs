//! Loom models of the crate's lock-based cores. Run with
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" cargo test --release --test loom
//! ```
//!
//! Under `--cfg loom` the crate's `crate::loom` shim swaps in loom's `Mutex`
//! and atomics, so these tests check the real code, not a copy.
#![cfg(loom)]

mod event {
    use std::sync::Arc;

    use async_patterns::event::Event;
    use loom::future::block_on;
    use loom::thread;

    #[test]
    fn set_on_another_thread_wakes_the_waiter() {
        loom::model(|| {
            let event = Arc::new(Event::new());
            let setter = thread::spawn({
                let event = event.clone();
                move || event.set()
            });
            block_on(event.wait());
            assert!(event.is_set());
            setter.join().unwrap();
        });
    }

    #[test]
    fn set_then_clear_cannot_strand_a_waiter_created_before() {
        loom::model(|| {
            let event = Arc::new(Event::new());
            let early = event.clone().wait_owned();
            let toggler = thread::spawn({
                let event = event.clone();
                move || {
                    event.set();
                    event.clear();
                }
            });
            block_on(early);
            toggler.join().unwrap();
        });
    }

    #[test]
    fn two_waiters_on_two_threads_are_both_woken() {
        loom::model(|| {
            let event = Arc::new(Event::new());
            let other = thread::spawn({
                let event = event.clone();
                move || block_on(event.wait())
            });
            let setter = thread::spawn({
                let event = event.clone();
                move || event.set()
            });
            block_on(event.wait());
            other.join().unwrap();
            setter.join().unwrap();
        });
    }

    #[test]
    fn a_dropped_waiter_racing_set_leaves_no_registration() {
        use std::future::Future;
        use std::pin::pin;
        use std::task::{Context, Waker};

        loom::model(|| {
            let event = Arc::new(Event::new());
            let setter = thread::spawn({
                let event = event.clone();
                move || event.set()
            });
            {
                let mut wait = pin!(event.wait());
                let _ = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            }
            setter.join().unwrap();
            assert_eq!(format!("{event:?}"), "Event { is_set: true, waiters: 0 }");
        });
    }
}

mod queue {
    use async_patterns::queue::{self, RecvError, SendError, TryRecvError};
    use loom::future::block_on;
    use loom::thread;

    /// A sender blocks on a full bounded(1) queue while a receiver takes
    /// items: both items arrive, in order, and nobody sleeps forever.
    #[test]
    fn blocked_send_is_woken_by_recv() {
        loom::model(|| {
            let (tx, rx) = queue::bounded(1);
            let t = thread::spawn(move || {
                block_on(tx.send(1)).unwrap();
                block_on(tx.send(2)).unwrap();
            });
            assert_eq!(block_on(rx.recv()), Ok(1));
            assert_eq!(block_on(rx.recv()), Ok(2));
            t.join().unwrap();
            assert_eq!(block_on(rx.recv()), Err(RecvError));
        });
    }

    /// Two senders block on a bounded(1) queue while the main thread
    /// receives: every item arrives exactly once, each sender's in order.
    #[test]
    fn two_blocked_senders_one_receiver() {
        loom::model(|| {
            let (tx, rx) = queue::bounded(1);
            let senders: Vec<_> = [10u8, 20]
                .into_iter()
                .map(|base| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        block_on(tx.send(base)).unwrap();
                        block_on(tx.send(base + 1)).unwrap();
                    })
                })
                .collect();
            drop(tx);
            let mut got = Vec::new();
            while let Ok(v) = block_on(rx.recv()) {
                got.push(v);
            }
            for s in senders {
                s.join().unwrap();
            }
            let a: Vec<_> = got.iter().filter(|v| **v < 20).copied().collect();
            let b: Vec<_> = got.iter().filter(|v| **v >= 20).copied().collect();
            assert_eq!((a, b), (vec![10, 11], vec![20, 21]));
        });
    }

    /// Two receivers wait for one item sent from a third thread and then a
    /// close: exactly one gets the item, the other sees the close.
    #[test]
    fn two_receivers_one_item_then_close() {
        loom::model(|| {
            let (tx, rx) = queue::unbounded::<u8>();
            let rx2 = rx.clone();
            let t = thread::spawn(move || block_on(rx2.recv()));
            let tx2 = tx.clone();
            let s = thread::spawn(move || {
                tx2.try_send(7).unwrap();
                drop(tx2);
            });
            drop(tx);
            let mine = block_on(rx.recv());
            let theirs = t.join().unwrap();
            s.join().unwrap();
            let mut got: Vec<_> = [mine, theirs].into_iter().filter_map(Result::ok).collect();
            got.sort();
            assert_eq!(got, [7]);
        });
    }

    /// Close races a blocked send: the send either lands (and is received)
    /// or fails with its value back; never both, never lost.
    #[test]
    fn close_races_blocked_send() {
        loom::model(|| {
            let (tx, rx) = queue::bounded(1);
            tx.try_send(1).unwrap();
            let rx2 = rx.clone();
            let closer = thread::spawn(move || {
                rx2.close();
            });
            let r = block_on(tx.send(2));
            closer.join().unwrap();
            // The send can only have completed if a slot freed: none did
            // (nobody received), so it must fail with its value.
            assert_eq!(r, Err(SendError(2)));
            assert_eq!(rx.try_recv(), Ok(1));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        });
    }

    /// A close races a held permit's send: the receiver never reports the
    /// queue drained before the permit's item arrives; it gets the item,
    /// then the close.
    #[test]
    fn close_races_a_permit_send() {
        loom::model(|| {
            let (tx, rx) = queue::bounded::<u8>(1);
            let permit = block_on(tx.reserve()).unwrap();
            let rx2 = rx.clone();
            let r = thread::spawn(move || (block_on(rx2.recv()), block_on(rx2.recv())));
            let closer = thread::spawn(move || {
                rx.close();
            });
            permit.send(5);
            closer.join().unwrap();
            assert_eq!(r.join().unwrap(), (Ok(5), Err(RecvError)));
        });
    }

    /// A receive whose future is dropped after it may have been woken
    /// passes the wakeup on: the other receiver still gets the item.
    #[test]
    fn dropped_woken_receiver_passes_wakeup() {
        use std::future::Future;
        use std::pin::pin;
        use std::task::{Context, Waker};

        loom::model(|| {
            let (tx, rx) = queue::unbounded::<u8>();
            let rx2 = rx.clone();
            let other = thread::spawn(move || block_on(rx2.recv()));
            {
                let mut mine = pin!(rx.recv());
                let mut cx = Context::from_waker(Waker::noop());
                // Nothing is sent yet: `mine` registers.
                assert!(mine.as_mut().poll(&mut cx).is_pending());
                let sender = thread::spawn({
                    let tx = tx.clone();
                    move || tx.try_send(5).unwrap()
                });
                sender.join().unwrap();
                // `mine` is dropped here, registered and possibly woken.
            }
            let got = other.join().unwrap();
            assert_eq!(got, Ok(5));
            drop(tx);
        });
    }

    /// A `Receiver` polled as a `Stream` drops its `next()` (the handle
    /// keeps the registration) while another thread waits in `recv()` and a
    /// third sends: the item reaches the waiting receiver.
    #[test]
    fn a_dropped_stream_next_leaves_the_item_to_a_waiting_receiver() {
        use futures::StreamExt;
        use std::future::Future;
        use std::pin::pin;
        use std::task::{Context, Waker};

        loom::model(|| {
            let (tx, mut streamed) = queue::unbounded::<u8>();
            let rx2 = streamed.clone();
            let other = thread::spawn(move || block_on(rx2.recv()));
            {
                let mut next = pin!(streamed.next());
                let mut cx = Context::from_waker(Waker::noop());
                assert!(next.as_mut().poll(&mut cx).is_pending());
            }
            // `tx` stays open: closing would wake every receiver anyway.
            let sender = thread::spawn({
                let tx = tx.clone();
                move || tx.try_send(5).unwrap()
            });
            sender.join().unwrap();
            assert_eq!(other.join().unwrap(), Ok(5));
            drop((tx, streamed));
        });
    }

    /// A `join()` on another thread races the drop of the last `Job`: the
    /// drop either is seen by the joiner's check or wakes it.
    #[test]
    fn job_drop_races_join_registration() {
        loom::model(|| {
            let (tx, rx) = queue::unbounded();
            tx.try_send(1u8).unwrap();
            let job = block_on(rx.recv_job()).unwrap();
            let joiner = thread::spawn(move || {
                block_on(tx.join());
                assert_eq!(tx.unfinished(), 0);
            });
            drop(job);
            joiner.join().unwrap();
        });
    }

    /// Two jobs finished on two threads race a `join()`: the drop that
    /// finishes the last job sees the joiner and wakes it, whichever it is.
    #[test]
    fn last_of_two_job_drops_wakes_join() {
        loom::model(|| {
            let (tx, rx) = queue::unbounded();
            tx.try_send(1u8).unwrap();
            tx.try_send(2u8).unwrap();
            let a = block_on(rx.recv_job()).unwrap();
            let b = block_on(rx.recv_job()).unwrap();
            let ta = thread::spawn(move || drop(a));
            let tb = thread::spawn(move || drop(b));
            block_on(tx.join());
            assert_eq!(tx.unfinished(), 0);
            ta.join().unwrap();
            tb.join().unwrap();
        });
    }

    /// A job handed out on one thread races the drop of the only other live
    /// job on another while `join()` waits: the drop must not take the
    /// stale count of handed jobs for "all done", and the new job's drop
    /// wakes the joiner.
    #[test]
    fn handing_a_job_races_the_last_drop() {
        loom::model(|| {
            let (tx, rx) = queue::unbounded();
            tx.try_send(1u8).unwrap();
            tx.try_send(2u8).unwrap();
            let a = block_on(rx.recv_job()).unwrap();
            let ta = thread::spawn(move || drop(a));
            let tb = thread::spawn(move || {
                let b = block_on(rx.recv_job()).unwrap();
                assert_eq!(*b, 2);
            });
            block_on(tx.join());
            assert_eq!(tx.unfinished(), 0);
            ta.join().unwrap();
            tb.join().unwrap();
        });
    }

    /// Work tracking across threads: `join()` resolves only after the job
    /// received on another thread is dropped.
    #[test]
    fn join_waits_for_job_on_other_thread() {
        loom::model(|| {
            let (tx, rx) = queue::bounded(1);
            tx.try_send(1u8).unwrap();
            let t = thread::spawn(move || {
                let job = block_on(rx.recv_job()).unwrap();
                assert_eq!(*job, 1);
            });
            block_on(tx.join());
            assert_eq!(tx.unfinished(), 0);
            t.join().unwrap();
        });
    }
}

mod executor {
    use std::sync::Arc;

    use async_patterns::event::Event;
    use async_patterns::executor::gather;
    use loom::future::block_on;
    use loom::thread;

    /// Two futures woken from two other threads while the engine polls: each
    /// wake-up reaches the ready list and the awaiting task, none is lost.
    #[test]
    fn gather_sees_wakeups_from_two_threads() {
        loom::model(|| {
            let events = [Arc::new(Event::new()), Arc::new(Event::new())];
            let setters: Vec<_> = events
                .iter()
                .map(|event| {
                    let event = event.clone();
                    thread::spawn(move || event.set())
                })
                .collect();
            let done = block_on(gather(
                2,
                events.iter().map(|event| async {
                    event.wait().await;
                    event.is_set()
                }),
            ));
            assert_eq!(done, [true, true]);
            for setter in setters {
                setter.join().unwrap();
            }
        });
    }

    /// Two events and a thread that sets the first, then the second.
    fn two_events_set_in_order() -> (Arc<Event>, Arc<Event>, thread::JoinHandle<()>) {
        let first = Arc::new(Event::new());
        let second = Arc::new(Event::new());
        let setter = thread::spawn({
            let (first, second) = (first.clone(), second.clone());
            move || {
                first.set();
                second.set();
            }
        });
        (first, second, setter)
    }

    /// With a limit of 1 the second future starts only when the first has
    /// finished, and a wake-up racing that hand-over is not lost.
    #[test]
    fn gather_with_limit_one_refills_its_slot_across_threads() {
        loom::model(|| {
            let (first, second, setter) = two_events_set_in_order();
            let order = block_on(gather(
                1,
                [(first.clone(), 1), (second.clone(), 2)].map(|(event, n)| async move {
                    event.wait().await;
                    n
                }),
            ));
            assert_eq!(order, [1, 2]);
            setter.join().unwrap();
        });
    }

    /// A future woken again while the engine re-polls it (it moves on to its
    /// second wait and the other thread sets that event at once): the slot's
    /// `queued` flag is cleared before the poll, so the wake-up queues it
    /// again instead of being swallowed.
    #[test]
    fn gather_requeues_a_future_woken_during_its_poll() {
        loom::model(|| {
            let (first, second, setter) = two_events_set_in_order();
            let out = block_on(gather(
                1,
                [async {
                    first.wait().await;
                    second.wait().await;
                    7
                }],
            ));
            assert_eq!(out, [7]);
            setter.join().unwrap();
        });
    }
}

mod rate_limit {
    use std::sync::Arc;
    use std::time::Duration;

    use async_patterns::rate_limit::RateLimiter;
    use loom::thread;

    /// One hour per permit: nothing refills while a model runs, so the
    /// outcome depends only on how the takers interleave.
    const HOUR: Duration = Duration::from_secs(3600);

    fn taker(limiter: &Arc<RateLimiter>) -> thread::JoinHandle<bool> {
        let limiter = limiter.clone();
        thread::spawn(move || limiter.try_acquire().is_ok())
    }

    /// The GCRA word is only moved by compare-and-swap: two racing takers
    /// never both spend the last permit.
    #[test]
    fn racing_takers_never_share_a_permit() {
        loom::model(|| {
            let limiter = Arc::new(RateLimiter::new(1, HOUR));
            let other = taker(&limiter);
            let here = limiter.try_acquire().is_ok();
            let there = other.join().unwrap();
            assert!(here ^ there, "exactly one taker gets the permit");
        });
    }

    /// A burst of 2 shared by three takers on three threads: never more than
    /// two win, and nothing is lost. (A taker whose clock read comes before
    /// another taker's compare-and-swap judges by that older "now", so it
    /// may be refused by the nanoseconds between the two: conservative, and
    /// the permit is still there for the next take.)
    #[test]
    fn a_burst_is_never_overspent_and_never_lost() {
        loom::model(|| {
            let limiter = Arc::new(RateLimiter::new(1, HOUR).burst(2));
            let others = [taker(&limiter), taker(&limiter)];
            let mut granted = usize::from(limiter.try_acquire().is_ok());
            for other in others {
                granted += usize::from(other.join().unwrap());
            }
            assert!((1..=2).contains(&granted));
            let later = (0..2).filter(|_| limiter.try_acquire().is_ok()).count();
            assert_eq!(granted + later, 2);
        });
    }

    /// `pause_for` racing a take (`fetch_max` against compare-and-swap):
    /// whichever goes first, once the pause has happened nothing more is
    /// granted.
    #[test]
    fn pause_for_racing_a_take_still_holds_every_permit_back() {
        loom::model(|| {
            let limiter = Arc::new(RateLimiter::new(1, HOUR).burst(2));
            let pauser = thread::spawn({
                let limiter = limiter.clone();
                move || limiter.pause_for(HOUR)
            });
            let _ = limiter.try_acquire();
            pauser.join().unwrap();
            assert!(limiter.try_acquire().is_err());
        });
    }
}
