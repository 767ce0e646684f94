//! A fixed-size log-linear latency histogram on relaxed atomics.
//!
//! Values are nanoseconds. Values below [`SUB`] get a bucket each; above,
//! every power of two is split into [`SUB`] equal buckets, so a bucket's
//! width is at most 1/[`SUB`] of its lower bound and a percentile read from
//! it is within 6.25 % of the true sample. The whole `u64` range fits in
//! [`BUCKETS`] buckets (about 7.6 KiB per operation name).

use std::sync::atomic::{AtomicU64, Ordering};

/// log2 of the buckets per power of two.
const SUB_BITS: u32 = 4;
/// Buckets per power of two.
const SUB: u64 = 1 << SUB_BITS;
/// Buckets for the whole `u64` range: `SUB` exact ones, then `SUB` for each
/// exponent from `SUB_BITS` to 63.
pub(super) const BUCKETS: usize = (SUB as usize) * (64 - SUB_BITS as usize + 1);

/// The bucket a value falls in.
fn index(value: u64) -> usize {
    if value < SUB {
        return value as usize;
    }
    let exp = 63 - value.leading_zeros(); // >= SUB_BITS
    let mantissa = (value >> (exp - SUB_BITS)) & (SUB - 1);
    ((exp - SUB_BITS + 1) as usize) * SUB as usize + mantissa as usize
}

/// The largest value that falls in bucket `index`.
fn upper_bound(index: usize) -> u64 {
    let sub = SUB as usize;
    if index < sub {
        return index as u64;
    }
    let exp = (index / sub) as u32 + SUB_BITS - 1;
    let mantissa = (index % sub) as u64;
    let width = 1u64 << (exp - SUB_BITS);
    ((SUB + mantissa) << (exp - SUB_BITS)).saturating_add(width - 1)
}

/// Counts per bucket; each is updated with one relaxed `fetch_add`.
pub(super) struct Histogram {
    buckets: Box<[AtomicU64]>,
}

impl Histogram {
    pub(super) fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub(super) fn record(&self, value: u64) {
        self.buckets[index(value)].fetch_add(1, Ordering::Relaxed);
    }

    /// A copy of the counts (racing records may or may not be in it).
    pub(super) fn snapshot(&self) -> Counts {
        Counts(
            self.buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
        )
    }
}

/// A snapshot of a [`Histogram`].
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Counts(Box<[u64]>);

impl Counts {
    pub(super) fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The nearest-rank `q` quantile (`0.0..=1.0`), as the upper bound of
    /// the bucket it falls in; 0 when empty.
    pub(super) fn quantile(&self, q: f64) -> u64 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        // Nearest rank: the smallest sample with at least `q` of them at or
        // below it. `as` saturates, and the clamp keeps it in 1..=total.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, &count) in self.0.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_bound(i);
            }
        }
        unreachable!("rank <= total")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_u64_in_order() {
        let mut last = None;
        for v in (0..5000).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let i = index(v);
            assert!(i < BUCKETS, "{v} -> {i}");
            assert!(v <= upper_bound(i), "{v} above its bucket {i}");
            if i > 0 {
                assert!(v > upper_bound(i - 1), "{v} belongs below {i}");
            }
            if let Some(last) = last {
                assert!(i >= last);
            }
            last = Some(i);
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
        assert_eq!(upper_bound(BUCKETS - 1), u64::MAX);
    }

    #[test]
    fn relative_error_is_at_most_one_sixteenth() {
        for v in [17, 100, 1_000, 123_456, 10_000_000_007, u64::MAX / 7] {
            let bound = upper_bound(index(v));
            assert!(bound >= v);
            assert!((bound - v) as f64 <= v as f64 / 16.0, "{v} -> {bound}");
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let h = Histogram::new();
        for v in 1..=10 {
            h.record(v); // exact buckets below 16
        }
        let c = h.snapshot();
        assert_eq!(c.total(), 10);
        assert_eq!(c.quantile(0.5), 5);
        assert_eq!(c.quantile(0.9), 9);
        assert_eq!(c.quantile(0.99), 10);
        assert_eq!(c.quantile(0.0), 1);
        assert_eq!(c.quantile(1.0), 10);
        assert_eq!(Histogram::new().snapshot().quantile(0.5), 0);
    }
}
