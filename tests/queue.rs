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
