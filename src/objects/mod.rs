//! Git plumbing every mode shares: opening a repository without writing to it, reading one object
//! (its header first, so an oversized blob is never inflated), parsing commits, and reading what a
//! tree holds at a path. It knows nothing of detectors or reports.

pub mod commit;
pub mod read;
pub mod repository;
pub mod tree;

pub use commit::Commit;
pub use read::{fetch, Fetched, Layered, Objects};
