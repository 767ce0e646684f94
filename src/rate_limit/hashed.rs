//! Keys hashed once: the [`KeyedRateLimiter`](super::KeyedRateLimiter)
//! hashes a key with its own `RandomState` to pick a shard, and the shard's
//! map reuses that hash instead of hashing the key a second time.
//!
//! The map is a `HashMap<Hashed<K>, V, PassThrough>`. It is looked up by
//! `&dyn Probe<K>`, which a borrowed key and its hash implement too, so a
//! lookup neither clones the key nor hashes it again.

use std::borrow::Borrow;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The map of a shard: pre-hashed keys to `V`.
pub(super) type HashedMap<K, V> =
    std::collections::HashMap<Hashed<K>, V, BuildHasherDefault<PassThrough>>;

/// A key stored with its hash.
pub(super) struct Hashed<K> {
    pub(super) hash: u64,
    pub(super) key: K,
}

/// A key and its hash, owned ([`Hashed`]) or borrowed ([`Borrowed`]).
/// Its `Hash` is the stored hash; its equality that of the keys.
pub(super) trait Probe<K> {
    fn hash(&self) -> u64;
    fn key(&self) -> &K;
}

/// A borrowed key with its hash, to look one up.
pub(super) struct Borrowed<'a, K> {
    pub(super) hash: u64,
    pub(super) key: &'a K,
}

impl<K> Probe<K> for Hashed<K> {
    fn hash(&self) -> u64 {
        self.hash
    }

    fn key(&self) -> &K {
        &self.key
    }
}

impl<K> Probe<K> for Borrowed<'_, K> {
    fn hash(&self) -> u64 {
        self.hash
    }

    fn key(&self) -> &K {
        self.key
    }
}

impl<'a, K: 'a> Borrow<dyn Probe<K> + 'a> for Hashed<K> {
    fn borrow(&self) -> &(dyn Probe<K> + 'a) {
        self
    }
}

impl<K> Hash for dyn Probe<K> + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(Probe::hash(self));
    }
}

impl<K: Eq> PartialEq for dyn Probe<K> + '_ {
    fn eq(&self, other: &Self) -> bool {
        Probe::hash(self) == Probe::hash(other) && self.key() == other.key()
    }
}

impl<K: Eq> Eq for dyn Probe<K> + '_ {}

// Consistent with `dyn Probe<K>`'s, as `Borrow` requires.
impl<K> Hash for Hashed<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl<K: Eq> PartialEq for Hashed<K> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.key == other.key
    }
}

impl<K: Eq> Eq for Hashed<K> {}

/// The hasher of a [`HashedMap`]: its only input is a hash already mixed
/// by a `RandomState`, which it passes through.
#[derive(Default)]
pub(super) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Not reached (only `write_u64` is), but correct if it were.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
