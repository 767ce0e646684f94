//! Production-grade async concurrency patterns for tokio, for people who
//! know Python's `asyncio` and for people tired of hand-rolling the same
//! patterns from `tokio::sync`.
//!
//! (The guide and the asyncio table grow here as the modules land.)
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

#[allow(dead_code, unused_imports)]
mod loom;

pub mod executor;
pub mod prelude;
