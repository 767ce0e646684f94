//! The extension traits, for a glob import.
//!
//! `use async_patterns::prelude::*;` brings every extension trait of the
//! crate into scope. Each is imported as `_`, so its methods are available
//! but its name cannot clash with yours.
//!
//! ```
//! use std::time::Duration;
//! use async_patterns::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! assert_eq!(async { 1 }.timeout(Duration::from_secs(1)).await, Ok(1));
//! # }
//! ```

pub use crate::retry::Retryable as _;
pub use crate::stream::StreamPatternsExt as _;
pub use crate::timeout::TimeoutExt as _;
