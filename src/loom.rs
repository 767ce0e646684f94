//! Synchronisation primitives the crate's lock-based cores are built on.
//!
//! Under `--cfg loom` these are loom's model-checked types, so
//! `tests/loom.rs` explores every interleaving of the real code; otherwise
//! they are the `std` types. Code that loom must see uses `crate::loom::*`
//! instead of `std::sync::*`.

#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

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
        mutex
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
