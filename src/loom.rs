//! Synchronisation primitives the crate's lock-based cores are built on.
//!
//! Under `--cfg loom` these are loom's model-checked types, so
//! `tests/loom.rs` explores every interleaving of the real code; otherwise
//! they are the `std` types. Code that loom must see uses `crate::loom::*`
//! instead of `std::sync::*`.

#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};

#[cfg(not(loom))]
pub(crate) use futures::task::AtomicWaker;

/// loom's model of `futures::task::AtomicWaker`, with the same methods.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(loom)]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}

/// A lock for short critical sections that run no user code: the crate's
/// [`SpinLock`](crate::spin_lock::SpinLock) (one atomic read-modify-write
/// per lock and unlock, where `std`'s mutex has two), or loom's mutex in
/// the loom models (the spin lock has a model of its own).
#[cfg(not(loom))]
pub(crate) type ShortLock<T> = crate::spin_lock::SpinLock<T>;
/// The guard of a [`ShortLock`].
#[cfg(not(loom))]
pub(crate) type ShortGuard<'a, T> = crate::spin_lock::SpinGuard<'a, T>;
/// A lock for short critical sections (loom's mutex in the models).
#[cfg(loom)]
pub(crate) type ShortLock<T> = Mutex<T>;
/// The guard of a [`ShortLock`].
#[cfg(loom)]
pub(crate) type ShortGuard<'a, T> = MutexGuard<'a, T>;

/// Locks a [`ShortLock`].
#[inline]
pub(crate) fn lock_short<T>(lock: &ShortLock<T>) -> ShortGuard<'_, T> {
    #[cfg(not(loom))]
    {
        lock.lock()
    }
    #[cfg(loom)]
    {
        self::lock(lock)
    }
}

/// Locks `mutex`, ignoring poisoning.
///
/// The crate never panics while holding one of its own locks (no user code
/// runs under them), so a poisoned lock only means a user's waker panicked
/// while being cloned; the protected state is still consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    {
        mutex.lock().unwrap()
    }
    #[cfg(not(loom))]
    {
        lock_std(mutex)
    }
}

/// [`lock`] for a `std` mutex that loom must not model: one behind tokio
/// tasks (the task group's state) or never shared inside a model (a pool's
/// idle list, a caught panic's payload). Same poisoning argument as [`lock`].
pub(crate) fn lock_std<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
