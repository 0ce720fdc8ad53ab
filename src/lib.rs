//! blobhound: finds every credential a git repository has ever held.
//!
//! The library is layered the way the data flows, each layer importing only those below it:
//!
//! - [`model`]: what everything shares (ids, confidence, skip reasons, findings, outcomes, hashing);
//! - [`detectors`]: detector definitions and their loader (they name code checks, not code);
//! - [`scan`]: the engine, bytes in and matches out (prefilter, regexes, checks, filters);
//! - [`objects`]: git plumbing (opening without writing, reading one object, commits, trees);
//! - [`collect`]: the sink every mode feeds, which reads, skips, counts and scans once;
//! - [`source`] and [`provenance`]: selecting objects and tracing where they came from;
//! - [`verify`]: live checks; [`report`]: findings grouped and printed; [`baseline`];
//! - [`pipeline`]: one pipeline for every mode (audit, directory, gates);
//! - [`hook`]: the pre-receive and pre-commit modes.
//!
//! The binary is a thin layer over these in `cli`.

pub mod audit;
pub mod baseline;
pub mod collect;
pub mod config;
pub mod detectors;
pub mod error;
pub mod hook;
pub mod model;
pub mod objects;
pub mod pipeline;
pub mod provenance;
pub mod report;
pub mod scan;
pub mod source;
pub mod verify;

pub use error::{Error, Result};
