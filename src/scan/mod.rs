//! Finding secrets in bytes: the keyword prefilter, the regex/entropy engine, shared filters and
//! code checks. Nothing here knows where the bytes came from.

pub mod accuracy;
pub mod checks;
pub mod decode;
pub mod engine;
pub mod entropy;
pub mod filters;
pub mod jwt;
pub mod line_counts;
pub mod lines;
pub mod many_literals;
pub mod prefilter;
pub mod quality;
pub mod selftest;
pub mod triggers;

pub use engine::{BlobMatch, Engine};
