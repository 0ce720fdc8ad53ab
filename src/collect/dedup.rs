//! A set of object ids shared by every decoding thread, so that a blob stored in two packs (or
//! packed and loose) is scanned once.

use std::sync::Mutex;

use gix::hashtable::HashSet;
use gix::ObjectId;

const SHARDS: usize = 64;

/// Thread-safe set of object ids, sharded by the id's first byte to keep lock contention low.
pub struct OidSet {
    shards: Vec<Mutex<HashSet<ObjectId>>>,
}

impl Default for OidSet {
    fn default() -> Self {
        OidSet {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashSet::default()))
                .collect(),
        }
    }
}

impl OidSet {
    fn shard(&self, id: &ObjectId) -> &Mutex<HashSet<ObjectId>> {
        &self.shards[id.as_bytes()[0] as usize % SHARDS]
    }

    /// Adds `id`; true when it was not there before.
    pub fn insert(&self, id: ObjectId) -> bool {
        self.shard(&id)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id)
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.shard(id)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(id)
    }

    /// How many ids the set holds.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_insert_of_the_same_id_reports_a_duplicate() {
        let set = OidSet::default();
        let id = ObjectId::from_hex(b"0123456789abcdef0123456789abcdef01234567").unwrap();
        assert!(set.insert(id));
        assert!(!set.insert(id));
        assert!(set.contains(&id));
        assert_eq!(set.len(), 1);
    }
}
