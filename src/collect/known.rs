//! Sets of objects an earlier scan of a repository met, as an audit's state keeps them (in the
//! history pipeline's record of what it saw): a re-run passes by the objects an earlier scan
//! read clean, so its cost follows what the repository gained, not its size.

use gix::ObjectId;

/// A sorted set of object ids, stored as their raw bytes one after the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownObjects {
    ids: Vec<ObjectId>,
}

/// Stored bytes that are not a list of whole object ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes are not a whole number of {hash_len}-byte object ids")]
pub struct NotIds {
    /// How many bytes there were.
    pub len: usize,
    /// The id length of the repository's hash.
    pub hash_len: usize,
}

impl KnownObjects {
    /// The set of `ids`, in any order, duplicates allowed.
    pub fn new(mut ids: Vec<ObjectId>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        KnownObjects { ids }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.ids.binary_search(id).is_ok()
    }

    /// The ids, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ObjectId> {
        self.ids.iter()
    }

    /// How many ids the set holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids' raw bytes, in order, for storing.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.ids.iter().map(|id| id.as_slice().len()).sum());
        for id in &self.ids {
            bytes.extend_from_slice(id.as_slice());
        }
        bytes
    }

    /// The set stored as [`Self::to_bytes`] wrote it, for a repository hashed with `hash`.
    pub fn from_bytes(bytes: &[u8], hash: gix::hash::Kind) -> Result<Self, NotIds> {
        let hash_len = hash.len_in_bytes();
        if !bytes.len().is_multiple_of(hash_len) {
            return Err(NotIds {
                len: bytes.len(),
                hash_len,
            });
        }
        let ids = bytes
            .chunks_exact(hash_len)
            .map(ObjectId::from_bytes_or_panic)
            .collect();
        Ok(KnownObjects::new(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[byte; 20])
    }

    #[test]
    fn bytes_round_trip_and_membership() {
        let known = KnownObjects::new(vec![id(3), id(1), id(3)]);
        assert_eq!(known.len(), 2);
        assert!(known.contains(&id(1)) && !known.contains(&id(2)));
        let again = KnownObjects::from_bytes(&known.to_bytes(), gix::hash::Kind::Sha1).unwrap();
        assert_eq!(again, known);
    }

    #[test]
    fn a_torn_list_is_refused() {
        let err = KnownObjects::from_bytes(&[0; 21], gix::hash::Kind::Sha1).unwrap_err();
        assert_eq!(err.len, 21);
    }
}
