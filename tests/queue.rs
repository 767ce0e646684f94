//! Behaviour tests of `async_patterns::queue`: every "semantics that must
//! hold" item of the queue's contract, plus cancel safety and wakeups of
//! every waiter.

use std::time::Duration;

use async_patterns::queue::{
    self, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use futures::StreamExt;
use futures::stream::FusedStream;
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

// ---- basics ----------------------------------------------------------------

#[tokio::test]
async fn fifo_bounded_and_unbounded() {
    for (tx, rx) in [queue::bounded(100), queue::unbounded()] {
        for i in 0..50 {
            tx.send(i).await.unwrap();
        }
        for i in 0..50 {
            assert_eq!(rx.recv().await, Ok(i));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn bounded_zero_panics() {
    let _ = queue::bounded::<u8>(0);
}

#[test]
fn try_send_try_recv() {
    let (tx, rx) = queue::bounded(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert!(tx.is_full());
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
    tx.close();
    assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn capacity_and_counts() {
    let (tx, rx) = queue::bounded::<u8>(3);
    assert_eq!(tx.capacity(), Some(3));
    assert_eq!(queue::unbounded::<u8>().0.capacity(), None);
    assert_eq!((tx.sender_count(), tx.receiver_count()), (1, 1));
    let tx2 = tx.clone();
    let rx2 = rx.clone();
    let rx3 = rx2.clone();
    assert_eq!((rx.sender_count(), rx.receiver_count()), (2, 3));
    drop((tx2, rx2, rx3));
    assert_eq!((rx.sender_count(), rx.receiver_count()), (1, 1));
    assert!(!rx.is_closed());
}

#[test]
fn error_debug_does_not_need_t_debug_and_gives_value_back() {
    struct NoDebug(u8);
    let e = SendError(NoDebug(1));
    assert_eq!(format!("{e:?}"), "SendError(..)");
    assert_eq!(e.to_string(), "sending on a closed queue");
    assert_eq!(e.into_inner().0, 1);
    let e = TrySendError::Full(NoDebug(2));
    assert_eq!(format!("{e:?}"), "Full(..)");
    assert!(e.is_full());
    assert_eq!(e.into_inner().0, 2);
    let e = SendTimeoutError::Timeout(NoDebug(3));
    assert_eq!(format!("{e:?}"), "Timeout(..)");
    assert!(e.is_timeout());
    assert_eq!(e.into_inner().0, 3);
    let e = SendTimeoutError::Closed(NoDebug(4));
    assert!(e.is_closed());
    assert_eq!(e.into_inner().0, 4);
    assert!(!RecvError.to_string().is_empty());
    assert_ne!(TryRecvError::Empty, TryRecvError::Closed);
    assert_ne!(RecvTimeoutError::Timeout, RecvTimeoutError::Closed);
}

#[tokio::test]
async fn job_derefs_and_tracks() {
    let (tx, rx) = queue::unbounded();
    assert_eq!(tx.unfinished(), 0);
    tx.send(String::from("a")).await.unwrap();
    tx.send(String::from("b")).await.unwrap();
    assert_eq!(tx.unfinished(), 2);
    let mut job = rx.recv_job().await.unwrap();
    job.push('!');
    assert_eq!(*job, "a!");
    assert_eq!(format!("{job:?}"), "Job(\"a!\")");
    assert_eq!((rx.len(), rx.unfinished()), (1, 2));
    job.done();
    assert_eq!(rx.unfinished(), 1);
    let job = rx.recv_job().await.unwrap();
    assert_eq!(job.into_inner(), "b");
    assert_eq!(rx.unfinished(), 0);
    tx.send(String::from("c")).await.unwrap();
    assert_eq!(rx.recv().await.unwrap(), "c");
    assert_eq!(rx.unfinished(), 0);
}

#[tokio::test]
async fn last_sender_drop_closes_after_drain() {
    let (tx, rx) = queue::bounded(4);
    let tx2 = tx.clone();
    tx.send(1).await.unwrap();
    drop(tx);
    assert!(!rx.is_closed());
    tx2.send(2).await.unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx.recv_job().await.map(|j| *j), Ok(2));
    assert_eq!(rx.recv().await, Err(RecvError));
    assert_eq!(rx.recv_job().await.map(|j| *j), Err(RecvError));
}

#[tokio::test]
async fn last_receiver_drop_fails_sends_with_value_back() {
    let (tx, rx) = queue::bounded(4);
    let rx2 = rx.clone();
    drop(rx);
    tx.send(1).await.unwrap();
    drop(rx2);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).await, Err(SendError(2)));
    assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    // Nothing queued is dropped silently: it can still be taken back.
    assert_eq!(tx.shutdown(), vec![1]);
}

#[tokio::test]
async fn close_returns_true_once() {
    let (tx, rx) = queue::unbounded::<u8>();
    assert!(!tx.is_closed());
    assert!(rx.close());
    assert!(!rx.close());
    assert!(!tx.close());
    assert!(tx.is_closed() && rx.is_closed());
    assert_eq!(tx.send(1).await, Err(SendError(1)));
}

#[tokio::test]
async fn stream_drains_then_ends_and_is_fused() {
    let (tx, mut rx) = queue::unbounded();
    for i in 0..3 {
        tx.send(i).await.unwrap();
    }
    assert_eq!(rx.next().await, Some(0));
    assert!(!rx.is_terminated());
    drop(tx);
    assert_eq!((&mut rx).collect::<Vec<_>>().await, [1, 2]);
    assert!(rx.is_terminated());
    assert_eq!(rx.next().await, None);
}

#[test]
fn bounded_send_blocks_at_capacity_and_resumes_after_one_recv() {
    let (tx, rx) = queue::bounded(1);
    tx.try_send(1).unwrap();
    let mut send = spawn(tx.send(2));
    assert_pending!(send.poll());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(send.is_woken());
    assert_ready_eq!(send.poll(), Ok(()));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[tokio::test(start_paused = true)]
async fn timeouts_give_values_back() {
    let (tx, rx) = queue::bounded(1);
    tx.send(1).await.unwrap();
    let err = tx.send_timeout(2, Duration::from_secs(1)).await;
    assert_eq!(err, Err(SendTimeoutError::Timeout(2)));
    assert_eq!(rx.recv_timeout(Duration::from_secs(1)).await, Ok(1));
    let r = rx.recv_timeout(Duration::from_secs(1)).await;
    assert_eq!(r, Err(RecvTimeoutError::Timeout));
    let mut recv = spawn(rx.recv());
    assert_pending!(recv.poll());
    tx.close();
    assert!(recv.is_woken());
    assert!(assert_ready!(recv.poll()).is_err());
}

// ---- FIFO service of blocked waiters -----------------------------------------

#[test]
fn blocked_senders_are_served_in_arrival_order() {
    let (tx, rx) = queue::bounded(1);
    tx.try_send(0).unwrap();
    let mut s1 = spawn(tx.send(1));
    let mut s2 = spawn(tx.send(2));
    let mut s3 = spawn(tx.send(3));
    assert_pending!(s3.poll());
    assert_pending!(s1.poll());
    assert_pending!(s2.poll());
    // Registration order was s3, s1, s2.
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(s3.is_woken() && !s1.is_woken() && !s2.is_woken());
    // Polling a sender that was not served does not let it jump the line.
    assert_pending!(s2.poll());
    assert_eq!(rx.try_recv(), Ok(3));
    assert!(s1.is_woken() && !s2.is_woken());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(s2.is_woken());
    assert_eq!(rx.try_recv(), Ok(2));
    for s in [&mut s1, &mut s2, &mut s3] {
        assert_ready_eq!(s.poll(), Ok(()));
    }
}

#[test]
fn blocked_receivers_are_served_in_arrival_order() {
    let (tx, rx) = queue::unbounded();
    let mut r1 = spawn(rx.recv());
    let mut r2 = spawn(rx.recv());
    let mut r3 = spawn(rx.recv());
    assert_pending!(r2.poll());
    assert_pending!(r1.poll());
    assert_pending!(r3.poll());
    tx.try_send('a').unwrap();
    assert!(r2.is_woken() && !r1.is_woken() && !r3.is_woken());
    // A receiver that was not woken cannot take the item promised to r2.
    assert_pending!(r3.poll());
    assert_ready_eq!(r2.poll(), Ok('a'));
    tx.try_send('b').unwrap();
    assert!(r1.is_woken() && !r3.is_woken());
    assert_ready_eq!(r1.poll(), Ok('b'));
    tx.try_send('c').unwrap();
    assert_ready_eq!(r3.poll(), Ok('c'));
}

#[tokio::test]
async fn fifo_under_tasks() {
    let (tx, rx) = queue::bounded(1);
    tx.send(0).await.unwrap();
    let mut handles = Vec::new();
    for i in 1..=5 {
        let tx = tx.clone();
        handles.push(tokio::spawn(async move { tx.send(i).await }));
        tokio::task::yield_now().await; // let it block, in order
    }
    for i in 0..=5 {
        assert_eq!(rx.recv().await, Ok(i));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
}

// ---- closing -------------------------------------------------------------------

#[test]
fn close_fails_blocked_senders_with_their_values_and_receivers_drain() {
    let (tx, rx) = queue::bounded(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let mut s = spawn(tx.send(3));
    let mut r = spawn(tx.reserve());
    let mut closed = spawn(rx.closed());
    assert_pending!(s.poll());
    assert_pending!(r.poll());
    assert_pending!(closed.poll());
    assert!(tx.close());
    assert!(s.is_woken() && r.is_woken() && closed.is_woken());
    assert_ready_eq!(s.poll(), Err(SendError(3)));
    assert!(assert_ready!(r.poll()).is_err());
    assert_ready!(closed.poll());
    assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn last_sender_drop_wakes_blocked_receivers() {
    let (tx, rx) = queue::unbounded::<u8>();
    let mut r1 = spawn(rx.recv());
    let mut r2 = spawn(rx.recv_job());
    let mut buf = Vec::new();
    let mut r3 = spawn(rx.recv_many(&mut buf, 4));
    assert_pending!(r1.poll());
    assert_pending!(r2.poll());
    assert_pending!(r3.poll());
    drop(tx);
    assert!(r1.is_woken() && r2.is_woken() && r3.is_woken());
    assert_ready_eq!(r1.poll(), Err(RecvError));
    assert!(assert_ready!(r2.poll()).is_err());
    assert_ready_eq!(r3.poll(), 0);
}

#[tokio::test]
async fn closed_resolves_on_close_from_either_side() {
    let (tx, rx) = queue::unbounded::<u8>();
    let mut c = spawn(tx.closed());
    assert_pending!(c.poll());
    assert!(rx.close());
    assert!(c.is_woken());
    assert_ready!(c.poll());
    tx.closed().await; // ready at once once closed
}

// ---- shutdown -----------------------------------------------------------------

#[test]
fn shutdown_returns_everything_and_wakes_everyone() {
    let (tx, rx) = queue::bounded(3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    let mut blocked = spawn(tx.send(99));
    assert_pending!(blocked.poll());
    let mut closed = spawn(tx.closed());
    assert_pending!(closed.poll());
    let mut join = spawn(tx.join());
    assert_pending!(join.poll());
    assert_eq!(tx.unfinished(), 3);

    assert_eq!(rx.shutdown(), vec![0, 1, 2]);
    assert_eq!(tx.unfinished(), 0);
    assert!(blocked.is_woken() && closed.is_woken() && join.is_woken());
    assert_ready_eq!(blocked.poll(), Err(SendError(99)));
    assert_ready!(closed.poll());
    assert_ready!(join.poll());
    assert!(tx.is_closed());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(rx.shutdown(), Vec::<i32>::new());
}

#[test]
fn shutdown_wakes_blocked_receivers() {
    let (tx, rx) = queue::unbounded::<u8>();
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll());
    assert!(tx.shutdown().is_empty());
    assert!(r.is_woken());
    assert_ready_eq!(r.poll(), Err(RecvError));
}

#[tokio::test]
async fn join_after_shutdown_waits_for_jobs_already_handed_out() {
    let (tx, rx) = queue::unbounded();
    for i in 0..4 {
        tx.send(i).await.unwrap();
    }
    let job = rx.recv_job().await.unwrap();
    assert_eq!(tx.shutdown(), vec![1, 2, 3]);
    assert_eq!(tx.unfinished(), 1);
    let mut join = spawn(tx.join());
    assert_pending!(join.poll());
    drop(job);
    assert!(join.is_woken());
    assert_ready!(join.poll());
}

// ---- work tracking -------------------------------------------------------------

#[test]
fn join_resolves_at_once_on_a_fresh_queue() {
    let (tx, rx) = queue::bounded::<u8>(1);
    // Ready on the first poll: awaiting would hang rather than fail.
    assert_ready!(spawn(tx.join()).poll());
    assert_ready!(spawn(rx.join()).poll());
}

#[test]
fn join_waits_for_queued_items_and_live_jobs() {
    let (tx, rx) = queue::unbounded();
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let mut join = spawn(rx.join());
    assert_pending!(join.poll());
    assert_eq!(rx.try_recv(), Ok(1)); // finished on delivery
    assert!(!join.is_woken());
    let mut recv_job = spawn(rx.recv_job());
    let job = assert_ready!(recv_job.poll()).unwrap();
    drop(recv_job);
    assert_eq!((rx.len(), rx.unfinished()), (0, 1));
    assert_pending!(join.poll());
    drop(job);
    assert!(join.is_woken());
    assert_ready!(join.poll());
}

#[tokio::test]
async fn job_dropped_during_a_panic_counts_as_done() {
    let (tx, rx) = queue::unbounded();
    tx.send(1).await.unwrap();
    let worker = tokio::spawn(async move {
        let job = rx.recv_job().await.unwrap();
        if *job == 1 {
            panic!("worker failed on job {}", *job);
        }
    });
    assert!(worker.await.unwrap_err().is_panic());
    tokio::time::timeout(Duration::from_secs(5), tx.join())
        .await
        .expect("join() must not hang on a panicked worker's job");
    assert_eq!(tx.unfinished(), 0);
}

#[test]
fn job_dropped_during_unwind_on_a_thread() {
    let (tx, rx) = queue::unbounded();
    tx.try_send(5).unwrap();
    let r = std::thread::spawn(move || {
        let job = futures::executor::block_on(rx.recv_job()).unwrap();
        assert_eq!(*job, 6, "deliberate");
    })
    .join();
    assert!(r.is_err());
    assert_eq!(tx.unfinished(), 0);
}

// ---- cancel safety ---------------------------------------------------------------

#[test]
fn dropped_woken_recv_passes_the_wakeup_on() {
    let (tx, rx) = queue::unbounded();
    let mut r1 = spawn(rx.recv());
    let mut r2 = spawn(rx.recv());
    assert_pending!(r1.poll());
    assert_pending!(r2.poll());
    tx.try_send(7).unwrap();
    assert!(r1.is_woken() && !r2.is_woken());
    drop(r1);
    assert!(r2.is_woken());
    assert_ready_eq!(r2.poll(), Ok(7));
}

#[test]
fn every_receiving_future_passes_the_wakeup_on() {
    let (tx, rx) = queue::unbounded::<u32>();
    let mut buf = Vec::new();
    let mut many = spawn(rx.recv_many(&mut buf, 8));
    let mut job = spawn(rx.recv_job());
    let mut timed = spawn(rx.recv_timeout(Duration::from_secs(60)));
    let mut last = spawn(rx.recv());
    // recv_timeout needs a timer: poll it inside a paused runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let _guard = rt.enter();
    assert_pending!(many.poll());
    assert_pending!(job.poll());
    assert_pending!(timed.poll());
    assert_pending!(last.poll());
    tx.try_send(1).unwrap();
    assert!(many.is_woken());
    drop(many);
    assert!(job.is_woken());
    drop(job);
    assert!(timed.is_woken());
    drop(timed);
    assert!(last.is_woken());
    assert_ready_eq!(last.poll(), Ok(1));
    assert!(buf.is_empty());
    assert_eq!(rx.unfinished(), 0);
}

#[test]
fn dropped_blocked_send_never_inserts_later() {
    let (tx, rx) = queue::bounded(1);
    tx.try_send(1).unwrap();
    let mut s = spawn(tx.send(2));
    assert_pending!(s.poll());
    drop(s);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.unfinished(), 0);
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn dropped_send_that_was_already_granted_a_slot_stays_queued() {
    // The documented other half of `send`'s cancel safety: a blocked send
    // whose item was moved in when a slot freed has sent it, even if the
    // future is dropped before it is polled again.
    let (tx, rx) = queue::bounded(1);
    tx.try_send(0).unwrap();
    let mut s = spawn(tx.send(1));
    assert_pending!(s.poll());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to `s`, item 1 moves in
    drop(s);
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn stalled_sender_does_not_starve_others() {
    let (tx, rx) = queue::bounded(1);
    tx.try_send(0).unwrap();
    let mut stalled = spawn(tx.send(1));
    assert_pending!(stalled.poll()); // polled once, then neither polled nor dropped
    let mut other = spawn(tx.send(2));
    assert_pending!(other.poll());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(rx.try_recv(), Ok(1)); // the stalled sender's item was moved in for it
    assert!(other.is_woken());
    assert_ready_eq!(other.poll(), Ok(()));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_ready_eq!(stalled.poll(), Ok(()));
}

#[test]
fn stalled_reservation_does_not_starve_others() {
    let (tx, rx) = queue::bounded(1);
    tx.try_send(0).unwrap();
    let mut stalled = spawn(tx.reserve());
    assert_pending!(stalled.poll());
    let mut other = spawn(tx.send(2));
    assert_pending!(other.poll());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to the reservation
    drop(stalled); // ... which gives it on
    assert!(other.is_woken());
    assert_ready_eq!(other.poll(), Ok(()));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn stalled_receiver_does_not_starve_others() {
    let (tx, rx) = queue::unbounded();
    let mut stalled = spawn(rx.recv());
    assert_pending!(stalled.poll()); // then neither polled nor dropped
    let mut other = spawn(rx.recv());
    assert_pending!(other.poll());
    tx.try_send(1).unwrap(); // promised to `stalled`
    tx.try_send(2).unwrap(); // so `other` is woken for the next one
    assert!(other.is_woken());
    assert_ready_eq!(other.poll(), Ok(1));
    assert_ready_eq!(stalled.poll(), Ok(2));
}

#[test]
fn dropped_next_passes_the_wakeup_to_recv_on_the_same_receiver() {
    // `select! { x = rx.next() => .., _ = tick => .. }`, then `rx.recv()`:
    // the dropped `next()` must not keep the item promised to the stream's
    // registration while the task waits in `recv`.
    let (tx, mut rx) = queue::unbounded();
    let mut next = spawn(rx.next());
    assert_pending!(next.poll());
    drop(next);
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll());
    tx.try_send(1).unwrap();
    assert!(r.is_woken());
    assert_ready_eq!(r.poll(), Ok(1));
    drop(r);
    // The stream still works afterwards.
    let mut next = spawn(rx.next());
    assert_pending!(next.poll());
    tx.try_send(2).unwrap();
    assert!(next.is_woken());
    assert_ready_eq!(next.poll(), Some(2));
}

#[test]
fn woken_receiver_that_lost_its_item_keeps_its_place() {
    let (tx, rx) = queue::unbounded();
    let mut r1 = spawn(rx.recv());
    let mut r2 = spawn(rx.recv());
    assert_pending!(r1.poll());
    assert_pending!(r2.poll());
    tx.try_send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1)); // a newcomer takes it first
    assert_pending!(r1.poll());
    tx.try_send(2).unwrap();
    assert!(r1.is_woken() && !r2.is_woken());
    assert_ready_eq!(r1.poll(), Ok(2));
}

#[tokio::test(start_paused = true)]
async fn send_timeout_keeps_the_value_when_space_frees_in_time() {
    let (tx, rx) = queue::bounded(1);
    tx.send(1).await.unwrap();
    let rx2 = rx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        rx2.recv().await.unwrap();
    });
    tx.send_timeout(2, Duration::from_millis(10)).await.unwrap();
    assert_eq!(rx.recv().await, Ok(2));
    // and close while waiting gives it back as Closed
    tx.send(3).await.unwrap();
    let rx3 = rx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        rx3.close();
    });
    let r = tx.send_timeout(4, Duration::from_millis(10)).await;
    assert_eq!(r, Err(SendTimeoutError::Closed(4)));
}

#[tokio::test(start_paused = true)]
async fn recv_timeout_then_item_is_still_there() {
    let (tx, rx) = queue::unbounded();
    let tx2 = tx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx2.send(1).await.unwrap();
    });
    let r = rx.recv_timeout(Duration::from_millis(10)).await;
    assert_eq!(r, Err(RecvTimeoutError::Timeout));
    assert_eq!(rx.recv_timeout(Duration::from_millis(20)).await, Ok(1));
    drop(tx);
    let r = rx.recv_timeout(Duration::from_millis(10)).await;
    assert_eq!(r, Err(RecvTimeoutError::Closed));
}

#[test]
fn many_dropped_pending_recvs_leave_the_queue_working() {
    // (The waiter storage itself is checked in the crate's unit tests.)
    let (tx, rx) = queue::unbounded();
    for _ in 0..100_000 {
        let mut r = spawn(rx.recv());
        assert_pending!(r.poll());
    }
    let held: Vec<_> = (0..1000)
        .map(|_| {
            let mut r = spawn(rx.recv());
            assert_pending!(r.poll());
            r
        })
        .collect();
    drop(held);
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll());
    tx.try_send(1).unwrap();
    assert!(r.is_woken());
    assert_ready_eq!(r.poll(), Ok(1));
}

// ---- reserve / permit ------------------------------------------------------------

#[test]
fn permit_holds_a_slot_and_dropping_it_frees_it_for_waiters() {
    let (tx, rx) = queue::bounded(1);
    let mut res = spawn(tx.reserve());
    let permit = assert_ready!(res.poll()).unwrap();
    assert!(tx.is_full());
    let mut s = spawn(tx.send(1));
    assert_pending!(s.poll());
    drop(permit);
    assert!(s.is_woken());
    assert_ready_eq!(s.poll(), Ok(()));
    assert_eq!(rx.try_recv(), Ok(1));
    drop(res);

    let mut res = spawn(tx.reserve());
    let permit = assert_ready!(res.poll()).unwrap();
    permit.send(2);
    assert_eq!(rx.unfinished(), 1);
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn reserve_waits_in_line_with_senders() {
    let (tx, rx) = queue::bounded(1);
    tx.try_send(0).unwrap();
    let mut s1 = spawn(tx.send(1));
    let mut res = spawn(tx.reserve());
    assert_pending!(s1.poll());
    assert_pending!(res.poll());
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(s1.is_woken() && !res.is_woken());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(res.is_woken());
    let permit = assert_ready!(res.poll()).unwrap();
    permit.send(2);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_ready_eq!(s1.poll(), Ok(()));
}

#[test]
fn close_with_a_permit_held_waits_for_its_item() {
    // `Permit::send` cannot fail and queues its item even after close, so
    // the queue is not "closed and drained" while a permit is outstanding:
    // otherwise the item would arrive after every receiver gave up, stuck
    // in `unfinished()` with `join()` hanging on it.
    let (tx, rx) = queue::bounded(2);
    let mut res = spawn(tx.reserve());
    let permit = assert_ready!(res.poll()).unwrap();
    assert!(tx.close());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(!rx.is_terminated());
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll());
    permit.send(7);
    assert!(r.is_woken());
    assert_ready_eq!(r.poll(), Ok(7));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(rx.is_terminated());
    drop((r, res));

    // shutdown() is no different; and a permit dropped unused ends the wait.
    let (tx, rx) = queue::bounded::<u8>(2);
    tx.try_send(1).unwrap();
    let mut res = spawn(tx.reserve());
    let permit = assert_ready!(res.poll()).unwrap();
    assert_eq!(tx.shutdown(), vec![1]);
    let mut r = spawn(rx.recv());
    let mut j = spawn(rx.join());
    assert_pending!(r.poll());
    assert_ready!(j.poll());
    drop(permit);
    assert!(r.is_woken());
    assert_ready_eq!(r.poll(), Err(RecvError));
    assert_eq!(rx.unfinished(), 0);
}

#[tokio::test]
async fn granted_reserve_withdrawn_after_close_ends_the_wait() {
    let (tx, rx) = queue::bounded::<u8>(1);
    tx.try_send(0).unwrap();
    let mut res = spawn(tx.reserve());
    assert_pending!(res.poll());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot is granted to `res`
    assert!(res.is_woken());
    rx.close();
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll());
    drop(res); // withdrawn without collecting its permit
    assert!(r.is_woken());
    assert_ready_eq!(r.poll(), Err(RecvError));
}

// ---- mixed worlds ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_producers_feed_async_consumers() {
    let (tx, rx) = queue::bounded(4);
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    tx.send_blocking(p * 1000 + i).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                while let Ok(v) = rx.recv().await {
                    got.push(v);
                }
                got
            })
        })
        .collect();
    drop(rx);
    let mut all = Vec::new();
    for c in consumers {
        all.extend(c.await.unwrap());
    }
    for p in producers {
        p.join().unwrap();
    }
    all.sort();
    assert_eq!(all, (0..3000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_producers_feed_blocking_consumers() {
    let (tx, rx) = queue::bounded(2);
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while let Ok(v) = rx.recv_blocking() {
                    n += v;
                }
                n
            })
        })
        .collect();
    drop(rx);
    for i in 0..2000u64 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(total, (0..2000).sum::<u64>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_methods_work_in_spawn_blocking() {
    // The panic message and the docs send users to `spawn_blocking`, whose
    // threads have the runtime's handle entered: that must not panic.
    let (tx, rx) = queue::bounded(1);
    let producer = tokio::task::spawn_blocking(move || {
        for i in 0..10 {
            tx.send_blocking(i).unwrap();
        }
    });
    let consumer = tokio::task::spawn_blocking(move || {
        let mut got = Vec::new();
        while let Ok(i) = rx.recv_blocking() {
            got.push(i);
        }
        got
    });
    producer.await.unwrap();
    assert_eq!(consumer.await.unwrap(), (0..10).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_methods_in_a_worker_task_panic() {
    let (tx, rx) = queue::unbounded::<u8>();
    let r = tokio::spawn(async move { rx.recv_blocking() }).await;
    assert!(r.unwrap_err().is_panic());
    let s = tokio::spawn(async move { tx.send_blocking(1) }).await;
    assert!(s.unwrap_err().is_panic());
}

#[tokio::test]
async fn blocking_recv_in_spawn_blocking_on_current_thread_runtime() {
    let (tx, rx) = queue::unbounded();
    let consumer = tokio::task::spawn_blocking(move || rx.recv_blocking());
    tx.send(5).await.unwrap();
    assert_eq!(consumer.await.unwrap(), Ok(5));
}

#[tokio::test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
async fn send_blocking_inside_a_runtime_panics() {
    let (tx, _rx) = queue::unbounded();
    let _ = tx.send_blocking(1);
}

#[tokio::test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
async fn recv_blocking_inside_a_runtime_panics() {
    let (_tx, rx) = queue::unbounded::<u8>();
    let _ = rx.recv_blocking();
}

#[test]
fn recv_many_respects_limit_and_zero() {
    let (tx, rx) = queue::unbounded();
    for i in 0..5 {
        tx.try_send(i).unwrap();
    }
    let mut buf = vec![100];
    let mut f = spawn(rx.recv_many(&mut buf, 0));
    assert_ready_eq!(f.poll(), 0);
    drop(f);
    let mut f = spawn(rx.recv_many(&mut buf, 2));
    assert_ready_eq!(f.poll(), 2);
    drop(f);
    let mut f = spawn(rx.recv_many(&mut buf, 10));
    assert_ready_eq!(f.poll(), 3);
    drop(f);
    assert_eq!(buf, [100, 0, 1, 2, 3, 4]);
    assert_eq!(rx.unfinished(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_busy_receiver_yields_to_the_runtime() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (tx, rx) = queue::unbounded();
    for i in 0..10_000 {
        tx.try_send(i).unwrap();
    }
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
    let mut seen_other_task = false;
    for i in 0..10_000 {
        assert_eq!(rx.recv().await, Ok(i));
        seen_other_task |= ran.load(Ordering::SeqCst);
    }
    assert!(seen_other_task, "recv never yielded to the scheduler");
}

#[tokio::test(flavor = "current_thread")]
async fn a_busy_sender_yields_to_the_runtime() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (tx, rx) = queue::bounded(10_000);
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
    let mut seen_other_task = false;
    for i in 0..10_000 {
        tx.send(i).await.unwrap();
        seen_other_task |= ran.load(Ordering::SeqCst);
    }
    assert!(seen_other_task, "send never yielded to the scheduler");
    assert_eq!(rx.len(), 10_000);
}

/// Spends the task's cooperative budget down to nothing, within one poll.
async fn exhaust_budget() {
    while tokio::task::coop::has_budget_remaining() {
        tokio::task::coop::consume_budget().await;
    }
}

/// Polls `fut` once, in the task's own context.
async fn poll_once<F: std::future::Future + Unpin>(fut: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *fut).poll(cx))).await
}

/// Out of budget, a receive that would park parks at once (in line for the
/// next item) instead of yielding first and parking on its next poll.
#[tokio::test(flavor = "current_thread")]
async fn a_receiver_out_of_budget_parks_at_once_on_an_empty_queue() {
    let (tx, rx) = queue::unbounded::<u32>();
    exhaust_budget().await;
    let mut recv = Box::pin(rx.recv());
    assert!(poll_once(&mut recv).await.is_pending());
    assert_eq!(rx.stats().receivers_waiting, 1, "parked, in line");
    tx.try_send(7).unwrap();
    assert_eq!(recv.await, Ok(7));
}

/// Out of budget, a receive that would take an item yields instead and
/// leaves the item where it is.
#[tokio::test(flavor = "current_thread")]
async fn a_receiver_out_of_budget_yields_and_leaves_the_item() {
    let (tx, rx) = queue::unbounded::<u32>();
    tx.try_send(7).unwrap();
    exhaust_budget().await;
    let mut recv = Box::pin(rx.recv());
    assert!(poll_once(&mut recv).await.is_pending());
    assert_eq!((rx.len(), rx.stats().receivers_waiting), (1, 0));
    assert_eq!(recv.await, Ok(7));
}

/// Out of budget, a send into a full queue parks at once, and one with
/// room yields without sending.
#[tokio::test(flavor = "current_thread")]
async fn a_sender_out_of_budget_parks_when_full_and_yields_when_not() {
    let (tx, rx) = queue::bounded::<u32>(1);
    exhaust_budget().await;
    let mut with_room = Box::pin(tx.send(1));
    assert!(poll_once(&mut with_room).await.is_pending());
    assert_eq!(rx.len(), 0, "yielded without sending");
    with_room.await.unwrap();
    exhaust_budget().await;
    let mut full = Box::pin(tx.send(2));
    assert!(poll_once(&mut full).await.is_pending());
    assert_eq!(tx.stats().senders_waiting, 1, "parked, in line");
    assert_eq!(rx.recv().await, Ok(1));
    full.await.unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
}

/// A send on an unbounded queue never waits and, like tokio's
/// `UnboundedSender::send`, spends no budget: it completes even when the
/// task has none left. Receives still yield.
#[tokio::test(flavor = "current_thread")]
async fn an_unbounded_send_spends_no_budget() {
    let (tx, rx) = queue::unbounded::<u32>();
    exhaust_budget().await;
    let mut send = Box::pin(tx.send(1));
    assert!(poll_once(&mut send).await.is_ready());
    assert!(!tokio::task::coop::has_budget_remaining());
    let mut recv = Box::pin(rx.recv());
    assert!(poll_once(&mut recv).await.is_pending(), "a receive yields");
    assert_eq!(recv.await, Ok(1));
}

/// A `recv_timeout` that timed out but is kept (as in a `select!` loop) is
/// no longer in line: the next item goes to the next receiver.
#[tokio::test(start_paused = true)]
async fn a_timed_out_recv_kept_alive_is_out_of_line() {
    let (tx, rx) = queue::unbounded::<u32>();
    let mut timed = spawn(rx.recv_timeout(Duration::from_millis(10)));
    assert_pending!(timed.poll());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_ready_eq!(timed.poll(), Err(RecvTimeoutError::Timeout));
    let mut later = spawn(rx.recv());
    assert_pending!(later.poll());
    tx.try_send(1).unwrap();
    assert!(later.is_woken());
    assert!(!timed.is_woken());
    assert_ready_eq!(later.poll(), Ok(1));
    drop(timed);
}

/// A `send_timeout` that timed out but is kept gave its item back and no
/// longer waits for room: the room that frees goes to the next sender.
#[tokio::test(start_paused = true)]
async fn a_timed_out_send_kept_alive_is_out_of_line() {
    let (tx, rx) = queue::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let mut timed = spawn(tx.send_timeout(2, Duration::from_millis(10)));
    assert_pending!(timed.poll());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_ready_eq!(timed.poll(), Err(SendTimeoutError::Timeout(2)));
    let mut later = spawn(tx.send(3));
    assert_pending!(later.poll());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(later.is_woken());
    assert!(!timed.is_woken());
    assert_ready_eq!(later.poll(), Ok(()));
    assert_eq!(rx.try_recv(), Ok(3));
    drop(timed);
}

#[tokio::test(start_paused = true)]
async fn join_waits_for_a_job_taken_with_a_timeout() {
    let (tx, rx) = queue::bounded::<u32>(4);
    tx.send(1).await.unwrap();
    let job = rx.recv_job_timeout(Duration::from_secs(1)).await.unwrap();
    assert_eq!(*job, 1);
    let mut join = spawn(tx.join());
    assert_pending!(join.poll());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_pending!(join.poll(), "the job taken with a timeout is still at work");
    drop(job);
    assert!(join.is_woken());
    assert_ready!(join.poll());
}

#[tokio::test(start_paused = true)]
async fn recv_job_timeout_times_out_and_reports_close() {
    let (tx, rx) = queue::bounded::<u32>(4);
    let mut late = spawn(rx.recv_job_timeout(Duration::from_secs(1)));
    assert_pending!(late.poll());
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        assert_ready!(late.poll()).unwrap_err(),
        RecvTimeoutError::Timeout
    );
    drop(late);
    // A dropped one loses no item.
    let mut dropped = spawn(rx.recv_job_timeout(Duration::from_secs(1)));
    assert_pending!(dropped.poll());
    drop(dropped);
    tx.try_send(7).unwrap();
    assert_eq!(*rx.recv_job_timeout(Duration::ZERO).await.unwrap(), 7);
    drop(tx);
    assert_eq!(
        rx.recv_job_timeout(Duration::from_secs(1))
            .await
            .unwrap_err(),
        RecvTimeoutError::Closed
    );
}
