//! `Event` against the primitives people hand-roll it from:
//! `tokio::sync::Notify` and `event-listener` (+ an `AtomicBool` for the level).
//!
//! (a) `wait` on an event that is already set; (b) set -> wake 1,000 waiters
//! spawned on the 2-worker multi-thread runtime.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_patterns::event::Event;
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

const WAITERS: usize = 1_000;

fn multi_thread() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The idiomatic "flag + listener" built from event-listener.
struct ListenerFlag {
    set: AtomicBool,
    event: event_listener::Event,
}

fn wait_already_set(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("event/wait_already_set");

    let ours = Event::new();
    ours.set();
    group.bench_function("async-patterns Event", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(&ours).wait().await })
    });

    // Notify has no level: the closest is a stored permit, re-armed each time.
    let notify = Notify::new();
    group.bench_function("tokio Notify (stored permit)", |b| {
        b.to_async(&rt).iter(|| async {
            notify.notify_one();
            black_box(&notify).notified().await
        })
    });

    let flag = ListenerFlag {
        set: AtomicBool::new(true),
        event: event_listener::Event::new(),
    };
    group.bench_function("event-listener + AtomicBool", |b| {
        b.to_async(&rt).iter(|| async {
            let flag = black_box(&flag);
            loop {
                if flag.set.load(Ordering::Acquire) {
                    return;
                }
                let listener = flag.event.listen();
                if flag.set.load(Ordering::Acquire) {
                    return;
                }
                listener.await;
            }
        })
    });
    group.finish();
}

fn wake_many(c: &mut Criterion) {
    let rt = multi_thread();
    let mut group = c.benchmark_group("event/set_wakes_1000_spawned_waiters");
    group.sample_size(30);

    group.bench_function("async-patterns Event", |b| {
        b.to_async(&rt).iter(|| async {
            let event = Arc::new(Event::new());
            let tasks: Vec<_> = (0..WAITERS)
                .map(|_| tokio::spawn(event.clone().wait_owned()))
                .collect();
            event.set();
            for task in tasks {
                task.await.unwrap();
            }
        })
    });

    group.bench_function("tokio Notify::notify_waiters", |b| {
        b.to_async(&rt).iter(|| async {
            let notify = Arc::new(Notify::new());
            let tasks: Vec<_> = (0..WAITERS)
                .map(|_| {
                    // Enabled before spawning, so notify_waiters cannot be missed.
                    let mut notified = Box::pin(notify.clone().notified_owned());
                    notified.as_mut().enable();
                    tokio::spawn(notified)
                })
                .collect();
            notify.notify_waiters();
            for task in tasks {
                task.await.unwrap();
            }
        })
    });

    group.bench_function("event-listener notify(all)", |b| {
        b.to_async(&rt).iter(|| async {
            let event = event_listener::Event::new();
            let tasks: Vec<_> = (0..WAITERS).map(|_| tokio::spawn(event.listen())).collect();
            event.notify(usize::MAX);
            for task in tasks {
                task.await.unwrap();
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = wait_already_set, wake_many
}
criterion_main!(benches);
