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

#[test]
fn retry_auto_traits() {
    use async_patterns::retry::{
        AttemptTimeout, Backoff, DefaultRetry, Jitter, NoAttemptTimeout, RetryEvent, RetryPolicy,
    };
    use std::future::Ready;
    use std::time::Duration;

    type Op = fn() -> Ready<Result<(), std::io::Error>>;
    type R = DefaultRetry<Backoff, Op, Ready<Result<(), std::io::Error>>, std::io::Error>;

    send::<Backoff>();
    sync::<Backoff>();
    unpin::<Backoff>();
    static_::<Backoff>();
    send::<Jitter>();
    sync::<Jitter>();
    send::<RetryPolicy>();
    sync::<RetryPolicy>();
    send::<RetryPolicy<Backoff, AttemptTimeout>>();
    sync::<RetryPolicy<Backoff, NoAttemptTimeout>>();
    unpin::<RetryPolicy>();
    send::<RetryEvent<'_, std::io::Error>>();
    sync::<RetryEvent<'_, std::io::Error>>();
    send::<R>();
    sync::<R>();
    static_::<R>();
    // The timer is boxed, so `Retry` is `Unpin` when the operation's future is.
    unpin::<R>();
    send::<std::vec::IntoIter<Duration>>();
}

#[test]
fn pool_auto_traits() {
    use async_patterns::pool::{Get, GetTimeout, Pool, Pooled};

    send::<Pool<String>>();
    sync::<Pool<String>>();
    unpin::<Pool<String>>();
    static_::<Pool<String>>();
    send::<Pooled<String>>();
    sync::<Pooled<String>>();
    unpin::<Pooled<String>>();
    static_::<Pooled<String>>();
    send::<Get<'static, String>>();
    unpin::<Get<'static, String>>();
    send::<GetTimeout<'static, String>>();
}

#[test]
fn queue_auto_traits() {
    use async_patterns::queue::*;
    type T = std::cell::Cell<u8>; // Send, not Sync

    send::<Sender<T>>();
    sync::<Sender<T>>();
    unpin::<Sender<T>>();
    static_::<Sender<T>>();
    send::<Receiver<T>>();
    sync::<Receiver<T>>();
    unpin::<Receiver<T>>();
    static_::<Receiver<T>>();
    send::<Job<T>>();
    unpin::<Job<T>>();
    send::<Permit<'static, T>>();
    sync::<Permit<'static, T>>();

    send::<SendFuture<'static, T>>();
    unpin::<SendFuture<'static, T>>();
    send::<SendTimeout<'static, T>>();
    send::<Reserve<'static, T>>();
    unpin::<Reserve<'static, T>>();
    send::<Recv<'static, T>>();
    sync::<Recv<'static, T>>();
    unpin::<Recv<'static, T>>();
    send::<RecvJob<'static, T>>();
    unpin::<RecvJob<'static, T>>();
    send::<RecvTimeout<'static, T>>();
    send::<RecvJobTimeout<'static, T>>();
    send::<RecvMany<'static, 'static, T>>();
    unpin::<RecvMany<'static, 'static, T>>();
    send::<Closed<'static, T>>();
    sync::<Closed<'static, T>>();
    send::<Join<'static, T>>();
    sync::<Join<'static, T>>();

    send::<SendError<T>>();
    send::<TrySendError<T>>();
    send::<SendTimeoutError<T>>();
    send::<RecvError>();
    sync::<RecvError>();
    send::<TryRecvError>();
    send::<RecvTimeoutError>();
    static_::<RecvError>();
}

#[test]
fn actor_auto_traits() {
    use async_patterns::actor::{
        Actor, ActorError, Addr, Ask, AskError, Context, Join, Reply, SendError, TrySendError,
    };

    struct Probe;
    enum ProbeMsg {
        Text(String),
        Ask(Reply<String>),
    }
    impl Actor for Probe {
        type Message = ProbeMsg;
        async fn handle(&mut self, msg: ProbeMsg, _ctx: &mut Context<Self>) {
            if let ProbeMsg::Ask(reply) = msg {
                reply.send(String::new());
            }
        }
    }

    send::<Addr<Probe>>();
    sync::<Addr<Probe>>();
    unpin::<Addr<Probe>>();
    static_::<Addr<Probe>>();
    send::<Context<Probe>>();
    sync::<Context<Probe>>();
    send::<Reply<String>>();
    sync::<Reply<String>>();
    unpin::<Reply<String>>();
    send::<Join>();
    send::<Ask<'static, Probe, String>>();
    sync::<Ask<'static, Probe, String>>();
    unpin::<Ask<'static, Probe, String>>();
    sync::<Join>();
    unpin::<Join>();
    static_::<Join>();
    send::<ActorError>();
    sync::<ActorError>();
    send::<AskError>();
    sync::<AskError>();
    send::<SendError<Reply<String>>>();
    send::<TrySendError<Reply<String>>>();

    fn send_future<F: std::future::Future + Send>(_: F) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let addr = async_patterns::actor::spawn(Probe);
    send_future(addr.send(ProbeMsg::Text(String::new())));
    send_future(addr.ask(ProbeMsg::Ask));
    send_future(addr.join());
}

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

#[test]
fn monitor_auto_traits() {
    use async_patterns::monitor::{Monitor, OpStats, Timed};
    use std::future::Ready;

    send::<Monitor>();
    sync::<Monitor>();
    unpin::<Monitor>();
    static_::<Monitor>();
    send::<OpStats>();
    sync::<OpStats>();
    send::<Timed<Ready<()>>>();
    sync::<Timed<Ready<()>>>();
    unpin::<Timed<Ready<()>>>();
    static_::<Timed<Ready<()>>>();
}

#[test]
fn pool_lifecycle_auto_traits() {
    use async_patterns::pool::{Builder, Drain};

    send::<Builder<String>>();
    sync::<Builder<String>>();
    unpin::<Builder<String>>();
    static_::<Builder<String>>();
    send::<Drain<'static, String>>();
    unpin::<Drain<'static, String>>();
}

#[test]
fn observability_auto_traits() {
    use async_patterns::actor::ActorStats;
    use async_patterns::executor::GroupStats;
    use async_patterns::pool::PoolStats;
    use async_patterns::queue::QueueStats;
    use async_patterns::rate_limit::{AcquireWithin, LimiterStats};

    fn copy<T: Copy + Send + Sync + Unpin + 'static + std::fmt::Debug>() {}
    copy::<QueueStats>();
    copy::<GroupStats>();
    copy::<LimiterStats>();
    copy::<PoolStats>();
    copy::<ActorStats>();
    send::<AcquireWithin<'_>>();
    sync::<AcquireWithin<'_>>();
}
