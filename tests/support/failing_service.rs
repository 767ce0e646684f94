//! A `service_fn` that fails its first calls, counting them all.
//!
//! Shared by `tests/tower.rs` and `tests/tower_retry.rs`, each of which
//! includes it with `#[path = "..."] mod failing_service;`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tower::{Service, service_fn};

/// Fails (with `"down"`) the first `fail_first` calls, then echoes;
/// `calls` counts every call.
pub fn failing(
    calls: &Arc<AtomicUsize>,
    fail_first: usize,
) -> impl Service<u32, Response = u32, Error = &'static str> + Clone {
    let calls = calls.clone();
    service_fn(move |x: u32| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        async move { if n < fail_first { Err("down") } else { Ok(x) } }
    })
}
