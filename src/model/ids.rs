//! Object ids as reports carry them.
//!
//! Reports are read back (`blobhound advise`, baselines), so an id in one is untrusted text: it is
//! parsed as hex when the report is read, and shortened in one place, instead of being sliced as a
//! string wherever it is shown (which panics on text that is not ASCII).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Hex digits a shortened id keeps: unambiguous in all but enormous repositories, as git's own
/// abbreviations grow to about this length there.
const SHORT_LEN: usize = 12;

/// A git object id (a commit, blob or tag), serialized as full lowercase hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Oid(pub gix::ObjectId);

impl Oid {
    /// The abbreviation every output shows.
    pub fn short(&self) -> String {
        self.0.to_hex_with_len(SHORT_LEN).to_string()
    }

    /// The git id.
    pub fn id(&self) -> gix::ObjectId {
        self.0
    }
}

impl From<gix::ObjectId> for Oid {
    fn from(id: gix::ObjectId) -> Self {
        Oid(id)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Oid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Oid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        gix::ObjectId::from_hex(text.as_bytes())
            .map(Oid)
            .map_err(|e| serde::de::Error::custom(format!("{text:?} is not an object id: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_shorten_to_twelve_digits_and_non_hex_text_is_refused() {
        let id: Oid = serde_json::from_str(&format!("\"{}\"", "ab".repeat(20))).unwrap();
        assert_eq!(id.short(), "abababababab");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            format!("\"{}\"", "ab".repeat(20))
        );
        assert!(serde_json::from_str::<Oid>("\"ééééééééééééééééééééé\"").is_err());
    }
}
