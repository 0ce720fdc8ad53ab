//! What every layer shares: object ids, confidence, skip reasons, findings, verification
//! outcomes and hashing. It sits at the bottom of the module graph and imports nothing of the
//! crate, so detectors, the engine, git plumbing, verification and reports can all speak the same
//! types without importing each other.

pub mod confidence;
pub mod finding;
pub mod fingerprint;
pub mod hashing;
pub mod ids;
pub mod origin;
pub mod percent;
pub mod skip;
pub mod verification;
pub mod words;

pub use confidence::Confidence;
pub use finding::{CommitInfo, Fields, Finding, Location, Source};
pub use fingerprint::Fingerprinter;
pub use hashing::{hex, sha256_hex};
pub use ids::Oid;
pub use origin::{Cell, Decoding, Origin};
pub use skip::{Counts, Coverage, SkipReason, Skipped};
pub use verification::{Outcome, Status};
pub use words::{count, count_was, human_bytes, thousands};
