//! A spin lock for short critical sections, whose release is a plain store:
//! the queue's state and the retry budget's (through
//! [`ShortLock`](crate::loom::ShortLock)).
//!
//! # Why not `std::sync::Mutex`
//!
//! Every `send` and every receive takes the queue's lock once. `std`'s
//! mutex must learn on release whether a thread sleeps on it, so its
//! unlock is an atomic swap: two read-modify-writes per operation, four per
//! message, where this lock has one per operation (the acquiring
//! compare-exchange; releasing is a store). Under contention between
//! worker threads the `std` mutex also parks in the kernel after a short
//! spin, and every later release pays a `futex` wake while the flag says
//! someone may sleep. The queue's critical sections are a few dozen
//! instructions and run no user code, so waiting threads spin with a
//! growing backoff and then yield their time slice instead of sleeping.
//! `benches/queue_rounds.rs` and `benches/tower.rs` measured the
//! difference (see the CHANGELOG).
//!
//! # What the lock may protect
//!
//! Only state whose critical sections are short and bounded: a thread that
//! waits here spins or calls `yield_now`, it never sleeps. The queue calls no
//! user code under it except a task's `Waker::clone` and `drop` (a runtime's
//! reference count), the retry budget calls none, and neither panics under
//! it, so the lock has no poisoning.
//!
//! # Why the unsafe code is sound
//!
//! `locked` is `true` exactly while a [`SpinGuard`] exists: a guard is made
//! only by the compare-exchange from `false` to `true` that acquired the
//! lock, and its drop stores `false`. So at most one guard exists at a time,
//! and only a guard reaches `value`: the `&T` and `&mut T` it hands out
//! borrow the guard, and cannot outlive it. The acquiring exchange is
//! `Acquire` and the releasing store `Release`, so everything the previous
//! holder wrote happens before the next holder reads. `SpinLock<T>` is
//! `Sync` for `T: Send`, as a mutex is: it moves access to `T` between
//! threads, one at a time, and never shares a `&T` across two.
//!
//! The loom model at the end of this file checks mutual exclusion and the
//! happens-before edge under every interleaving (loom's `UnsafeCell` fails
//! the model on two overlapping accesses), and the unit tests run under
//! Miri in `.ci/run`. Under `--cfg loom` the queue itself uses loom's mutex,
//! which has the same contract, so the queue's models stay small.
#![allow(unsafe_code)]
// Under `--cfg loom` the crate locks with loom's mutex; this module is
// built only for its own model then.
#![cfg_attr(loom, allow(dead_code))]

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

#[cfg(loom)]
use loom::cell::{MutPtr, UnsafeCell};
#[cfg(not(loom))]
use std::cell::UnsafeCell;

use crate::loom::{AtomicBool, Ordering};

/// Spins of the backoff before a waiter starts yielding its time slice:
/// rounds of 1, 2, 4, ... 64 `spin_loop` hints, about as long as a contended
/// critical section takes to finish on another core.
const SPIN_ROUNDS: u32 = 7;

/// A lock around a `T`. See the [module docs](self).
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `value` to one thread at a time (the
// module docs give the argument), which is all a `Sync` mutex over a `Send`
// value needs, as for `std::sync::Mutex`.
unsafe impl<T: Send> Sync for SpinLock<T> {}

/// Access to the value of a locked [`SpinLock`]; unlocks when dropped.
///
/// Neither `Send` nor `Sync`, as `std`'s `MutexGuard` is not `Send`: a
/// guard shared between threads would hand out `&T` on both, which needs
/// `T: Sync`, where the lock only asks `T: Send`.
pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    not_send: PhantomData<*const ()>,
    /// loom's record of the exclusive access, released before the unlock.
    #[cfg(loom)]
    access: Option<MutPtr<T>>,
}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Locks, spinning (then yielding) while another thread holds the lock.
    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard {
            lock: self,
            not_send: PhantomData,
            #[cfg(loom)]
            access: Some(self.value.get_mut()),
        }
    }

    /// Waits until the lock looks free, reading it without writing (so the
    /// waiters do not steal the cache line from the holder), then tries to
    /// take it; returns once it did.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut round = 0;
        loop {
            while self.locked.load(Ordering::Relaxed) {
                if round < SPIN_ROUNDS {
                    for _ in 0..1u32 << round {
                        spin_hint();
                    }
                    round += 1;
                } else {
                    yield_thread();
                }
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

#[cfg(not(loom))]
fn spin_hint() {
    std::hint::spin_loop();
}

#[cfg(not(loom))]
fn yield_thread() {
    std::thread::yield_now();
}

// loom must be told that a spinning thread waits for another one.
#[cfg(loom)]
fn spin_hint() {
    loom::thread::yield_now();
}

#[cfg(loom)]
fn yield_thread() {
    loom::thread::yield_now();
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        #[cfg(not(loom))]
        {
            // SAFETY: this guard is the only one (module docs), and the
            // returned borrow of it ends before the guard unlocks.
            unsafe { &*self.lock.value.get() }
        }
        #[cfg(loom)]
        {
            // SAFETY: as above; `access` is live until the guard drops.
            unsafe { &*MutPtr::deref(self.access.as_ref().expect("locked")) }
        }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        #[cfg(not(loom))]
        {
            // SAFETY: this guard is the only one (module docs), and the
            // returned borrow of it (exclusive, as it borrows the guard
            // mutably) ends before the guard unlocks.
            unsafe { &mut *self.lock.value.get() }
        }
        #[cfg(loom)]
        {
            // SAFETY: as above; `access` is live until the guard drops.
            unsafe { MutPtr::deref(self.access.as_ref().expect("locked")) }
        }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        #[cfg(loom)]
        drop(self.access.take());
        self.lock.locked.store(false, Ordering::Release);
    }
}

impl<T> fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpinLock")
            .field("locked", &self.locked.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Several threads increment a plain counter and append to a vector under
    /// the lock: every update survives (Miri also checks for data races).
    #[test]
    fn threads_never_overlap_under_the_lock() {
        let threads = 4;
        let per_thread = if cfg!(miri) { 50 } else { 20_000 };
        let lock = Arc::new(SpinLock::new((0usize, Vec::new())));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lock = Arc::clone(&lock);
                std::thread::spawn(move || {
                    for i in 0..per_thread {
                        let mut st = lock.lock();
                        let before = st.0;
                        st.0 = before + 1;
                        st.1.push((t, i));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let st = lock.lock();
        assert_eq!(st.0, threads * per_thread);
        assert_eq!(st.1.len(), threads * per_thread);
        for t in 0..threads {
            let mine: Vec<_> = st.1.iter().filter(|(o, _)| *o == t).map(|p| p.1).collect();
            assert_eq!(mine, (0..per_thread).collect::<Vec<_>>(), "thread {t}");
        }
    }

    /// A guard's drop releases the lock: it can be taken again, and a value
    /// that owns memory is dropped with the lock (Miri checks for leaks).
    #[test]
    fn a_dropped_guard_releases_the_lock() {
        let lock = SpinLock::new(vec![String::from("a")]);
        lock.lock().push(String::from("b"));
        assert_eq!(*lock.lock(), ["a", "b"]);
        assert!(!lock.locked.load(Ordering::Relaxed));
        assert!(format!("{lock:?}").contains("locked: false"));
    }

    /// A thread that finds the lock held waits for the holder's release,
    /// then sees what the holder wrote.
    #[test]
    fn a_waiter_sees_the_holders_writes() {
        let lock = Arc::new(SpinLock::new(0u64));
        let guard_taken = Arc::new(std::sync::Barrier::new(2));
        let mut held = lock.lock();
        let waiter = {
            let lock = Arc::clone(&lock);
            let guard_taken = Arc::clone(&guard_taken);
            std::thread::spawn(move || {
                guard_taken.wait();
                *lock.lock()
            })
        };
        guard_taken.wait();
        *held = 42;
        drop(held);
        assert_eq!(waiter.join().unwrap(), 42);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;

    /// Two threads each take the lock and update the value; loom's
    /// `UnsafeCell` fails the model if the accesses could overlap, and the
    /// final value shows neither update was lost.
    #[test]
    fn two_threads_take_turns() {
        loom::model(|| {
            let lock = Arc::new(SpinLock::new(0usize));
            let other = {
                let lock = Arc::clone(&lock);
                loom::thread::spawn(move || {
                    *lock.lock() += 1;
                })
            };
            *lock.lock() += 2;
            other.join().unwrap();
            assert_eq!(*lock.lock(), 3);
        });
    }
}
