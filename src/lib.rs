//! blobhound: finds every credential a git repository has ever held.
//!
//! The library is split the way the data flows: [`source`] yields blobs, [`scan`] finds secrets in
//! bytes, [`provenance`] says which commit and path introduced a blob, and [`report`] groups and
//! prints findings. The binary is a thin layer over [`run`]-style entry points in [`cli`].

pub mod baseline;
pub mod detectors;
pub mod error;
pub mod gate;
pub mod hook;
pub mod provenance;
pub mod report;
pub mod scan;
pub mod scanner;
pub mod source;
pub mod verify;

pub use error::{Error, Result};
