//! The queue against its peers in long runs: every endpoint a spawned task,
//! `MESSAGES` (2^19) `usize`s per run split evenly over the producers and
//! the consumers, read as a cost per message.
//!
//! `benches/queue.rs` moves 10^4 messages per iteration, so its figures
//! include the per-iteration spawning and joining of the endpoint tasks
//! spread over few messages, and on the multi-thread runtime the tasks of a
//! short iteration tend to finish on the worker they were spawned to before
//! the other worker steals any. Here a run is 50× longer: the endpoints
//! settle on both workers and the figure is the steady per-message cost,
//! wake-ups across threads included (the shape of issue 16's measurements).
//!
//! Cells: {bounded(1), bounded(128), unbounded} x {1P1C, 4P1C, 4P4C} x
//! {current_thread, multi-thread with 2 workers}; ours, tokio `mpsc` (single
//! consumer cells), `async-channel`, `flume` and, for reference (it is not
//! cancel safe), `kanal`. Divide a time by 2^19 (0.524288 ms per ns/message)
//! for the per-message cost.
//!
//! Short run: `cargo bench --bench queue_tasks -- --warm-up-time 1
//! --measurement-time 3`; filter with e.g. `-- ct/1p1c`. Criterion times
//! the peers one after the other; `queue_rounds.rs` runs the same cells in
//! interleaved rounds, which a machine whose speed drifts needs for a fair
//! side-by-side figure.
//!
//! On a shared machine wall-clock figures swing by 2x or more; instruction
//! counts do not. For a current-thread cell, run the same endpoint code
//! (2^19 messages, once and three times) under `valgrind --tool=callgrind`
//! and divide the difference by 2 x 2^19: instructions per message, setup
//! excluded. Measured so (issue 16, after the spin lock; ours / flume 0.12):
//! unbounded 256 / 343 (1P1C), 256 / 343 (4P1C), 254 / 343 (4P4C);
//! bounded(128) 300 / 369, 310 / 381, 309 / 396; bounded(1) 1129 / 1327,
//! 1123 / 1367, 1108 / 1212.
//! They count work, not cycles: an atomic read-modify-write counts as one
//! instruction but costs tens of cycles, and a contended lock or a cache
//! miss far more, so the multi-thread cells need the wall clock.

#[path = "queue_cells.rs"]
mod cells;

use cells::{Consumers, MESSAGES, PEERS, cell_name, grid, run, runtime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cells(c: &mut Criterion) {
    let runtimes = [runtime(false), runtime(true)];
    for (multi, producers, consumers, cap) in grid() {
        let rt = &runtimes[usize::from(multi)];
        let mut group = c.benchmark_group(cell_name(multi, producers, consumers, cap));
        group.sample_size(10);
        group.throughput(Throughput::Elements(MESSAGES as u64));
        for (name, supports) in PEERS {
            if consumers > 1 && supports == Consumers::One {
                continue;
            }
            group.bench_function(name, |b| {
                b.to_async(rt).iter(|| async {
                    assert_eq!(run(name, producers, consumers, cap).await, MESSAGES);
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, cells);
criterion_main!(benches);
