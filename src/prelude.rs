//! The extension traits, for a glob import.
//!
//! ```
//! use async_patterns::prelude::*;
//! ```
//!
//! brings every extension trait of the crate into scope (each is imported as
//! `_`, so none of their names can clash with yours).
