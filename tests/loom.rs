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
