//! Finding secrets in bytes: the keyword prefilter, the regex/entropy engine, shared filters and
//! code checks. Nothing here knows where the bytes came from.

pub mod checks;
pub mod collector;
pub mod dedup;
pub mod engine;
pub mod entropy;
pub mod filters;
pub mod lines;
pub mod many_literals;
pub mod prefilter;

pub use engine::{BlobMatch, Engine};
