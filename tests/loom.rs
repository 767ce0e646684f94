//! Loom models of the crate's lock-based cores. Run with
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" cargo test --release --test loom
//! ```
//!
//! Under `--cfg loom` the crate's `crate::loom` shim swaps in loom's `Mutex`
//! and atomics, so these tests check the real code, not a copy.
#![cfg(loom)]
