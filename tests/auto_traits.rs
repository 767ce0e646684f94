//! Send / Sync / Unpin expectations for every public type and every future or
//! stream the crate returns. These are compile-time checks: a regression makes
//! this file fail to build.
#![allow(dead_code, clippy::extra_unused_type_parameters)]

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn static_<T: 'static>() {}

#[test]
fn event_auto_traits() {
    use async_patterns::event::{Event, Wait, WaitOwned, WaitTimeout};

    send::<Event>();
    sync::<Event>();
    unpin::<Event>();
    send::<Wait<'static>>();
    sync::<Wait<'static>>();
    unpin::<Wait<'static>>();
    send::<WaitOwned>();
    sync::<WaitOwned>();
    unpin::<WaitOwned>();
    static_::<WaitOwned>();
    send::<WaitTimeout<'static>>();
    sync::<WaitTimeout<'static>>();
}

#[test]
fn timeout_auto_traits() {
    use async_patterns::timeout::{Deadline, Elapsed, Scope, Timeout};
    use std::future::Ready;

    send::<Deadline>();
    sync::<Deadline>();
    unpin::<Deadline>();
    send::<Elapsed>();
    sync::<Elapsed>();
    unpin::<Elapsed>();
    static_::<Elapsed>();
    send::<Timeout<Ready<()>>>();
    sync::<Timeout<Ready<()>>>();
    static_::<Timeout<Ready<()>>>();
    send::<Scope<Ready<()>>>();
    sync::<Scope<Ready<()>>>();
    // A `Timeout` holds a tokio `Sleep`, which is `!Unpin`: pin it (`pin!`,
    // `Box::pin`) to poll it by hand, as with `tokio::time::Timeout`.
    fn error_is_std_error<E: std::error::Error + Send + Sync + 'static>() {}
    error_is_std_error::<Elapsed>();
}

#[test]
fn stream_auto_traits() {
    use async_patterns::stream::{
        ChunksTimeout, Debounce, Generate, MapConcurrent, MapConcurrentUnordered, TakeUntilSet,
        Throttle, TimeoutEach, TryGenerate, Yield, Yielder,
    };
    use futures::stream::Iter;
    use std::future::Ready;

    type Input = Iter<std::vec::IntoIter<u32>>;
    type Map = fn(u32) -> Ready<u32>;

    send::<Yielder<u32>>();
    sync::<Yielder<u32>>();
    unpin::<Yielder<u32>>();
    send::<Yield<'static, u32>>();
    sync::<Yield<'static, u32>>();
    unpin::<Yield<'static, u32>>();
    send::<Generate<u32, Ready<()>>>();
    sync::<Generate<u32, Ready<()>>>();
    unpin::<Generate<u32, Ready<()>>>();
    static_::<Generate<u32, Ready<()>>>();
    send::<TryGenerate<u32, std::io::Error, Ready<Result<(), std::io::Error>>>>();
    sync::<TryGenerate<u32, std::io::Error, Ready<Result<(), std::io::Error>>>>();
    send::<ChunksTimeout<Input>>();
    sync::<ChunksTimeout<Input>>();
    static_::<ChunksTimeout<Input>>();
    send::<Throttle<Input>>();
    sync::<Throttle<Input>>();
    send::<Debounce<Input>>();
    sync::<Debounce<Input>>();
    send::<TimeoutEach<Input>>();
    sync::<TimeoutEach<Input>>();
    send::<TakeUntilSet<Input>>();
    sync::<TakeUntilSet<Input>>();
    unpin::<TakeUntilSet<Input>>();
    static_::<TakeUntilSet<Input>>();
    send::<MapConcurrent<Input, Map, Ready<u32>>>();
    sync::<MapConcurrent<Input, Map, Ready<u32>>>();
    unpin::<MapConcurrent<Input, Map, Ready<u32>>>();
    send::<MapConcurrentUnordered<Input, Map, Ready<u32>>>();
    sync::<MapConcurrentUnordered<Input, Map, Ready<u32>>>();
    unpin::<MapConcurrentUnordered<Input, Map, Ready<u32>>>();
    send::<async_patterns::stream::RateLimited<Input>>();
    sync::<async_patterns::stream::RateLimited<Input>>();
    static_::<async_patterns::stream::RateLimited<Input>>();
    // The timed adapters hold a tokio `Sleep` (`!Unpin`): pin them to poll
    // them by hand.
}

#[test]
fn rate_limit_auto_traits() {
    use async_patterns::rate_limit::{
        Acquire, AcquireN, AcquireOwned, InsufficientCapacity, NotUntil, RateLimiter,
    };

    send::<RateLimiter>();
    sync::<RateLimiter>();
    unpin::<RateLimiter>();
    static_::<RateLimiter>();
    send::<Acquire<'_>>();
    sync::<Acquire<'_>>();
    send::<AcquireN<'_>>();
    sync::<AcquireN<'_>>();
    send::<AcquireOwned>();
    sync::<AcquireOwned>();
    static_::<AcquireOwned>();
    send::<NotUntil>();
    sync::<NotUntil>();
    unpin::<NotUntil>();
    send::<InsufficientCapacity>();
    sync::<InsufficientCapacity>();
    unpin::<InsufficientCapacity>();
    // The acquire futures hold a tokio `Sleep` (`!Unpin`) once they wait.
    fn error_is_std_error<E: std::error::Error + Send + Sync + 'static>() {}
    error_is_std_error::<NotUntil>();
    error_is_std_error::<InsufficientCapacity>();
}
