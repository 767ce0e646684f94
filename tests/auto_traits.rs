//! Send / Sync / Unpin expectations for every public type and every future or
//! stream the crate returns. These are compile-time checks: a regression makes
//! this file fail to build.
#![allow(dead_code, clippy::extra_unused_type_parameters)]

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn static_<T: 'static>() {}

#[test]
fn executor_auto_traits() {
    use async_patterns::executor::*;
    use std::future::Ready;

    type V = std::vec::IntoIter<Ready<u8>>;
    type R = std::vec::IntoIter<Ready<Result<u8, ()>>>;
    send::<Gather<V, Ready<u8>>>();
    sync::<Gather<V, Ready<u8>>>();
    unpin::<Gather<V, Ready<u8>>>();
    send::<TryGather<R, Ready<Result<u8, ()>>, u8, ()>>();
    unpin::<TryGather<R, Ready<Result<u8, ()>>, u8, ()>>();

    send::<TaskGroup<u8>>();
    sync::<TaskGroup<u8>>();
    unpin::<TaskGroup<u8>>();
    static_::<TaskGroup<u8>>();
    send::<GroupHandle<u8>>();
    sync::<GroupHandle<u8>>();
    unpin::<GroupHandle<u8>>();
    static_::<GroupHandle<u8>>();
    send::<JoinNext<'static, u8>>();
    unpin::<JoinNext<'static, u8>>();
    send::<JoinAll<u8>>();
    static_::<JoinAll<u8>>();
    unpin::<JoinAll<u8>>();
    send::<TryJoinAll<u8, String>>();
    static_::<TryJoinAll<u8, String>>();
    send::<Shutdown<'static, u8>>();

    send::<TaskError>();
    sync::<TaskError>();
    send::<GroupError<String>>();
    sync::<GroupError<String>>();
    send::<SpawnError>();
    sync::<SpawnError>();
}
