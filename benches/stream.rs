//! Generators and batching, side by side with the peers.
use std::hint::black_box;

use async_patterns::stream::generate;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;

const N: u64 = 1_000_000;

fn generators(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate_1e6");
    group.sample_size(10);
    group.bench_function("async_patterns::generate", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s = generate(|mut y| async move {
                    for i in 0..N {
                        y.send(i).await;
                    }
                });
                let mut s = std::pin::pin!(s);
                let mut sum = 0u64;
                while let Some(i) = s.next().await {
                    sum = sum.wrapping_add(i);
                }
                black_box(sum)
            })
        })
    });
    group.bench_function("async_stream::stream!", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s = async_stream::stream! {
                    for i in 0..N {
                        yield i;
                    }
                };
                let mut s = std::pin::pin!(s);
                let mut sum = 0u64;
                while let Some(i) = s.next().await {
                    sum = sum.wrapping_add(i);
                }
                black_box(sum)
            })
        })
    });
    group.bench_function("futures::stream::unfold", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let s =
                    futures::stream::unfold(0u64, |i| async move { (i < N).then_some((i, i + 1)) });
                let mut s = std::pin::pin!(s);
                let mut sum = 0u64;
                while let Some(i) = s.next().await {
                    sum = sum.wrapping_add(i);
                }
                black_box(sum)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, generators);
criterion_main!(benches);
