//! Send / Sync / Unpin expectations for every public type and every future or
//! stream the crate returns. These are compile-time checks: a regression makes
//! this file fail to build.
#![allow(dead_code, clippy::extra_unused_type_parameters)]

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn static_<T: 'static>() {}
